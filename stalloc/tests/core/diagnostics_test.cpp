// stats(), the operator<< dump, and check_invariants() catching each kind of
// corruption (written straight into a free chunk's header, the way a buggy
// program would).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <sstream>

#include "test_support.hpp"

namespace {

// These tests pin the crate's exact first-fit placement and footprint, so they
// run on the FirstFit policy; QuickFit (the default) has quick_fit_test.cpp and
// the differential test.
template <std::size_t L, std::size_t B>
using Stalloc = stalloc::Stalloc<L, B, stalloc::FirstFit>;
using stalloc_test::dump;

TEST(Diagnostics, StatsWalkTheFreeList) {
  Stalloc<16, 4> heap;
  auto s = heap.stats();
  EXPECT_EQ(s.free_blocks, 16U);
  EXPECT_EQ(s.free_chunks, 1U);
  EXPECT_EQ(s.largest_free_chunk, 16U);
  void* a = heap.allocate_blocks(2, 1);
  void* b = heap.allocate_blocks(5, 1);
  void* c = heap.allocate_blocks(1, 1);
  heap.deallocate_blocks(b, 5);
  s = heap.stats();
  EXPECT_EQ(s.free_blocks, 13U);
  EXPECT_EQ(s.free_chunks, 2U);
  EXPECT_EQ(s.largest_free_chunk, 8U);
  heap.deallocate_blocks(a, 2);
  heap.deallocate_blocks(c, 1);
  void* all = heap.allocate_blocks(16, 1);
  s = heap.stats();
  EXPECT_EQ(s.free_blocks, 0U);
  EXPECT_EQ(s.free_chunks, 0U);
  EXPECT_EQ(s.largest_free_chunk, 0U);
  (void)all;
}

TEST(Diagnostics, OstreamDumpListsTheChunks) {
  Stalloc<8, 4> heap;
  EXPECT_EQ(dump(heap), "Stalloc<8, 4>: 8/8 blocks free in 1 chunk (largest 8): [0+8]");
  void* a = heap.allocate_blocks(1, 1);
  void* b = heap.allocate_blocks(5, 1);
  heap.deallocate_blocks(a, 1);
  EXPECT_EQ(dump(heap), "Stalloc<8, 4>: 3/8 blocks free in 2 chunks (largest 2): [0+1] [6+2]");
  void* c = heap.allocate_blocks(2, 1);
  void* d = heap.allocate_blocks(1, 1);
  EXPECT_EQ(dump(heap), "Stalloc<8, 4>: full");
  (void)b;
  (void)c;
  (void)d;
}

// Writes a raw chunk header into block `index` (which must be free, or the
// test is corrupting an allocation on purpose).
template <class Arena>
void poke_header(Arena& heap, std::size_t index, std::uint16_t next, std::uint16_t length) {
  const std::uint16_t h[2] = {next, static_cast<std::uint16_t>(Arena::block_count - length)};
  std::memcpy(const_cast<void*>(heap.block_address(index)), h, sizeof h);
}
// The base header sits right after the blocks (the layout the issue fixes).
template <class Arena>
void poke_base(Arena& heap, std::uint16_t next, std::uint16_t code) {
  const std::uint16_t h[2] = {next, code};
  std::memcpy(reinterpret_cast<unsigned char*>(&heap) + Arena::capacity, h, sizeof h);
}

struct Corruption {
  const char* expected;
  void (*apply)(Stalloc<16, 4>&);
};

class CheckInvariants : public ::testing::TestWithParam<Corruption> {};

// Starting point for every case: allocations at [0,2) [4,6) [10,16) and free
// chunks [2+2] and [6+4].
TEST_P(CheckInvariants, ReportsTheBrokenRule) {
  Stalloc<16, 4> heap;
  void* a = heap.allocate_blocks(2, 1);
  void* gap1 = heap.allocate_blocks(2, 1);
  void* b = heap.allocate_blocks(2, 1);
  void* gap2 = heap.allocate_blocks(4, 1);
  void* c = heap.allocate_blocks(6, 1);
  heap.deallocate_blocks(gap1, 2);
  heap.deallocate_blocks(gap2, 4);
  ASSERT_TRUE(heap.check_invariants()) << dump(heap);
  GetParam().apply(heap);
  const auto r = heap.check_invariants();
  EXPECT_FALSE(r.ok);
  EXPECT_STREQ(r.what, GetParam().expected);
  EXPECT_NE(dump(heap).find("INVALID"), std::string::npos) << dump(heap);
  (void)heap.stats();  // must terminate and stay in bounds on a corrupt list
  (void)a;
  (void)b;
  (void)c;
}

INSTANTIATE_TEST_SUITE_P(
    EachRule, CheckInvariants,
    ::testing::Values(Corruption{"free chunk index out of range",
                                 [](Stalloc<16, 4>& h) { poke_header(h, 2, 16, 2); }},
                      Corruption{"free chunk indices not strictly increasing",
                                 [](Stalloc<16, 4>& h) { poke_header(h, 6, 2, 4); }},
                      Corruption{"two free chunks touch (not coalesced)",
                                 [](Stalloc<16, 4>& h) { poke_header(h, 2, 6, 4); }},
                      Corruption{"free chunks overlap",
                                 [](Stalloc<16, 4>& h) { poke_header(h, 2, 6, 5); }},
                      Corruption{"free chunk length is zero or out of range",
                                 [](Stalloc<16, 4>& h) { poke_header(h, 6, 0, 0); }},
                      Corruption{"free chunk runs past the end of the arena",
                                 [](Stalloc<16, 4>& h) { poke_header(h, 6, 0, 11); }},
                      Corruption{"base header holds neither 0 nor the full marker",
                                 [](Stalloc<16, 4>& h) { poke_base(h, 2, 7); }},
                      Corruption{"free chunk index out of range",
                                 [](Stalloc<16, 4>& h) { poke_base(h, 40, 0); }}));

}  // namespace
