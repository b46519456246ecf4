// The block API: first fit, alignment in blocks, coalescing, in-place growth
// and shrinking, clear(), owns(), and argument validation.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdint>
#include <memory>
#include <new>
#include <vector>

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

TEST(BlockApi, FirstFitTakesTheLowestChunkThatFits) {
  Stalloc<16, 4> heap;
  void* a = heap.allocate_blocks(2, 1);
  void* b = heap.allocate_blocks(3, 1);
  void* c = heap.allocate_blocks(1, 1);
  EXPECT_EQ(at(heap, a), 0U);
  EXPECT_EQ(at(heap, b), 2U);
  EXPECT_EQ(at(heap, c), 5U);
  heap.deallocate_blocks(b, 3);  // free: [2+3] [6+10]
  void* d = heap.allocate_blocks(4, 1);
  EXPECT_EQ(at(heap, d), 6U) << "[2+3] is too small, the next chunk fits";
  void* e = heap.allocate_blocks(3, 1);
  EXPECT_EQ(at(heap, e), 2U) << "the lowest chunk that fits wins";
  EXPECT_EQ(free_chunks(heap), (Chunks{{10, 6}}));
  EXPECT_TRUE(valid(heap));
}

TEST(BlockApi, AlignmentIsInBlocksAndSpareBlocksStayFree) {
  alignas(128) Stalloc<32, 4> heap;  // block 0 is 128-byte aligned
  void* a = heap.allocate_blocks(1, 1);
  void* b = heap.allocate_blocks(2, 8);  // 8 blocks = 32 bytes
  EXPECT_EQ(at(heap, a), 0U);
  EXPECT_EQ(at(heap, b), 8U);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b) % 32, 0U);
  EXPECT_EQ(free_chunks(heap), (Chunks{{1, 7}, {10, 22}})) << "blocks skipped for alignment";
  void* c = heap.allocate_blocks(4, 4);
  EXPECT_EQ(at(heap, c), 4U) << "[1+7] holds an aligned run of 4 at block 4";
  EXPECT_EQ(free_chunks(heap), (Chunks{{1, 3}, {10, 22}}));
  void* d = heap.allocate_blocks(1, 32);  // 128-byte alignment: only block 0 has it
  EXPECT_EQ(d, nullptr);
  EXPECT_TRUE(valid(heap));
}

// Alignment follows real addresses, not indices: an arena that starts one
// block past a 16-block boundary finds its aligned blocks at index 15, 31...
TEST(BlockApi, AlignmentFollowsAddressesWhateverTheArenaPhase) {
  using Arena = Stalloc<64, 4>;
  alignas(64) unsigned char buffer[sizeof(Arena) + 64];
  auto* heap = new (buffer + 4) Arena();
  void* p = heap->allocate_blocks(1, 16);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 64, 0U);
  EXPECT_EQ(at(*heap, p), 15U);
  EXPECT_EQ(free_chunks(*heap), (Chunks{{0, 15}, {16, 48}}));
  heap->~Arena();
}

TEST(BlockApi, FreeCoalescesWithBothNeighbours) {
  Stalloc<10, 4> heap;
  void* p[5];
  for (auto*& q : p) q = heap.allocate_blocks(2, 1);
  ASSERT_TRUE(heap.is_oom());
  heap.deallocate_blocks(p[1], 2);
  EXPECT_EQ(free_chunks(heap), (Chunks{{2, 2}}));
  heap.deallocate_blocks(p[3], 2);
  EXPECT_EQ(free_chunks(heap), (Chunks{{2, 2}, {6, 2}}));
  heap.deallocate_blocks(p[2], 2);  // touches both: one chunk
  EXPECT_EQ(free_chunks(heap), (Chunks{{2, 6}}));
  heap.deallocate_blocks(p[0], 2);  // before the first chunk: merges forward
  EXPECT_EQ(free_chunks(heap), (Chunks{{0, 8}}));
  heap.deallocate_blocks(p[4], 2);  // after the last chunk: merges backward
  EXPECT_EQ(free_chunks(heap), (Chunks{{0, 10}}));
  EXPECT_TRUE(heap.is_empty());
}

