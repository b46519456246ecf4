// Sharing an arena between threads, or declaring that it is not shared.
//
//   stalloc::SyncStalloc<L, B>     a Stalloc safe from any thread: a small
//                                  cache of freed allocations per thread in
//                                  front of the arena's lock
//                                  (ThreadCached, thread_cached.hpp).
//   stalloc::Synchronized<A, Lock> any arena behind a lock alone.
//   stalloc::UnsafeStalloc<L, B>   the same interface with no lock at all: for
//                                  an arena that one thread alone uses.
//
// While a process has only ever had one thread, the first two skip their
// lock (and SyncStalloc its caches): nobody is there to exclude, so a
// single-threaded program pays a load and a branch per call, not an atomic
// exchange (detail::is_only_thread(), below, with the numbers). From the
// first thread started on, every call locks.
//
// All have Stalloc's byte API, are constexpr-constructible (so
// `constinit static stalloc::SyncStalloc<1000, 4> heap;` works before any
// static constructor runs), and offer acquire_locked(): a guard that holds the
// lock while a thread makes several calls on the underlying Stalloc, as the
// crate's SyncStalloc::acquire_locked does.
//
// They are aliases of generic wrappers, ThreadCached<Arena, Lock>,
// Synchronized<Arena, Lock> and Unsynchronized<Arena>, so any arena with the
// byte API (including the size-tracking SizedStalloc of sized_stalloc.hpp)
// can be wrapped the same way.
//
// Lock choice (issue 13; measured with a second thread started, so with the
// lock taken on every call): stalloc::AdaptiveLock (below: spin ~2.4 us, then
// sleep on a futex; unlock is a plain store) is the default; no lock won
// everywhere, see "What this says".
// stalloc::SpinLock (spin, then yield: the default before) and std::mutex
// remain available as SyncStalloc<L, B, stalloc::SpinLock> and
// SyncStalloc<L, B, std::mutex>. Measured with
//   stalloc_lock_bench --benchmark_repetitions=9 --benchmark_min_time=0.2
//       --benchmark_enable_random_interleaving=true
// (stalloc/tests/adaptors/bench/lock_bench.cpp): one allocate(8) +
// deallocate pair per iteration on one shared SyncStalloc<4096, 8>, medians
// of 9 with the repetitions of all entries shuffled together (this machine's
// speed moves up to 2x within seconds), on this 2-vCPU AMD EPYC VM while it
// was shared (load average 7-8). [min-max] over the 9 repetitions.
//
//   uncontended, CPU ns per pair     SyncStalloc<4096, 8>   around a ~1 ns arena
//     no lock (UnsafeStalloc)          4.1                    1.1
//     AdaptiveLock                     4.7 (1.14x)            4.3 (3.9x)
//     SpinLock                         5.8 (noise: one load less) 4.3 (3.9x)
//     3-state futex lock               8.8 (2.1x)             8.8 (8.1x)
//     AdaptiveLock, seq_cst fence      8.7 (2.1x)             8.7 (8.0x)
//     std::mutex                      13.2 (3.2x)            11.6 (10.7x)
//     (glibc malloc+free               8.5)
//
//   contended, total pairs/s    2 threads        4 threads        8 threads
//     glibc (no sharing)          60 M [52-81]     62 M [58-91]     67 M [60-94]
//     AdaptiveLock               105 M [29-142]    76 M [43-84]     76 M [56-82]
//     SpinLock                   116 M [40-130]   132 M [46-159]   126 M [46-202]
//     3-state futex lock          32 M [22-69]     67 M [31-107]    84 M [34-107]
//     AdaptiveLock, seq_cst fence 57 M [21-58]     75 M [48-81]     64 M [25-99]
//     std::mutex                  35 M [25-46]     39 M [28-42]     42 M [28-68]
//     spin without yield          82 M [38-101]    51 M [25-57]     35 M [26-45]
//
//   every thread on one core (taskset -c 0), holders preempted at will:
//                               2 threads        4 threads
//     glibc                       60 M [54-61]     61 M [59-69]
//     AdaptiveLock               106 M [100-114]   80 M [75-91]
//     SpinLock                   110 M [91-128]   114 M [96-136]
//     3-state futex lock          62 M [57-71]     66 M [59-72]
//     std::mutex                  37 M [33-38]     40 M [38-41]
//
// What this says. Uncontended, the lock's cost is its one atomic exchange
// plus a store: about 0.6 ns per pair over Stalloc today, because the
// exchange overlaps Stalloc's own work, but 3.2 ns around an arena that costs
// 1 ns, so the faster core will make SyncStalloc about 2x UnsafeStalloc, not
// 1.3x; only a lock-free path (per-thread caches) would close that. Any
// second atomic operation in unlock (the 3-state futex lock's exchange, or a
// seq_cst fence before the sleeper check) doubles the cost, which is why
// AdaptiveLock pairs a compiler-only fence in unlock with membarrier in the
// waiter. Contended, on 2 threads AdaptiveLock and SpinLock have the same
// median (another shuffled run of 2 threads alone, 15 repetitions: 59 M
// [24-177] against 52 M [39-161], glibc 80 M [74-89]) and the same spread
// when the machine is shared: a single lock whose holder's vCPU is taken by
// another process stalls both threads whatever the waiter does, so threaded
// x2 still swings around glibc from run to run. With every thread on one
// core AdaptiveLock's spread is narrower. With 4 and 8 threads SpinLock had
// 1.7x AdaptiveLock's throughput in the run above, but not reliably: over 4
// more shuffled runs (3 repetitions each) the median ratio AdaptiveLock /
// SpinLock was 1.20 at 2 threads, 1.08 at 4 and 0.81 at 8, SpinLock ranging
// 50-180 M. SpinLock's yielding waiters look at the lock rarely, so a
// running holder keeps it for long streaks, but they stay runnable and use
// up every core (in a program whose other threads have work, that is their
// time); AdaptiveLock's waiters sleep and cost nothing, at the price of
// wake-ups. Doubling pause bursts in AdaptiveLock's spin (looking at the lock
// 8 times in ~9.4 us instead of 64 times in ~2.4 us) made no measurable
// difference (same 4 alternating runs: 1.06, 1.29, 0.60). std::mutex and the
// 3-state futex lock lose both ways.
//
// Issue 13's target (threaded x2 >= glibc in 5 of 5 runs) is not met by a
// lock alone. Five separate runs of
//   stalloc-bench --workload threaded --allocator sync-stalloc,system
//       --threads 2 --interleave -r 5
// with AdaptiveLock gave 1.54x, 1.13x, 1.08x, 0.93x and 0.43x glibc. Its
// repetitions are bimodal: ~3.2 ns per call (as fast as one thread) while the
// two threads share one vCPU or one of them sleeps, so the lock and the
// arena stay in one core's cache; ~10-13 ns while both run in parallel and
// those lines cross between cores on nearly every call. A 2-thread replica
// (two threads boxing ints in a SyncStalloc<6, 4>, 15 windows of 0.2 s, 3
// runs each) lands in the slow mode in the same windows with either lock
// (AdaptiveLock 4/15 slow windows, SpinLock 4/15, both 0/15 in the other two
// runs): the waiter's polling and the hand-overs are the cost, whatever it
// does while it waits. Per-thread caches in front of the arena would remove
// both. They do now: SyncStalloc is ThreadCached (thread_cached.hpp, with the
// numbers); the measurements above are of the lock alone (Synchronized).
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

