// ThreadCached<Arena, Lock, Shards>: an arena shared between threads, with
// a small cache of freed allocations per thread in front of its lock.
//
//   stalloc::SyncStalloc<L, B>  ==  stalloc::ThreadCachedStalloc<L, B>
//                               ==  stalloc::ThreadCached<stalloc::Stalloc<L, B>>
//   (stalloc::Synchronized<A, Lock>, sync.hpp: the lock alone.)
//
// Why: with one lock, every call pays an atomic exchange, and two threads
// that allocate at the same time hand the lock's cache line and the arena's
// headers back and forth between their cores (threaded x2, two threads
// boxing ints in one SyncStalloc<6, 4>: 16-26 ns per call, 0.18x glibc,
// whose per-thread cache never contends). A per-thread cache behind a lock
// of its own is not enough either: an atomic read-modify-write waits for
// the store buffer to drain, and in a small arena the threads' blocks share
// cache lines, so the lock's exchange waited for the line the other core had
// just written. Measured (two threads, alternating a store to a 4-byte slot
// with an exchange on a line of their own, ns per call): slots on one line
// 4.3-5.3, on separate lines 1.3-1.5, without the exchange 0.1-0.2. The
// previous ThreadCached (shards behind their own locks) ran threaded x2 at
// 0.55-0.79x glibc for that reason.
//
// So a thread's cache (its shard) takes no lock and no atomic
// read-modify-write: only the thread that owns the shard pushes and pops,
// and another thread empties it (a "drain") only under the arena's lock,
// through an asymmetric Dekker handshake (enter(), drain_shards()): the
// owner stores `busy` and reads `drain` with a compiler fence between; the
// drainer stores `drain`, runs membarrier (every running thread of the
// process executes a full barrier, sync.hpp), then reads `busy`. So either
// the owner sees the drain and takes the locked path, or the drainer sees
// the owner inside and waits the few instructions until it leaves. The
// owner never takes the arena's lock while inside its shard, so the wait
// always ends.
//
// Measured (ns per call, ratio to glibc in the same run): SyncStalloc as the
// lock alone, in the README's published run, -> as this, in one interleaved
// run of the threaded rows (stalloc-bench --workload small-objects,threaded,
// larson,producer-consumer,... --interleave -r 5):
//   threaded x2            16.4 (0.18x) -> 1.38 (2.07x); in 5 separate runs
//                          of `--workload threaded --threads 2 --interleave
//                          -r 5`: 2.13x, 2.04x, 2.16x, 1.92x, 2.08x
//   larson x2              17.8 (0.75x) -> 6.65 (2.20x)
//   producer-consumer x2    2.15 (2.20x) -> 2.45 (2.56x)
//   one thread: small-objects 3.0 -> 4.6 against UnsafeStalloc's 2.3 (a
//     replica in one process, taskset, 5 runs: lock 2.7-3.4, cache 3.2-3.5,
//     no lock 2.2-2.4): the cache's bookkeeping (about 20 instructions a
//     call: the thread's number, busy/drain, the slot) costs more than the
//     uncontended exchange it replaces on this machine. Requests the cache
//     does not take (more than 8 blocks) pay the lock as before, plus a call:
//     local-string 2.3 -> 4.3.
// So while the process has only ever had one thread, neither the cache nor
// the lock is used (sync.hpp, detail::is_only_thread()): a call is the
// arena's, inline, after a load and a branch. Measured (stalloc-bench
// --workload small-objects,local-string,chained --allocator
// sync-stalloc,unsafe-stalloc,stalloc-chain,system -r 5 --interleave, the
// build before and this one run in turn, twice each), sync-stalloc /
// unsafe-stalloc: small-objects 1.49-1.51 -> 1.33-1.35, local-string
// 1.99-2.25 -> 1.00-1.01, chained 1.10-1.15 -> 0.92. The arena's deallocate
// was then a call here (GCC kept it out of line), 47.7 instructions per
// operation against 35.7, and on the Intel Xeon host of a later round that
// call alone made small-objects 1.57-2.58x unsafe-stalloc; a free now tries
// the arena's quick push inline first and calls only for the rest, as
// AllocChain does (40.7 instructions; the two builds in turn, taskset, -r 5
// --interleave, twice each: 1.94, 1.57 -> 1.06, 1.05; local-string and
// chained unchanged; threaded x2 and larson x2, whose threads take the
// shards, unchanged within their noise).
// A program that has started a thread pays the cache as above, plus a call:
// threaded x2, the same A/B (3 runs each), 1.89x, 1.88x, 2.08x glibc ->
// 1.52x, 1.43x, 1.48x (1.11-1.47 -> 1.62-1.88 ns per call).
//
// Shards: the threads alive at one time have different numbers (1, 2, ...,
// given back at thread exit); the thread numbered n owns shard n - 1.
// Threads numbered past Shards (by default 4) have no shard and take the
// lock on every call, as do all threads of a process where the kernel
// refuses membarrier (before Linux 4.14, a seccomp filter, not Linux), and a
// thread's own thread_local destructors once it has given its number back.
// A shard outlives its thread: the next thread given that number inherits
// its cached allocations.
//
// What is cached: allocations of 1..8 blocks at up to 64-byte alignment, up
// to 7 of each block count per shard, most recent first; an over-aligned
// request takes a cached allocation only when it is aligned for it. A free
// that finds 7 of its block count gives those 7 back to the arena under one
// lock and caches itself.
//
// The object holds everything (no thread-local storage except the calling
// thread's number), so the footprint stays fixed and stated: sizeof(Arena)
// + sizeof(Lock) rounded up to 64, plus Shards shards of exactly two cache
// lines (busy, drain, 8 counts, 8 x 7 16-bit block indices): 4 * 128 = 512
// bytes and cache-line alignment for the default
// (stalloc/tests/adaptors/thread_cached_test.cpp, sync_test.cpp).
//
// Semantics, exactly:
//   - A cached allocation is free for its owner and still allocated for the
//     arena. Every answer about the arena is given as if every cache were
//     empty: is_empty(), is_oom(), stats(), check_invariants() and
//     acquire_locked() first drain every shard that holds anything (under
//     the arena's lock; one membarrier, a few microseconds).
//   - A request the arena cannot serve drains every shard and is retried
//     (unless it is larger than the whole arena), so a request fails only
//     when the arena has no room with all caches empty (as with the lock
//     alone; under concurrency, a thread in the middle of giving 7
//     allocations back holds them where neither its shard nor the arena
//     shows them for that moment).
//   - clear() empties the caches and the arena.
//   - Arenas whose policy checks every call (Hardened) are never cached: a
//     cache would hide a double free from the checks.
//   - ASan builds poison cached allocations when blocks are whole 8-byte
//     granules (see kPoisons).
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>

