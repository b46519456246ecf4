// The byte API: rounding to blocks, alignment, size-0 semantics, and the
// in-place / moving paths of grow and shrink.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "test_support.hpp"

namespace {

// These tests pin the crate's exact first-fit placement and footprint, so they
// run on the FirstFit policy; QuickFit (the default) has quick_fit_test.cpp and
// the differential test.
template <std::size_t L, std::size_t B>
using Stalloc = stalloc::Stalloc<L, B, stalloc::FirstFit>;
using stalloc_test::at;
using stalloc_test::Chunks;
using stalloc_test::free_chunks;
using stalloc_test::Snapshot;
using stalloc_test::valid;

TEST(ByteApi, SizesRoundUpToBlocksAndSmallAlignmentsToB) {
  Stalloc<32, 8> heap;
  void* a = heap.allocate(1, 1);
  void* b = heap.allocate(9, 2);
  void* c = heap.allocate(16, 8);
  EXPECT_EQ(at(heap, a), 0U);
  EXPECT_EQ(at(heap, b), 1U);
  EXPECT_EQ(at(heap, c), 3U);
  for (void* p : {a, b, c}) EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 8, 0U);
  EXPECT_EQ(heap.stats().free_blocks, 27U);
}

TEST(ByteApi, SizeZeroTouchesNoBlock) {
  Stalloc<4, 4> heap;
  for (std::size_t align : {1U, 2U, 4U, 64U, 4096U}) {
    void* p = heap.allocate(0, align);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % align, 0U);
    EXPECT_TRUE(heap.is_empty());
    heap.deallocate(p, 0, align);  // a no-op
    EXPECT_TRUE(heap.is_empty());
  }
  EXPECT_EQ(heap.allocate(0, 3), nullptr) << "the alignment is still validated";
  // Size 0 works even when the arena is full.
  void* all = heap.allocate(16, 4);
  EXPECT_NE(heap.allocate(0, 8), nullptr);
  // grow from size 0 is a fresh allocation.
  heap.deallocate(all, 16, 4);
  void* z = heap.allocate(0, 4);
  void* g = heap.grow(z, 0, 6, 4);
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(heap.owns(g));
  EXPECT_EQ(heap.stats().free_blocks, 2U);
}

TEST(ByteApi, GrowInPlaceWhenTheNextBlocksAreFree) {
  Stalloc<16, 4> heap;
  auto* p = static_cast<char*>(heap.allocate(3, 1));
  std::memcpy(p, "abc", 3);
  EXPECT_EQ(heap.grow(p, 3, 4, 1), p) << "same block count: nothing to do";
  EXPECT_EQ(heap.grow(p, 4, 30, 1), p);
  EXPECT_EQ(std::memcmp(p, "abc", 3), 0);
  EXPECT_EQ(free_chunks(heap), (Chunks{{8, 8}}));
}

TEST(ByteApi, GrowMovesWhenBlockedAndFailsCleanly) {
  Stalloc<8, 4> heap;
  auto* p = static_cast<char*>(heap.allocate(8, 4));
  void* blocker = heap.allocate(4, 4);
  std::memcpy(p, "12345678", 8);
  auto* q = static_cast<char*>(heap.grow(p, 8, 12, 4));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(at(heap, q), 3U);
  EXPECT_EQ(std::memcmp(q, "12345678", 8), 0);
  EXPECT_EQ(free_chunks(heap), (Chunks{{0, 2}, {6, 2}}));
  const Snapshot before(heap);
  EXPECT_EQ(heap.grow(q, 12, 24, 4), nullptr) << "6 blocks: neither in place nor elsewhere";
  EXPECT_TRUE(Snapshot(heap) == before);
  EXPECT_EQ(std::memcmp(q, "12345678", 8), 0) << "the old allocation stays valid";
  (void)blocker;
}

// A grow that must move (a live block follows) keeps every byte, at every
// length from 1 to 130 bytes (the copy is of the old size, in bytes).
TEST(ByteApi, AMovingGrowKeepsEveryByte) {
  Stalloc<2048, 4> heap;  // first fit: each round starts from an empty arena
  for (std::size_t n = 1; n <= 130; ++n) {
    auto* p = static_cast<unsigned char*>(heap.allocate(n, 1));
    ASSERT_NE(p, nullptr);
    void* blocker = heap.allocate(1, 1);
    ASSERT_NE(blocker, nullptr);
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<unsigned char>(n + i);
    auto* q = static_cast<unsigned char*>(heap.grow(p, n, n + 4, 1));
    ASSERT_NE(q, nullptr);
    ASSERT_NE(q, p) << "the blocker forces a move";
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(q[i], static_cast<unsigned char>(n + i)) << n;
    heap.deallocate(q, n + 4, 1);
    heap.deallocate(blocker, 1, 1);
    ASSERT_TRUE(heap.check_invariants());
  }
  EXPECT_TRUE(heap.is_empty());
}

TEST(ByteApi, ShrinkMovesOnlyForAStricterAlignment) {
  alignas(64) Stalloc<32, 4> heap;
  void* first = heap.allocate(4, 4);
  auto* p = static_cast<char*>(heap.allocate(12, 4));  // block 1
  std::memcpy(p, "abcdefghijkl", 12);
  auto* q = static_cast<char*>(heap.shrink(p, 12, 8, 4));
  EXPECT_EQ(q, p);
  EXPECT_EQ(free_chunks(heap), (Chunks{{3, 29}}));
  auto* r = static_cast<char*>(heap.shrink(q, 8, 6, 16));
  ASSERT_NE(r, q) << "block 1 is not 16-byte aligned";
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r) % 16, 0U);
  EXPECT_EQ(std::memcmp(r, "abcdef", 6), 0);
  EXPECT_EQ(at(heap, r), 4U);
  EXPECT_EQ(free_chunks(heap), (Chunks{{1, 3}, {6, 26}}));
  EXPECT_TRUE(valid(heap));
  (void)first;
}

TEST(ByteApi, LargeAlignmentsBeyondTheBlockSize) {
  alignas(1024) Stalloc<256, 4> heap;  // 1024-byte boundaries: blocks 0 and 256
  void* small = heap.allocate(1, 1);
  void* p = heap.allocate(4, 256);  // 64 blocks of alignment
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 256, 0U);
  EXPECT_EQ(at(heap, p), 64U);
  EXPECT_EQ(heap.allocate(4, 1024), nullptr) << "no 1024-byte boundary after block 0";
  (void)small;
}

}  // namespace