#include "stalloc/stalloc.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define STALLOC_DETAIL_KNOWS_SINGLE_THREADED 1
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

// Whether the calling thread is the only thread of the process, so that a
// lock would exclude nobody. glibc (2.32 on) keeps that answer in
// __libc_single_threaded: pthread_create clears it before the new thread
// exists, so a thread that reads true cannot overlap with any other (the
// only thread that could create one is the reader itself, and not in the
// middle of an arena call), and the creator and every thread created read
// false from then on, which starting a thread orders after everything the
// lone thread did. glibc's own malloc skips its arena lock the same way.
// Elsewhere (no <sys/single_threaded.h>): false, every call locks.
//
// Measured (issue 13): a single-threaded program pays an uncontended atomic
// exchange per call otherwise, which on this machine also waits for the
// stores before it. Replaying sqlite3 through ProgramHeap in one process
// (taskset, steady state): 6.7-9.8 ns per operation with the lock, 4.8-5.5
// with none. The harness's traces through ProgramHeap (stalloc-chain),
// the build before and this one run in turn, twice each, -r 3, ratio to
// glibc: sqlite3 0.98/0.92 -> 1.00/0.97, git-grep 0.97/1.12 -> 1.18/1.18,
// gcc-cc1plus 1.03/1.06 -> 1.11/1.09, git-log and python3-dicts within
// their noise; callgrind, python3-dicts 159.1 -> 148.6 instructions per
// operation, sqlite3 149.6 -> 138.6 (glibc 160.8 and 129.6). (A first try,
// rounds ago, put both branches' copies of the arena's path inline and GCC
// then kept more of it out of line; Synchronized now calls its locked path
// out of line instead: ArenaArray's allocate is inlined into its callers
// again, stalloc-chain small-objects 73.2 -> 65.2 instructions.)
inline bool is_only_thread() noexcept {
#if defined(STALLOC_DETAIL_KNOWS_SINGLE_THREADED)
  return __libc_single_threaded != 0;
#else
  return false;
#endif
}