#include "stalloc/stalloc.hpp"
#include "stalloc/sync.hpp"

namespace stalloc {

template <class Arena, class Lock = AdaptiveLock, std::size_t Shards = 4>
class ThreadCached {
  static_assert(Shards >= 1 && Shards <= 64, "stalloc::ThreadCached: 1..64 shards");
  static_assert(Arena::block_count <= 65535, "stalloc::ThreadCached: block indices are 16-bit");

 public:
  using arena_type = Arena;
  using lock_type = Lock;
  static constexpr std::size_t shards = Shards;
  // Requests of 1..cached_blocks blocks at no more than block alignment are
  // cached (none when the arena's policy checks every call), up to `depth`
  // allocations of each block count per shard.
  static constexpr std::size_t cached_blocks = Arena::policy::checks ? 0 : 8;
  static constexpr std::size_t depth = 7;

  constexpr ThreadCached() noexcept = default;
  ThreadCached(const ThreadCached&) = delete;
  ThreadCached& operator=(const ThreadCached&) = delete;

  // Gives every cached allocation back, then returns the arena behind its
  // lock; the guard holds the lock until it is destroyed (not recursive: no
  // other call on this object meanwhile). Cost: the arena's lock, and when
  // anything is cached, one membarrier and O(Shards * cached_blocks * depth)
  // frees.
  [[nodiscard]] LockedArena<Arena, Lock> acquire_locked() noexcept {
    LockedArena<Arena, Lock> guard{arena_, &lock_};
    give_back_every_cache();
    return guard;
  }

