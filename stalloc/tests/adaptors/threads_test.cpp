// Eight threads hammering one SyncStalloc (with each lock) and one
// ThreadCachedStalloc (per-thread caches drained by acquire_locked() while
// their owners run): each thread fills its allocations
// with its own pattern and checks it before every grow and free, so any two
// threads handed overlapping memory, or any torn free-list update, shows up
// as a wrong byte. Also built with ThreadSanitizer (ctest label `threads`).
//   STALLOC_THREAD_OPS=N   operations per thread (default 100000)
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "stalloc/arena_array.hpp"
#include "stalloc/sync.hpp"
#include "stalloc/thread_cached.hpp"

namespace {

constexpr unsigned kThreads = 8;

std::size_t ops_per_thread() {
  if (const char* env = std::getenv("STALLOC_THREAD_OPS")) return std::strtoull(env, nullptr, 10);
  return 100'000;
}

struct Live {
  unsigned char* p;
  std::size_t size;
  std::size_t align;
  unsigned char seed;
};

unsigned char pattern(unsigned char seed, std::size_t i) {
  return static_cast<unsigned char>(seed + i * 31);
}
void fill(const Live& l) {
  for (std::size_t i = 0; i < l.size; ++i) l.p[i] = pattern(l.seed, i);
}
// The first `n` bytes still hold the pattern.
bool intact(const Live& l, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (l.p[i] != pattern(l.seed, i)) return false;
  }
  return true;
}

template <class Arena>
void hammer(Arena& arena, unsigned thread, std::size_t ops, std::atomic<std::size_t>& corrupt,
            std::atomic<std::size_t>& failed) {
  std::mt19937 rng(1234 + thread);
  std::vector<Live> live;
  auto seed = [&] { return static_cast<unsigned char>(thread * 40 + rng() % 40); };
  for (std::size_t op = 0; op < ops; ++op) {
    const auto choice = static_cast<unsigned>(rng() % 10);
    if (live.size() < 8 || (choice < 4 && live.size() < 200)) {
      const std::size_t size = 1 + rng() % 200;
      const std::size_t align = std::size_t{1} << (rng() % 6);
      auto* p = static_cast<unsigned char*>(arena.allocate(size, align));
      if (p == nullptr) {
        ++failed;
        continue;
      }
      if (reinterpret_cast<std::uintptr_t>(p) % align != 0) ++corrupt;
      live.push_back({p, size, align, seed()});
      fill(live.back());
    } else if (choice < 7) {  // free one
      const std::size_t i = rng() % live.size();
      if (!intact(live[i], live[i].size)) ++corrupt;
      arena.deallocate(live[i].p, live[i].size, live[i].align);
      live[i] = live.back();
      live.pop_back();
    } else if (choice < 9) {  // grow or shrink one
      Live& l = live[rng() % live.size()];
      const std::size_t new_size = 1 + rng() % 300;
      auto* q = static_cast<unsigned char*>(arena.reallocate(l.p, l.size, new_size, l.align));
      if (q == nullptr) {
        ++failed;
        continue;
      }
      Live moved{q, new_size, l.align, l.seed};
      if (!intact(moved, std::min(l.size, new_size))) ++corrupt;
      l = moved;
      l.seed = seed();
      fill(l);
    } else {  // two operations under one lock (an ArenaArray has no one lock: two calls)
      Live& l = live.back();
      if (!intact(l, l.size)) ++corrupt;
      unsigned char* p = nullptr;
      if constexpr (requires { arena.acquire_locked(); }) {
        auto locked = arena.acquire_locked();
        locked->deallocate(l.p, l.size, l.align);
        p = static_cast<unsigned char*>(locked->allocate(l.size, l.align));
      } else {
        arena.deallocate(l.p, l.size, l.align);
        p = static_cast<unsigned char*>(arena.allocate(l.size, l.align));
      }
      if (p == nullptr) {
        ++failed;
        live.pop_back();
        continue;
      }
      l.p = p;
      fill(l);
    }
  }
  for (const Live& l : live) {
    if (!intact(l, l.size)) ++corrupt;
    arena.deallocate(l.p, l.size, l.align);
  }
}

