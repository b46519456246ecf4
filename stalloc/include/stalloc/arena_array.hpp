// ArenaArray<N, Arena>: N arenas of one type in one object, filled in turn,
// for a heap larger than one arena can be (a Stalloc holds at most 65,535
// blocks: 1 MiB of 16-byte blocks).
//
//   stalloc::ArenaArray<32, stalloc::Synchronized<stalloc::Stalloc<65535, 16>>>   // 32 MiB
//
// Allocation goes to the current arena. When it refuses, the next arena is,
// in this order, the first that takes the request:
//   1. the emptiest of the arenas used so far (fewest live blocks), if it
//      is at most 3/4 full;
//   2. an untouched arena, the lowest;
//   3. each used arena in turn from the next one, the fuller ones too;
// and it becomes current. So a program whose live set fits pays one arena's
// allocate per request; a new arena is touched only when every used one is
// more than 3/4 full (or refused the request), so a program touches about
// its peak live set over 3/4 of an arena's capacity, plus one, arenas
// (refusals for want of a long enough free run aside); the untouched ones
// cost no memory. When every arena refuses (the array is full, as far
// as this request goes), the next kSkipWhenFull requests return nullptr at
// once (a chain passes them on to its next link), and the one after tries
// again: a full array costs one compare per request and N refusals per
// kSkipWhenFull requests, not N per request. The price of the skip: for up
// to kSkipWhenFull requests after a full sweep, room that frees made is not
// used. A switch costs N live_blocks() reads (a lock each for locked
// arenas); it happens when an arena fills, not per request.
//
// Why the emptiest arena, and the 3/4: an arena that runs nearly full is
// slow (QuickFit's free list fragments, and its deferred coalescing runs
// often), and the next arena in turn is usually nearly full too. Replaying
// the recorded python3-dicts (15.7 MB live, most of it in requests of 128
// bytes or less) through stalloc::ProgramHeap, in steady state (replays 4
// to 10 of 10, taskset, ns per operation): going back to the next used arena
// in turn 22.4, to the emptiest at most 3/4 full 18.1-19.2 (at most 1/2 or
// 1/4: 19.6, 19.1, no better), the next arena in turn whether touched or not
// 15.9 but with every arena touched (+14 MB peak RSS over glibc's), glibc
// 14.3. Nothing here makes a nearly full arena fast; the 3/4 bounds the
// memory that buys speed.
//
// Frees, resizes and queries go to the arena that owns the pointer, found
// from the address in O(1): the arenas lie one after another in this
// object, and each keeps its blocks inside itself (every Stalloc form does;
// an Arena whose memory lives elsewhere must not be used here). Arena must
// also offer live_blocks() and name its block count (Stalloc, SizedStalloc,
// and the wrappers Synchronized, Unsynchronized and ThreadCached do).
//
// Threads: the array adds no lock. With locked arenas (Synchronized,
// ThreadCached) it is safe from any thread: the current arena, the skip
// count and the used count are relaxed atomics, hints that a race can only make a
// request try an arena more or fewer (the used count only grows, by
// compare-exchange). With unlocked arenas it is for one thread.
//
// Footprint: N * sizeof(Arena) + 16 bytes (the current arena's offset and
// two counters), rounded up to alignof(Arena); all-zero when empty, so a
// static one lives in .bss and costs memory only for the pages the program
// touches.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "stalloc/stalloc.hpp"

namespace stalloc {

namespace detail {
// The block count of an arena: a Stalloc's (or SizedStalloc's), or that of
// the arena a wrapper (Synchronized, ThreadCached, ...) names as arena_type.
template <class A>
constexpr std::size_t arena_blocks() noexcept {
  if constexpr (requires { A::block_count; }) {
    return A::block_count;
  } else {
    return arena_blocks<typename A::arena_type>();
  }
}
}  // namespace detail

template <std::size_t N, class Arena>
class ArenaArray {
  static_assert(N >= 1 && N <= 65535, "stalloc::ArenaArray<N, Arena>: N must be in 1..65535");

 public:
  using arena_type = Arena;
  static constexpr std::size_t arena_count = N;
  // How many requests after a sweep that found every arena full return
  // nullptr without trying one. 64: measured on the recorded real programs
  // (stalloc/program_heap.hpp), as in libstalloc-malloc.
  static constexpr std::uint32_t kSkipWhenFull = 64;
  // The most live blocks a used arena may hold for the array to go back to
  // it before touching a new one: 3/4 of its blocks (see the top of this
  // file).
  static constexpr std::size_t kArenaBlocks = detail::arena_blocks<Arena>();
  static constexpr std::size_t kRevisitLive = kArenaBlocks / 4 * 3;

  // N empty arenas, the first current; constexpr when Arena's constructor is.
  constexpr ArenaArray() noexcept = default;
  ArenaArray(const ArenaArray&) = delete;
  ArenaArray& operator=(const ArenaArray&) = delete;