// f() with `lock` held, or without it when the caller is the only thread.
// One copy of f() between two tests (two copies, one per branch, pushed
// more of the arena's paths out of line in larger callers).
template <class Lock, class F>
decltype(auto) locked_unless_alone(Lock& lock, F&& f) noexcept {
  const bool alone = is_only_thread();
  if (!alone) lock.lock();
  if constexpr (std::is_void_v<decltype(f())>) {
    f();
    if (!alone) lock.unlock();
  } else {
    auto result = f();
    if (!alone) lock.unlock();
    return result;
  }
}

// What AdaptiveLock needs from the kernel, Linux only: a futex to sleep on,
// and an asymmetric fence pair. light_fence() on the hot side and
// heavy_fence() on the rare side behave together like two seq_cst fences:
// membarrier(PRIVATE_EXPEDITED) makes every running thread of the process
// execute a full barrier, so the light side only has to stop the compiler.
// Elsewhere heavy_fence() fails and the lock never sleeps.
#if defined(__linux__) && defined(SYS_membarrier) && defined(SYS_futex)
inline void light_fence() noexcept {
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

// Whether this process may use membarrier(PRIVATE_EXPEDITED): registered
// on the first call (threads that race there all register; registering
// twice is harmless). False when the kernel refuses (before 4.14, or a
// seccomp filter). After the first call, one load and a branch.
inline std::atomic<std::int8_t> heavy_fence_state{0};  // 0 unknown, 1 registered, -1 refused
[[gnu::noinline, gnu::cold]] inline bool register_heavy_fence() noexcept {
  const bool registered =
      syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
  heavy_fence_state.store(registered ? 1 : -1, std::memory_order_relaxed);
  return registered;
}
inline bool heavy_fence_available() noexcept {
  const std::int8_t state = heavy_fence_state.load(std::memory_order_relaxed);
  if (state != 0) [[likely]]
    return state > 0;
  return register_heavy_fence();
}

// False when the kernel refuses.
[[gnu::noinline]] inline bool heavy_fence() noexcept {
  const bool registered = heavy_fence_available();
#if !defined(__SANITIZE_THREAD__)
  // For the language's rules; the system call is a full barrier for the CPU.
  // (ThreadSanitizer models no fences, and GCC warns about them under it.)
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
  return registered && syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
}

static_assert(sizeof(std::atomic<std::uint32_t>) == 4 &&
              std::atomic<std::uint32_t>::is_always_lock_free);

// Sleeps while `word` holds `expected`; returns early on a wake, a signal, or
// a value that differs already.
inline void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) noexcept {
  syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}
