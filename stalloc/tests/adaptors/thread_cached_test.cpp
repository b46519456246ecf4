// ThreadCached (ThreadCachedStalloc): a thread's freed small allocations wait in its
// shard and come back to it; every answer about the arena is given as if the
// caches were empty; a full arena takes the caches back before refusing.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "arenas.hpp"
#include "stalloc/hardened.hpp"
#include "stalloc/thread_cached.hpp"

namespace adaptor_tests {
namespace {

using Cached = stalloc::ThreadCachedStalloc<64, 8>;
static_assert(std::is_same_v<Cached, stalloc::ThreadCached<stalloc::Stalloc<64, 8>>>);
// The footprint: the arena and the lock to a cache line, then 4 shards of
// two cache lines each.
static_assert(alignof(stalloc::ThreadCachedStalloc<1000, 4>) == 64);
static_assert(sizeof(stalloc::ThreadCachedStalloc<1000, 4>) ==
              (sizeof(stalloc::Stalloc<1000, 4>) + 16 + 63) / 64 * 64 + 4 * 128);

// The caches are used once the process has a second thread (alone, calls
// go to the arena: only_thread_test.cpp).
class ThreadCached : public ::testing::Test {
 protected:
  void SetUp() override { make_process_multithreaded(); }
};

TEST_F(ThreadCached, AThreadGetsItsOwnFreedAllocationBack) {
  Cached arena;
  void* a = arena.allocate(24, 8);
  void* b = arena.allocate(24, 8);
  arena.deallocate(a, 24, 8);
  arena.deallocate(b, 24, 8);
  // Same block count (3): last freed first, from the cache.
  EXPECT_EQ(arena.allocate(17, 8), b);
  EXPECT_EQ(arena.allocate(24, 1), a);
  // Another block count is not served from the cache.
  void* c = arena.allocate(8, 8);
  EXPECT_NE(c, a);
  EXPECT_NE(c, b);
  for (void* p : {a, b}) arena.deallocate(p, 24, 8);
  arena.deallocate(c, 8, 8);
  EXPECT_TRUE(arena.is_empty());
  EXPECT_TRUE(arena.check_invariants());
}

TEST_F(ThreadCached, QueriesSeeTheArenaWithEmptyCaches) {
  Cached arena;
  void* p = arena.allocate(64, 8);
  arena.deallocate(p, 64, 8);
  EXPECT_TRUE(arena.is_empty());  // the cached allocation went back
  EXPECT_EQ(arena.stats().free_blocks, 64u);
  EXPECT_EQ(arena.stats().quick_blocks, 8u);  // now on the arena's own quick list
  void* q = arena.allocate(64, 8);
  arena.deallocate(q, 64, 8);
  {
    auto locked = arena.acquire_locked();
    EXPECT_TRUE(locked->is_empty());
  }
  EXPECT_TRUE(arena.check_invariants());
}

TEST_F(ThreadCached, LargeAndOverAlignedRequestsBypassTheCache) {
  // 65 blocks: more than the cache takes (8) and than the arena's own quick
  // lists keep (QuickFit's 64), so its free goes back to the free list.
  static_assert(stalloc::QuickFit::quick_lists == 64);
  stalloc::ThreadCachedStalloc<128, 8> arena;
  void* big = arena.allocate(65 * 8, 8);   // 65 blocks, from block 0
  void* aligned = arena.allocate(8, 128);  // past the 64 bytes the cache takes
  // The blocks skipped to align `aligned` wait on one of the arena's quick lists.
  const std::size_t padding =
      (reinterpret_cast<std::uintptr_t>(aligned) - reinterpret_cast<std::uintptr_t>(big)) / 8 - 65;
  arena.deallocate(big, 65 * 8, 8);
  arena.deallocate(aligned, 8, 128);
  auto locked = arena.acquire_locked();
  EXPECT_EQ(locked->stats().quick_blocks, 1u + padding);  // and the aligned one
  EXPECT_EQ(locked->stats().free_blocks, 128u);
}

// C++'s operator new asks for 16-byte alignment from 16 bytes on, so an
// over-aligned request is served from the cache, but only by an allocation
// aligned for it.
TEST_F(ThreadCached, AnAlignedRequestTakesOnlyACachedAllocationAlignedForIt) {
  stalloc::ThreadCachedStalloc<64, 8> arena;
  auto* first = static_cast<unsigned char*>(arena.allocate(16, 8));  // blocks 0-1
  void* between = arena.allocate(8, 8);                              // block 2
  auto* third = static_cast<unsigned char*>(arena.allocate(16, 8));  // blocks 3-4
  ASSERT_EQ(third - first, 24);  // so exactly one of them is 16-aligned
  const bool first_aligned = reinterpret_cast<std::uintptr_t>(first) % 16 == 0;
  unsigned char* aligned = first_aligned ? first : third;
  unsigned char* misaligned = first_aligned ? third : first;

  arena.deallocate(misaligned, 16, 8);
  void* fresh = arena.allocate(16, 16);
  EXPECT_NE(fresh, misaligned);  // the cached one is not 16-aligned
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(fresh) % 16, 0u);
  EXPECT_EQ(arena.allocate(16, 8), misaligned);  // but serves 8