  // From the current arena, else from the first other arena that takes it,
  // in the order at the top of this file, which becomes current; nullptr,
  // changing nothing but the skip count, when none does or while skipping.
  // Same arguments as Stalloc::allocate. Cost: the current arena's
  // allocate; when it refuses, N live_blocks() reads and up to N allocates.
  [[nodiscard, gnu::flatten]] void* allocate(std::size_t size, std::size_t align) noexcept {
    const std::size_t offset = current_offset_.load(std::memory_order_relaxed);
    // Invariant: current_offset_ is sizeof(Arena) times an arena below
    // touched_count() <= N (stored only by settle(), with an arena that has
    // just taken an allocation). An offset, not an index: one multiply less
    // on every allocate.
    detail::assume(offset % sizeof(Arena) == 0 && offset < sizeof arenas_);
    if (void* p = at_offset(offset).allocate(size, align)) return p;
    return allocate_elsewhere(static_cast<std::uint32_t>(offset / sizeof(Arena)), size, align);
  }

  // The owning arena's deallocate. p must be live in this array, size and
  // align as that arena requires. Cost: a compare with the current arena
  // (else a division by a constant), then the arena's deallocate.
  [[gnu::flatten]] void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    arena_of(p).deallocate(p, size, align);
  }

  // The quick path (stalloc.hpp, "Quick path") of the current arena, and of
  // the arena that owns p (which must lie in this array).
  [[nodiscard, gnu::always_inline]] void* try_allocate_quick(
      std::size_t size, std::size_t align) noexcept requires detail::has_quick_path<Arena> {
    const std::size_t offset = current_offset_.load(std::memory_order_relaxed);
    detail::assume(offset % sizeof(Arena) == 0 && offset < sizeof arenas_);
    return at_offset(offset).try_allocate_quick(size, align);
  }
  [[gnu::always_inline]] bool try_deallocate_quick(
      void* p, std::size_t size,
      std::size_t align) noexcept requires detail::has_quick_path<Arena> {
    return arena_of(p).try_deallocate_quick(p, size, align);
  }

  // The owning arena's grow; when it cannot, a new allocation from the
  // array (allocate), the old_size bytes copied, p freed. old_size 0
  // allocates. nullptr, p untouched, when neither works. Cost: the owning
  // arena's grow, plus on a move the allocate, copy and deallocate.
  [[nodiscard]] void* grow(void* p, std::size_t old_size, std::size_t new_size,
                           std::size_t align) noexcept {
    if (old_size == 0) return allocate(new_size, align);
    Arena& a = arena_of(p);
    if (void* q = a.grow(p, old_size, new_size, align)) return q;
    return move(a, p, old_size, new_size, align);
  }

  // The owning arena's shrink; when a stricter align forces a move that
  // arena cannot make, a move within the array (as grow). old_size 0
  // returns p.
  [[nodiscard]] void* shrink(void* p, std::size_t old_size, std::size_t new_size,
                             std::size_t align) noexcept {
    if (old_size == 0) return p;
    Arena& a = arena_of(p);
    if (void* q = a.shrink(p, old_size, new_size, align)) return q;
    return move(a, p, old_size, new_size, align);
  }