  // Stalloc::allocate's contract (arguments, result, nullptr cases). Cost:
  // a request of 1..cached_blocks blocks at up to 64-byte alignment whose
  // shard's most recent allocation of that block count is aligned for it:
  // a call, three stores and four loads, no atomic read-modify-write;
  // otherwise the arena's allocate under its lock, and when that fails with
  // allocations cached, giving them all back and one retry. While the caller
  // is the process's only thread: the arena's allocate, inline, no cache and
  // no lock.
  [[nodiscard, gnu::always_inline]] void* allocate(std::size_t size, std::size_t align) noexcept {
    if (detail::is_only_thread()) return allocate_alone(size, align);
    return allocate_shared(size, align);
  }

  // Stalloc::deallocate's contract (p and size as allocated). Effect: an
  // allocation of 1..cached_blocks blocks goes to the caller's shard (a
  // call, O(1), no atomic read-modify-write); when the shard already holds
  // `depth` of that block count, those go back to the arena under one lock
  // and this one is cached. Anything else: the arena's deallocate, locked.
  // While the caller is the process's only thread: the arena's deallocate
  // (its quick push inline), no cache and no lock.
  [[gnu::always_inline]] void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    if (detail::is_only_thread()) return deallocate_alone(p, size, align);
    deallocate_shared(p, size, align);
  }

  // The arena's quick path (stalloc.hpp, "Quick path"), while the caller is
  // the process's only thread (no cache has held anything then); otherwise
  // a miss, and the full call takes the shard path.
  [[nodiscard, gnu::always_inline]] void* try_allocate_quick(
      std::size_t size, std::size_t align) noexcept requires detail::has_quick_path<Arena> {
    return detail::is_only_thread() ? arena_.try_allocate_quick(size, align) : nullptr;
  }
  [[gnu::always_inline]] bool try_deallocate_quick(
      void* p, std::size_t size,
      std::size_t align) noexcept requires detail::has_quick_path<Arena> {
    return detail::is_only_thread() && arena_.try_deallocate_quick(p, size, align);
  }

  // grow, shrink, reallocate: the arena's contract and cost, under its lock;
  // a grow that fails gives the caches back and is retried once.
  [[nodiscard]] void* grow(void* p, std::size_t old_size, std::size_t new_size,
                           std::size_t align) noexcept {
    return detail::locked_unless_alone(lock_, [&]() -> void* {
      if (void* q = arena_.grow(p, old_size, new_size, align)) return q;
      if (!give_back_every_cache()) return nullptr;
      return arena_.grow(p, old_size, new_size, align);
    });
  }
  [[nodiscard]] void* shrink(void* p, std::size_t old_size, std::size_t new_size,
                             std::size_t align) noexcept {
    return detail::locked_unless_alone(lock_,
                                       [&] { return arena_.shrink(p, old_size, new_size, align); });
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
    detail::locked_unless_alone(lock_, [&] { arena_.deallocate_unsized(p, align); });
  }
  [[nodiscard]] std::size_t allocation_size(const void* p) noexcept requires
      requires(const Arena& a, const void* q) {
    a.allocation_size(q);
  }
  {
    return detail::locked_unless_alone(lock_, [&] { return arena_.allocation_size(p); });
  }

  // Whether p points into the arena. O(1), no lock (the range never moves).
  [[nodiscard]] bool owns(const void* p) const noexcept { return arena_.owns(p); }

  // Forgets every allocation, cached ones included. Cost: the arena's lock,
  // one membarrier when anything is cached, O(Shards) more.
  void clear() noexcept {
    detail::locked_unless_alone(lock_, [&] {
      drain_shards([](Shard&, std::size_t, std::size_t) {});
      arena_.clear();
    });
  }
  // Gives every cached allocation back to the arena. Cost: as acquire_locked().
  void flush_caches() noexcept {
    detail::locked_unless_alone(lock_, [&] { give_back_every_cache(); });
  }
  // is_oom, is_empty, check_invariants, stats: the arena's answers after
  // every cache is given back (so exact, as for a plain Stalloc). Cost:
  // flush_caches() plus the arena's.
  [[nodiscard]] bool is_oom() noexcept {
    return detail::locked_unless_alone(lock_, [&] {
      give_back_every_cache();
      return arena_.is_oom();
    });
  }
  [[nodiscard]] bool is_empty() noexcept {
    return detail::locked_unless_alone(lock_, [&] {
      give_back_every_cache();
      return arena_.is_empty();
    });
  }
  // The arena's live_blocks, without taking the caches back: a cached
  // allocation counts as live (it is not free for other threads either).
  [[nodiscard]] std::size_t live_blocks() noexcept {
    return detail::locked_unless_alone(lock_, [&] { return arena_.live_blocks(); });
  }
  [[nodiscard]] InvariantReport check_invariants() noexcept {
    return detail::locked_unless_alone(lock_, [&] {
      give_back_every_cache();
      return arena_.check_invariants();
    });
  }
  [[nodiscard]] FreeListStats stats() noexcept {
    return detail::locked_unless_alone(lock_, [&] {
      give_back_every_cache();
      return arena_.stats();
    });
  }

