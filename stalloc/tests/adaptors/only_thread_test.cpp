// Synchronized and ThreadCached skip their lock (and ThreadCached its
// caches) while the caller is the process's only thread, and take them from
// the moment a second thread is started. Its own program: the answer is the
// process's, and once a thread has started it never goes back, so the test
// must be the first code of the process to start one. (Also run under TSan,
// label `threads`: what the lone thread did unlocked must not race with what
// the threads do afterwards.)
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <thread>
#include <vector>

#include "stalloc/chain.hpp"
#include "stalloc/sync.hpp"
#include "stalloc/system.hpp"
#include "stalloc/thread_cached.hpp"

namespace adaptor_tests {
namespace {

// A working lock that counts how often it was taken, per Tag (each wrapper
// below gets its own count).
template <int Tag>
class CountingLock {
 public:
  constexpr CountingLock() noexcept = default;
  void lock() noexcept {
    taken.fetch_add(1, std::memory_order_relaxed);
    inner_.lock();
  }
  bool try_lock() noexcept {
    if (!inner_.try_lock()) return false;
    taken.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  void unlock() noexcept { inner_.unlock(); }

  static inline std::atomic<unsigned> taken{0};

 private:
  stalloc::AdaptiveLock inner_;
};

using LockedArena = stalloc::Synchronized<stalloc::Stalloc<256, 8>, CountingLock<0>>;
using CachedArena = stalloc::ThreadCached<stalloc::Stalloc<256, 8>, CountingLock<1>>;
// A chain takes its first link's quick path (stalloc.hpp): which must stop
// skipping the lock too.
using LockedChain =
    stalloc::AllocChain<stalloc::Synchronized<stalloc::Stalloc<256, 8>, CountingLock<2>>,
                        stalloc::System>;

// Allocates and frees through `arena` as a program would: small requests
// (the cache's), one larger than the cache takes, a grow and a shrink, and
// one larger than the arena's quick lists (a free that takes the full call).
template <class Arena>
void exercise(Arena& arena) {
  std::vector<void*> small;
  for (std::size_t i = 0; i < 20; ++i) small.push_back(arena.allocate(8 * (1 + i % 3), 8));
  for (void* p : small) ASSERT_NE(p, nullptr);
  static_assert(stalloc::Stalloc<256, 8>::quick_lists * 8 < 100 * 8);
  void* past_the_lists = arena.allocate(100 * 8, 8);
  ASSERT_NE(past_the_lists, nullptr);
  arena.deallocate(past_the_lists, 100 * 8, 8);
  void* big = arena.allocate(20 * 8, 8);
  ASSERT_NE(big, nullptr);
  big = arena.grow(big, 20 * 8, 24 * 8, 8);
  ASSERT_NE(big, nullptr);
  big = arena.shrink(big, 24 * 8, 10 * 8, 8);
  ASSERT_NE(big, nullptr);
  for (std::size_t i = 0; i < small.size(); ++i) arena.deallocate(small[i], 8 * (1 + i % 3), 8);
  arena.deallocate(big, 10 * 8, 8);
}

TEST(OnlyThread, LocksAndCachesOnlyOnceASecondThreadExists) {
#if !__has_include(<sys/single_threaded.h>)
  GTEST_SKIP() << "this C library cannot tell whether a process has one thread: every call locks";
#else
  // Nothing in this program has started a thread yet (gtest does not).
  ASSERT_TRUE(stalloc::detail::is_only_thread());
  static LockedArena locked;
  static CachedArena cached;
  static LockedChain chain;

  // Alone: no lock taken by any call but acquire_locked(), and nothing
  // cached (the arena's own quick lists take the frees).
  exercise(locked);
  exercise(cached);
  exercise(chain);
  EXPECT_EQ(CountingLock<0>::taken.load(), 0u);
  EXPECT_EQ(CountingLock<1>::taken.load(), 0u);
  EXPECT_EQ(CountingLock<2>::taken.load(), 0u);
  // The quick path hits alone (the last free of 8 bytes is on its list).
  void* last = locked.allocate(8, 8);
  locked.deallocate(last, 8, 8);
  EXPECT_EQ(locked.try_allocate_quick(8, 8), last);
  EXPECT_TRUE(locked.try_deallocate_quick(last, 8, 8));
  void* p = cached.allocate(8, 8);
  cached.deallocate(p, 8, 8);
  EXPECT_EQ(cached.live_blocks(), 0u);  // not held by a cache
  EXPECT_TRUE(cached.is_empty());
  EXPECT_TRUE(cached.check_invariants());
  EXPECT_TRUE(locked.is_empty());
  EXPECT_TRUE(locked.check_invariants());
  EXPECT_EQ(CountingLock<0>::taken.load(), 0u);
  {
    auto guard = locked.acquire_locked();  // the guard always locks
    EXPECT_EQ(CountingLock<0>::taken.load(), 1u);
    EXPECT_TRUE(guard->is_empty());
  }

  // A guard taken alone excludes the thread started while it is held.
  void* kept = nullptr;
  std::atomic<bool> allocated{false};
  std::optional guard{locked.acquire_locked()};
  std::thread other([&] {
    kept = locked.allocate(8, 8);
    allocated.store(true);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(allocated.load());  // waiting for the guard
  EXPECT_TRUE((*guard)->is_empty());
  guard.reset();
  other.join();
  EXPECT_TRUE(allocated.load());
  ASSERT_NE(kept, nullptr);

  // From now on the process has had two threads: every call locks, and
  // ThreadCached caches small frees.
  EXPECT_FALSE(stalloc::detail::is_only_thread());
  const unsigned before = CountingLock<0>::taken.load();
  locked.deallocate(kept, 8, 8);
  exercise(locked);
  EXPECT_GE(CountingLock<0>::taken.load(), before + 6);  // one per call at least
  // The quick path misses now (without the lock: it changes nothing), and
  // the chain's calls take the lock.
  void* again = locked.allocate(8, 8);
  unsigned quick_before = CountingLock<0>::taken.load();
  EXPECT_FALSE(locked.try_deallocate_quick(again, 8, 8));
  EXPECT_EQ(CountingLock<0>::taken.load(), quick_before);
  locked.deallocate(again, 8, 8);
  quick_before = CountingLock<0>::taken.load();
  EXPECT_EQ(locked.try_allocate_quick(8, 8), nullptr);
  EXPECT_EQ(CountingLock<0>::taken.load(), quick_before);
  const unsigned chain_before = CountingLock<2>::taken.load();
  exercise(chain);
  EXPECT_GE(CountingLock<2>::taken.load(), chain_before + 6);
  EXPECT_EQ(cached.try_allocate_quick(8, 8), nullptr);  // the shard path's now
  EXPECT_TRUE(chain.first().is_empty());
  EXPECT_TRUE(chain.check_invariants());

  std::thread worker([&] { exercise(cached); });
  worker.join();
  exercise(cached);
  void* q = cached.allocate(8, 8);
  cached.deallocate(q, 8, 8);
  EXPECT_GT(cached.live_blocks(), 0u);  // cached: live for the arena
  EXPECT_GT(CountingLock<1>::taken.load(), 0u);
  EXPECT_TRUE(cached.is_empty());  // the caches are given back first
  EXPECT_TRUE(cached.check_invariants());
  EXPECT_TRUE(locked.is_empty());
  EXPECT_TRUE(locked.check_invariants());
#endif
}

}  // namespace
}  // namespace adaptor_tests
