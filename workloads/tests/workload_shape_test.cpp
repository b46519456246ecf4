// The workloads have the shapes their documentation claims (README.md):
// checked on the requests they actually make.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <vector>

#include "capped_allocator.hpp"
#include "recording_allocator.hpp"
#include "workloads/chained.hpp"
#include "workloads/large.hpp"
#include "workloads/size_mix.hpp"
#include "workloads/small_objects.hpp"
#include "workloads/stack_order.hpp"

namespace {

using workloads::Options;
using workloads::testing::RecordingAllocator;
using workloads::testing::Request;

// One round of small-objects or stack-order, replayed against its log.
struct StackWalk {
  std::size_t frees = 0, lifo_frees = 0, peak_live = 0, live_at_end = 0;
  std::size_t smallest = ~std::size_t{0}, largest = 0;
};

StackWalk walk(const std::vector<Request>& log) {
  StackWalk w;
  std::vector<void*> live;  // in allocation order
  for (const Request& r : log) {
    if (r.kind == Request::kAllocate) {
      w.smallest = std::min(w.smallest, r.size);
      w.largest = std::max(w.largest, r.size);
      live.push_back(r.p);
      w.peak_live = std::max(w.peak_live, live.size());
    } else {
      EXPECT_EQ(r.kind, Request::kFree);
      ++w.frees;
      if (!live.empty() && live.back() == r.p) ++w.lifo_frees;
      const auto it = std::find(live.begin(), live.end(), r.p);
      EXPECT_NE(it, live.end()) << "free of an object that is not live";
      if (it != live.end()) live.erase(it);
    }
  }
  w.live_at_end = live.size();
  return w;
}

TEST(SmallObjects, SizesLiveSetAndMostlyLastInFirstOut) {
  workloads::SmallObjects w{Options{}, {}};
  RecordingAllocator a;
  w.run(a, 0);
  ASSERT_EQ(a.log.size(), workloads::SmallObjects::kRequestsPerRound);
  const StackWalk s = walk(a.log);
  EXPECT_GE(s.smallest, 8u);
  EXPECT_LE(s.largest, 64u);
  EXPECT_EQ(s.live_at_end, 0u) << "a round ends with nothing live";
  EXPECT_LE(s.peak_live, workloads::SmallObjects::kMaxLive);
  EXPECT_GE(s.peak_live, workloads::SmallObjects::kTargetLive);
  // Nine frees in ten take the newest object; the random tenth sometimes does too.
  EXPECT_GT(s.lifo_frees * 100, s.frees * 88);
  EXPECT_LT(s.lifo_frees * 100, s.frees * 99);
}

TEST(StackOrder, EveryFreeIsTheNewestLiveObjectWithSmallObjectsSizes) {
  workloads::StackOrder w{Options{}, {}};
  RecordingAllocator a;
  w.run(a, 0);
  ASSERT_EQ(a.log.size(), workloads::StackOrder::kRequestsPerRound);
  const StackWalk s = walk(a.log);
  EXPECT_GE(s.smallest, 8u);
  EXPECT_LE(s.largest, 64u);
  EXPECT_EQ(s.live_at_end, 0u);
  EXPECT_EQ(s.frees, workloads::StackOrder::kRequestsPerRound / 2);
  EXPECT_EQ(s.lifo_frees, s.frees) << "every free takes the newest live object";
  EXPECT_GE(s.peak_live, workloads::StackOrder::kTargetLive);
  // A different request stream from small-objects for the same seed.
  workloads::SmallObjects small{Options{}, {}};
  EXPECT_NE(w.request_checksum(), small.request_checksum());
}

TEST(SizeMix, MostRequestsSmallWithATailToTensOfKiB) {
  Options quick;
  quick.quick = true;
  workloads::SizeMix w{quick, {}};
  RecordingAllocator a;
  for (int round = 0; round < 8; ++round) w.run(a, 0);
  w.drain(a, 0);
  std::size_t allocations = 0, small = 0, over_1k = 0, over_8k = 0, largest = 0;
  for (const Request& r : a.log) {
    if (r.kind != Request::kAllocate) continue;
    ++allocations;
    small += r.size <= 64;
    over_1k += r.size > 1024;
    over_8k += r.size > 8192;
    largest = std::max(largest, r.size);
  }
  ASSERT_GT(allocations, 10000u);
  const auto share = [&](std::size_t n) {
    return static_cast<double>(n) / static_cast<double>(allocations);
  };
  EXPECT_NEAR(share(small), 0.55, 0.03);
  EXPECT_NEAR(share(over_1k), 0.08, 0.02);
  EXPECT_NEAR(share(over_8k), 0.02, 0.01);
  EXPECT_GT(largest, 32768u);
  EXPECT_LE(largest, 65536u);
}

TEST(SizeMix, LifetimesCrossRounds) {
  workloads::SizeMix w{Options{}, {}};
  RecordingAllocator a;
  w.run(a, 0);
  std::map<void*, std::size_t> live;
  for (const Request& r : a.log) {
    if (r.kind == Request::kAllocate) live[r.p] = r.size;
    if (r.kind == Request::kFree) live.erase(r.p);
  }
  EXPECT_GT(live.size(), 50u) << "objects outlive the round that made them";
  w.drain(a, 0);
}

TEST(Chained, OneKeptBigStringPerRoundAndTheOldestFreedWhenFull) {
  Options quick;
  quick.quick = true;  // keeps 8 big strings
  workloads::Chained w{quick, {}};
  RecordingAllocator a;
  for (int round = 0; round < 10; ++round) w.run(a, 0);
  std::size_t small = 0, big = 0, big_frees = 0;
  for (const Request& r : a.log) {
    if (r.kind == Request::kAllocate) (r.size == 6 ? small : big) += 1;
    if (r.kind == Request::kFree && r.size == workloads::Chained::kBigSize) ++big_frees;
  }
  EXPECT_EQ(small, 10 * workloads::Chained::kSmallPerRound);
  EXPECT_EQ(big, 10u);
  EXPECT_EQ(big_frees, 10u - workloads::Chained::kBigKeptQuick);
  EXPECT_EQ(w.peak_requested_bytes(), 8 * workloads::Chained::kBigSize + 6);
  w.drain(a, 0);
}

// The crate's 8 KiB arena can never hold a big string: on such a heap the big
// strings fail (counted), the small ones all succeed.
TEST(Chained, BigStringsFailOnTheCratesArenaSize) {
  workloads::Chained w{Options{}, {}};
  workloads::testing::CappedAllocator arena{workloads::Chained::info.arena.blocks *
                                            workloads::Chained::info.arena.block_size};
  w.run(arena, 0);
  w.run(arena, 0);
  EXPECT_EQ(w.failed_requests(), 2u);
  w.drain(arena, 0);
  EXPECT_EQ(arena.checker().live_blocks(), 0u);
}

TEST(Large, FourLiveBuffersFrom64KiBTo4MiB) {
  workloads::Large w{Options{}, {}};
  RecordingAllocator a;
  w.prepare(a, 0);
  for (int round = 0; round < 4; ++round) w.run(a, 0);
  std::size_t live = 0, peak_live = 0, allocations = 0;
  for (const Request& r : a.log) {
    if (r.kind == Request::kAllocate) {
      ++allocations;
      EXPECT_GE(r.size, workloads::Large::kMinSize);
      EXPECT_LE(r.size, workloads::Large::kMaxSize);
      EXPECT_EQ(r.align, 64u);
      peak_live = std::max(peak_live, ++live);
    } else if (r.kind == Request::kFree) {
      --live;
    }
  }
  EXPECT_EQ(peak_live, workloads::Large::kLive);
  EXPECT_EQ(allocations, workloads::Large::kLive + 4 * workloads::Large::kStepsPerRound);
  w.drain(a, 0);
}

}  // namespace