  // grow or shrink, whichever the sizes call for.
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    return new_size >= old_size ? grow(p, old_size, new_size, align)
                                : shrink(p, old_size, new_size, align);
  }

  // The owning arena's own, for size-tracking arenas (SizedStalloc).
  void deallocate_unsized(void* p, std::size_t align) noexcept requires
      requires(Arena& a, void* q, std::size_t n) {
    a.deallocate_unsized(q, n);
  }
  { arena_of(p).deallocate_unsized(p, align); }
  [[nodiscard]] std::size_t allocation_size(const void* p) noexcept requires
      requires(Arena& a, const void* q) {
    a.allocation_size(q);
  }
  { return arena_of(p).allocation_size(p); }

  // Whether p lies among the arenas: true for every pointer they handed
  // out, and for any other address inside them (their bookkeeping, which no
  // caller holds a pointer to). One subtraction and one compare, so that a
  // chain routes a free here as cheaply as to a single arena.
  [[nodiscard]] bool owns(const void* p) const noexcept {
    return reinterpret_cast<std::uintptr_t>(p) - base() < sizeof arenas_;
  }

  // Every arena's clear (pointers handed out must not be used again); the
  // first arena becomes current, the skip ends.
  void clear() noexcept {
    for (std::size_t i = 0; i < N; ++i) arenas_[i].clear();
    current_offset_.store(0, std::memory_order_relaxed);
    skip_.store(0, std::memory_order_relaxed);
    touched_.store(0, std::memory_order_relaxed);
  }
  // Whether every arena is full / empty. Cost: N of the arenas'.
  [[nodiscard]] bool is_oom() noexcept {
    for (Arena& a : arenas_)
      if (!a.is_oom()) return false;
    return true;
  }
  [[nodiscard]] bool is_empty() noexcept {
    for (Arena& a : arenas_)
      if (!a.is_empty()) return false;
    return true;
  }
  // The array's own invariants (the current arena a used one, at most N
  // used, the skip count bounded), then
  // the first broken invariant of an arena; ok when none.
  [[nodiscard]] InvariantReport check_invariants() noexcept {
    if (touched_count() > N) return {false, "ArenaArray: more arenas touched than exist", 0};
    if (current_offset_.load(std::memory_order_relaxed) % sizeof(Arena) != 0 ||
        current() >= touched_count()) {
      return {false, "ArenaArray: the current arena is not a touched one", 0};
    }
    if (skip_.load(std::memory_order_relaxed) > kSkipWhenFull) {
      return {false, "ArenaArray: skip count above kSkipWhenFull", 0};
    }
    for (Arena& a : arenas_) {
      InvariantReport r = a.check_invariants();
      if (!r) return r;
    }
    return {};
  }

  // Arena i (i < N), and which arena takes allocations now. O(1).
  Arena& arena(std::size_t i) noexcept { return arenas_[i]; }
  const Arena& arena(std::size_t i) const noexcept { return arenas_[i]; }
  [[nodiscard]] std::size_t current() const noexcept {
    return current_offset_.load(std::memory_order_relaxed) / sizeof(Arena);
  }

 private:
  std::uintptr_t base() const noexcept { return reinterpret_cast<std::uintptr_t>(&arenas_[0]); }
  [[gnu::always_inline]] Arena& at_offset(std::size_t offset) noexcept {
    return *reinterpret_cast<Arena*>(reinterpret_cast<unsigned char*>(arenas_) + offset);
  }
  // p must be in one of the arenas. Most frees go to the current arena (a
  // program whose live set fits one arena has no other): that one is found
  // with a compare, the others with a division by a constant.
  [[gnu::always_inline]] Arena& arena_of(const void* p) noexcept {
    const std::uintptr_t off = reinterpret_cast<std::uintptr_t>(p) - base();
    const std::size_t current = current_offset_.load(std::memory_order_relaxed);
    detail::assume(current % sizeof(Arena) == 0 && current < sizeof arenas_);
    if (off - current < sizeof(Arena)) return at_offset(current);
    const std::uintptr_t i = off / sizeof(Arena);
    detail::assume(i < N);
    return arenas_[i];
  }

  // The rare path (the current arena refused): out of line so the hot path
  // stays one arena's allocate.
  [[gnu::noinline]] void* allocate_elsewhere(std::uint32_t c, std::size_t size,
                                             std::size_t align) noexcept {
    const std::uint32_t skip = skip_.load(std::memory_order_relaxed);
    if (skip != 0) {
      skip_.store(skip - 1, std::memory_order_relaxed);
      return nullptr;
    }
    const std::uint32_t touched = touched_count();
    // 1. The emptiest used arena, if at most kRevisitFill full.
    std::uint32_t emptiest = N;
    std::size_t fewest = kRevisitLive + 1;
    for (std::uint32_t k = 0; k < touched; ++k) {
      if (k == c) continue;
      const std::size_t live = arenas_[k].live_blocks();
      if (live < fewest) {
        emptiest = k;
        fewest = live;
      }
    }
    if (emptiest != N) {
      if (void* p = arenas_[emptiest].allocate(size, align)) return settle(emptiest, p);
    }
    // 2. An untouched arena, the lowest.
    for (std::uint32_t k = touched; k < N; ++k) {
      if (void* p = arenas_[k].allocate(size, align)) {
        std::uint32_t seen = touched_.load(std::memory_order_relaxed);
        while (seen < k && !touched_.compare_exchange_weak(seen, k, std::memory_order_relaxed)) {
        }
        return settle(k, p);
      }
    }
    // 3. Every used arena, in turn from the next one (the fuller ones too).
    std::uint32_t k = c;
    for (std::uint32_t tries = 1; tries < touched; ++tries) {
      k = k + 1 >= touched ? 0 : k + 1;
      if (k == emptiest) continue;
      if (void* p = arenas_[k].allocate(size, align)) return settle(k, p);
    }
    skip_.store(kSkipWhenFull, std::memory_order_relaxed);
    return nullptr;
  }
  void* settle(std::uint32_t k, void* p) noexcept {
    current_offset_.store(k * sizeof(Arena), std::memory_order_relaxed);
    return p;
  }
  // Arenas [0, touched_count()) have taken an allocation since the last
  // clear(); all-zero when empty, so the stored value is one less.
  std::uint32_t touched_count() const noexcept {
    return touched_.load(std::memory_order_relaxed) + 1;
  }

  [[gnu::noinline]] void* move(Arena& from, void* p, std::size_t old_size, std::size_t new_size,
                               std::size_t align) noexcept {
    void* q = allocate(new_size, align);
    if (q == nullptr) return nullptr;
    detail::copy_contents(q, p, old_size < new_size ? old_size : new_size);
    from.deallocate(p, old_size, align);
    return q;
  }

  Arena arenas_[N];
  // All three all-zero when empty (so a static ArenaArray is all .bss).
  std::atomic<std::size_t> current_offset_{0};
  std::atomic<std::uint32_t> skip_{0};     // <= kSkipWhenFull
  std::atomic<std::uint32_t> touched_{0};  // touched_count() - 1; only grows until clear()
};

}  // namespace stalloc