 private:
  // One thread's cache: block[0..used[k])[k] are the first blocks of cached
  // allocations of k + 1 blocks, most recent last. Exactly two cache lines.
  // `busy` is 1 while the owner is inside (enter() to leave()); `drain` is 1
  // while a drainer owns the shard. Only the owner pushes and pops; a
  // drainer (holding the arena's lock) empties it.
  struct alignas(64) Shard {
    std::atomic<std::uint32_t> busy{0};
    std::atomic<std::uint32_t> drain{0};
    // Atomic only so that a drainer may look for an empty shard without
    // taking it; the owner's relaxed loads and stores are plain moves.
    std::atomic<std::uint8_t> used[cached_blocks > 0 ? cached_blocks : 1]{};
    std::uint16_t block[depth][cached_blocks > 0 ? cached_blocks : 1]{};
  };
  static_assert(cached_blocks == 0 || sizeof(Shard) == 128);

  static constexpr std::size_t blocks_for(std::size_t size) noexcept {
    return (size + Arena::block_size - 1) / Arena::block_size;
  }
  // ASan builds: a cached allocation is poisoned, as a free block of the
  // arena is. Shadow memory describes 8-byte granules, and the cache is
  // changed outside the arena's lock, so two threads poisoning halves of
  // one granule would race: with blocks smaller than a granule the cache
  // leaves the shadow alone (its allocations stay as the arena made them).
  static constexpr bool kPoisons = Arena::block_size % 8 == 0;

  // Alignments up to 64 bytes are cached (an allocation is taken back only
  // by a request it is aligned for); larger ones, and alignments the arena
  // refuses (not a power of two), go to the arena.
  static constexpr std::size_t kMaxCachedAlign = 64;
  static constexpr bool cacheable(std::size_t size, std::size_t align) noexcept {
    return size - 1 < cached_blocks * Arena::block_size && align - 1 < kMaxCachedAlign &&
           (align & (align - 1)) == 0;
  }
  void* block_pointer(std::size_t at) noexcept {
    return const_cast<void*>(arena_.block_address(at));
  }

  // The caller's shard, or nullptr: a thread numbered past Shards (or
  // exiting, or in a process without membarrier) has none.
  Shard* my_shard() noexcept {
    const unsigned i = detail::this_thread_number() - 1;
    return i < Shards ? &shards_[i] : nullptr;
  }

  // The owner's side of the shard's exclusion. With the drainer's side in
  // drain_shards() it is Dekker's: each side stores its flag, then reads the
  // other's, and the pair of fences (a compiler fence here, membarrier
  // there; sync.hpp) make the two act as seq_cst fences, so either the owner
  // sees `drain` set and keeps out, or the drainer sees `busy` set and waits
  // for leave(). Neither side can miss both: no atomic read-modify-write on
  // the owner's path. Returns whether the owner may use the shard.
  static bool enter(Shard& shard) noexcept {
    shard.busy.store(1, std::memory_order_relaxed);
    detail::light_fence();
    if (shard.drain.load(std::memory_order_acquire) == 0) [[likely]]
      return true;
    shard.busy.store(0, std::memory_order_release);
    return false;
  }
  static void leave(Shard& shard) noexcept { shard.busy.store(0, std::memory_order_release); }

