// realloc-growth grows through reallocate and counts where each growth went.
#include <gtest/gtest.h>

#include <cstdlib>

#include "checking_allocator.hpp"
#include "workloads/realloc_growth.hpp"

namespace {

using workloads::Options;
using workloads::ReallocGrowth;

TEST(ReallocGrowth, EveryGrowthIsAReallocateAndIsCounted) {
  Options options;
  options.check = true;
  ReallocGrowth w{options, {}};
  workloads::testing::CheckingAllocator a;  // always moves: never grows in place
  w.run(a, 0);
  EXPECT_GT(a.reallocations(), ReallocGrowth::kContainersPerRound);
  EXPECT_EQ(w.moved_growths(), a.reallocations());
  EXPECT_EQ(w.in_place_growths(), 0u);
  EXPECT_EQ(a.live_blocks(), 0u);
  EXPECT_EQ(w.corruptions(), 0u);
  EXPECT_TRUE(a.errors().empty());
}

// Every block has room for the largest capacity, so every growth is in place.
struct RoomToGrow {
  static constexpr std::size_t kRoom = 128 * 1024;
  void* allocate(std::size_t, std::size_t) { return std::malloc(kRoom); }
  void deallocate(void* p, std::size_t, std::size_t) { std::free(p); }
  void* reallocate(void* p, std::size_t, std::size_t new_size, std::size_t) {
    return new_size <= kRoom ? p : nullptr;
  }
};

TEST(ReallocGrowth, CountsGrowthsInPlace) {
  Options options;
  options.check = true;
  ReallocGrowth w{options, {}};
  RoomToGrow a;
  w.run(a, 0);
  EXPECT_GT(w.in_place_growths(), ReallocGrowth::kContainersPerRound);
  EXPECT_EQ(w.moved_growths(), 0u);
  EXPECT_EQ(w.corruptions(), 0u);
  EXPECT_EQ(w.failed_requests(), 0u);
}

}  // namespace
