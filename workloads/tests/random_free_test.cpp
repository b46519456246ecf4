// random-free's own promises: the sweeps, the hole layout, the first-failure
// fill level, and a clear error for a point it does not know.
#include <gtest/gtest.h>

#include <stdexcept>

#include "capped_allocator.hpp"
#include "checking_allocator.hpp"
#include "workloads/random_free.hpp"

namespace {

using workloads::Options;
using workloads::Point;
using workloads::RandomFree;

TEST(RandomFree, FullSweepCoversLiveAndHolesInPowersOfTwo) {
  const auto points = RandomFree::points(Options{});
  std::vector<std::size_t> live, holes;
  for (const Point& p : points) (p.name == "live" ? live : holes).push_back(p.value);
  EXPECT_EQ(live.front(), 16u);
  EXPECT_EQ(live.back(), 16384u);
  EXPECT_EQ(live.size(), 11u);
  EXPECT_EQ(holes.front(), 16u);
  EXPECT_EQ(holes.back(), 4096u);
  EXPECT_EQ(holes.size(), 9u);
}

TEST(RandomFree, PrepareLeavesHHolesBetweenPinsThenTheChurnSet) {
  Options options;
  options.check = true;
  RandomFree w{options, Point{"holes", 100}};
  workloads::testing::CheckingAllocator a;
  w.prepare(a, 0);
  // 2H allocations for holes and pins, then the churn set; H freed.
  EXPECT_EQ(a.allocations(), 200u + RandomFree::kChurnLive);
  EXPECT_EQ(a.live_blocks(), 100u + RandomFree::kChurnLive);
  w.run(a, 0);
  EXPECT_EQ(a.live_blocks(), 100u + RandomFree::kChurnLive);
  w.drain(a, 0);
  EXPECT_EQ(a.live_blocks(), 0u);
  EXPECT_TRUE(a.errors().empty());
  EXPECT_EQ(w.corruptions(), 0u);
}

TEST(RandomFree, LiveSetStaysAtKAcrossRounds) {
  RandomFree w{Options{}, Point{"live", 300}};
  workloads::testing::CheckingAllocator a;
  const auto ops = w.run(a, 0);  // prepares itself when prepare() was not called
  EXPECT_EQ(ops, 2 * RandomFree::kStepsPerRound);
  EXPECT_EQ(a.live_blocks(), 300u);
  EXPECT_GE(w.peak_requested_bytes(), 300u * RandomFree::kMinSize);
  EXPECT_LE(w.peak_requested_bytes(), 300u * RandomFree::kMaxSize);
  w.drain(a, 0);
  EXPECT_EQ(a.live_blocks(), 0u);
}

TEST(RandomFree, ReportsTheFillLevelAtTheFirstFailure) {
  RandomFree w{Options{}, Point{"live", 1024}};
  workloads::testing::CappedAllocator a{20'000};
  w.prepare(a, 0);
  w.run(a, 0);
  ASSERT_TRUE(w.first_failure_live_bytes().has_value());
  EXPECT_LE(*w.first_failure_live_bytes(), 20'000u);
  EXPECT_GT(*w.first_failure_live_bytes(), 20'000u - RandomFree::kMaxSize);
  EXPECT_GT(w.failed_requests(), 0u);
  w.drain(a, 0);
  EXPECT_EQ(a.checker().live_blocks(), 0u);

  RandomFree fits{Options{}, Point{"live", 16}};
  workloads::testing::CheckingAllocator b;
  fits.run(b, 0);
  EXPECT_FALSE(fits.first_failure_live_bytes().has_value());
  fits.drain(b, 0);
}

TEST(RandomFree, RejectsAPointItDoesNotKnow) {
  EXPECT_THROW((RandomFree{Options{}, Point{"live", 0}}), std::invalid_argument);
  EXPECT_THROW((RandomFree{Options{}, Point{"live", 16385}}), std::invalid_argument);
  EXPECT_THROW((RandomFree{Options{}, Point{"holes", 5000}}), std::invalid_argument);
  EXPECT_THROW((RandomFree{Options{}, Point{"depth", 16}}), std::invalid_argument);
  EXPECT_THROW((RandomFree{Options{}, Point{}}), std::invalid_argument);
}

}  // namespace
