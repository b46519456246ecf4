// Regression tests for the original crate's known traps, and for the bugs
// found in this port. Each test names the trap it pins down.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <new>

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
using stalloc_test::valid;

// Crate trap 1: an allocation that exactly fills the LAST free chunk marked
// the whole arena full while an earlier chunk was still free.
TEST(KnownTraps, ExactlyFillingTheLastChunkKeepsEarlierChunks) {
  Stalloc<8, 4> heap;
  void* a = heap.allocate_blocks(2, 1);  // [0, 2)
  void* b = heap.allocate_blocks(2, 1);  // [2, 4)
  heap.deallocate_blocks(a, 2);          // free: [0+2] [4+4]
  ASSERT_EQ(free_chunks(heap), (Chunks{{0, 2}, {4, 4}}));
  void* c = heap.allocate_blocks(4, 1);  // exactly fills [4, 8)
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(at(heap, c), 4U);
  EXPECT_FALSE(heap.is_oom()) << "blocks 0 and 1 are still free";
  EXPECT_EQ(free_chunks(heap), (Chunks{{0, 2}}));
  EXPECT_TRUE(valid(heap));
  void* d = heap.allocate_blocks(2, 1);
  EXPECT_EQ(d, a) << "the earlier chunk is still usable";
  EXPECT_TRUE(heap.is_oom());
  for (auto [p, n] : {std::pair{b, 2}, std::pair{c, 4}, std::pair{d, 2}})
    heap.deallocate_blocks(p, static_cast<std::size_t>(n));
  EXPECT_TRUE(heap.is_empty());
}

// Same trap through the byte API, for a middle chunk and then the last one:
// each must be unlinked from its predecessor, never end the whole list.
TEST(KnownTraps, ExactlyFillingAMiddleChunkUnlinksOnlyIt) {
  Stalloc<12, 4> heap;
  const std::size_t sizes[] = {4, 4, 8, 4, 8, 20};  // blocks 0 | 1 | 2-3 | 4 | 5-6 | 7-11
  void* p[6];
  for (int i = 0; i < 6; ++i) p[i] = heap.allocate(sizes[i], 4);
  ASSERT_TRUE(heap.is_oom());
  heap.deallocate(p[0], 4, 4);
  heap.deallocate(p[2], 8, 4);
  heap.deallocate(p[4], 8, 4);
  ASSERT_EQ(free_chunks(heap), (Chunks{{0, 1}, {2, 2}, {5, 2}}));
  void* mid = heap.allocate(7, 4);  // 2 blocks: [0+1] is too small
  EXPECT_EQ(at(heap, mid), 2U);
  EXPECT_EQ(free_chunks(heap), (Chunks{{0, 1}, {5, 2}}));
  EXPECT_TRUE(valid(heap));
  void* last = heap.allocate(8, 4);
  EXPECT_EQ(at(heap, last), 5U);
  EXPECT_EQ(free_chunks(heap), (Chunks{{0, 1}}));
  EXPECT_FALSE(heap.is_oom());
  EXPECT_TRUE(valid(heap));
}

// Crate trap 2: is_empty() answered true whenever block 0 was free.
TEST(KnownTraps, IsEmptyIsFalseWhileAnythingIsLiveEvenWithBlockZeroFree) {
  Stalloc<8, 4> heap;
  void* a = heap.allocate(4, 4);
  void* b = heap.allocate(4, 4);
  heap.deallocate(a, 4, 4);
  EXPECT_EQ(free_chunks(heap), (Chunks{{0, 1}, {2, 6}}));
  EXPECT_FALSE(heap.is_empty()) << "b is live";
  heap.deallocate(b, 4, 4);
  EXPECT_TRUE(heap.is_empty());
}

// Crate trap 3a: realloc rounded the old size DOWN when freeing the old
// allocation after a move, so 6 bytes (2 blocks) freed 1 block and leaked one.
TEST(KnownTraps, MovedAllocationWhoseSizeIsNotAMultipleOfBFreesAllItsBlocks) {
  Stalloc<16, 4> heap;
  void* p = heap.allocate(6, 4);        // blocks [0, 2)
  void* blocker = heap.allocate(4, 4);  // block 2
  std::memcpy(p, "abcdef", 6);
  void* q = heap.grow(p, 6, 10, 4);  // 3 blocks, cannot extend: moves
  ASSERT_NE(q, nullptr);
  ASSERT_NE(q, p);
  EXPECT_EQ(std::memcmp(q, "abcdef", 6), 0);
  EXPECT_EQ(free_chunks(heap), (Chunks{{0, 2}, {6, 10}})) << "both old blocks are free";
  heap.deallocate(q, 10, 4);
  heap.deallocate(blocker, 4, 4);
  EXPECT_TRUE(heap.is_empty());
}