inline void futex_wake_one(std::atomic<std::uint32_t>& word) noexcept {
  syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}
#else
inline void light_fence() noexcept {}
inline bool heavy_fence_available() noexcept {
  return false;
}
inline bool heavy_fence() noexcept {
  return false;
}
inline void futex_wait(std::atomic<std::uint32_t>&, std::uint32_t) noexcept {}
inline void futex_wake_one(std::atomic<std::uint32_t>&) noexcept {}
#endif

// Thread numbers, from 1: ThreadCached picks a thread's shard by its number
// (thread_cached.hpp), ArenaArray a thread's lane (arena_array.hpp). A number
// is claimed on a thread's first use and given back when the thread exits,
// so that the threads alive at one time get different numbers: with a plain
// counter, a program that starts a new thread for each round (Google
// Benchmark's repetitions do) put both threads of threaded x2 on one shard
// every fourth round, and those rounds ran at 3x the time. The lowest free
// number of 64 is taken; past 64 live threads, numbers count on from 65
// (those threads get no shard).
//
// A shard belongs to the one live thread with its number, so giving a
// number back hands the shard over: the exiting thread's release and the
// next claimant's acquire order the old owner's last use of the shard
// before the new owner's first.
inline std::atomic<std::uint64_t> claimed_thread_numbers{0};
inline std::atomic<unsigned> next_overflow_thread_number{65};

// The number of a thread that may use no shard: one that has given its
// number back (it is exiting; calls from its later thread_local destructors
// take the locked path), and every thread of a process where membarrier is
// refused.
inline constexpr unsigned kShardlessThread = ~0u;

inline unsigned claim_thread_number() noexcept {
  std::uint64_t claimed = claimed_thread_numbers.load(std::memory_order_relaxed);
  while (~claimed != 0) {
    const unsigned bit = static_cast<unsigned>(std::countr_one(claimed));
    if (claimed_thread_numbers.compare_exchange_weak(claimed, claimed | (std::uint64_t{1} << bit),
                                                     std::memory_order_acquire,
                                                     std::memory_order_relaxed))
      return bit + 1;
  }
  return next_overflow_thread_number.fetch_add(1, std::memory_order_relaxed);
}

struct ThreadNumberReturn {
  unsigned* number = nullptr;
  ~ThreadNumberReturn() {
    const unsigned n = *number;
    *number = kShardlessThread;
    if (n >= 1 && n <= 64)
      claimed_thread_numbers.fetch_and(~(std::uint64_t{1} << (n - 1)), std::memory_order_release);
  }
};

// The calling thread's number, or kShardlessThread.
// The hot path reads a trivially destructible thread_local (no
// initialisation guard); only the first call claims a number and registers
// the object that gives it back at thread exit.
inline thread_local unsigned current_thread_number = 0;

[[gnu::noinline, gnu::cold]] inline unsigned first_thread_number() noexcept {
  // Without the asymmetric fence no shard may be used (see enter()): such
  // a process's threads all get a number past every shard.
  if (!heavy_fence_available()) return current_thread_number = kShardlessThread;
  current_thread_number = claim_thread_number();
  thread_local ThreadNumberReturn give_back_at_exit;
  give_back_at_exit.number = &current_thread_number;
  return current_thread_number;
}

inline unsigned this_thread_number() noexcept {
  const unsigned number = current_thread_number;
  if (number != 0) [[likely]]
    return number;
  return first_thread_number();
}

struct AsymmetricFences {
  static void light() noexcept { light_fence(); }
  static bool heavy() noexcept { return heavy_fence(); }
};
// A seq_cst fence on both sides (a locked instruction on x86 in every
// unlock): the lock without membarrier, kept for the benchmark.
struct SymmetricFences {
  static void light() noexcept { std::atomic_thread_fence(std::memory_order_seq_cst); }
  static bool heavy() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);
#if defined(__linux__) && defined(SYS_futex)
    return true;
#else
    return false;
#endif
  }
};
}  // namespace detail