  // The arena's calls under its lock, out of line so that the cached path
  // stays small enough to inline into the caller's loop; flattened so that
  // the arena's own fast paths are inlined here.
  [[gnu::noinline]] void* allocate_locked(std::size_t size, std::size_t align) noexcept {
    std::lock_guard guard(lock_);
    void* p = arena_.allocate(size, align);
    // A request larger than the whole arena (one a Chain sends on to its
    // next link) fails without taking the caches back.
    if (p == nullptr && size - 1 < Arena::capacity) [[unlikely]] {
      if (give_back_every_cache()) p = arena_.allocate(size, align);
    }
    return p;
  }
  // The process has (or has had) other threads: the caller's shard, or the
  // arena under its lock. Out of line, so that a single-threaded caller's
  // loop gets the arena's own fast path inline.
  [[gnu::noinline]] void* allocate_shared(std::size_t size, std::size_t align) noexcept {
    if constexpr (cached_blocks > 0) {
      if (cacheable(size, align)) {
        if (Shard* shard = my_shard()) {
          const std::size_t k = blocks_for(size) - 1;
          if (enter(*shard)) {
            const std::uint8_t used = shard->used[k].load(std::memory_order_relaxed);
            if (used != 0) {
              void* p = block_pointer(shard->block[used - 1][k]);
              // Over-aligned (C++'s operator new asks 16 from 16 bytes on):
              // only the top entry is looked at, as the arena's quick lists do.
              if (align <= Arena::block_size ||
                  (reinterpret_cast<std::uintptr_t>(p) & (align - 1)) == 0) {
                shard->used[k].store(static_cast<std::uint8_t>(used - 1),
                                     std::memory_order_relaxed);
                leave(*shard);
                if constexpr (kPoisons) detail::unpoison(p, size);
                return p;
              }
            }
            leave(*shard);
          }
        }
      }
    }
    return allocate_locked(size, align);
  }
  [[gnu::noinline]] void deallocate_shared(void* p, std::size_t size, std::size_t align) noexcept {
    if constexpr (cached_blocks > 0) {
      if (cacheable(size, align)) {
        if (Shard* shard = my_shard()) {
          const std::size_t k = blocks_for(size) - 1;
          // Before the push: once pushed, a drainer may hand it back at once.
          if constexpr (kPoisons) detail::poison(p, (k + 1) * Arena::block_size);
          if (enter(*shard)) {
            const std::uint8_t used = shard->used[k].load(std::memory_order_relaxed);
            if (used < depth) [[likely]] {
              shard->block[used][k] = static_cast<std::uint16_t>(arena_.block_index(p));
              shard->used[k].store(static_cast<std::uint8_t>(used + 1), std::memory_order_relaxed);
              leave(*shard);
              return;
            }
            return swap_out_full(*shard, k, p);  // leaves the shard
          }
          if constexpr (kPoisons) detail::unpoison(p, size);
        }
      }
    }
    deallocate_locked(p, size, align);
  }

  // The caller is the only thread: nobody to exclude and no cache to fill
  // (the shards still hold what threads cached before they exited, and a
  // request the arena refuses takes that back, as allocate_locked does).
  [[gnu::always_inline]] void* allocate_alone(std::size_t size, std::size_t align) noexcept {
    void* p = arena_.allocate(size, align);
    if (p == nullptr && size - 1 < Arena::capacity) [[unlikely]]
      return retry_with_every_cache(size, align);
    return p;
  }
  // The arena's quick push inline and the rest of its deallocate out of
  // line: inlining the whole of it into a caller's loop is left to GCC,
  // which kept it a call (see the numbers at the top of this file).
  [[gnu::always_inline]] void deallocate_alone(void* p, std::size_t size,
                                               std::size_t align) noexcept {
    if constexpr (detail::has_quick_path<Arena>) {
      if (arena_.try_deallocate_quick(p, size, align)) return;
      deallocate_alone_full(p, size, align);
    } else {
      arena_.deallocate(p, size, align);
    }
  }
  [[gnu::noinline]] void deallocate_alone_full(void* p, std::size_t size,
                                               std::size_t align) noexcept {
    arena_.deallocate(p, size, align);
  }
  [[gnu::noinline]] void* retry_with_every_cache(std::size_t size, std::size_t align) noexcept {
    return give_back_every_cache() ? arena_.allocate(size, align) : nullptr;
  }
  [[gnu::noinline]] void deallocate_locked(void* p, std::size_t size, std::size_t align) noexcept {
    std::lock_guard guard(lock_);
    arena_.deallocate(p, size, align);
  }
  // The shard (entered) holds `depth` allocations of k + 1 blocks: swap them
  // out for p, leave, then give them back under the arena's lock (never
  // taken inside a shard: a drainer holds it while it waits for leave()).
  [[gnu::noinline]] void swap_out_full(Shard& shard, std::size_t k, void* p) noexcept {
    std::uint16_t out[depth];
    for (std::size_t i = 0; i < depth; ++i) out[i] = shard.block[i][k];
    shard.block[0][k] = static_cast<std::uint16_t>(arena_.block_index(p));
    shard.used[k].store(1, std::memory_order_relaxed);
    leave(shard);
    std::lock_guard guard(lock_);
    for (const std::uint16_t at : out) give_back(at, k + 1);
  }

