// The behaviours the original crate's own test suite checks, as tests of the
// C++ byte API: vectors that grow in place and by moving, shrinking, running
// out of memory, mixed sizes and alignments, freeing in every order.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <numeric>
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
using stalloc_test::valid;

// The crate's README example: a 32-byte heap holds eight 4-byte objects, or
// four 8-byte ones, or two 16-byte ones, and is empty again after each round.
TEST(CrateBehaviour, HeadlineExampleEightFourTwo) {
  Stalloc<8, 4> heap;
  static_assert(sizeof(heap) == 36);
  for (const std::size_t size : {4U, 8U, 16U}) {
    std::vector<void*> objects;
    for (std::size_t i = 0; i < 32 / size; ++i) {
      void* p = heap.allocate(size, size);
      ASSERT_NE(p, nullptr) << "object " << i << " of size " << size;
      EXPECT_EQ(at(heap, p), i * size / 4);
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 4, 0U);
      std::memset(p, static_cast<int>(i + 1), size);
      objects.push_back(p);
      EXPECT_TRUE(valid(heap));
    }
    EXPECT_TRUE(heap.is_oom());
    EXPECT_EQ(heap.allocate(4, 4), nullptr);
    for (std::size_t i = 0; i < objects.size(); ++i) {
      EXPECT_EQ(*static_cast<unsigned char*>(objects[i]), i + 1);
      EXPECT_FALSE(heap.is_empty());
      heap.deallocate(objects[i], size, size);
      EXPECT_TRUE(valid(heap));
    }
    EXPECT_TRUE(heap.is_empty());
  }
}

// A vector of ints that doubles its capacity, the way Vec::push does.
template <class Arena>
struct IntVector {
  Arena& arena;
  int* data = nullptr;
  std::size_t size = 0;
  std::size_t capacity = 0;

  bool push(int v) {
    if (size == capacity) {
      const std::size_t cap = capacity == 0 ? 1 : capacity * 2;
      void* p = capacity == 0
                    ? arena.allocate(cap * sizeof(int), alignof(int))
                    : arena.grow(data, capacity * sizeof(int), cap * sizeof(int), alignof(int));
      if (p == nullptr) return false;
      data = static_cast<int*>(p);
      capacity = cap;
    }
    data[size++] = v;
    return true;
  }
  bool holds_0_to_size() const {
    for (std::size_t i = 0; i < size; ++i)
      if (data[i] != static_cast<int>(i)) return false;
    return true;
  }
};

TEST(CrateBehaviour, LoneVectorGrowsInPlaceUntilTheArenaIsFull) {
  Stalloc<64, 4> heap;
  IntVector<Stalloc<64, 4>> v{heap};
  ASSERT_TRUE(v.push(0));
  int* const first = v.data;
  for (int i = 1; i < 64; ++i) {
    ASSERT_TRUE(v.push(i));
    EXPECT_EQ(v.data, first) << "nothing follows the vector, so it never moves";
    EXPECT_TRUE(valid(heap));
  }
  EXPECT_TRUE(heap.is_oom());
  EXPECT_FALSE(v.push(64)) << "a 65th int does not fit in 256 bytes";
  EXPECT_EQ(v.data, first);
  EXPECT_TRUE(v.holds_0_to_size()) << "a failed grow leaves the old allocation intact";
  heap.deallocate(v.data, v.capacity * sizeof(int), alignof(int));
  EXPECT_TRUE(heap.is_empty());
}

TEST(CrateBehaviour, InterleavedVectorsGrowByMovingAndKeepTheirContents) {
  Stalloc<256, 4> heap;
  IntVector<Stalloc<256, 4>> a{heap};
  IntVector<Stalloc<256, 4>> b{heap};
  int moves = 0;
  for (int i = 0; i < 40; ++i) {
    int* before = a.data;
    ASSERT_TRUE(a.push(i));
    if (before != nullptr && a.data != before) ++moves;
    ASSERT_TRUE(b.push(i));
    EXPECT_TRUE(valid(heap));
    EXPECT_TRUE(a.holds_0_to_size());
    EXPECT_TRUE(b.holds_0_to_size());
  }
  EXPECT_GT(moves, 0) << "b sits right after a, so a has to move to grow";
  // Every block the moves vacated went back to the free list: only the two
  // live buffers (64 ints each) are in use.
  EXPECT_EQ(heap.stats().free_blocks, 256U - 64U - 64U);
  heap.deallocate(a.data, a.capacity * sizeof(int), alignof(int));
  heap.deallocate(b.data, b.capacity * sizeof(int), alignof(int));
  EXPECT_TRUE(heap.is_empty());
}

TEST(CrateBehaviour, ShrinkStaysInPlaceAndReturnsTheTail) {
  Stalloc<32, 8> heap;
  auto* p = static_cast<unsigned char*>(heap.allocate(100, 8));  // 13 blocks
  ASSERT_NE(p, nullptr);
  std::iota(p, p + 100, static_cast<unsigned char>(0));
  void* q = heap.shrink(p, 100, 20, 8);  // 3 blocks
  EXPECT_EQ(q, p);
  EXPECT_EQ(heap.stats().free_blocks, 29U);
  EXPECT_EQ(free_chunks(heap), (Chunks{{3, 29}}));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(p[i], i);
  void* z = heap.shrink(p, 20, 0, 8);
  EXPECT_NE(z, nullptr) << "size 0 gives the dangling, non-null pointer";
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(z) % 8, 0U);
  EXPECT_TRUE(heap.is_empty());
}

