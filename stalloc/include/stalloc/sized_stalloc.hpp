// SizedStalloc<L, B, Policy>: a Stalloc that can find the size of its own
// allocations, so it can serve an unsized operator delete. The global
// replacement (global.hpp) turns every Stalloc link of a global arena into
// one; it is usable on its own too.
//
// Finding the size of an unsized delete
//   The runtime calls operator delete(void*) without a size in several cases
//   (virtual destructors of incomplete types, the C++ runtime's own frees,
//   code built with -fno-sized-deallocation), but a Stalloc must be told how
//   many blocks it frees. So a SizedStalloc<L, B> is the Stalloc plus one bit
//   per block, the end marks: of each live allocation's blocks, the last is
//   marked and the others are not. An unsized delete of p scans forward from
//   p's block to the first set bit; the allocation is the blocks in between.
//
//   Who writes the marks (the marks of FREE blocks are the difference):
//   - unchecked policies (QuickFit, ChainedQuickFit, FirstFit): allocate
//     writes all of the allocation's marks (clears its blocks' bits, sets
//     the last), and a free writes none, so free blocks keep stale marks.
//     Nothing reads a free block's mark: only a live allocation's are
//     scanned, and it wrote them all itself.
//   - checked policies (Hardened): allocate sets the last block's bit and
//     every free clears it, so a free block is never marked, and a sized
//     delete whose size ends on an unmarked block (a wrong size, a double
//     free) is caught before the arena is touched.
//   Why the unchecked form: a free that clears a bit is a read-modify-write
//   of the same word the next allocation of that size writes again, a chain
//   through memory on every new/delete pair. stalloc/examples/chained (a
//   22-byte string made and freed 100 million times, SyncStalloc<1024, 8>):
//   1428-1460 -> 1241-1325 ms (taskset, 3 rounds of the two builds in turn)
//   for the same instructions (13.16 and 13.18 million under callgrind,
//   --short: the mask costs what the clearing did).
//
//   Cost: allocate writes one word (unchecked: two when the allocation
//   crosses a word, O(n / 64) words for n blocks); a sized delete writes
//   none (unchecked) or clears one bit (checked); an unsized delete scans
//   (L/64 words at worst, one or two for anything under 64 blocks).
//
//   Memory overhead, exactly: 8 * ceil(L / 64) bytes per Stalloc link
//   (e.g. 128 bytes for L = 1000, i.e. 3.2% of a Stalloc<1000, 4>;
//   8 KiB for L = 65535), and nothing per allocation.
//   sizeof(SizedStalloc<L, B>) == sizeof(Stalloc<L, B>) + 8 * ceil(L / 64),
//   plus 4 bytes of padding for a 4-aligned arena (FirstFit with B == 4: the
//   bitmap's 64-bit words start on an 8-byte boundary), e.g. 4224 + 128 =
//   4352 bytes for Stalloc<1000, 4> (QuickFit), 4004 + 4 + 128 for FirstFit.
//
// Every byte-API call goes through the Stalloc's own byte API, so what it
// guarantees holds here too: the quick-list fast path, and under ASan the
// poisoning of each allocation's rounding slack (a 1-byte overflow past
// operator new(5) is reported, tests/reliability/asan_poisoning_test.cpp).
//
// Thread safety: none, as for Stalloc; Synchronized<SizedStalloc<L, B>>
// (sync.hpp) shares one between threads.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "stalloc/stalloc.hpp"

namespace stalloc {

template <std::size_t L, std::size_t B, class Policy = QuickFit>
class SizedStalloc {
 public:
  using policy = Policy;
  static constexpr std::size_t block_count = L;
  static constexpr std::size_t block_size = B;
  static constexpr std::size_t capacity = L * B;
  static constexpr std::size_t bitmap_bytes = 8 * ((L + 63) / 64);

  // An empty arena; constant-initialisable, all-zero (a static one is in
  // .bss). Neither copyable nor movable: allocations point into the object.
  constexpr SizedStalloc() noexcept = default;
  SizedStalloc(const SizedStalloc&) = delete;
  SizedStalloc& operator=(const SizedStalloc&) = delete;