TEST(BlockApi, GrowInPlaceSucceedsOnlyWhenTheNextChunkIsBigEnough) {
  Stalloc<16, 4> heap;
  void* a = heap.allocate_blocks(2, 1);
  void* b = heap.allocate_blocks(2, 1);
  heap.deallocate_blocks(b, 2);  // [2+14]
  EXPECT_TRUE(heap.grow_in_place(a, 2, 5));
  EXPECT_EQ(free_chunks(heap), (Chunks{{5, 11}}));
  void* c = heap.allocate_blocks(1, 1);  // block 5
  const Snapshot before(heap);
  EXPECT_FALSE(heap.grow_in_place(a, 5, 6)) << "block 5 is taken";
  EXPECT_TRUE(Snapshot(heap) == before) << "a failed grow changes nothing";
  EXPECT_FALSE(heap.grow_in_place(c, 1, 12)) << "only 10 blocks follow c";
  EXPECT_TRUE(Snapshot(heap) == before);
  EXPECT_TRUE(heap.grow_in_place(c, 1, 11)) << "exactly the rest of the arena";
  EXPECT_TRUE(heap.is_oom());
  EXPECT_TRUE(heap.grow_in_place(c, 11, 11)) << "no growth asked: trivially true";
  EXPECT_TRUE(valid(heap));
}

TEST(BlockApi, GrowUpToTakesWhatFollows) {
  Stalloc<12, 4> heap;
  void* a = heap.allocate_blocks(2, 1);
  void* b = heap.allocate_blocks(1, 1);  // block 2
  void* c = heap.allocate_blocks(3, 1);  // [3, 6)
  heap.deallocate_blocks(b, 1);
  EXPECT_EQ(heap.grow_up_to(a, 2, 10), 3U) << "one free block follows a";
  EXPECT_EQ(free_chunks(heap), (Chunks{{6, 6}}));
  EXPECT_EQ(heap.grow_up_to(a, 3, 10), 3U) << "c follows: nothing to take";
  EXPECT_EQ(heap.grow_up_to(c, 3, 5), 5U) << "stops at new_count";
  EXPECT_EQ(free_chunks(heap), (Chunks{{8, 4}}));
  EXPECT_EQ(heap.grow_up_to(c, 5, 5), 5U);
  EXPECT_EQ(heap.grow_up_to(c, 5, 1000), 9U) << "to the end of the arena";
  EXPECT_TRUE(heap.is_oom());
  EXPECT_EQ(heap.grow_up_to(c, 9, 12), 9U) << "full arena: nothing to take";
  EXPECT_TRUE(valid(heap));
}

TEST(BlockApi, ShrinkInPlaceReturnsTheTailAndCoalesces) {
  Stalloc<10, 4> heap;
  void* a = heap.allocate_blocks(6, 1);
  void* b = heap.allocate_blocks(4, 1);
  heap.deallocate_blocks(b, 4);
  heap.shrink_in_place(a, 6, 2);
  EXPECT_EQ(free_chunks(heap), (Chunks{{2, 8}})) << "the tail merges with the next chunk";
  heap.shrink_in_place(a, 2, 2);
  EXPECT_EQ(free_chunks(heap), (Chunks{{2, 8}}));
  void* c = heap.allocate_blocks(8, 1);
  heap.shrink_in_place(c, 8, 3);  // tail [5, 10) with no neighbour: a new chunk
  EXPECT_EQ(free_chunks(heap), (Chunks{{5, 5}}));
  EXPECT_TRUE(valid(heap));
}

