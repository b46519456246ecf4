// Sharing an arena between threads, or declaring that it is not shared.
//
//   stalloc::SyncStalloc<L, B>     a Stalloc behind a lock: safe from any thread.
//   stalloc::UnsafeStalloc<L, B>   the same interface with no lock at all: for
//                                  single-threaded programs only.
//
// Both have Stalloc's byte API, are constexpr-constructible (so
// `constinit static stalloc::SyncStalloc<1000, 4> heap;` works before any
// static constructor runs), and offer acquire_locked(): a guard that holds the
// lock while a thread makes several calls on the underlying Stalloc, as the
// crate's SyncStalloc::acquire_locked does.
//
// They are aliases of two generic wrappers, Synchronized<Arena, Lock> and
// Unsynchronized<Arena>, so any arena with the byte API (including the
// size-tracking arena of global.hpp) can be wrapped the same way.
//
// Lock choice: stalloc::SpinLock (below) won; std::mutex remains available
// as SyncStalloc<L, B, std::mutex>. Measured with
//   stalloc_lock_bench --benchmark_repetitions=5 --benchmark_min_time=0.3
// (stalloc/tests/adaptors/bench/lock_bench.cpp), one allocate(8) +
// deallocate pair on one shared SyncStalloc<4096, 8>, medians of 5, on this
// 2-core machine while it was shared (load average 8-10):
//
//   uncontended, CPU time per pair   unsafe 4.4 ns   spinlock 5.5 ns (1.25x)
//                                    mutex 13.5 ns (3.1x)
//   contended, total pairs/s         2 threads   4 threads   8 threads
//     spinlock (pause, then yield)     65 M        80 M        34 M
//     std::mutex                       23 M        24 M        25 M
//     spin without yield               51 M        27 M        26 M
//
// The spinlock is 2.5x cheaper than std::mutex uncontended (an inline xchg
// and a plain store, against two calls into pthread) and 1.4-3.3x the
// throughput under contention. A spinlock that never yields collapses once
// threads outnumber the cores (4 and 8 threads above): the lock holder is
// descheduled while the others burn their time slices, hence the yield.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <thread>
#include <utility>

#include "stalloc/stalloc.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace stalloc {

namespace detail {
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}
}  // namespace detail

// Test-and-test-and-set lock with backoff. The uncontended path is one atomic
// exchange to take and one release store to give back, all inline. A waiter
// spins on a plain load (no cache-line ping-pong) with exponentially growing
// pause bursts, then yields its time slice: when threads outnumber cores the
// holder may be descheduled, and burning the waiter's slice would only delay
// it further.
class SpinLock {
 public:
  constexpr SpinLock() noexcept = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  void lock() noexcept {
    if (!locked_.exchange(true, std::memory_order_acquire)) return;
    lock_contended();
  }
  [[nodiscard]] bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  // Pause bursts double from 1 to kMaxPauses; after kSpinRounds bursts the
  // waiter yields instead.
  static constexpr unsigned kMaxPauses = 64;
  static constexpr unsigned kSpinRounds = 8;

  [[gnu::noinline]] void lock_contended() noexcept {
    unsigned pauses = 1;
    unsigned rounds = 0;
    for (;;) {
      while (locked_.load(std::memory_order_relaxed)) {
        if (rounds < kSpinRounds) {
          for (unsigned i = 0; i < pauses; ++i) detail::cpu_relax();
          if (pauses < kMaxPauses) pauses *= 2;
          ++rounds;
        } else {
          std::this_thread::yield();
        }
      }
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
    }
  }

  std::atomic<bool> locked_{false};
};

// Holds a lock (or none) and gives access to the arena behind it. Move-only;
// the lock is released when the guard is destroyed.
template <class Arena, class Lock>
class [[nodiscard]] LockedArena {
 public:
  LockedArena(Arena& arena, Lock* lock) noexcept : arena_(&arena), lock_(lock) {
    if (lock_ != nullptr) lock_->lock();
  }
  LockedArena(LockedArena&& other) noexcept
      : arena_(other.arena_), lock_(std::exchange(other.lock_, nullptr)) {}
  LockedArena(const LockedArena&) = delete;
  LockedArena& operator=(const LockedArena&) = delete;
  LockedArena& operator=(LockedArena&&) = delete;
  ~LockedArena() {
    if (lock_ != nullptr) lock_->unlock();
  }

  Arena& get() const noexcept { return *arena_; }
  Arena& operator*() const noexcept { return *arena_; }
  Arena* operator->() const noexcept { return arena_; }

 private:
  Arena* arena_;
  Lock* lock_;
};

