// SizedStalloc, the arena behind the global replacement: it must find the
// size of any live allocation from its address alone.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "stalloc/global.hpp"
#include "stalloc/hardened.hpp"

namespace adaptor_tests {
namespace {

static_assert(stalloc::SizedStalloc<1000, 4>::bitmap_bytes == 128);
static_assert(stalloc::SizedStalloc<64, 8>::bitmap_bytes == 8);
static_assert(stalloc::SizedStalloc<65535, 16>::bitmap_bytes == 8192);
// The default arena is 8-aligned (its index), so the bitmap adds exactly its
// size; a 4-aligned FirstFit arena gets 4 bytes of padding before it.
static_assert(sizeof(stalloc::SizedStalloc<1000, 4>) == sizeof(stalloc::Stalloc<1000, 4>) + 128);
static_assert(sizeof(stalloc::SizedStalloc<1024, 8>) == sizeof(stalloc::Stalloc<1024, 8>) + 128);
static_assert(sizeof(stalloc::SizedStalloc<1000, 4, stalloc::FirstFit>) == 1000 * 4 + 4 + 4 + 128);
static_assert(
    std::is_same_v<
        stalloc::global_arena_t<stalloc::AllocChain<stalloc::SyncStalloc<8, 4>, stalloc::System>>,
        stalloc::AllocChain<stalloc::ThreadCached<stalloc::SizedStalloc<8, 4>>, stalloc::System>>);

TEST(SizedStalloc, FindsTheSizeOfEveryLiveAllocation) {
  auto arena = std::make_unique<stalloc::SizedStalloc<1000, 4>>();
  void* a = arena->allocate(1, 4);
  void* b = arena->allocate(13, 4);
  void* c = arena->allocate(400, 64);  // leaves an alignment gap before it
  void* d = arena->allocate(256, 4);   // 64 blocks: spans a bitmap word
  EXPECT_EQ(arena->allocation_size(a), 4u);
  EXPECT_EQ(arena->allocation_size(b), 16u);
  EXPECT_EQ(arena->allocation_size(c), 400u);
  EXPECT_EQ(arena->allocation_size(d), 256u);
  arena->deallocate_unsized(b, 4);
  EXPECT_EQ(arena->allocation_size(c), 400u);
  arena->deallocate_unsized(c, 64);
  arena->deallocate(a, 1, 4);  // sized and unsized frees mix
  arena->deallocate_unsized(d, 4);
  EXPECT_TRUE(arena->is_empty());
  EXPECT_TRUE(arena->check_invariants().ok);
}

TEST(SizedStalloc, GrowAndShrinkMoveTheEndMark) {
  stalloc::SizedStalloc<100, 8> arena;
  void* p = arena.allocate(16, 8);
  void* blocker = arena.allocate(8, 8);
  p = arena.grow(p, 16, 80, 8);  // must move past the blocker
  EXPECT_EQ(arena.allocation_size(p), 80u);
  p = arena.shrink(p, 80, 24, 8);
  EXPECT_EQ(arena.allocation_size(p), 24u);
  p = arena.grow(p, 24, 40, 8);  // in place now
  EXPECT_EQ(arena.allocation_size(p), 40u);
  EXPECT_TRUE(arena.check_invariants().ok);
  arena.deallocate_unsized(p, 8);
  arena.deallocate_unsized(blocker, 8);
  EXPECT_TRUE(arena.is_empty());
}

TEST(SizedStalloc, ClearForgetsTheMarks) {
  stalloc::SizedStalloc<64, 4> arena;
  (void)arena.allocate(12, 4);
  (void)arena.allocate(12, 4);
  arena.clear();
  EXPECT_TRUE(arena.is_empty());
  EXPECT_TRUE(arena.check_invariants().ok);
  void* p = arena.allocate(40, 4);  // covers where the old marks were
  EXPECT_EQ(arena.allocation_size(p), 40u);
}

TEST(SizedStalloc, WrongSizedDeleteIsCaughtByCheckInvariants) {
  stalloc::SizedStalloc<64, 4> arena;
  void* p = arena.allocate(8, 4);
  arena.deallocate(p, 16, 4);  // misuse: twice the size frees blocks it does not own
  EXPECT_FALSE(arena.check_invariants().ok);
}

TEST(SizedStalloc, RandomTrafficAgreesWithTheCallersSizes) {
  auto arena = std::make_unique<stalloc::SizedStalloc<4096, 8>>();
  std::mt19937 rng(7);
  struct Live {
    void* p;
    std::size_t size;
  };
  std::vector<Live> live;
  for (int step = 0; step < 50'000; ++step) {
    if (live.empty() || rng() % 3 != 0) {
      const std::size_t size = 1 + rng() % 300;
      const std::size_t align = std::size_t{1} << (rng() % 7);
      if (void* p = arena->allocate(size, align)) live.push_back({p, size});
    } else {
      const std::size_t i = rng() % live.size();
      ASSERT_EQ(arena->allocation_size(live[i].p), (live[i].size + 7) / 8 * 8);
      if (rng() % 2) {
        arena->deallocate_unsized(live[i].p, 8);
      } else {
        arena->deallocate(live[i].p, live[i].size, 8);
      }
      live[i] = live.back();
      live.pop_back();
    }
    if (step % 1000 == 0) {
      ASSERT_TRUE(arena->check_invariants().ok);
    }
  }
  for (const Live& l : live) arena->deallocate_unsized(l.p, 8);
  EXPECT_TRUE(arena->is_empty());
}

TEST(SizedStalloc, NaturalAlignmentOfPlainNew) {
  using stalloc::detail::natural_alignment;
  EXPECT_EQ(natural_alignment(0), 1u);
  EXPECT_EQ(natural_alignment(1), 1u);
  EXPECT_EQ(natural_alignment(4), 4u);
  EXPECT_EQ(natural_alignment(12), 8u);
  EXPECT_EQ(natural_alignment(24), 16u);
  EXPECT_EQ(natural_alignment(4096), 16u);
}

}  // namespace
}  // namespace adaptor_tests

