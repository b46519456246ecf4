// Out of memory, exactly: every API path either succeeds or answers
// nullptr / false with the arena unchanged (same free list before and after),
// grow and reallocate keep the old allocation valid, and no size or alignment
// computation overflows.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>

#include "test_support.hpp"

namespace {

// Pinned on FirstFit: the fragmented layouts below are built from its exact
// placements (QuickFit's out-of-memory paths are in quick_fit_test.cpp and
// the differential test).
template <std::size_t L, std::size_t B>
using Stalloc = stalloc::Stalloc<L, B, stalloc::FirstFit>;
using stalloc_test::Snapshot;
using stalloc_test::valid;

constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();

// An arena with a fragmented free list, [8+2] [12+2], and a live allocation
// `p` of 16 bytes (blocks [0, 4)) starting with "0123456789ab".
struct Fragmented {
  alignas(64) Stalloc<16, 4> heap;
  void* p = nullptr;
  Fragmented() {
    void* blocks[8];
    for (auto*& b : blocks) b = heap.allocate(8, 4);  // 8 x 2 blocks: full
    heap.deallocate(blocks[1], 8, 4);
    heap.deallocate(blocks[4], 8, 4);
    heap.deallocate(blocks[6], 8, 4);    // free: [2+2] [8+2] [12+2]
    p = heap.grow(blocks[0], 8, 16, 4);  // in place: takes all of [2+2]
    std::memcpy(p, "0123456789ab", 12);
  }
  bool p_intact() const { return std::memcmp(p, "0123456789ab", 12) == 0; }
};

TEST(OutOfMemory, AllocateRefusalsChangeNothing) {
  Fragmented f;
  auto& heap = f.heap;
  const Snapshot before(heap);
  ASSERT_EQ(stalloc_test::free_chunks(heap), (stalloc_test::Chunks{{8, 2}, {12, 2}}));
  EXPECT_EQ(heap.allocate(9, 4), nullptr) << "3 blocks: no free chunk that long";
  EXPECT_EQ(heap.allocate(heap.capacity + 1, 4), nullptr);
  for (std::size_t size : {kMax, kMax - 1, kMax - 3, kMax / 2 + 1, kMax / 4})
    EXPECT_EQ(heap.allocate(size, 4), nullptr) << size;
  for (std::size_t align : {std::size_t{0}, std::size_t{3}, std::size_t{12}, kMax, kMax / 2})
    EXPECT_EQ(heap.allocate(4, align), nullptr) << align;
  EXPECT_EQ(heap.allocate(4, std::size_t{1} << 63), nullptr) << "alignment beyond the arena";
  EXPECT_EQ(heap.allocate(4, 1024), nullptr) << "no 1024-byte boundary inside 64 bytes";
  EXPECT_EQ(heap.allocate_blocks(3, 1), nullptr);
  EXPECT_EQ(heap.allocate_blocks(kMax, 1), nullptr);
  EXPECT_EQ(heap.allocate_blocks(1, kMax), nullptr);
  EXPECT_EQ(heap.allocate_blocks(1, std::size_t{1} << 40), nullptr);
  EXPECT_EQ(heap.allocate_blocks(2, 16), nullptr) << "block 0 is the only 16-block boundary";
  EXPECT_TRUE(Snapshot(heap) == before);
  EXPECT_TRUE(valid(heap));
}

TEST(OutOfMemory, GrowFailuresKeepTheOldAllocation) {
  Fragmented f;
  auto& heap = f.heap;
  const Snapshot before(heap);
  EXPECT_EQ(heap.grow(f.p, 16, 20, 4), nullptr) << "5 blocks: neither in place nor elsewhere";
  EXPECT_EQ(heap.grow(f.p, 16, heap.capacity + 1, 4), nullptr);
  EXPECT_EQ(heap.grow(f.p, 16, kMax, 4), nullptr);
  EXPECT_EQ(heap.grow(f.p, 16, 20, 3), nullptr) << "invalid alignment";
  EXPECT_EQ(heap.grow(f.p, 16, 20, kMax), nullptr);
  EXPECT_EQ(heap.reallocate(f.p, 16, 64, 4), nullptr);
  EXPECT_FALSE(heap.grow_in_place(f.p, 4, 5));
  EXPECT_FALSE(heap.grow_in_place(f.p, 4, kMax));
  EXPECT_EQ(heap.grow_up_to(f.p, 4, kMax), 4U) << "nothing free right after p";
  EXPECT_TRUE(Snapshot(heap) == before);
  EXPECT_TRUE(f.p_intact());
}

TEST(OutOfMemory, ShrinkFailuresKeepTheOldAllocation) {
  Fragmented f;
  auto& heap = f.heap;
  const Snapshot before(heap);
  EXPECT_EQ(heap.shrink(f.p, 16, 4, 0), nullptr);
  EXPECT_EQ(heap.shrink(f.p, 16, 4, 6), nullptr);
  EXPECT_EQ(heap.shrink(f.p, 16, 0, 6), nullptr) << "must not free p before refusing";
  // p (block 0 of a 64-aligned arena) is aligned to its lowest set bit, at
  // least 64; twice that forces a move, and the next such boundary lies
  // beyond the arena's 64 bytes.
  const auto address = reinterpret_cast<std::uintptr_t>(f.p);
  const std::size_t stricter = static_cast<std::size_t>(address & (~address + 1)) * 2;
  EXPECT_EQ(heap.shrink(f.p, 16, 4, stricter), nullptr);
  EXPECT_EQ(heap.reallocate(f.p, 16, 4, stricter), nullptr);
  EXPECT_TRUE(Snapshot(heap) == before);
  EXPECT_TRUE(f.p_intact());
}

TEST(OutOfMemory, AFullArenaRefusesEverythingButSizeZero) {
  Stalloc<4, 8> heap;
  void* all = heap.allocate(32, 8);
  ASSERT_TRUE(heap.is_oom());
  const Snapshot before(heap);
  EXPECT_EQ(heap.allocate(1, 1), nullptr);
  EXPECT_EQ(heap.allocate_blocks(1, 1), nullptr);
  EXPECT_EQ(heap.grow(all, 32, 33, 8), nullptr);
  EXPECT_FALSE(heap.grow_in_place(all, 4, 5));
  EXPECT_EQ(heap.grow_up_to(all, 4, 8), 4U);
  EXPECT_NE(heap.allocate(0, 8), nullptr);
  EXPECT_TRUE(Snapshot(heap) == before);
  EXPECT_TRUE(heap.is_oom());
}

TEST(OutOfMemory, RecoveryAfterFailureIsExact) {
  Stalloc<8, 4> heap;
  void* a = heap.allocate(16, 4);
  void* b = heap.allocate(16, 4);
  EXPECT_EQ(heap.grow(a, 16, 20, 4), nullptr);
  heap.deallocate(b, 16, 4);
  void* c = heap.grow(a, 16, 32, 4);
  EXPECT_EQ(c, a) << "room appeared: grows in place";
  EXPECT_TRUE(heap.is_oom());
  heap.deallocate(c, 32, 4);
  EXPECT_TRUE(heap.is_empty());
}

}  // namespace