  // Stalloc::allocate (same arguments, same nullptr cases, same
  // complexity), and writes the allocation's end marks: O(n / 64 + 1) more
  // for n blocks (see the top of this file).
  // Forced inline like Stalloc::allocate: left to GCC, whether it was
  // inlined into operator new depended on Stalloc::allocate's size
  // (stalloc/examples/fast_vectors: 31 -> 62 instructions per new when not).
  [[nodiscard, gnu::always_inline]] void* allocate(std::size_t size, std::size_t align) noexcept {
    void* p = arena_.allocate(size, align);
    if (p != nullptr && size != 0) mark(arena_.block_index(p), detail::blocks_for<B>(size));
    return p;
  }

  // Frees the allocation at p. p must come from allocate/grow/shrink of this
  // arena and `size` must be the size it was made (or last resized) with;
  // `align` is ignored. Checked policies (Hardened) report a foreign or
  // misaligned p, or a size whose last block carries no end mark, and then
  // change nothing. size 0 is a no-op. Stalloc::deallocate, plus O(1) for
  // checked policies.
  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    if (size == 0) return;
    const std::size_t last = arena_.block_index(p) + detail::blocks_for<B>(size) - 1;
    if constexpr (Policy::checks) {
      // The end mark is exactly where the caller's size says: catches a
      // wrong size and most double frees before the arena is touched.
      if (!is_start_of_block(p)) return;
      if (last >= L || !is_marked(last)) {
        return report(Misuse::bad_size, "sized delete: no allocation ends where this size says", p);
      }
    }
    unmark_last(last);
    arena_.deallocate(p, size, align);
  }

  // The arena's quick path (stalloc.hpp, "Quick path"), with the end marks
  // written as allocate writes them; only for the unchecked policies that
  // have one (so a free leaves its marks).
  [[nodiscard, gnu::always_inline]] void* try_allocate_quick(
      std::size_t size,
      std::size_t align) noexcept requires detail::has_quick_path<Stalloc<L, B, Policy>> {
    void* p = arena_.try_allocate_quick(size, align);
    if (p != nullptr) mark(arena_.block_index(p), detail::blocks_for<B>(size));
    return p;
  }
  [[gnu::always_inline]] bool try_deallocate_quick(
      void* p, std::size_t size,
      std::size_t align) noexcept requires detail::has_quick_path<Stalloc<L, B, Policy>> {
    return arena_.try_deallocate_quick(p, size, align);  // size 0: false
  }

  // Frees the allocation at p without being told its size (operator
  // delete(void*)). p must be a live allocation of this arena of size > 0;
  // `align` is ignored. Unchecked policies abort the program when p's block
  // is followed by no end mark at all (a pointer never handed out); checked
  // ones report any p that is not live and change nothing.
  // O(n / 64 + 1) words for an allocation of n blocks (L / 64 at worst),
  // plus Stalloc::deallocate_blocks; checked policies add a walk of the
  // free list and the quick lists, O(free chunks + quick entries).
  void deallocate_unsized(void* p, std::size_t /*align*/) noexcept {
    if constexpr (Policy::checks) {
      if (!is_start_of_block(p)) return;
    }
    const std::size_t first = arena_.block_index(p);
    const std::size_t last = find_last(first);
    if constexpr (Policy::checks) {
      // A freed pointer would find the end mark of a later allocation.
      if (last == kNone || overlaps_free_chunk(first, last)) {
        return report(Misuse::double_free, "unsized delete of a pointer that is not live", p);
      }
    }
    unmark_last(last);
    arena_.deallocate_blocks(p, last - first + 1);
  }

  // The size in bytes of the live allocation at p, rounded up to whole
  // blocks. p must be a live allocation of this arena (checked policies
  // return 0 for one with no end mark after it; unchecked ones abort).
  // Changes nothing. O(n / 64 + 1) words for an allocation of n blocks.
  [[nodiscard]] std::size_t allocation_size(const void* p) const noexcept {
    const std::size_t first = arena_.block_index(p);
    const std::size_t last = find_last(first);
    if (last == kNone) return 0;
    return (last - first + 1) * B;
  }