// AdaptiveLock, the default lock of Synchronized: spin briefly, then sleep on
// a futex until an unlocking thread wakes us.
//
// Uncontended it costs one atomic exchange to take and, to give back, a plain
// release store followed by a load of the sleeper count from the same cache
// line: no second atomic read-modify-write, which on this machine costs about
// as much again as the exchange (3-4 ns each).
//
// Four 32-bit words: state_ (1 while held), sleepers_ (waiters that may be
// asleep), epoch_ (the futex word: bumped by each wake-up) and waking_ (1
// while a wake-up is in flight, so that the holder does not make a system
// call on every unlock while the woken thread waits for a CPU; without it,
// 80 sleeps cost 2.7 million futex wakes in one second with 2 threads).
//
// Why no waiter sleeps forever. A waiter W reads epoch_ (e), increments
// sleepers_ (I), clears waking_ (C), runs heavy_fence() (F_W), tries the lock
// once more (R), and only then sleeps in futex_wait(epoch_, e), which returns
// at once if epoch_ moved past e. It leaves by taking the lock or returning
// from the futex, and clears waking_ again either way. An unlocker U stores 0
// to state_ (S), runs light_fence() (F_U), reads sleepers_ (L); if non-zero,
// it sets waking_ unless it is set already, bumps epoch_ and wakes one
// sleeper. The fences act as seq_cst fences, so they are ordered:
//  - F_U before F_W: R sees S or a later lock (whose unlock is considered
//    instead), so W does not sleep on a lock that is free.
//  - F_W before F_U: L sees I, and U's read of waking_ sees C or later. If U
//    sets waking_, its bump reaches W: W read e before C, and U's exchange
//    read C or a later clear, so e is older than the bump, and W either sees
//    the new epoch or is already asleep and a sleeper is woken. If U finds
//    waking_ set, the setter came after the latest clear, so the same holds
//    for it; and whoever it reached leaves the waiting state and clears
//    waking_, so waking_ never stays set while nobody is bound to clear it.
// A woken thread that loses the lock to a barging one goes round again.
//
// The heavy fence (membarrier) costs the sleeping waiter about 0.75 us and
// interrupts the other running threads of the process once per sleep; the
// spin keeps sleeps rare when critical sections are short. If the kernel
// refuses it (or this is not Linux) the waiter never sleeps: it falls back to
// SpinLock's behaviour (spin, then yield), which needs no wake-up.
namespace detail {
template <class Fences>
class BasicAdaptiveLock {
 public:
  constexpr BasicAdaptiveLock() noexcept = default;
  BasicAdaptiveLock(const BasicAdaptiveLock&) = delete;
  BasicAdaptiveLock& operator=(const BasicAdaptiveLock&) = delete;

  // Takes the lock, spinning and then sleeping while another thread holds
  // it. Not recursive: the caller must not hold it. Uncontended: one atomic
  // exchange.
  void lock() noexcept {
    if (state_.exchange(1, std::memory_order_acquire) != 0) lock_contended();
  }
  // Takes the lock if it is free; returns whether it did. Never waits. One
  // load, plus one exchange when free.
  [[nodiscard]] bool try_lock() noexcept {
    return state_.load(std::memory_order_relaxed) == 0 &&
           state_.exchange(1, std::memory_order_acquire) == 0;
  }
  // Releases the lock, which the caller must hold. One store and one load;
  // a futex wake-up (system call) only when a waiter may be asleep.
  void unlock() noexcept {
    state_.store(0, std::memory_order_release);
    Fences::light();
    if (sleepers_.load(std::memory_order_relaxed) != 0) wake_one();
  }

 private:
  // About 2.4 us of spinning on this machine (a pause is ~37 ns on this
  // AMD EPYC, ~40 ns on recent Intel): far longer than any critical section
  // of the arena, about the cost of a sleep and a wake-up. A waiter still
  // spinning after that is most likely waiting for a descheduled holder.
  static constexpr unsigned kSpinPauses = 64;

