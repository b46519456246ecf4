// The locks of sync.hpp on their own: exclusion under contention, and, for
// AdaptiveLock, that waiters who went to sleep are woken. Also built with
// ThreadSanitizer (ctest label `threads`), where a lock that fails to order
// the critical sections shows up as a data race on the plain counters.
// A lost wake-up shows up as a hang: ctest gives these tests a timeout.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "stalloc/sync.hpp"

#if defined(__linux__)
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace {

template <class Lock>
class LockTest : public ::testing::Test {};
using Locks = ::testing::Types<stalloc::AdaptiveLock, stalloc::SpinLock, std::mutex>;
TYPED_TEST_SUITE(LockTest, Locks);

TYPED_TEST(LockTest, TryLockFailsWhileHeld) {
  TypeParam lock;
  ASSERT_TRUE(lock.try_lock());
  std::thread other([&] { EXPECT_FALSE(lock.try_lock()); });
  other.join();
  lock.unlock();
  std::lock_guard guard(lock);
  std::thread again([&] { EXPECT_FALSE(lock.try_lock()); });
  again.join();
}

// More threads than cores, each adding to two plain counters under the lock.
// A lock that let two threads in at once loses increments, or leaves the two
// counters different (each thread checks they agree while it holds the lock).
TYPED_TEST(LockTest, PlainCounterIsExactUnderContention) {
  constexpr unsigned kThreads = 8;
  constexpr std::uint64_t kIncrements = 50'000;
  TypeParam lock;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  std::atomic<unsigned> torn{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (std::uint64_t i = 0; i < kIncrements; ++i) {
        std::lock_guard guard(lock);
        if (a != b) ++torn;
        ++a;
        ++b;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(a, kThreads * kIncrements);
  EXPECT_EQ(b, kThreads * kIncrements);
  EXPECT_EQ(torn.load(), 0u);
}

// Sixteen threads on two cores taking the lock for very short sections, some
// of which yield while holding it, so that holders are descheduled and
// waiters give up spinning and sleep; every sleeper must be woken for the
// test to end.
TYPED_TEST(LockTest, ManyShortSectionsWithPreemptedHoldersFinish) {
  constexpr unsigned kThreads = 16;
  constexpr unsigned kSections = 20'000;
  TypeParam lock;
  std::uint64_t count = 0;
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (unsigned i = 0; i < kSections; ++i) {
        std::lock_guard guard(lock);
        ++count;
        if ((i + t) % 64 == 0) std::this_thread::yield();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(count, std::uint64_t{kThreads} * kSections);
}

#if defined(__linux__)
// The scheduler state of one of our threads: 'S' while asleep in a futex.
char thread_state(pid_t tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');  // the name may hold spaces
  return paren == std::string::npos || paren + 2 >= line.size() ? '?' : line[paren + 2];
}

// Waiters that have actually gone to sleep in the kernel (not spinning, not
// yielding) are all woken, one unlock after another, once the holder lets go.
TEST(AdaptiveLock, SleepingWaitersAreAllWoken) {
  if (!stalloc::detail::heavy_fence()) GTEST_SKIP() << "no membarrier: AdaptiveLock never sleeps";
  constexpr unsigned kWaiters = 6;
  stalloc::AdaptiveLock lock;
  unsigned entered = 0;
  std::vector<std::atomic<pid_t>> tids(kWaiters);
  lock.lock();
  std::vector<std::thread> waiters;
  for (unsigned w = 0; w < kWaiters; ++w) {
    waiters.emplace_back([&, w] {
      tids[w] = gettid();
      lock.lock();  // the only place this thread can sleep after publishing its id
      ++entered;
      lock.unlock();
    });
  }
  // No deadline: if a waiter never sleeps, or is never woken, ctest's timeout
  // ends the test.
  for (bool all_asleep = false; !all_asleep;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    all_asleep = true;
    for (auto& tid : tids) {
      const pid_t t = tid.load();
      all_asleep = all_asleep && t != 0 && thread_state(t) == 'S';
    }
  }
  EXPECT_EQ(entered, 0u);
  lock.unlock();
  for (auto& t : waiters) t.join();
  lock.lock();  // the counter is read under the lock, as it was written
  EXPECT_EQ(entered, kWaiters);
  lock.unlock();
}

// Holders that keep the lock for 100 us, far beyond the spin: the waiters
// block in the kernel instead of spinning or yielding, and the counter still
// ends exact. Each worker counts its own voluntary context switches (a
// yield is an involuntary one, a busy section none): a lock that never
// sleeps leaves them all at zero.
TEST(AdaptiveLock, LongHoldsPutWaitersToSleep) {
  if (!stalloc::detail::heavy_fence()) GTEST_SKIP() << "no membarrier: AdaptiveLock never sleeps";
  constexpr unsigned kThreads = 4;
  constexpr unsigned kSections = 200;
  stalloc::AdaptiveLock lock;
  std::uint64_t count = 0;
  std::atomic<long> sleeps{0};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      rusage before{};
      getrusage(RUSAGE_THREAD, &before);
      for (unsigned i = 0; i < kSections; ++i) {
        std::lock_guard guard(lock);
        ++count;
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
        while (std::chrono::steady_clock::now() < until) stalloc::detail::cpu_relax();
      }
      rusage after{};
      getrusage(RUSAGE_THREAD, &after);
      sleeps += after.ru_nvcsw - before.ru_nvcsw;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(count, std::uint64_t{kThreads} * kSections);
  EXPECT_GT(sleeps.load(), 0);
}
#endif

}  // namespace