  arena.deallocate(aligned, 16, 16);
  EXPECT_EQ(arena.allocate(16, 16), aligned);  // from the cache
  for (void* p : {static_cast<void*>(aligned), static_cast<void*>(misaligned), fresh})
    arena.deallocate(p, 16, 16);
  arena.deallocate(between, 8, 8);
  EXPECT_TRUE(arena.is_empty());
  EXPECT_TRUE(arena.check_invariants());
}

// An alignment the arena refuses (not a power of two) is refused with the
// cache in front of it too, whatever the cache holds.
TEST_F(ThreadCached, AnAlignmentTheArenaRefusesIsRefused) {
  Cached arena;
  void* p = arena.allocate(8, 8);
  arena.deallocate(p, 8, 8);
  EXPECT_EQ(arena.allocate(8, 24), nullptr);
  EXPECT_EQ(arena.allocate(8, 0), nullptr);
  EXPECT_EQ(arena.allocate(8, 8), p);
  arena.deallocate(p, 8, 8);
  EXPECT_TRUE(arena.is_empty());
}

// Blocks cached by one thread are not lost to the others: a request the
// arena cannot serve takes every cache back, coalesces, and is retried.
TEST_F(ThreadCached, AFullArenaTakesOtherThreadsCachesBack) {
  stalloc::ThreadCachedStalloc<4, 8> arena;
  std::thread other([&] {
    void* ps[4];
    for (void*& p : ps) p = arena.allocate(8, 8);
    for (void* p : ps) ASSERT_NE(p, nullptr);
    for (void* p : ps) arena.deallocate(p, 8, 8);  // all four wait in its shard
  });
  other.join();
  void* all = arena.allocate(32, 8);  // needs the whole arena, coalesced
  ASSERT_NE(all, nullptr);
  EXPECT_TRUE(arena.is_oom());
  arena.deallocate(all, 32, 8);
  EXPECT_TRUE(arena.is_empty());
}

TEST_F(ThreadCached, AFullShardGoesBackToTheArena) {
  Cached arena;
  std::vector<void*> ps;
  for (std::size_t i = 0; i < Cached::depth + 1; ++i) ps.push_back(arena.allocate(8, 8));
  for (void* p : ps) arena.deallocate(p, 8, 8);
  // The last free found the shard full for its block count: the 7 before it
  // went to the arena, and it alone is cached.
  EXPECT_EQ(arena.allocate(8, 8), ps.back());
  EXPECT_TRUE(arena.check_invariants());
  arena.deallocate(ps.back(), 8, 8);
  EXPECT_TRUE(arena.is_empty());
}

TEST_F(ThreadCached, ClearDropsTheCaches) {
  Cached arena;
  void* p = arena.allocate(8, 8);
  arena.deallocate(p, 8, 8);
  arena.clear();
  EXPECT_TRUE(arena.is_empty());
  EXPECT_EQ(arena.stats().quick_blocks, 0u);  // nothing came back from a cache
  EXPECT_TRUE(arena.check_invariants());
}

// A thread's number (its shard) is given back when it exits: a thread
// started for each round gets the same number every time, never the number
// of a thread that is still alive.
TEST_F(ThreadCached, ThreadNumbersAreReusedNotShared) {
  const unsigned main_number = stalloc::detail::this_thread_number();
  std::vector<unsigned> numbers;
  for (int round = 0; round < 8; ++round) {
    unsigned n = 0;
    std::thread t([&] { n = stalloc::detail::this_thread_number(); });
    t.join();
    numbers.push_back(n);
  }
  for (unsigned n : numbers) {
    EXPECT_NE(n, main_number);
    EXPECT_EQ(n, numbers.front());
  }
}

// A checking arena is never cached: a double free must reach its checks.
TEST_F(ThreadCached, HardenedArenasAreNotCached) {
  using Checked = stalloc::ThreadCached<stalloc::HardenedStalloc<64, 8>>;
  static_assert(Checked::cached_blocks == 0);
  static std::atomic<int> reports{0};
  reports = 0;  // --gtest_repeat
  auto previous = stalloc::set_misuse_handler(
      [](const stalloc::MisuseReport&) noexcept { reports.fetch_add(1); });
  Checked arena;
  void* p = arena.allocate(8, 8);
  arena.deallocate(p, 8, 8);
  arena.deallocate(p, 8, 8);
  EXPECT_EQ(reports.load(), 1);
  stalloc::set_misuse_handler(previous);
}

// Threads on their own shards, and sharing shards (more threads than
// shards), allocate and free concurrently; nothing is lost or overlapped.
// The arena (64 KiB) holds twice the most the threads keep live (6 x 40
// allocations of up to 200 bytes): in 32 KiB, runs under ASan, whose timing
// lets every thread peak at once, failed for want of room (fragmentation),
// not for a lost allocation.
TEST_F(ThreadCached, ManyThreadsKeepTheArenaExact) {
  static stalloc::ThreadCachedStalloc<8192, 8> arena;
  constexpr int kThreads = 6;
  std::atomic<long> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::pair<unsigned char*, std::size_t>> live;
      unsigned seed = 12345u + static_cast<unsigned>(t);
      for (int i = 0; i < 20000; ++i) {
        seed = seed * 1103515245u + 12345u;
        if (live.size() < 40 && (seed >> 16) % 3 != 0) {
          const std::size_t size = 1 + (seed >> 8) % 200;
          auto* p = static_cast<unsigned char*>(arena.allocate(size, 8));
          if (p == nullptr) {
            failures.fetch_add(1);
            continue;
          }
          for (std::size_t k = 0; k < size; ++k) p[k] = static_cast<unsigned char>(t);
          live.emplace_back(p, size);
        } else if (!live.empty()) {
          const std::size_t j = (seed >> 4) % live.size();
          auto [p, size] = live[j];
          for (std::size_t k = 0; k < size; ++k) {
            if (p[k] != static_cast<unsigned char>(t)) {
              ADD_FAILURE() << "an allocation was overwritten";
              return;
            }
          }
          arena.deallocate(p, size, 8);
          live[j] = live.back();
          live.pop_back();
        }
      }
      for (auto [p, size] : live) arena.deallocate(p, size, 8);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(arena.is_empty());
  EXPECT_TRUE(arena.check_invariants());
}

}  // namespace
}  // namespace adaptor_tests