  bool spin() noexcept {
    for (unsigned i = 0; i < kSpinPauses; ++i) {
      cpu_relax();
      if (try_lock()) return true;
    }
    return false;
  }

  [[gnu::noinline]] void lock_contended() noexcept {
    for (;;) {
      if (spin()) return;
      const std::uint32_t e = epoch_.load(std::memory_order_acquire);
      sleepers_.fetch_add(1, std::memory_order_relaxed);
      waking_.store(0, std::memory_order_release);
      if (!Fences::heavy()) {
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
        lock_yielding();
        return;
      }
      const bool got = try_lock();
      if (!got) futex_wait(epoch_, e);
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
      // Possibly not the wake-up that set it: clearing another's only
      // allows one more wake, never one fewer.
      waking_.store(0, std::memory_order_release);
      if (got || try_lock()) return;
    }
  }

  [[gnu::noinline]] void wake_one() noexcept {
    if (waking_.load(std::memory_order_relaxed) != 0 ||
        waking_.exchange(1, std::memory_order_acq_rel) != 0)
      return;  // reached someone bound to clear it, see above
    epoch_.fetch_add(1, std::memory_order_release);
    futex_wake_one(epoch_);
  }

  void lock_yielding() noexcept {
    while (!try_lock()) std::this_thread::yield();
  }

  // epoch_ is the futex word, hence 32 bits; the others share its line.
  std::atomic<std::uint32_t> state_{0};
  std::atomic<std::uint32_t> sleepers_{0};
  std::atomic<std::uint32_t> epoch_{0};
  std::atomic<std::uint32_t> waking_{0};
};
}  // namespace detail

using AdaptiveLock = detail::BasicAdaptiveLock<detail::AsymmetricFences>;

// Test-and-test-and-set lock with backoff, the default before AdaptiveLock:
// kept as an option (see the table at the top), e.g. for programs whose
// waiters must never sleep. The uncontended
// path is one atomic exchange to take and one release store to give back. A
// waiter spins on a plain load with exponentially growing pause bursts, then
// yields its time slice; it never sleeps, so a holder descheduled by the
// kernel (threads outnumbering cores) leaves its waiters yielding in a loop.
class SpinLock {
 public:
  constexpr SpinLock() noexcept = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  // Takes the lock, spinning and then yielding while another thread holds
  // it. Not recursive: the caller must not hold it. Uncontended: one atomic
  // exchange.
  void lock() noexcept {
    if (!locked_.exchange(true, std::memory_order_acquire)) return;
    lock_contended();
  }
  // Takes the lock if it is free; returns whether it did. Never waits. One
  // load, plus one exchange when free.
  [[nodiscard]] bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }
  // Releases the lock, which the caller must hold. One store.
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
  // Takes *lock (none when lock is nullptr) for as long as the guard, or the
  // guard it is moved into, lives. Cost: the lock's lock().
  LockedArena(Arena& arena, Lock* lock) noexcept : arena_(&arena), lock_(lock) {
    if (lock_ != nullptr) lock_->lock();
  }
  LockedArena(LockedArena&& other) noexcept
      : arena_(other.arena_), lock_(std::exchange(other.lock_, nullptr)) {}
  LockedArena(const LockedArena&) = delete;
  LockedArena& operator=(const LockedArena&) = delete;
  LockedArena& operator=(LockedArena&&) = delete;
  // Releases the lock, unless the guard was moved from.
  ~LockedArena() {
    if (lock_ != nullptr) lock_->unlock();
  }

  // The arena; use it only while the guard lives. O(1).
  Arena& get() const noexcept { return *arena_; }
  Arena& operator*() const noexcept { return *arena_; }
  Arena* operator->() const noexcept { return arena_; }

 private:
  Arena* arena_;
  Lock* lock_;
};

// Arena shared between threads: every call takes the lock, except while the
// caller is the process's only thread (detail::is_only_thread(): nobody to
// exclude; one load and a branch instead). owns() never takes it, as the
// arena's address range never changes. acquire_locked() always does, so a
// guard taken before the first thread is started still excludes it.
template <class Arena, class Lock = AdaptiveLock>
class Synchronized {
 public:
  using arena_type = Arena;
  using lock_type = Lock;