// Crate trap 3b: an old size smaller than B rounded down to ZERO blocks.
TEST(KnownTraps, MovedAllocationSmallerThanBFreesItsBlock) {
  Stalloc<8, 8> heap;
  void* p = heap.allocate(3, 1);
  void* blocker = heap.allocate(1, 1);
  void* q = heap.reallocate(p, 3, 9, 1);
  ASSERT_NE(q, p);
  EXPECT_EQ(free_chunks(heap), (Chunks{{0, 1}, {4, 4}}));
  heap.deallocate(blocker, 1, 1);
  heap.deallocate(q, 9, 1);
  EXPECT_TRUE(heap.is_empty());
}

// Crate trap 3c: realloc passed the alignment in BYTES where blocks were
// expected, so a 16-byte alignment over 4-byte blocks asked for 64 bytes.
TEST(KnownTraps, ReallocConvertsTheAlignmentToBlocks) {
  alignas(64) Stalloc<64, 4> heap;  // block 0 is 64-byte aligned
  void* p = heap.allocate(4, 16);
  void* blocker = heap.allocate(4, 4);
  ASSERT_EQ(at(heap, p), 0U);
  ASSERT_EQ(at(heap, blocker), 1U);
  void* q = heap.grow(p, 4, 8, 16);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(q) % 16, 0U);
  EXPECT_EQ(at(heap, q), 4U) << "the first 16-byte boundary, not the first 64-byte one";
}

// Port bug: the constructor initialised only the first BYTE of block 0's
// header, so a local arena built over non-zero memory had a garbage first
// chunk. (The construction test checks the bytes; this checks the behaviour.)
TEST(KnownTraps, ArenaBuiltOverGarbageIsEmptyAndUsable) {
  alignas(Stalloc<16, 4>) unsigned char buffer[sizeof(Stalloc<16, 4>)];
  stalloc_test::fill_pattern(buffer, sizeof buffer, 0xA5);
  auto* heap = stalloc_test::construct_at<Stalloc<16, 4>>(buffer);
  EXPECT_TRUE(valid(*heap));
  EXPECT_TRUE(heap->is_empty());
  EXPECT_EQ(heap->stats().free_blocks, 16U);
  EXPECT_NE(heap->allocate(64, 4), nullptr) << "all 16 blocks are free";
  heap->~Stalloc();
}

// Port bug: shrink(p, old, 0, align) freed p and THEN found that `align` was
// invalid, returning nullptr ("failed, p still valid") for a freed p.
TEST(KnownTraps, ShrinkWithAnInvalidAlignmentChangesNothing) {
  Stalloc<8, 4> heap;
  void* p = heap.allocate(8, 4);
  const stalloc_test::Snapshot before(heap);
  EXPECT_EQ(heap.shrink(p, 8, 0, 3), nullptr);
  EXPECT_EQ(heap.shrink(p, 8, 4, 0), nullptr);
  EXPECT_TRUE(stalloc_test::Snapshot(heap) == before) << "p is still allocated";
}

// Port bug: grow() stayed in place when `align` was stricter than p's own
// alignment, returning a misaligned pointer.
TEST(KnownTraps, GrowHonoursAStricterAlignmentByMoving) {
  alignas(64) Stalloc<32, 4> heap;
  void* first = heap.allocate(4, 4);
  void* p = heap.allocate(4, 4);  // block 1: 4-byte aligned only
  static_cast<unsigned char*>(p)[0] = 42;
  void* q = heap.grow(p, 4, 8, 32);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(q) % 32, 0U);
  EXPECT_EQ(static_cast<unsigned char*>(q)[0], 42);
  EXPECT_EQ(at(heap, q), 8U);
  EXPECT_EQ(free_chunks(heap), (Chunks{{1, 7}, {10, 22}}));
  (void)first;
}

}  // namespace