TEST(CrateBehaviour, OutOfMemoryAndRecovery) {
  Stalloc<10, 16> heap;
  std::vector<void*> ps;
  while (void* p = heap.allocate(16, 16)) ps.push_back(p);
  EXPECT_EQ(ps.size(), 10U);
  EXPECT_TRUE(heap.is_oom());
  EXPECT_EQ(heap.allocate(1, 1), nullptr);
  EXPECT_TRUE(valid(heap));
  heap.deallocate(ps[4], 16, 16);
  EXPECT_FALSE(heap.is_oom());
  EXPECT_EQ(heap.allocate(17, 16), nullptr) << "one free block cannot hold two";
  void* again = heap.allocate(16, 16);
  EXPECT_EQ(again, ps[4]);
  EXPECT_TRUE(heap.is_oom());
  Stalloc<10, 16> fresh;
  EXPECT_EQ(fresh.allocate(161, 1), nullptr) << "larger than the whole arena";
}

TEST(CrateBehaviour, MixedSizesAndAlignmentsAreDisjointAlignedAndKeepData) {
  alignas(4096) Stalloc<2048, 8> heap;
  struct Req {
    std::size_t size, align;
  };
  const Req reqs[] = {{1, 1},    {3, 2},  {8, 8},    {24, 16}, {5, 64},  {100, 8},
                      {16, 32},  {7, 1},  {64, 128}, {9, 4},   {33, 16}, {200, 256},
                      {4, 4096}, {31, 8}, {2, 2},    {48, 16}, {12, 512}};
  struct Live {
    unsigned char* p;
    std::size_t size, align;
  };
  std::vector<Live> live;
  unsigned char tag = 1;
  for (const Req& r : reqs) {
    auto* p = static_cast<unsigned char*>(heap.allocate(r.size, r.align));
    ASSERT_NE(p, nullptr) << r.size << "@" << r.align;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % r.align, 0U) << r.size << "@" << r.align;
    EXPECT_TRUE(heap.owns(p) && heap.owns(p + r.size - 1));
    for (const Live& l : live) EXPECT_TRUE(p + r.size <= l.p || l.p + l.size <= p) << "overlap";
    std::memset(p, tag++, r.size);
    live.push_back({p, r.size, r.align});
    EXPECT_TRUE(valid(heap));
  }
  for (std::size_t i = 0; i < live.size(); ++i)
    for (std::size_t k = 0; k < live[i].size; ++k) ASSERT_EQ(live[i].p[k], i + 1);
  // Free in an interleaved order: odd indices, then even ones backwards.
  for (std::size_t i = 1; i < live.size(); i += 2) {
    heap.deallocate(live[i].p, live[i].size, live[i].align);
    EXPECT_TRUE(valid(heap));
  }
  for (std::size_t i = live.size(); i-- > 0;) {
    if (i % 2 != 0) continue;
    heap.deallocate(live[i].p, live[i].size, live[i].align);
    EXPECT_TRUE(valid(heap));
  }
  EXPECT_TRUE(heap.is_empty());
}

// Five neighbours freed in all 120 orders: the list must coalesce correctly
// whichever side each free lands on, and be empty exactly at the end.
TEST(CrateBehaviour, FreeingInEveryOrderEndsEmpty) {
  const std::array<std::size_t, 5> sizes = {4, 12, 1, 40, 8};
  std::array<int, 5> order = {0, 1, 2, 3, 4};
  int permutations = 0;
  do {
    Stalloc<24, 4> heap;
    std::array<void*, 5> ps{};
    for (std::size_t i = 0; i < 5; ++i) ps[i] = heap.allocate(sizes[i], 4);
    for (void* p : ps) ASSERT_NE(p, nullptr);
    EXPECT_EQ(heap.stats().free_blocks, 24U - 1 - 3 - 1 - 10 - 2);
    for (std::size_t k = 0; k < 5; ++k) {
      EXPECT_FALSE(heap.is_empty());
      heap.deallocate(ps[order[k]], sizes[order[k]], 4);
      ASSERT_TRUE(valid(heap));
    }
    EXPECT_TRUE(heap.is_empty());
    EXPECT_EQ(free_chunks(heap), (Chunks{{0, 24}}));
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutations, 120);
}

TEST(CrateBehaviour, ReallocateGrowsAndShrinks) {
  Stalloc<16, 4> heap;
  auto* p = static_cast<char*>(heap.allocate(5, 1));
  std::memcpy(p, "hello", 5);
  auto* q = static_cast<char*>(heap.reallocate(p, 5, 11, 1));
  ASSERT_EQ(q, p) << "the next blocks are free";
  std::memcpy(q + 5, " world", 6);
  auto* r = static_cast<char*>(heap.reallocate(q, 11, 5, 1));
  EXPECT_EQ(r, q);
  EXPECT_EQ(std::memcmp(r, "hello", 5), 0);
  EXPECT_EQ(heap.stats().free_blocks, 14U);
  heap.deallocate(r, 5, 1);
  EXPECT_TRUE(heap.is_empty());
}

}  // namespace