// room_for_all: whether every request must succeed (the arena holds 8 x 200
// live allocations of up to 300 bytes).
template <class Arena>
void run_threads(bool room_for_all = true) {
  auto arena = std::make_unique<Arena>();
  std::atomic<std::size_t> corrupt{0};
  std::atomic<std::size_t> failed{0};
  const std::size_t ops = ops_per_thread();
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { hammer(*arena, t, ops, corrupt, failed); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(corrupt.load(), 0u);
  if (room_for_all) {
    EXPECT_EQ(failed.load(), 0u);
  }
  const stalloc::InvariantReport r = arena->check_invariants();
  EXPECT_TRUE(r.ok) << r.what;
  EXPECT_TRUE(arena->is_empty());
}

TEST(Threads, EightThreadsOnOneAdaptiveLockedArena) {
  run_threads<stalloc::SyncStalloc<65535, 16, stalloc::AdaptiveLock>>();
}
TEST(Threads, EightThreadsOnOneSpinLockedArena) {
  run_threads<stalloc::SyncStalloc<65535, 16, stalloc::SpinLock>>();
}
TEST(Threads, EightThreadsOnOneMutexLockedArena) {
  run_threads<stalloc::SyncStalloc<65535, 16, std::mutex>>();
}
// Four of the eight on their own shards, the others (numbered past the
// shards) on the lock alone; one operation in ten drains every cache.
TEST(Threads, EightThreadsOnOneThreadCachedArena) {
  run_threads<stalloc::ThreadCachedStalloc<65535, 16>>();
}

// Many arenas, one current: threads race to move the cursor on and to mark
// arenas used, while each arena keeps its own lock (or caches). 16 x 128 KiB
// hold the 8 x 200 live allocations with room to spare, so no request may
// fail, wherever the cursor points.
TEST(Threads, EightThreadsOnAnArrayOfLockedArenas) {
  run_threads<stalloc::ArenaArray<16, stalloc::Synchronized<stalloc::Stalloc<8192, 16>>>>();
}
TEST(Threads, EightThreadsOnAnArrayOfThreadCachedArenas) {
  run_threads<stalloc::ArenaArray<16, stalloc::SyncStalloc<8192, 16>>>();
}
// Arenas too small for the threads' live sets (4 x 8 KiB): lanes (4 for 8
// threads) share arenas, move on from full ones all the time, and are placed
// after every arena has been touched; requests fail when all are full.
TEST(Threads, EightThreadsOnAnArrayOfFullLockedArenas) {
  run_threads<stalloc::ArenaArray<4, stalloc::Synchronized<stalloc::Stalloc<512, 16>>>>(false);
}

// The crate's threaded example, where the lock is all there is: six threads
// (three per core here) each box an int in one static SyncStalloc<6, 4> and
// drop it, over and over. Every box fits, so a failed request or a box whose
// value changed before its owner dropped it means two threads got the same
// block.
constinit stalloc::SyncStalloc<6, 4> six_boxes;
// The same with per-thread caches: a box waits in its thread's shard between
// rounds, and threads without a shard (or whose request finds the arena
// full of cached boxes) make the arena take the caches back.
constinit stalloc::ThreadCachedStalloc<6, 4> six_cached_boxes;

template <class Arena>
void box_ints(Arena& arena) {
  constexpr unsigned kBoxers = 6;
  const std::size_t rounds = ops_per_thread() / 4;
  std::atomic<std::size_t> corrupt{0};
  std::atomic<std::size_t> failed{0};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kBoxers; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < rounds; ++i) {
        auto* box = static_cast<std::uint32_t*>(arena.allocate(4, 4));
        if (box == nullptr) {
          ++failed;
          continue;
        }
        const auto value = static_cast<std::uint32_t>(t << 24 | (i & 0xffffff));
        *box = value;
        std::this_thread::yield();  // let the others in while the box is live
        if (*box != value) ++corrupt;
        arena.deallocate(box, 4, 4);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(corrupt.load(), 0u);
  EXPECT_EQ(failed.load(), 0u);
  const stalloc::InvariantReport r = arena.check_invariants();
  EXPECT_TRUE(r.ok) << r.what;
  EXPECT_TRUE(arena.is_empty());
}

TEST(Threads, SixThreadsBoxingIntsInASixBlockArena) {
  box_ints(six_boxes);
}
TEST(Threads, SixThreadsBoxingIntsInAThreadCachedSixBlockArena) {
  box_ints(six_cached_boxes);
}

}  // namespace
