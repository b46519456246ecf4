// ThreadCached<Arena, Lock, Shards, Slots>: an arena shared between threads,
// with a small cache of freed allocations per thread in front of its lock.
//
//   stalloc::ThreadCachedStalloc<L, B>  ==  stalloc::ThreadCached<stalloc::Stalloc<L, B>>
//
// Opt-in, not SyncStalloc's default, because of what it measured (one
// interleaved stalloc-bench run of every workload, 7 repetitions, medians,
// with SyncStalloc defined as this):
//   threaded x2 (two threads boxing ints): 2.9 ns per call, 0.79x glibc, and
//     in 4 more runs 4.0-4.6 ns, 0.55-0.66x; but no longer bimodal (the
//     plain lock: 0.30x to 1.54x from run to run);
//   single-threaded, small-objects: 9.3 ns per call against 2.2 for
//     UnsafeStalloc and 3.4 for the plain lock: a shard of 8 entries of mixed
//     sizes misses for most of the 8 sizes small-objects asks for, so most
//     calls take both the shard's lock and the arena's. Per-size stacks in
//     each shard (a pop that cannot miss on another size) are the next step.
//
// Why: with one lock, two threads that allocate at the same time hand the
// lock's cache line and the arena's headers back and forth between their
// cores on nearly every call (~10-13 ns per call on this 2-vCPU machine
// against ~3 ns on one thread; see sync.hpp), and a holder preempted by
// another process stalls every other thread. Here a free of a small
// allocation (1..16 blocks, the smallest sizes QuickFit keeps on quick lists) goes to
// the freeing thread's shard, and that thread's next request for the same
// number of blocks takes it back without touching the arena or its lock.
// Each shard has its own lock and cache line, so threads on different shards
// never share a line on that path.
//
// The object holds everything (no thread-local storage except the number of
// the calling thread's shard), so the footprint stays fixed and stated:
// sizeof(Arena) + sizeof(Lock) rounded up to 64, plus Shards shards of
// Slots pointers, Slots 16-bit counts, a lock and a fill count, each rounded
// up to 64: ThreadCachedStalloc<L, B> (4 shards of 8, AdaptiveLock) adds
// 4 * 128 = 512 bytes and cache-line alignment
// (stalloc/tests/adaptors/thread_cached_test.cpp).
//
// Semantics, exactly:
//   - A cached allocation is free for its owner and still allocated for the
//     arena. Every answer about the arena is given as if every cache were
//     empty: is_empty(), is_oom(), stats(), check_invariants() and
//     acquire_locked() first give every cached allocation back to the arena
//     (under the arena's lock, then each shard's: the only order in which
//     two of these locks are ever held).
//   - A request the arena cannot serve gives every cache back and is retried,
//     so a request fails only when the arena has no room with all caches
//     empty (as with one lock; under concurrency, a thread that is in the
//     middle of giving a full shard back holds up to Slots allocations that
//     neither the shard nor the arena can see for that moment).
//   - clear() empties the caches and the arena.
//   - Arenas whose policy checks every call (Hardened) are never cached: a
//     cache would hide a double free from the checks.
//   - Threads are given shards round-robin as they first allocate; with more
//     threads than shards, some share one (correct, and contended only there).
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "stalloc/stalloc.hpp"
#include "stalloc/sync.hpp"

namespace stalloc {

namespace detail {

// Thread numbers, from 1, for picking a shard. A number is claimed on a
// thread's first allocation and given back when the thread exits, so that
// the threads alive at one time get different numbers: with a plain counter,
// a program that starts a new thread for each round (Google Benchmark's
// repetitions do) put both threads of threaded x2 on one shard every fourth
// round, and those rounds ran at 3x the time. The lowest free number of 64 is
// taken; past 64 live threads, numbers count on from 65 (threads then share
// shards, which is correct, only slower).
inline std::atomic<std::uint64_t> claimed_thread_numbers{0};
inline std::atomic<unsigned> next_overflow_thread_number{65};

inline unsigned claim_thread_number() noexcept {
  std::uint64_t claimed = claimed_thread_numbers.load(std::memory_order_relaxed);
  while (~claimed != 0) {
    const unsigned bit = static_cast<unsigned>(std::countr_one(claimed));
    if (claimed_thread_numbers.compare_exchange_weak(claimed, claimed | (std::uint64_t{1} << bit),
                                                     std::memory_order_relaxed))
      return bit + 1;
  }
  return next_overflow_thread_number.fetch_add(1, std::memory_order_relaxed);
}

struct ThreadNumberReturn {
  unsigned number = 0;
  ~ThreadNumberReturn() {
    if (number >= 1 && number <= 64)
      claimed_thread_numbers.fetch_and(~(std::uint64_t{1} << (number - 1)),
                                       std::memory_order_relaxed);
  }
};

// The calling thread's number. The hot path reads a trivially destructible
// thread_local (no initialisation guard); only the first call registers the
// object that gives the number back at thread exit.
inline unsigned this_thread_number() noexcept {
  thread_local unsigned number = 0;
  if (number == 0) [[unlikely]] {
    number = claim_thread_number();
    thread_local ThreadNumberReturn give_back_at_exit;
    give_back_at_exit.number = number;
  }
  return number;
}

}  // namespace detail

template <class Arena, class Lock = AdaptiveLock, std::size_t Shards = 4, std::size_t Slots = 8>
class ThreadCached {
  static_assert(Shards >= 1 && Slots >= 1 && Slots <= 255,
                "stalloc::ThreadCached: 1+ shards of 1..255 slots");

