// The free-side finger (I7): release() starts its walk at a free chunk named
// in the base header. A stale finger, one left on a chunk that was allocated
// or merged away, would make a later free read an allocation as a chunk
// header and corrupt the list. Each case below ends the finger's chunk in one
// way, then frees through the spot; check_invariants() verifies I7 after every
// step, and the free list must be exactly the expected one.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "stalloc/hardened.hpp"
#include "stalloc/indexed.hpp"
#include "test_support.hpp"

namespace {

using stalloc::Stalloc;
using stalloc_test::Chunks;
using stalloc_test::free_chunks;
using stalloc_test::valid;

// Ten 2-block allocations, [0,2) ... [18,20), then 12 free blocks.
struct Ladder {
  Stalloc<32, 4> heap;
  std::vector<void*> p;
  Ladder() {
    for (int i = 0; i < 10; ++i) p.push_back(heap.allocate_blocks(2, 1));
  }
};

TEST(Finger, ChunkAllocatedWhole) {
  Ladder l;
  l.heap.deallocate_blocks(l.p[2], 2);  // [4+2]
  l.heap.deallocate_blocks(l.p[6], 2);  // [12+2]; the finger is on [4+2]
  ASSERT_TRUE(valid(l.heap));
  l.p[2] = l.heap.allocate_blocks(2, 1);  // takes [4+2] whole
  ASSERT_TRUE(valid(l.heap));
  l.heap.deallocate_blocks(l.p[5], 2);  // [10,12) joins [12+2]
  ASSERT_TRUE(valid(l.heap));
  EXPECT_EQ(free_chunks(l.heap), (Chunks{{10, 4}, {20, 12}}));
}

TEST(Finger, ChunkShortenedFromTheFront) {
  Ladder l;
  l.heap.deallocate_blocks(l.p[2], 2);  // [4+2]
  l.heap.deallocate_blocks(l.p[6], 2);  // finger on [4+2]
  void* one = l.heap.allocate_blocks(1, 1);  // [4,5): the chunk now starts at 5
  ASSERT_TRUE(valid(l.heap));
  l.heap.deallocate_blocks(l.p[7], 2);
  ASSERT_TRUE(valid(l.heap));
  l.heap.deallocate_blocks(one, 1);
  ASSERT_TRUE(valid(l.heap));
  EXPECT_EQ(free_chunks(l.heap), (Chunks{{4, 2}, {12, 4}, {20, 12}}));
}

TEST(Finger, ChunkSwallowedByTheFreeBeforeIt) {
  Ladder l;
  l.heap.deallocate_blocks(l.p[1], 2);  // [2+2]
  l.heap.deallocate_blocks(l.p[4], 2);  // [8+2]
  l.heap.deallocate_blocks(l.p[8], 2);  // [16+2]; finger on [8+2]
  l.heap.deallocate_blocks(l.p[3], 2);  // [6,8) swallows the chunk at 8
  ASSERT_TRUE(valid(l.heap));
  l.heap.deallocate_blocks(l.p[5], 2);  // [10,12) joins [6+4]
  ASSERT_TRUE(valid(l.heap));
  EXPECT_EQ(free_chunks(l.heap), (Chunks{{2, 2}, {6, 6}, {16, 2}, {20, 12}}));
}

TEST(Finger, ChunkTakenByGrowInPlace) {
  Ladder l;
  l.heap.deallocate_blocks(l.p[3], 2);  // [6+2]
  l.heap.deallocate_blocks(l.p[7], 2);  // [14+2]; finger on [6+2]
  ASSERT_TRUE(l.heap.grow_in_place(l.p[2], 2, 4));  // [4,8) takes the chunk at 6
  ASSERT_TRUE(valid(l.heap));
  l.heap.deallocate_blocks(l.p[6], 2);  // [12,14) joins [14+2]
  ASSERT_TRUE(valid(l.heap));
  EXPECT_EQ(free_chunks(l.heap), (Chunks{{12, 4}, {20, 12}}));
}

TEST(Finger, AlignedAllocationLeavesAPrefix) {
  Stalloc<64, 4> heap;
  void* a = heap.allocate_blocks(3, 1);  // [0,3)
  void* b = heap.allocate_blocks(8, 8);  // aligned: the chunk [3+5] stays free before it
  ASSERT_TRUE(valid(heap));
  heap.deallocate_blocks(b, 8);
  ASSERT_TRUE(valid(heap));
  heap.deallocate_blocks(a, 3);
  ASSERT_TRUE(valid(heap));
  EXPECT_TRUE(heap.is_empty());
}

TEST(Finger, ClearAndFullArenaResetIt) {
  Ladder l;
  l.heap.deallocate_blocks(l.p[2], 2);
  l.heap.deallocate_blocks(l.p[6], 2);  // finger on [4+2]
  l.heap.clear();
  ASSERT_TRUE(valid(l.heap));
  void* all = l.heap.allocate_blocks(32, 1);
  ASSERT_TRUE(l.heap.is_oom());
  ASSERT_TRUE(valid(l.heap));
  l.heap.deallocate_blocks(all, 32);
  EXPECT_TRUE(l.heap.is_empty());
  EXPECT_TRUE(valid(l.heap));
}

// Mostly last-in first-out lifetimes with random frees mixed in, the pattern
// the finger is for: contents and invariants checked after every operation.
template <class Arena>
void lifo_stress(std::uint32_t seed) {
  auto heap = std::make_unique<Arena>();
  struct Live {
    unsigned char* p;
    std::size_t blocks;
    unsigned char tag;
  };
  std::vector<Live> live;
  std::mt19937 rng(seed);
  for (int step = 0; step < 20000; ++step) {
    const bool allocate = live.empty() || (live.size() < 200 && rng() % 100 < 52);
    if (allocate) {
      const std::size_t blocks = 1 + rng() % 8;
      auto* p = static_cast<unsigned char*>(heap->allocate_blocks(blocks, rng() % 16 == 0 ? 4 : 1));
      if (p == nullptr) continue;
      const auto tag = static_cast<unsigned char>(rng());
      std::memset(p, tag, blocks * Arena::block_size);
      live.push_back({p, blocks, tag});
    } else {
      const std::size_t i = rng() % 10 == 0 ? rng() % live.size() : live.size() - 1;
      const Live v = live[i];
      for (std::size_t b = 0; b < v.blocks * Arena::block_size; ++b)
        ASSERT_EQ(v.p[b], v.tag) << "step " << step;
      heap->deallocate_blocks(v.p, v.blocks);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
    }
    ASSERT_TRUE(valid(*heap)) << "step " << step;
  }
  for (const Live& v : live) heap->deallocate_blocks(v.p, v.blocks);
  EXPECT_TRUE(heap->is_empty());
}

TEST(Finger, LifoStressPlain) {
  for (std::uint32_t seed = 1; seed <= 4; ++seed) lifo_stress<Stalloc<2048, 8>>(seed);
}
// The other policies keep the finger at 0 (I7); the same stress proves it.
TEST(Finger, LifoStressIndexed) { lifo_stress<Stalloc<2048, 8, stalloc::Indexed>>(5); }
TEST(Finger, LifoStressHardened) { lifo_stress<Stalloc<2048, 8, stalloc::Hardened>>(6); }

}  // namespace