namespace adaptor_tests {
namespace {

std::vector<stalloc::Misuse> reported;
void record(const stalloc::MisuseReport& r) noexcept {
  reported.push_back(r.kind);
}

class HardenedSizedStalloc : public ::testing::Test {
 protected:
  void SetUp() override {
    reported.clear();
    previous_ = stalloc::set_misuse_handler(&record);
  }
  void TearDown() override { stalloc::set_misuse_handler(previous_); }
  stalloc::SizedStalloc<64, 8, stalloc::Hardened> arena;

 private:
  stalloc::MisuseHandler previous_ = nullptr;
};

TEST_F(HardenedSizedStalloc, DoubleUnsizedDeleteIsReportedAndChangesNothing) {
  void* a = arena.allocate(16, 8);
  void* b = arena.allocate(24, 8);
  arena.deallocate_unsized(a, 8);
  ASSERT_TRUE(reported.empty());
  arena.deallocate_unsized(a, 8);  // would otherwise free up to b's end
  ASSERT_EQ(reported, std::vector{stalloc::Misuse::double_free});
  EXPECT_EQ(arena.allocation_size(b), 24u);
  EXPECT_TRUE(arena.check_invariants().ok);
  arena.deallocate_unsized(b, 8);
  EXPECT_TRUE(arena.is_empty());
}

TEST_F(HardenedSizedStalloc, WrongSizeOnSizedDeleteIsReported) {
  void* a = arena.allocate(16, 8);
  arena.deallocate(a, 40, 8);
  ASSERT_EQ(reported, std::vector{stalloc::Misuse::bad_size});
  EXPECT_EQ(arena.allocation_size(a), 16u);  // still live, untouched
  arena.deallocate(a, 16, 8);
  EXPECT_TRUE(arena.is_empty());
}

TEST_F(HardenedSizedStalloc, ForeignAndMisalignedPointersAreReported) {
  int outside = 0;
  arena.deallocate_unsized(&outside, 8);
  auto* a = static_cast<unsigned char*>(arena.allocate(32, 8));
  arena.deallocate_unsized(a + 3, 8);
  arena.deallocate(a + 8, 8, 8);
  ASSERT_EQ(reported,
            (std::vector{stalloc::Misuse::foreign_pointer, stalloc::Misuse::misaligned_pointer,
                         stalloc::Misuse::bad_size}));
  EXPECT_EQ(arena.allocation_size(a), 32u);
  EXPECT_TRUE(arena.check_invariants().ok);
}

static_assert(std::is_same_v<stalloc::global_arena_t<stalloc::SyncStalloc<8, 4>>,
                             stalloc::ThreadCached<stalloc::SizedStalloc<8, 4>>>);
static_assert(std::is_same_v<stalloc::global_arena_t<stalloc::ThreadCachedStalloc<8, 4>>,
                             stalloc::ThreadCached<stalloc::SizedStalloc<8, 4>>>);
static_assert(std::is_same_v<stalloc::global_arena_t<stalloc::Synchronized<stalloc::Stalloc<8, 4>>>,
                             stalloc::Synchronized<stalloc::SizedStalloc<8, 4>>>);
static_assert(std::is_same_v<stalloc::global_arena_t<stalloc::HardenedStalloc<8, 4>>,
                             stalloc::SizedStalloc<8, 4, stalloc::Hardened>>);

}  // namespace
}  // namespace adaptor_tests
