// SizedStalloc, the arena behind the global replacement: it must find the
// size of any live allocation from its address alone.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
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

// Under an unchecked policy a free leaves its end marks (sized_stalloc.hpp):
// an allocation over stale marks must clear them, within one bitmap word and
// across words, or its unsized delete would free too few blocks.
TEST(SizedStalloc, AllocationsOverwriteTheStaleMarksOfFreedBlocks) {
  auto arena = std::make_unique<stalloc::SizedStalloc<256, 8, stalloc::FirstFit>>();
  std::vector<void*> ones;
  for (int i = 0; i < 200; ++i) ones.push_back(arena->allocate(8, 8));  // marks 0..199
  for (void* p : ones) arena->deallocate(p, 8, 8);                      // FirstFit: one chunk again
  ASSERT_TRUE(arena->is_empty());
  EXPECT_TRUE(arena->check_invariants().ok);
  void* a = arena->allocate(24, 8);       // blocks 0..2, in one word
  void* b = arena->allocate(150 * 8, 8);  // blocks 3..152: three words
  void* c = arena->allocate(8 * 8, 8);    // blocks 153..160: across a word boundary
  ASSERT_EQ(a, ones[0]);
  ASSERT_EQ(b, ones[3]);
  ASSERT_EQ(c, ones[153]);
  EXPECT_EQ(arena->allocation_size(a), 24u);
  EXPECT_EQ(arena->allocation_size(b), 150u * 8);
  EXPECT_EQ(arena->allocation_size(c), 64u);
  EXPECT_TRUE(arena->check_invariants().ok);
  arena->deallocate_unsized(b, 8);
  arena->deallocate_unsized(a, 8);
  arena->deallocate_unsized(c, 8);
  EXPECT_TRUE(arena->is_empty());
  EXPECT_TRUE(arena->check_invariants().ok);
}

// Random allocations (some of them past a bitmap word), sized and unsized
// frees, grows and shrinks: every live allocation's size, found from its
// address, is the caller's, rounded up to blocks; invariants hold.
template <class Arena>
void random_traffic(std::uint32_t seed) {
  auto arena = std::make_unique<Arena>();
  std::mt19937 rng(seed);
  struct Live {
    void* p;
    std::size_t size;
  };
  std::vector<Live> live;
  const auto rounded = [](std::size_t n) { return (n + 7) / 8 * 8; };
  for (int step = 0; step < 30'000; ++step) {
    const auto roll = rng() % 10;
    if (live.empty() || roll < 5) {
      const std::size_t size = rng() % 8 == 0 ? 1 + rng() % 1500 : 1 + rng() % 300;
      const std::size_t align = std::size_t{1} << (rng() % 7);
      if (void* p = arena->allocate(size, align)) live.push_back({p, size});
    } else if (roll < 8) {
      const std::size_t i = rng() % live.size();
      ASSERT_EQ(arena->allocation_size(live[i].p), rounded(live[i].size)) << "step " << step;
      if (rng() % 2) {
        arena->deallocate_unsized(live[i].p, 8);
      } else {
        arena->deallocate(live[i].p, live[i].size, 8);
      }
      live[i] = live.back();
      live.pop_back();
    } else {
      Live& l = live[rng() % live.size()];
      const std::size_t to = 1 + rng() % 600;
      if (void* q = arena->reallocate(l.p, l.size, to, 8)) l = {q, to};
    }
    if (step % 100 == 0) {
      ASSERT_TRUE(arena->check_invariants().ok) << "step " << step;
      for (const Live& l : live)
        ASSERT_EQ(arena->allocation_size(l.p), rounded(l.size)) << "step " << step;
    }
  }
  for (const Live& l : live) arena->deallocate_unsized(l.p, 8);
  EXPECT_TRUE(arena->is_empty());
  EXPECT_TRUE(arena->check_invariants().ok);
}

TEST(SizedStalloc, RandomTrafficAgreesWithTheCallersSizes) {
  random_traffic<stalloc::SizedStalloc<4096, 8>>(7);
  random_traffic<stalloc::SizedStalloc<4096, 8, stalloc::ChainedQuickFit>>(8);
  random_traffic<stalloc::SizedStalloc<4096, 8, stalloc::FirstFit>>(9);
  random_traffic<stalloc::SizedStalloc<4096, 8, stalloc::Hardened>>(10);  // exact marks
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