  // Stalloc::grow, shrink and reallocate (same arguments, results, failure
  // cases and complexity), moving the end mark to the result's last block:
  // O(1) more. On failure (nullptr) the old allocation and its mark stay.
  [[nodiscard]] void* grow(void* p, std::size_t old_size, std::size_t new_size,
                           std::size_t align) noexcept {
    return remark(p, old_size, arena_.grow(p, old_size, new_size, align), new_size);
  }
  [[nodiscard]] void* shrink(void* p, std::size_t old_size, std::size_t new_size,
                             std::size_t align) noexcept {
    return remark(p, old_size, arena_.shrink(p, old_size, new_size, align), new_size);
  }
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    return new_size >= old_size ? grow(p, old_size, new_size, align)
                                : shrink(p, old_size, new_size, align);
  }

  // Whether p points into the arena's blocks (any pointer). O(1).
  [[nodiscard]] bool owns(const void* p) const noexcept { return arena_.owns(p); }

  // Forgets every allocation: Stalloc::clear. Checked policies also clear
  // every end mark, O(L / 64) more (a free block is never marked there);
  // unchecked ones leave them, as a free does (the top of this file).
  // Pointers handed out before must not be used again.
  void clear() noexcept {
    arena_.clear();
    if constexpr (Policy::checks) {
      for (auto& word : last_block_) word = 0;
    }
  }

  // Stalloc::is_oom, is_empty and stats (same answers, same cost).
  [[nodiscard]] bool is_oom() const noexcept { return arena_.is_oom(); }
  [[nodiscard]] bool is_empty() const noexcept { return arena_.is_empty(); }
  [[nodiscard]] std::size_t live_blocks() const noexcept { return arena_.live_blocks(); }
  [[nodiscard]] FreeListStats stats() const noexcept { return arena_.stats(); }

  // The Stalloc's invariants, plus the end marks':
  //   checked policies: no free block (of the free list or a quick list)
  //   carries an end mark (which a sized delete with a wrong size would
  //   leave behind);
  //   unchecked ones: the last block of every run of live blocks (between
  //   free blocks) is marked, so every live allocation's scan ends inside
  //   the run (its own marks are written by allocate and cannot be told
  //   from a stale mark here: RandomTrafficAgreesWithTheCallersSizes and
  //   fuzz_sized check every live allocation's size against the caller's).
  // The first broken one, or ok. Stalloc::check_invariants plus O(L), and
  // a map of the free blocks on the stack (as many bytes as the marks; no
  // allocation: this may be the program's operator new).
  [[nodiscard]] InvariantReport check_invariants() const noexcept {
    InvariantReport r = arena_.check_invariants();
    if (!r) return r;
    std::array<std::uint64_t, kWords> free{};
    const auto note = [&](std::size_t start, std::size_t len) {
      for (std::size_t i = start; i < start + len && i < L; ++i)
        free[i / 64] |= std::uint64_t{1} << (i % 64);
    };
    arena_.for_each_free_chunk(note);
    if constexpr (Policy::quick_lists > 0) arena_.for_each_quick_entry(note);
    const auto is_free = [&](std::size_t i) { return ((free[i / 64] >> (i % 64)) & 1U) != 0; };
    for (std::size_t i = 0; i < L; ++i) {
      if constexpr (Policy::checks) {
        if (is_free(i) && is_marked(i))
          return {false, "a free block is marked as the end of an allocation", i};
      } else {
        const bool run_ends = i + 1 == L || is_free(i + 1);
        if (!is_free(i) && run_ends && !is_marked(i))
          return {false, "a run of live blocks ends on an unmarked block", i};
      }
    }
    return r;
  }

  // Address of block `index` and the block p is in, as Stalloc's. O(1).
  [[nodiscard]] const void* block_address(std::size_t index) const noexcept {
    return arena_.block_address(index);
  }
  [[nodiscard]] std::size_t block_index(const void* p) const noexcept {
    return arena_.block_index(p);
  }

  // The Stalloc inside, for diagnostics (block_address, for_each_free_chunk).
  // Allocating or freeing through it directly bypasses the end marks, so an
  // unsized delete would then find the wrong size. O(1).
  [[nodiscard]] Stalloc<L, B, Policy>& arena() noexcept { return arena_; }
  [[nodiscard]] const Stalloc<L, B, Policy>& arena() const noexcept { return arena_; }

 private:
  static constexpr std::size_t kWords = (L + 63) / 64;

  bool is_marked(std::size_t i) const noexcept { return (last_block_[i / 64] >> (i % 64)) & 1U; }

  // The end marks of an allocation of `count` blocks the arena just made at
  // block `first`, as the top of this file says who writes them.
  [[gnu::always_inline]] void mark(std::size_t first, std::size_t count) noexcept {
    const std::size_t last = first + count - 1;
    // last is inside the arena (it just made the allocation). Said, so that
    // GCC does not warn (-Warray-bounds) on the path of a constant size the
    // arena always refuses (a 100 KB string into 8 KB: stalloc/examples/chained).
    detail::assume(last < L);
    if constexpr (Policy::checks) {
      last_block_[last / 64] |= std::uint64_t{1} << (last % 64);  // the rest are clear
    } else {
      if ((first ^ last) < 64) [[likely]] {  // one word
        // Clear bits first..last-1 of the word (end_bit - first's bit), set last.
        const std::uint64_t end_bit = std::uint64_t{1} << (last % 64);
        std::uint64_t& word = last_block_[last / 64];
        word = (word & ~(end_bit - (std::uint64_t{1} << (first % 64)))) | end_bit;
      } else {
        mark_across_words(first, last);
      }
    }
  }
  [[gnu::noinline]] void mark_across_words(std::size_t first, std::size_t last) noexcept {
    last_block_[first / 64] &= (std::uint64_t{1} << (first % 64)) - 1;
    for (std::size_t w = first / 64 + 1; w < last / 64; ++w) last_block_[w] = 0;
    const std::uint64_t end_bit = std::uint64_t{1} << (last % 64);
    std::uint64_t& word = last_block_[last / 64];
    word = (word & ~((end_bit << 1) - 1)) | end_bit;
  }
  // Checked policies only: a free clears what allocate set.
  void unmark_last(std::size_t i) noexcept {
    if constexpr (Policy::checks) last_block_[i / 64] &= ~(std::uint64_t{1} << (i % 64));
  }

  static constexpr std::size_t kNone = ~std::size_t{0};

  // The first marked block at or after `first`. A pointer this arena never
  // handed out (or already freed) may find none: that is heap corruption in
  // the caller. Checked policies report it (kNone); unchecked ones stop the
  // program rather than free a wrong range.
  std::size_t find_last(std::size_t first) const noexcept {
    std::size_t w = first / 64;
    std::uint64_t bits = last_block_[w] >> (first % 64);
    if (bits != 0) return first + static_cast<std::size_t>(std::countr_zero(bits));
    for (++w; w < kWords; ++w) {
      if (last_block_[w] != 0) {
        return w * 64 + static_cast<std::size_t>(std::countr_zero(last_block_[w]));
      }
    }
    if constexpr (Policy::checks) return kNone;
    std::fputs("stalloc: unsized delete of a pointer that is not a live allocation\n", stderr);
    std::abort();
  }

  // Checked policies only: p is a block start inside this arena.
  bool is_start_of_block(const void* p) const noexcept {
    if (!arena_.owns(p)) {
      report(Misuse::foreign_pointer, "delete of a pointer outside the arena", p);
      return false;
    }
    const auto offset =
        static_cast<std::size_t>(static_cast<const unsigned char*>(p) -
                                 static_cast<const unsigned char*>(arena_.block_address(0)));
    if (offset % B != 0) {
      report(Misuse::misaligned_pointer, "delete of a pointer that is not at a block start", p);
      return false;
    }
    return true;
  }

  // Free blocks are those of the free list and those waiting on quick lists.
  bool overlaps_free_chunk(std::size_t first, std::size_t last) const noexcept {
    bool overlap = false;
    const auto check = [&](std::size_t start, std::size_t len) {
      if (start <= last && first < start + len) overlap = true;
    };
    arena_.for_each_free_chunk(check);
    arena_.for_each_quick_entry(check);
    return overlap;
  }

  void report(Misuse kind, const char* what, const void* p) const noexcept {
    Policy::report(MisuseReport{kind, what, &arena_, p});
  }

  // After grow/shrink: the old allocation's marks are a free one's, the new
  // one's are written (in place, over the old: mark clears the old end).
  void* remark(void* old_p, std::size_t old_size, void* new_p, std::size_t new_size) noexcept {
    if (new_p == nullptr) return nullptr;  // failed: the old allocation is untouched
    if (old_size != 0) {
      unmark_last(arena_.block_index(old_p) + detail::blocks_for<B>(old_size) - 1);
    }
    if (new_size != 0) mark(arena_.block_index(new_p), detail::blocks_for<B>(new_size));
    return new_p;
  }

  Stalloc<L, B, Policy> arena_;
  std::uint64_t last_block_[kWords] = {};  // bit i: block i ends a live allocation
};

}  // namespace stalloc