  // An empty arena and a free lock; constexpr when both are.
  constexpr Synchronized() noexcept = default;
  Synchronized(const Synchronized&) = delete;
  Synchronized& operator=(const Synchronized&) = delete;

  // Takes the lock and returns a guard through which one thread makes
  // several calls on the arena; the lock is held until the guard is gone,
  // so the caller must not call this object's other functions meanwhile
  // (the lock is not recursive). Cost: one lock().
  [[nodiscard]] LockedArena<Arena, Lock> acquire_locked() noexcept { return {arena_, &lock_}; }

  // Each function below takes the lock (unless the caller is the only
  // thread), calls the arena's function of the same name, and releases it:
  // same arguments, results, preconditions and cost as the arena's
  // (Stalloc's byte API, stalloc.hpp), plus the lock's (uncontended, one
  // atomic exchange and one store; alone, a load and a branch).
  // (allocate and deallocate: with the lock, plus a call.)
  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    if (detail::is_only_thread()) return arena_.allocate(size, align);
    return allocate_locked(size, align);
  }
  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    if (detail::is_only_thread()) return arena_.deallocate(p, size, align);
    deallocate_locked(p, size, align);
  }
  // The arena's quick path (stalloc.hpp, "Quick path"), while the caller is
  // the only thread; otherwise a miss, and the full call takes the lock.
  [[nodiscard, gnu::always_inline]] void* try_allocate_quick(
      std::size_t size, std::size_t align) noexcept requires detail::has_quick_path<Arena> {
    return detail::is_only_thread() ? arena_.try_allocate_quick(size, align) : nullptr;
  }
  [[gnu::always_inline]] bool try_deallocate_quick(
      void* p, std::size_t size,
      std::size_t align) noexcept requires detail::has_quick_path<Arena> {
    return detail::is_only_thread() && arena_.try_deallocate_quick(p, size, align);
  }
  [[nodiscard]] void* grow(void* p, std::size_t old_size, std::size_t new_size,
                           std::size_t align) noexcept {
    return detail::locked_unless_alone(lock_,
                                       [&] { return arena_.grow(p, old_size, new_size, align); });
  }
  [[nodiscard]] void* shrink(void* p, std::size_t old_size, std::size_t new_size,
                             std::size_t align) noexcept {
    return detail::locked_unless_alone(lock_,
                                       [&] { return arena_.shrink(p, old_size, new_size, align); });
  }
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    return detail::locked_unless_alone(
        lock_, [&] { return arena_.reallocate(p, old_size, new_size, align); });
  }
  // deallocate_unsized and allocation_size only for size-tracking arenas
  // (SizedStalloc, sized_stalloc.hpp).
  void deallocate_unsized(void* p, std::size_t align) noexcept requires
      requires(Arena& a, void* q, std::size_t n) {
    a.deallocate_unsized(q, n);
  }
  {
    detail::locked_unless_alone(lock_, [&] { arena_.deallocate_unsized(p, align); });
  }
  [[nodiscard]] std::size_t allocation_size(const void* p) noexcept requires
      requires(const Arena& a, const void* q) {
    a.allocation_size(q);
  }
  {
    return detail::locked_unless_alone(lock_, [&] { return arena_.allocation_size(p); });
  }

  // Without the lock: the arena's address range never changes. O(1).
  [[nodiscard]] bool owns(const void* p) const noexcept { return arena_.owns(p); }

  void clear() noexcept {
    detail::locked_unless_alone(lock_, [&] { arena_.clear(); });
  }
  [[nodiscard]] bool is_oom() noexcept {
    return detail::locked_unless_alone(lock_, [&] { return arena_.is_oom(); });
  }
  [[nodiscard]] bool is_empty() noexcept {
    return detail::locked_unless_alone(lock_, [&] { return arena_.is_empty(); });
  }
  [[nodiscard]] std::size_t live_blocks() noexcept {
    return detail::locked_unless_alone(lock_, [&] { return arena_.live_blocks(); });
  }
  [[nodiscard]] InvariantReport check_invariants() noexcept {
    return detail::locked_unless_alone(lock_, [&] { return arena_.check_invariants(); });
  }
  [[nodiscard]] FreeListStats stats() noexcept {
    return detail::locked_unless_alone(lock_, [&] { return arena_.stats(); });
  }

 private:
  // Out of line, so that a caller alone gets the arena's fast path inline
  // as from Unsynchronized (with the lock inline too, GCC stopped inlining
  // ArenaArray's allocate into its callers: stalloc-chain small-objects
  // 73.2 -> 80.2 instructions per operation; with this, 65.2).
  [[gnu::noinline]] void* allocate_locked(std::size_t size, std::size_t align) noexcept {
    std::lock_guard guard(lock_);
    return arena_.allocate(size, align);
  }
  [[gnu::noinline]] void deallocate_locked(void* p, std::size_t size, std::size_t align) noexcept {
    std::lock_guard guard(lock_);
    arena_.deallocate(p, size, align);
  }

  Arena arena_;
  // After the arena: Stalloc keeps its base header at its end, so the lock
  // and the header usually share one cache line.
  Lock lock_;
};