 public:
  using arena_type = Arena;
  using lock_type = Lock;
  static constexpr std::size_t shards = Shards;
  static constexpr std::size_t slots = Slots;
  // Requests of 1..cached_blocks blocks at no more than block alignment are
  // cached (none when the arena's policy checks every call).
  static constexpr std::size_t cached_blocks = Arena::policy::checks ? 0 : 16;

  constexpr ThreadCached() noexcept = default;
  ThreadCached(const ThreadCached&) = delete;
  ThreadCached& operator=(const ThreadCached&) = delete;

  // Gives every cached allocation back, then returns the arena behind its
  // lock; the guard holds the lock until it is destroyed (not recursive: no
  // other call on this object meanwhile). Cost: the arena's lock and each
  // shard's, O(Shards * Slots) frees.
  [[nodiscard]] LockedArena<Arena, Lock> acquire_locked() noexcept {
    LockedArena<Arena, Lock> guard{arena_, &lock_};
    give_back_every_cache();
    return guard;
  }

  // Stalloc::allocate's contract (arguments, result, nullptr cases). Cost:
  // a request of 1..cached_blocks blocks at block alignment that finds an
  // allocation of the same block count in the caller's shard: the shard's
  // lock and a scan of at most Slots entries; otherwise the arena's
  // allocate under its lock, and when that fails with allocations cached,
  // giving them all back and one retry.
  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    if constexpr (cached_blocks > 0) {
      if (cacheable(size, align)) {
        const auto count =
            static_cast<std::uint16_t>(detail::blocks_for_bounded<Arena::block_size>(size));
        Shard& shard = my_shard();
        std::unique_lock guard(shard.lock);
        for (std::size_t i = shard.used; i-- > 0;) {
          if (shard.count[i] == count) {
            void* p = shard.ptr[i];
            --shard.used;
            shard.ptr[i] = shard.ptr[shard.used];
            shard.count[i] = shard.count[shard.used];
            guard.unlock();
            detail::unpoison(p, size);
            return p;
          }
        }
      }
    }
    std::lock_guard guard(lock_);
    void* p = arena_.allocate(size, align);
    if (p == nullptr && size != 0) {
      if (give_back_every_cache()) p = arena_.allocate(size, align);
    }
    return p;
  }

