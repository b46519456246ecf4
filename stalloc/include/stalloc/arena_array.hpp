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
// Threads: the array adds no lock. With arenas declared thread-safe
// (stalloc::thread_safe_arena: Synchronized, ThreadCached) it is safe from
// any thread: the current arenas, the skip count and the used count are
// relaxed atomics, hints that a race can only make a request try an arena
// more or fewer (the used count only grows, by compare-exchange). With
// other arenas it is for one thread.
//
// Lanes (thread-safe arenas only): the array keeps lane_count = min(N, 8)
// current arenas, one per lane, instead of one. While the process has only
// ever had one thread (sync.hpp, detail::is_only_thread()) every call is
// lane 0's, as above; from the first thread started on, a thread allocates
// in lane (its number - 1) % lane_count (sync.hpp, detail::this_thread_number():
// threads alive at one time have different numbers). A lane's first
// allocation places it on the lowest untouched arena (the emptiest arena
// when all are touched), and from then on it moves from arena to arena
// exactly as described above. So threads allocate from different arenas,
// each behind its own lock, as glibc gives threads arenas of their own, and
// the first numbered thread keeps lane 0's arena. Why: with one current
// arena, every thread took the same lock and wrote the same cache lines;
// stalloc::ProgramHeap (all small requests in one arena at a time) ran the
// harness's threaded x2 at 71.4 ns per call, 0.039x glibc, and larson x2 at
// 0.28x (README, the published run of bb7e95f); measured with lanes:
// program_heap.hpp. Frees go to the arena that owns the pointer, whichever
// thread frees. A lane takes an arena of its own only while untouched ones
// remain; a program with more threads than lanes shares lanes, and threads
// in a process where membarrier is refused all share one lane (they have no
// numbers; sync.hpp).
//
// Footprint: N * sizeof(Arena) + 8 * lane_count + 8 bytes (each lane's
// current arena, two counters), rounded up to alignof(Arena); all-zero when
// empty, so a static one lives in .bss and costs memory only for the pages
// the program touches.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "stalloc/stalloc.hpp"
#include "stalloc/sync.hpp"

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
  // How many current arenas the array keeps (see Lanes at the top of this
  // file): one per lane, 8 at most, 1 for arenas that are not thread-safe.
  static constexpr std::size_t kMaxLanes = 8;
  static constexpr std::size_t lane_count =
      thread_safe_arena<Arena> ? (N < kMaxLanes ? N : kMaxLanes) : 1;
  // A placed lane above 0 stores its offset with bit 0 set (0: not placed).
  static_assert(lane_count == 1 || sizeof(Arena) % 2 == 0);

  // N empty arenas, the first current; constexpr when Arena's constructor is.
  constexpr ArenaArray() noexcept = default;
  ArenaArray(const ArenaArray&) = delete;
  ArenaArray& operator=(const ArenaArray&) = delete;

  // From the calling thread's lane's current arena, else from the first
  // other arena that takes it, in the order at the top of this file, which
  // becomes the lane's current; nullptr, changing nothing but the skip
  // count, when none does or while skipping. Same arguments as
  // Stalloc::allocate. Cost: the current arena's allocate (with lanes, once
  // the process has a second thread, plus the thread's number: a
  // thread_local read); when it refuses, N live_blocks() reads and up to N
  // allocates.
  [[nodiscard, gnu::flatten]] void* allocate(std::size_t size, std::size_t align) noexcept {
    if constexpr (lane_count > 1) {
      // Once the process has a second thread: the calling thread's lane, in
      // a call, so that one copy of the arena's allocate is inlined here,
      // lane 0's, as with one current arena (two inlined copies made GCC
      // keep more of the arena's paths out of line: sync.hpp).
      if (!detail::is_only_thread()) return allocate_in_threads_lane(size, align);
    }
    return allocate_in_lane(0, size, align);
  }

  // The owning arena's deallocate. p must be live in this array, size and
  // align as that arena requires. Cost: a compare with the current arena
  // (else a division by a constant), then the arena's deallocate.
  [[gnu::flatten]] void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    arena_of(p).deallocate(p, size, align);
  }

  // The quick path (stalloc.hpp, "Quick path") of lane 0's current arena,
  // and of the arena that owns p (which must lie in this array). Thread-safe
  // arenas serve their quick path only while the process has one thread,
  // when every call is lane 0's.
  [[nodiscard, gnu::always_inline]] void* try_allocate_quick(
      std::size_t size, std::size_t align) noexcept requires detail::has_quick_path<Arena> {
    const std::size_t offset = lanes_[0].load(std::memory_order_relaxed);
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
  // first arena becomes lane 0's current, the other lanes are placed anew
  // on their next allocation, the skip ends.
  void clear() noexcept {
    for (std::size_t i = 0; i < N; ++i) arenas_[i].clear();
    for (auto& lane : lanes_) lane.store(0, std::memory_order_relaxed);
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
  // The array's own invariants (each placed lane's current arena a used
  // one, at most N used, the skip count bounded), then the first broken
  // invariant of an arena; ok when none.
  [[nodiscard]] InvariantReport check_invariants() noexcept {
    if (touched_count() > N) return {false, "ArenaArray: more arenas touched than exist", 0};
    for (std::uint32_t lane = 0; lane < lane_count; ++lane) {
      const std::size_t stored = lanes_[lane].load(std::memory_order_relaxed);
      if (lane != 0 && stored == 0) continue;  // not placed yet
      if (lane != 0 && (stored & 1) == 0) {
        return {false, "ArenaArray: a placed lane lacks its mark", lane};
      }
      if (lane_offset(lane) % sizeof(Arena) != 0 || current(lane) >= touched_count()) {
        return {false, "ArenaArray: a lane's current arena is not a touched one", lane};
      }
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

  // Arena i (i < N), and which arena takes lane's allocations now (lane <
  // lane_count; lane 0: every allocation while the process has one thread);
  // N for a lane not placed yet. O(1).
  Arena& arena(std::size_t i) noexcept { return arenas_[i]; }
  const Arena& arena(std::size_t i) const noexcept { return arenas_[i]; }
  [[nodiscard]] std::size_t current(std::size_t lane = 0) const noexcept {
    if (lane != 0 && lanes_[lane].load(std::memory_order_relaxed) == 0) return N;
    return lane_offset(static_cast<std::uint32_t>(lane)) / sizeof(Arena);
  }
  // The lane the calling thread allocates in now (see Lanes at the top of
  // this file), placing it on an arena if this is its first use.
  [[nodiscard, gnu::always_inline]] std::uint32_t calling_lane() noexcept {
    if constexpr (lane_count == 1) {
      return 0;
    } else {
      if (detail::is_only_thread()) return 0;
      const auto lane = static_cast<std::uint32_t>((detail::this_thread_number() - 1) % lane_count);
      if (lane != 0 && lanes_[lane].load(std::memory_order_relaxed) == 0) [[unlikely]]
        place_lane(lane);
      return lane;
    }
  }

 private:
  std::uintptr_t base() const noexcept { return reinterpret_cast<std::uintptr_t>(&arenas_[0]); }
  [[gnu::noinline]] void* allocate_in_threads_lane(std::size_t size, std::size_t align) noexcept {
    return allocate_in_lane(calling_lane(), size, align);
  }
  [[gnu::always_inline]] void* allocate_in_lane(std::uint32_t lane, std::size_t size,
                                                std::size_t align) noexcept {
    const std::size_t offset = lane_offset(lane);
    // Invariant: a lane's offset is sizeof(Arena) times an arena below
    // touched_count() <= N (stored only by settle(), with an arena that has
    // just taken an allocation, and place_lane(), with an arena it has
    // counted as touched). An offset, not an index: one multiply less on
    // every allocate.
    detail::assume(offset % sizeof(Arena) == 0 && offset < sizeof arenas_);
    if (void* p = at_offset(offset).allocate(size, align)) return p;
    return allocate_elsewhere(lane, static_cast<std::uint32_t>(offset / sizeof(Arena)), size,
                              align);
  }
  [[gnu::always_inline]] Arena& at_offset(std::size_t offset) noexcept {
    return *reinterpret_cast<Arena*>(reinterpret_cast<unsigned char*>(arenas_) + offset);
  }
  // p must be in one of the arenas. Most frees go to the current arena (a
  // program whose live set fits one arena has no other): lane 0's is found
  // with a compare, the others with a division by a constant.
  [[gnu::always_inline]] Arena& arena_of(const void* p) noexcept {
    const std::uintptr_t off = reinterpret_cast<std::uintptr_t>(p) - base();
    const std::size_t current = lanes_[0].load(std::memory_order_relaxed);
    detail::assume(current % sizeof(Arena) == 0 && current < sizeof arenas_);
    if (off - current < sizeof(Arena)) return at_offset(current);
    const std::uintptr_t i = off / sizeof(Arena);
    detail::assume(i < N);
    return arenas_[i];
  }

  // The rare path (the current arena refused): out of line so the hot path
  // stays one arena's allocate.
  [[gnu::noinline]] void* allocate_elsewhere(std::uint32_t lane, std::uint32_t c, std::size_t size,
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
      if (void* p = arenas_[emptiest].allocate(size, align)) return settle(lane, emptiest, p);
    }
    // 2. An untouched arena, the lowest.
    for (std::uint32_t k = touched; k < N; ++k) {
      if (void* p = arenas_[k].allocate(size, align)) {
        std::uint32_t seen = touched_.load(std::memory_order_relaxed);
        while (seen < k && !touched_.compare_exchange_weak(seen, k, std::memory_order_relaxed)) {
        }
        return settle(lane, k, p);
      }
    }
    // 3. Every used arena, in turn from the next one (the fuller ones too).
    std::uint32_t k = c;
    for (std::uint32_t tries = 1; tries < touched; ++tries) {
      k = k + 1 >= touched ? 0 : k + 1;
      if (k == emptiest) continue;
      if (void* p = arenas_[k].allocate(size, align)) return settle(lane, k, p);
    }
    skip_.store(kSkipWhenFull, std::memory_order_relaxed);
    return nullptr;
  }
  void* settle(std::uint32_t lane, std::uint32_t k, void* p) noexcept {
    lanes_[lane].store(k * sizeof(Arena) | (lane != 0 ? 1 : 0), std::memory_order_relaxed);
    return p;
  }
  [[gnu::always_inline]] std::size_t lane_offset(std::uint32_t lane) const noexcept {
    const std::size_t stored = lanes_[lane].load(std::memory_order_relaxed);
    return lane == 0 ? stored : stored & ~std::size_t{1};  // lane 0 stores no mark
  }
  // A lane's first allocation: the lowest untouched arena, counted as
  // touched now, else (all touched) the emptiest. Two threads of one lane
  // placing it at once may each count an arena; the one stored last serves
  // the lane, the other stays empty for the array's next switch.
  [[gnu::noinline, gnu::cold]] void place_lane(std::uint32_t lane) noexcept {
    std::uint32_t seen = touched_.load(std::memory_order_relaxed);
    std::uint32_t k = N;
    while (seen + 1 < N) {
      if (touched_.compare_exchange_weak(seen, seen + 1, std::memory_order_relaxed)) {
        k = seen + 1;
        break;
      }
    }
    if (k == N) {
      std::size_t fewest = kArenaBlocks + 1;
      for (std::uint32_t i = 0; i < N; ++i) {
        const std::size_t live = arenas_[i].live_blocks();
        if (live < fewest) {
          k = i;
          fewest = live;
        }
      }
    }
    lanes_[lane].store(k * sizeof(Arena) | 1, std::memory_order_relaxed);
  }
  // Arenas [0, touched_count()) have taken an allocation, or been given to
  // a lane, since the last clear(); all-zero when empty, so the stored
  // value is one less.
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
  // All all-zero when empty (so a static ArenaArray is all .bss).
  std::atomic<std::size_t> lanes_[lane_count]{};  // each lane's current arena, as an offset
  std::atomic<std::uint32_t> skip_{0};            // <= kSkipWhenFull
  std::atomic<std::uint32_t> touched_{0};         // touched_count() - 1; only grows until clear()
};

}  // namespace stalloc