TEST(BlockApi, ClearForgetsEverything) {
  Stalloc<20, 8> heap;
  for (int i = 0; i < 7; ++i) ASSERT_NE(heap.allocate_blocks(1 + i % 3, 1 << (i % 3)), nullptr);
  heap.clear();
  EXPECT_TRUE(heap.is_empty());
  EXPECT_TRUE(valid(heap));
  EXPECT_NE(heap.allocate_blocks(20, 1), nullptr) << "the whole arena is free again";
  EXPECT_TRUE(heap.is_oom());
  heap.clear();
  EXPECT_TRUE(heap.is_empty());
}

TEST(BlockApi, OwnsExactlyTheBlocks) {
  Stalloc<4, 16> heap;
  const auto* first = static_cast<const unsigned char*>(heap.block_address(0));
  EXPECT_TRUE(heap.owns(first));
  EXPECT_TRUE(heap.owns(first + 63));
  EXPECT_FALSE(heap.owns(first + 64)) << "the base header is not a block";
  EXPECT_FALSE(heap.owns(first - 1));
  EXPECT_FALSE(heap.owns(nullptr));
  int outside = 0;
  EXPECT_FALSE(heap.owns(&outside));
}

TEST(BlockApi, InvalidArgumentsAreRefusedWithoutChange) {
  Stalloc<8, 4> heap;
  void* keep = heap.allocate_blocks(3, 1);
  const Snapshot before(heap);
  EXPECT_EQ(heap.allocate_blocks(0, 1), nullptr);
  EXPECT_EQ(heap.allocate_blocks(9, 1), nullptr);
  EXPECT_EQ(heap.allocate_blocks(SIZE_MAX, 1), nullptr);
  EXPECT_EQ(heap.allocate_blocks(1, 0), nullptr);
  EXPECT_EQ(heap.allocate_blocks(1, 3), nullptr);
  EXPECT_EQ(heap.allocate_blocks(1, std::size_t{1} << 40), nullptr);
  EXPECT_EQ(heap.allocate_blocks(1, SIZE_MAX), nullptr);
  EXPECT_FALSE(heap.grow_in_place(keep, 3, SIZE_MAX));
  EXPECT_TRUE(Snapshot(heap) == before);
}

TEST(BlockApi, SingleBlockArena) {
  Stalloc<1, 4> heap;
  static_assert(sizeof(heap) == 8);
  void* p = heap.allocate_blocks(1, 1);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(heap.is_oom());
  EXPECT_FALSE(heap.is_empty());
  EXPECT_EQ(heap.allocate_blocks(1, 1), nullptr);
  EXPECT_FALSE(heap.grow_in_place(p, 1, 2));
  heap.deallocate_blocks(p, 1);
  EXPECT_TRUE(heap.is_empty());
  EXPECT_EQ(heap.allocate_blocks(2, 1), nullptr);
  EXPECT_TRUE(valid(heap));
}

TEST(BlockApi, LargestIndexSpace) {
  using Arena = Stalloc<65535, 4>;
  auto heap = std::make_unique<Arena>();
  void* all = heap->allocate_blocks(65535, 1);
  ASSERT_NE(all, nullptr);
  EXPECT_TRUE(heap->is_oom());
  heap->shrink_in_place(all, 65535, 65534);
  EXPECT_EQ(free_chunks(*heap), (Chunks{{65534, 1}})) << "size code 65534: length 1";
  EXPECT_TRUE(valid(*heap));
  void* last = heap->allocate_blocks(1, 1);
  EXPECT_EQ(at(*heap, last), 65534U);
  EXPECT_TRUE(heap->is_oom());
  heap->deallocate_blocks(last, 1);
  heap->deallocate_blocks(all, 65534);
  EXPECT_TRUE(heap->is_empty());
  // Many small chunks: every other block free.
  std::vector<void*> ps;
  for (int i = 0; i < 65535; ++i) ps.push_back(heap->allocate_blocks(1, 1));
  // Backwards, so each free finds its neighbours at the head of the list.
  for (std::size_t i = ps.size() + 1; i >= 2; i -= 2) heap->deallocate_blocks(ps[i - 2], 1);
  EXPECT_EQ(heap->stats().free_chunks, 32768U);
  EXPECT_EQ(heap->stats().largest_free_chunk, 1U);
  EXPECT_TRUE(valid(*heap));
  EXPECT_EQ(heap->allocate_blocks(2, 1), nullptr);
}