  // Under the arena's lock, or by the only thread.
  void give_back(std::size_t at, std::size_t count) noexcept {
    void* p = block_pointer(at);
    // The arena writes its own bookkeeping into the block: make it
    // addressable again (ASan builds; a no-op otherwise).
    if constexpr (kPoisons) detail::unpoison(p, count * Arena::block_size);
    arena_.deallocate(p, count * Arena::block_size, 1);
  }

  // Under the arena's lock or by the only thread (so one drainer at a time): takes every shard
  // that holds anything from its owner, calls f(shard, k, used[k]) for each
  // block count k, and empties it. Returns whether any was non-empty. When
  // the kernel refuses the membarrier, nothing is taken (the caches stay;
  // owners only cache where it was accepted at registration).
  template <class F>
  bool drain_shards(F&& f) noexcept {
    if constexpr (cached_blocks == 0) {
      (void)f;
      return false;
    } else {
      bool any = false;
      for (Shard& shard : shards_) any |= holds_any(shard);
      if (!any) return false;
      for (Shard& shard : shards_) shard.drain.store(1, std::memory_order_relaxed);
      const bool fenced = detail::heavy_fence();
      any = false;
      for (Shard& shard : shards_) {
        if (fenced) {
          // The owner is between enter() and leave(): a few instructions,
          // unless it was preempted there.
          for (unsigned spins = 0; shard.busy.load(std::memory_order_acquire) != 0; ++spins) {
            if (spins < 64) {
              detail::cpu_relax();
            } else {
              std::this_thread::yield();
            }
          }
          for (std::size_t k = 0; k < cached_blocks; ++k) {
            const std::uint8_t used = shard.used[k].load(std::memory_order_relaxed);
            if (used == 0) continue;
            any = true;
            f(shard, k, used);
            shard.used[k].store(0, std::memory_order_relaxed);
          }
        }
        shard.drain.store(0, std::memory_order_release);
      }
      return any;
    }
  }
  static bool holds_any(const Shard& shard) noexcept {
    for (std::size_t k = 0; k < cached_blocks; ++k)
      if (shard.used[k].load(std::memory_order_relaxed) != 0) return true;
    return false;
  }
  // Under the arena's lock, or by the only thread. Returns whether anything was given back.
  bool give_back_every_cache() noexcept {
    return drain_shards([this](Shard& shard, std::size_t k, std::size_t used) {
      for (std::size_t i = 0; i < used; ++i) give_back(shard.block[i][k], k + 1);
    });
  }

  Arena arena_;
  Lock lock_;
  Shard shards_[cached_blocks > 0 ? Shards : 1];
};

template <class Arena, class Lock, std::size_t Shards>
inline constexpr bool thread_safe_arena<ThreadCached<Arena, Lock, Shards>> = true;

// A Stalloc<L, B> (QuickFit) for any thread: per-thread caches in front of
// its lock. The same type under two names: SyncStalloc, the crate's, and
// ThreadCachedStalloc, which says what it is.
template <std::size_t L, std::size_t B, class Lock = AdaptiveLock>
using ThreadCachedStalloc = ThreadCached<Stalloc<L, B>, Lock>;
template <std::size_t L, std::size_t B, class Lock = AdaptiveLock>
using SyncStalloc = ThreadCached<Stalloc<L, B>, Lock>;

}  // namespace stalloc