  // Stalloc::deallocate's contract (p and size as allocated). Effect: an
  // allocation of 1..cached_blocks blocks goes to the caller's shard (its
  // lock, O(1)); when the shard is full, its Slots entries go back to the
  // arena under one lock. Anything else: the arena's deallocate, locked.
  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    if constexpr (cached_blocks > 0) {
      if (cacheable(size, align)) {
        const auto count =
            static_cast<std::uint16_t>(detail::blocks_for_bounded<Arena::block_size>(size));
        detail::poison(p, count * Arena::block_size);
        Shard& shard = my_shard();
        std::unique_lock guard(shard.lock);
        if (shard.used < Slots) [[likely]] {
          shard.ptr[shard.used] = p;
          shard.count[shard.used] = count;
          ++shard.used;
          return;
        }
        // Full: swap the contents out for this one allocation, then give
        // them back outside the shard's lock.
        void* ptr[Slots];
        std::uint16_t counts[Slots];
        for (std::size_t i = 0; i < Slots; ++i) {
          ptr[i] = shard.ptr[i];
          counts[i] = shard.count[i];
        }
        shard.ptr[0] = p;
        shard.count[0] = count;
        shard.used = 1;
        guard.unlock();
        std::lock_guard arena_guard(lock_);
        for (std::size_t i = 0; i < Slots; ++i) give_back(ptr[i], counts[i]);
        return;
      }
    }
    std::lock_guard guard(lock_);
    arena_.deallocate(p, size, align);
  }

  // grow, shrink, reallocate: the arena's contract and cost, under its lock;
  // a grow that fails gives the caches back and is retried once.
  [[nodiscard]] void* grow(void* p, std::size_t old_size, std::size_t new_size,
                           std::size_t align) noexcept {
    std::lock_guard guard(lock_);
    if (void* q = arena_.grow(p, old_size, new_size, align)) return q;
    if (!give_back_every_cache()) return nullptr;
    return arena_.grow(p, old_size, new_size, align);
  }
  [[nodiscard]] void* shrink(void* p, std::size_t old_size, std::size_t new_size,
                             std::size_t align) noexcept {
    std::lock_guard guard(lock_);
    return arena_.shrink(p, old_size, new_size, align);
  }
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    return new_size >= old_size ? grow(p, old_size, new_size, align)
                                : shrink(p, old_size, new_size, align);
  }
  // Only for size-tracking arenas (SizedStalloc): the arena's contract and
  // cost, under its lock; never cached.
  void deallocate_unsized(void* p, std::size_t align) noexcept requires
      requires(Arena& a, void* q, std::size_t n) {
    a.deallocate_unsized(q, n);
  }
  {
    std::lock_guard guard(lock_);
    arena_.deallocate_unsized(p, align);
  }
  [[nodiscard]] std::size_t allocation_size(const void* p) noexcept requires
      requires(const Arena& a, const void* q) {
    a.allocation_size(q);
  }
  {
    std::lock_guard guard(lock_);
    return arena_.allocation_size(p);
  }

  // Whether p points into the arena. O(1), no lock (the range never moves).
  [[nodiscard]] bool owns(const void* p) const noexcept { return arena_.owns(p); }

  // Forgets every allocation, cached ones included. Cost: every lock, O(Shards).
  void clear() noexcept {
    std::lock_guard guard(lock_);
    for (Shard& shard : shards_) {
      std::lock_guard shard_guard(shard.lock);
      shard.used = 0;
    }
    arena_.clear();
  }
  // Gives every cached allocation back to the arena. Cost: every lock,
  // O(Shards * Slots) frees.
  void flush_caches() noexcept {
    std::lock_guard guard(lock_);
    give_back_every_cache();
  }
  // is_oom, is_empty, check_invariants, stats: the arena's answers after
  // every cache is given back (so exact, as for a plain Stalloc). Cost:
  // flush_caches() plus the arena's.
  [[nodiscard]] bool is_oom() noexcept {
    std::lock_guard guard(lock_);
    give_back_every_cache();
    return arena_.is_oom();
  }
  [[nodiscard]] bool is_empty() noexcept {
    std::lock_guard guard(lock_);
    give_back_every_cache();
    return arena_.is_empty();
  }
  [[nodiscard]] InvariantReport check_invariants() noexcept {
    std::lock_guard guard(lock_);
    give_back_every_cache();
    return arena_.check_invariants();
  }
  [[nodiscard]] FreeListStats stats() noexcept {
    std::lock_guard guard(lock_);
    give_back_every_cache();
    return arena_.stats();
  }

 private:
  struct alignas(64) Shard {
    Lock lock;
    std::uint8_t used = 0;  // entries 0..used-1 are cached allocations
    std::uint16_t count[Slots]{};
    void* ptr[Slots]{};
  };

  static constexpr bool cacheable(std::size_t size, std::size_t align) noexcept {
    return size - 1 < cached_blocks * Arena::block_size && align <= Arena::block_size;
  }
  Shard& my_shard() noexcept { return shards_[(detail::this_thread_number() - 1) % Shards]; }

  // Under the arena's lock.
  void give_back(void* p, std::uint16_t count) noexcept {
    // The arena writes its free-list entry into the block: make it
    // addressable again (ASan builds; a no-op otherwise).
    detail::unpoison(p, count * Arena::block_size);
    arena_.deallocate(p, count * Arena::block_size, 1);
  }
  // Under the arena's lock; takes each shard's. Returns whether anything
  // was given back.
  bool give_back_every_cache() noexcept {
    bool any = false;
    if constexpr (cached_blocks > 0) {
      for (Shard& shard : shards_) {
        std::lock_guard shard_guard(shard.lock);
        for (std::size_t i = 0; i < shard.used; ++i) give_back(shard.ptr[i], shard.count[i]);
        any |= shard.used != 0;
        shard.used = 0;
      }
    }
    return any;
  }

  Arena arena_;
  Lock lock_;
  Shard shards_[cached_blocks > 0 ? Shards : 1];
};

// A Stalloc for any thread with per-thread caches in front of its lock
// (opt-in: see "Measured" above for when it pays).
template <std::size_t L, std::size_t B, class Lock = AdaptiveLock>
using ThreadCachedStalloc = ThreadCached<Stalloc<L, B>, Lock>;

}  // namespace stalloc