// B = 2^29 is above the object's own alignment (2^28): placed at an odd
// multiple of 2^28, the arena cannot give any address that is a multiple of
// B, so the block API refuses every request (issue: it used to return
// misaligned blocks), while the byte API still serves alignments up to 2^28.
// Placed at a multiple of 2^30, it gives what it promises.
template <class Arena>
class Placed {
 public:
  // The object at `offset` past a 2^30-aligned address, in reserved memory:
  // only the headers are ever touched.
  explicit Placed(std::size_t offset) {
    constexpr std::size_t kAlign = std::size_t{1} << 30;
    span_ = sizeof(Arena) + 2 * kAlign;
    void* raw = ::mmap(nullptr, span_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) return;
    raw_ = raw;
    const auto start = (reinterpret_cast<std::uintptr_t>(raw) + kAlign - 1) & ~(kAlign - 1);
    arena_ = new (reinterpret_cast<void*>(start + offset)) Arena();
  }
  ~Placed() {
    if (arena_ != nullptr) arena_->~Arena();
    if (raw_ != nullptr) ::munmap(raw_, span_);
  }
  Placed(const Placed&) = delete;
  Placed& operator=(const Placed&) = delete;
  Arena* get() const { return arena_; }

 private:
  void* raw_ = nullptr;
  std::size_t span_ = 0;
  Arena* arena_ = nullptr;
};

constexpr std::size_t kHalfGiB = std::size_t{1} << 29;
using HugeBlocks = stalloc::Stalloc<2, kHalfGiB>;

std::uintptr_t address(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p);
}

TEST(BlockApi, BlockAlignmentTheObjectCannotGiveIsRefused) {
  Placed<HugeBlocks> placed(std::size_t{1} << 28);  // block 0 at an odd multiple of 2^28
  HugeBlocks* heap = placed.get();
  ASSERT_NE(heap, nullptr);
  ASSERT_NE(address(heap->block_address(0)) % kHalfGiB, 0u);  // the placement under test
  EXPECT_EQ(heap->allocate_blocks(1, 1), nullptr);
  EXPECT_EQ(heap->allocate_blocks(1, 2), nullptr);
  EXPECT_TRUE(heap->is_empty());
  // The byte API serves what the object's alignment allows, and refuses more.
  EXPECT_EQ(heap->allocate(1, kHalfGiB), nullptr);
  void* p = heap->allocate(1, std::size_t{1} << 28);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(address(p) % (std::size_t{1} << 28), 0u);
  heap->deallocate(p, 1, std::size_t{1} << 28);
  EXPECT_TRUE(heap->is_empty());
  EXPECT_TRUE(heap->check_invariants());
}

TEST(BlockApi, BlockAlignmentIsMetWhenTheObjectAllowsIt) {
  // Block 0 at a multiple of 2^30: align 2 (2^30 bytes) is block 0.
  Placed<HugeBlocks> placed(0);
  HugeBlocks* heap = placed.get();
  ASSERT_NE(heap, nullptr);
  const std::uintptr_t block0 = address(heap->block_address(0));
  void* p = heap->allocate_blocks(1, 2);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(address(p) % (2 * kHalfGiB), 0u) << (address(p) - block0) / kHalfGiB;
  void* q = heap->allocate_blocks(1, 1);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(address(q) % kHalfGiB, 0u);
  heap->deallocate_blocks(p, 1);
  heap->deallocate_blocks(q, 1);
  EXPECT_TRUE(heap->is_empty());
}

}  // namespace