// Arena shared between threads: every call takes the lock. owns() does not,
// as the arena's address range never changes.
template <class Arena, class Lock = SpinLock>
class Synchronized {
 public:
  using arena_type = Arena;
  using lock_type = Lock;

  constexpr Synchronized() noexcept = default;
  Synchronized(const Synchronized&) = delete;
  Synchronized& operator=(const Synchronized&) = delete;

  [[nodiscard]] LockedArena<Arena, Lock> acquire_locked() noexcept { return {arena_, &lock_}; }

  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    std::lock_guard guard(lock_);
    return arena_.allocate(size, align);
  }
  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    std::lock_guard guard(lock_);
    arena_.deallocate(p, size, align);
  }
  [[nodiscard]] void* grow(void* p, std::size_t old_size, std::size_t new_size,
                           std::size_t align) noexcept {
    std::lock_guard guard(lock_);
    return arena_.grow(p, old_size, new_size, align);
  }
  [[nodiscard]] void* shrink(void* p, std::size_t old_size, std::size_t new_size,
                             std::size_t align) noexcept {
    std::lock_guard guard(lock_);
    return arena_.shrink(p, old_size, new_size, align);
  }
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    std::lock_guard guard(lock_);
    return arena_.reallocate(p, old_size, new_size, align);
  }
  // Only for size-tracking arenas (global.hpp).
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

  [[nodiscard]] bool owns(const void* p) const noexcept { return arena_.owns(p); }

  void clear() noexcept {
    std::lock_guard guard(lock_);
    arena_.clear();
  }
  [[nodiscard]] bool is_oom() noexcept {
    std::lock_guard guard(lock_);
    return arena_.is_oom();
  }
  [[nodiscard]] bool is_empty() noexcept {
    std::lock_guard guard(lock_);
    return arena_.is_empty();
  }
  [[nodiscard]] InvariantReport check_invariants() noexcept {
    std::lock_guard guard(lock_);
    return arena_.check_invariants();
  }
  [[nodiscard]] FreeListStats stats() noexcept {
    std::lock_guard guard(lock_);
    return arena_.stats();
  }

 private:
  Arena arena_;
  // After the arena: Stalloc keeps its base header at its end, so the lock
  // and the header usually share one cache line.
  Lock lock_;
};

// Single-threaded programs only: the same interface with no lock.
template <class Arena>
class Unsynchronized {
 public:
  using arena_type = Arena;

  constexpr Unsynchronized() noexcept = default;
  Unsynchronized(const Unsynchronized&) = delete;
  Unsynchronized& operator=(const Unsynchronized&) = delete;

  // Same shape as Synchronized's guard, holding no lock.
  [[nodiscard]] LockedArena<Arena, SpinLock> acquire_locked() noexcept { return {arena_, nullptr}; }
  [[nodiscard]] Arena& get() noexcept { return arena_; }

  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    return arena_.allocate(size, align);
  }
  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    arena_.deallocate(p, size, align);
  }
  [[nodiscard]] void* grow(void* p, std::size_t old_size, std::size_t new_size,
                           std::size_t align) noexcept {
    return arena_.grow(p, old_size, new_size, align);
  }
  [[nodiscard]] void* shrink(void* p, std::size_t old_size, std::size_t new_size,
                             std::size_t align) noexcept {
    return arena_.shrink(p, old_size, new_size, align);
  }
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    return arena_.reallocate(p, old_size, new_size, align);
  }
  void deallocate_unsized(void* p, std::size_t align) noexcept requires
      requires(Arena& a, void* q, std::size_t n) {
    a.deallocate_unsized(q, n);
  }
  { arena_.deallocate_unsized(p, align); }
  [[nodiscard]] std::size_t allocation_size(const void* p) const noexcept requires
      requires(const Arena& a, const void* q) {
    a.allocation_size(q);
  }
  { return arena_.allocation_size(p); }

  [[nodiscard]] bool owns(const void* p) const noexcept { return arena_.owns(p); }
  void clear() noexcept { arena_.clear(); }
  [[nodiscard]] bool is_oom() const noexcept { return arena_.is_oom(); }
  [[nodiscard]] bool is_empty() const noexcept { return arena_.is_empty(); }
  [[nodiscard]] InvariantReport check_invariants() const noexcept {
    return arena_.check_invariants();
  }
  [[nodiscard]] FreeListStats stats() const noexcept { return arena_.stats(); }

 private:
  Arena arena_;
};

template <std::size_t L, std::size_t B, class Lock = SpinLock>
using SyncStalloc = Synchronized<Stalloc<L, B>, Lock>;

// No locking at all: use only when a single thread touches the arena.
template <std::size_t L, std::size_t B>
using UnsafeStalloc = Unsynchronized<Stalloc<L, B>>;

}  // namespace stalloc
