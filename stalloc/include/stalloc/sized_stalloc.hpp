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
//   per block, set on the LAST block of each live allocation. An unsized
//   delete of p scans forward from p's block to the first set bit; the
//   allocation is the blocks in between. Allocations are contiguous and
//   disjoint, so that bit is always p's own.
//   Cost: allocate sets one bit, a sized delete clears one, an unsized delete
//   scans (L/64 words at worst, one word for anything under 64 blocks).
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
  // complexity), and marks the allocation's last block: O(1) more.
  // Forced inline like Stalloc::allocate: left to GCC, whether it was
  // inlined into operator new depended on Stalloc::allocate's size
  // (stalloc/examples/fast_vectors: 31 -> 62 instructions per new when not).
  [[nodiscard, gnu::always_inline]] void* allocate(std::size_t size, std::size_t align) noexcept {
    void* p = arena_.allocate(size, align);
    if (p != nullptr && size != 0)
      mark_last(arena_.block_index(p) + detail::blocks_for<B>(size) - 1);
    return p;
  }

  // Frees the allocation at p. p must come from allocate/grow/shrink of this
  // arena and `size` must be the size it was made (or last resized) with;
  // `align` is ignored. Checked policies (Hardened) report a foreign or
  // misaligned p, or a size whose last block carries no end mark, and then
  // change nothing. size 0 is a no-op. Stalloc::deallocate plus O(1).
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

  // The arena's quick path (stalloc.hpp, "Quick path"), with the end mark
  // set or cleared as allocate and deallocate do; only for the unchecked
  // policies that have one.
  [[nodiscard, gnu::always_inline]] void* try_allocate_quick(
      std::size_t size,
      std::size_t align) noexcept requires detail::has_quick_path<Stalloc<L, B, Policy>> {
    void* p = arena_.try_allocate_quick(size, align);
    if (p != nullptr) mark_last(arena_.block_index(p) + detail::blocks_for<B>(size) - 1);
    return p;
  }
  [[gnu::always_inline]] bool try_deallocate_quick(
      void* p, std::size_t size,
      std::size_t align) noexcept requires detail::has_quick_path<Stalloc<L, B, Policy>> {
    const std::size_t last = arena_.block_index(p) + detail::blocks_for<B>(size) - 1;
    if (!arena_.try_deallocate_quick(p, size, align)) return false;  // size 0 included
    unmark_last(last);
    return true;
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

  // Forgets every allocation: Stalloc::clear, and every end mark cleared,
  // O(L / 64) more. Pointers handed out before must not be used again.
  void clear() noexcept {
    arena_.clear();
    for (auto& word : last_block_) word = 0;
  }

  // Stalloc::is_oom, is_empty and stats (same answers, same cost).
  [[nodiscard]] bool is_oom() const noexcept { return arena_.is_oom(); }
  [[nodiscard]] bool is_empty() const noexcept { return arena_.is_empty(); }
  [[nodiscard]] std::size_t live_blocks() const noexcept { return arena_.live_blocks(); }
  [[nodiscard]] FreeListStats stats() const noexcept { return arena_.stats(); }

  // The Stalloc's invariants, plus: no free block carries an end mark (which
  // a sized delete with a wrong size would leave behind). The first broken
  // one, or ok. Stalloc::check_invariants plus O(free blocks).
  [[nodiscard]] InvariantReport check_invariants() const noexcept {
    InvariantReport r = arena_.check_invariants();
    if (!r) return r;
    arena_.for_each_free_chunk([&](std::size_t start, std::size_t len) {
      for (std::size_t i = start; r && i < start + len; ++i) {
        if (is_marked(i)) r = {false, "a free block is marked as the end of an allocation", start};
      }
    });
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
  void mark_last(std::size_t i) noexcept {
    // i is the last block of an allocation the arena just made. Said, so that
    // GCC does not warn (-Warray-bounds) on the path of a constant size the
    // arena always refuses (a 100 KB string into 8 KB: stalloc/examples/chained).
    detail::assume(i < L);
    last_block_[i / 64] |= std::uint64_t{1} << (i % 64);
  }
  void unmark_last(std::size_t i) noexcept {
    last_block_[i / 64] &= ~(std::uint64_t{1} << (i % 64));
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

  // After grow/shrink: move the end bit from the old allocation to the new.
  void* remark(void* old_p, std::size_t old_size, void* new_p, std::size_t new_size) noexcept {
    if (new_p == nullptr) return nullptr;  // failed: the old allocation is untouched
    if (old_size != 0) {
      unmark_last(arena_.block_index(old_p) + detail::blocks_for<B>(old_size) - 1);
    }
    if (new_size != 0) {
      mark_last(arena_.block_index(new_p) + detail::blocks_for<B>(new_size) - 1);
    }
    return new_p;
  }

  Stalloc<L, B, Policy> arena_;
  std::uint64_t last_block_[kWords] = {};  // bit i: block i ends a live allocation
};

}  // namespace stalloc