// Whether an arena type may be called from several threads at once: false
// unless declared. The wrappers that make an arena so declare it
// (Synchronized below, ThreadCached in thread_cached.hpp); a locking
// wrapper of your own may too. ArenaArray (arena_array.hpp) gives each
// thread a lane of its own over such arenas.
template <class Arena>
inline constexpr bool thread_safe_arena = false;
template <class Arena, class Lock>
inline constexpr bool thread_safe_arena<Synchronized<Arena, Lock>> = true;

// Single-threaded programs only: the same interface with no lock.
template <class Arena>
class Unsynchronized {
 public:
  using arena_type = Arena;

  // An empty arena; constexpr when the arena's constructor is.
  constexpr Unsynchronized() noexcept = default;
  Unsynchronized(const Unsynchronized&) = delete;
  Unsynchronized& operator=(const Unsynchronized&) = delete;

  // A guard of the same shape as Synchronized's, holding no lock, so code
  // can be written once for both. O(1).
  [[nodiscard]] LockedArena<Arena, SpinLock> acquire_locked() noexcept { return {arena_, nullptr}; }
  // The arena itself. O(1).
  [[nodiscard]] Arena& get() noexcept { return arena_; }

  // Each function below calls the arena's function of the same name: same
  // arguments, results, preconditions and cost (Stalloc's byte API,
  // stalloc.hpp). Every call must come from one thread at a time.
  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    return arena_.allocate(size, align);
  }
  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    arena_.deallocate(p, size, align);
  }
  [[nodiscard, gnu::always_inline]] void* try_allocate_quick(
      std::size_t size, std::size_t align) noexcept requires detail::has_quick_path<Arena> {
    return arena_.try_allocate_quick(size, align);
  }
  [[gnu::always_inline]] bool try_deallocate_quick(
      void* p, std::size_t size,
      std::size_t align) noexcept requires detail::has_quick_path<Arena> {
    return arena_.try_deallocate_quick(p, size, align);
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
  [[nodiscard]] std::size_t live_blocks() const noexcept { return arena_.live_blocks(); }
  [[nodiscard]] InvariantReport check_invariants() const noexcept {
    return arena_.check_invariants();
  }
  [[nodiscard]] FreeListStats stats() const noexcept { return arena_.stats(); }

 private:
  Arena arena_;
};

// No locking at all: use only when a single thread touches the arena.
template <std::size_t L, std::size_t B>
using UnsafeStalloc = Unsynchronized<Stalloc<L, B>>;

}  // namespace stalloc

// SyncStalloc<L, B> is a ThreadCached arena (per-thread caches in front of
// the lock), defined with it; included here so that sync.hpp keeps giving
// every includer SyncStalloc. (thread_cached.hpp includes this header
// first, so either order of inclusion works.)
#include "stalloc/thread_cached.hpp"
