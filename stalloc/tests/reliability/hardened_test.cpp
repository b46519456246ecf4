// The hardened policy: each kind of misuse is reported, once, through the
// replaceable handler, and the arena is left exactly as it was.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "stalloc/hardened.hpp"
#include "test_support.hpp"

namespace {

using stalloc::Misuse;
// Most tests below pin where the walk of HardenedFirstFit finds misuse; the
// default hardened policy (over QuickFit) has its own tests at the end, and
// both run in the differential test with provoked misuse.
template <std::size_t L, std::size_t B>
using HardenedStalloc = stalloc::Stalloc<L, B, stalloc::HardenedFirstFit>;
template <std::size_t L, std::size_t B>
using HardenedQuick = stalloc::Stalloc<L, B, stalloc::Hardened>;
using stalloc_test::Snapshot;
using stalloc_test::valid;

struct Recorded {
  int count = 0;
  Misuse kind = Misuse::double_free;
  const void* arena = nullptr;
  const void* pointer = nullptr;
};
Recorded recorded;

void record(const stalloc::MisuseReport& r) noexcept {
  ++recorded.count;
  recorded.kind = r.kind;
  recorded.arena = r.arena;
  recorded.pointer = r.pointer;
}

class Hardened : public ::testing::Test {
 protected:
  void SetUp() override {
    recorded = {};
    previous_ = stalloc::set_misuse_handler(&record);
  }
  void TearDown() override { stalloc::set_misuse_handler(previous_); }

  // Runs `misuse`, expects exactly one report of `kind`, and the arena
  // unchanged and valid.
  template <class Arena, class F>
  void expect_reported(Arena& heap, Misuse kind, F&& misuse) {
    const Snapshot<Arena> before(heap);
    const bool was_valid = heap.check_invariants().ok;
    const int count = recorded.count;
    misuse();
    EXPECT_EQ(recorded.count, count + 1) << "reported exactly once";
    EXPECT_EQ(recorded.kind, kind) << stalloc::to_string(recorded.kind);
    EXPECT_EQ(recorded.arena, &heap);
    EXPECT_TRUE(Snapshot<Arena>(heap) == before) << "detection must not change the arena";
    if (was_valid) {
      EXPECT_TRUE(valid(heap));
    }
  }

  stalloc::MisuseHandler previous_ = nullptr;
};

TEST_F(Hardened, BehavesLikeThePlainArenaOnValidUse) {
  HardenedStalloc<16, 4> heap;
  void* b = heap.allocate_blocks(3, 1);  // [0, 3)
  EXPECT_EQ(heap.grow_up_to(b, 3, 5), 5U);
  void* a = heap.allocate(8, 4);  // [5, 7)
  EXPECT_EQ(heap.grow(a, 8, 12, 4), a);
  EXPECT_TRUE(heap.grow_in_place(a, 3, 4));
  EXPECT_EQ(heap.shrink(a, 16, 12, 4), a);
  heap.shrink_in_place(b, 5, 2);
  a = heap.shrink(a, 12, 4, 4);
  heap.deallocate(a, 4, 4);
  heap.deallocate_blocks(b, 2);
  EXPECT_TRUE(heap.is_empty());
  EXPECT_EQ(recorded.count, 0);
}

TEST_F(Hardened, DoubleFreeIsDetected) {
  HardenedStalloc<16, 4> heap;
  void* a = heap.allocate(8, 4);
  void* b = heap.allocate(8, 4);
  heap.deallocate(a, 8, 4);
  expect_reported(heap, Misuse::double_free, [&] { heap.deallocate(a, 8, 4); });
  EXPECT_EQ(recorded.pointer, a);
  heap.deallocate(b, 8, 4);  // merges with both sides: [0+16]
  expect_reported(heap, Misuse::double_free, [&] { heap.deallocate(b, 8, 4); });
  expect_reported(heap, Misuse::double_free, [&] { heap.deallocate_blocks(a, 1); });
}

TEST_F(Hardened, DoubleFreeOfTheLastBlockAndOfAFullArena) {
  HardenedStalloc<4, 8> heap;
  void* all = heap.allocate_blocks(4, 1);
  heap.shrink_in_place(all, 4, 3);  // block 3 free
  auto* last = static_cast<unsigned char*>(all) + 3 * 8;
  expect_reported(heap, Misuse::double_free, [&] { heap.deallocate_blocks(last, 1); });
  expect_reported(heap, Misuse::double_free, [&] { heap.shrink_in_place(all, 4, 3); });
}

TEST_F(Hardened, ASizeThatReachesAFreeChunkIsDetected) {
  HardenedStalloc<16, 4> heap;
  void* a = heap.allocate(8, 4);  // [0, 2); blocks 2.. are free
  expect_reported(heap, Misuse::double_free, [&] { heap.deallocate(a, 12, 4); });
  expect_reported(heap, Misuse::bad_size, [&] { heap.deallocate(a, 17 * 4, 4); });
  expect_reported(heap, Misuse::bad_size, [&] { heap.deallocate_blocks(a, 0); });
  expect_reported(heap, Misuse::bad_size, [&] { heap.deallocate(a, SIZE_MAX, 4); });
}

TEST_F(Hardened, ForeignAndMisalignedPointersAreDetected) {
  HardenedStalloc<16, 8> heap;
  auto* a = static_cast<unsigned char*>(heap.allocate(32, 8));
  int local = 0;
  expect_reported(heap, Misuse::foreign_pointer, [&] { heap.deallocate(&local, 4, 4); });
  EXPECT_EQ(recorded.pointer, &local);
  expect_reported(heap, Misuse::foreign_pointer, [&] { heap.deallocate_blocks(nullptr, 1); });
  expect_reported(heap, Misuse::foreign_pointer, [&] { heap.deallocate(a + 16 * 8, 8, 8); });
  expect_reported(heap, Misuse::misaligned_pointer, [&] { heap.deallocate(a + 3, 8, 8); });
  expect_reported(heap, Misuse::misaligned_pointer,
                  [&] { EXPECT_FALSE(heap.grow_in_place(a + 1, 1, 2)); });
  expect_reported(heap, Misuse::foreign_pointer,
                  [&] { EXPECT_EQ(heap.grow(&local, 4, 8, 4), nullptr); });
  expect_reported(heap, Misuse::foreign_pointer,
                  [&] { EXPECT_EQ(heap.shrink(&local, 8, 4, 4), nullptr); });
}

TEST_F(Hardened, GrowingAFreedAllocationIsDetected) {
  HardenedStalloc<16, 4> heap;
  void* a = heap.allocate(8, 4);
  void* b = heap.allocate(8, 4);
  heap.deallocate(a, 8, 4);
  expect_reported(heap, Misuse::double_free, [&] { EXPECT_EQ(heap.grow(a, 8, 40, 4), nullptr); });
  expect_reported(heap, Misuse::double_free, [&] { EXPECT_FALSE(heap.grow_in_place(a, 2, 3)); });
  expect_reported(heap, Misuse::double_free, [&] { EXPECT_EQ(heap.grow_up_to(a, 2, 9), 2U); });
  (void)b;
}

// Corruption written into a free chunk's header (a use-after-free write, say)
// is caught by the next walk that meets it, before anything is written.
TEST_F(Hardened, FreeListCorruptionIsDetectedOnEveryWalk) {
  HardenedStalloc<16, 4> heap;
  void* a = heap.allocate_blocks(2, 1);
  void* gap = heap.allocate_blocks(2, 1);
  void* b = heap.allocate_blocks(2, 1);
  heap.deallocate_blocks(gap, 2);            // free: [2+2] [6+10]
  const std::uint16_t bad[2] = {3, 16 - 2};  // next = 3: not after the chunk's end
  std::memcpy(const_cast<void*>(heap.block_address(2)), bad, sizeof bad);
  ASSERT_FALSE(heap.check_invariants());
  expect_reported(heap, Misuse::corrupt_free_list,
                  [&] { EXPECT_EQ(heap.allocate_blocks(5, 1), nullptr); });
  expect_reported(heap, Misuse::corrupt_free_list, [&] { heap.deallocate_blocks(b, 2); });
  expect_reported(heap, Misuse::corrupt_free_list,
                  [&] { EXPECT_FALSE(heap.grow_in_place(b, 2, 3)); });
  // A length that runs past the end.
  const std::uint16_t too_long[2] = {6, 0};  // length 16 from block 2
  std::memcpy(const_cast<void*>(heap.block_address(2)), too_long, sizeof too_long);
  expect_reported(heap, Misuse::corrupt_free_list,
                  [&] { EXPECT_EQ(heap.allocate(4, 4), nullptr); });
  (void)a;
}

TEST_F(Hardened, ACorruptBaseHeaderIsDetected) {
  HardenedStalloc<8, 4> heap;
  void* a = heap.allocate_blocks(1, 1);
  const std::uint16_t bad[2] = {1, 3};  // size code neither 0 nor "full"
  std::memcpy(reinterpret_cast<unsigned char*>(&heap) + heap.capacity, bad, sizeof bad);
  expect_reported(heap, Misuse::corrupt_free_list,
                  [&] { EXPECT_EQ(heap.allocate_blocks(1, 1), nullptr); });
  expect_reported(heap, Misuse::corrupt_free_list, [&] { heap.deallocate_blocks(a, 1); });
}

TEST_F(Hardened, SetMisuseHandlerReturnsThePreviousAndNullRestoresTheDefault) {
  EXPECT_EQ(stalloc::set_misuse_handler(nullptr), &record);
  EXPECT_EQ(stalloc::misuse_handler(), &stalloc::abort_on_misuse);
  EXPECT_EQ(stalloc::set_misuse_handler(&record), &stalloc::abort_on_misuse);
}

void free_twice() {
  HardenedStalloc<8, 4> heap;
  void* p = heap.allocate(4, 4);
  heap.deallocate(p, 4, 4);
  heap.deallocate(p, 4, 4);
}
void free_foreign() {
  HardenedStalloc<8, 4> heap;
  int x = 0;
  heap.deallocate(&x, 4, 4);
}

TEST(HardenedDeathTest, DefaultHandlerPrintsOneLineAndAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(free_twice(),
               "stalloc: double free: the freed range overlaps a free chunk \\(arena 0x[0-9a-f]+, "
               "pointer 0x[0-9a-f]+\\)");
  EXPECT_DEATH(free_foreign(), "stalloc: foreign pointer: pointer not from this arena");
}

// The plain arena has no checks and no handler: the policy costs nothing
// unless chosen. (Its speed is measured by the harness, not here.)
static_assert(!stalloc::Stalloc<8, 4>::policy::checks);
static_assert(stalloc::HardenedStalloc<8, 4>::policy::checks);
static_assert(sizeof(HardenedStalloc<100, 4>) ==
              sizeof(stalloc::Stalloc<100, 4, stalloc::FirstFit>));
// The default hardened arena adds two bits per block, the used and the end
// bitmaps (16 * ceil(L / 64) bytes, 8-aligned), to QuickFit's footprint.
constexpr std::size_t round_up(std::size_t n, std::size_t to) {
  return (n + to - 1) / to * to;
}
template <std::size_t L, std::size_t B>
constexpr std::size_t hardened_quick_size() {
  const std::size_t index = 10 * ((L + 63) / 64) + 10 * ((L + 4095) / 4096) + 5;
  const std::size_t marks = 16 * ((L + 63) / 64);
  constexpr std::size_t lists = stalloc::Hardened::quick_lists;  // 16
  return round_up(round_up(round_up(L * B + 4, 8) + index, 8) + marks + 2 * lists + 2,
                  B > 8 ? B : 8);
}
static_assert(sizeof(HardenedQuick<100, 4>) == hardened_quick_size<100, 4>());
static_assert(sizeof(HardenedQuick<8192, 8>) == hardened_quick_size<8192, 8>());
static_assert(sizeof(HardenedQuick<65535, 16>) == hardened_quick_size<65535, 16>());

TEST_F(Hardened, QuickFitDoubleFreeOfAWaitingAllocationIsDetected) {
  HardenedQuick<64, 8> heap;
  void* a = heap.allocate_blocks(2, 1);
  void* b = heap.allocate_blocks(3, 1);
  heap.deallocate_blocks(a, 2);  // waits on quick list 2
  expect_reported(heap, Misuse::double_free, [&] { heap.deallocate_blocks(a, 2); });
  // Overlapping it from the side, and from inside.
  auto* a1 = static_cast<unsigned char*>(a) + 8;
  expect_reported(heap, Misuse::double_free, [&] { heap.deallocate_blocks(a1, 1); });
  // b is live: a size that covers its end and the waiting entry is too large.
  expect_reported(heap, Misuse::wrong_size, [&] { heap.deallocate_blocks(b, 20); });
  expect_reported(heap, Misuse::double_free, [&] { heap.deallocate_blocks(a, 30); });
  expect_reported(heap, Misuse::double_free, [&] { EXPECT_FALSE(heap.grow_in_place(a, 2, 3)); });
  heap.deallocate_blocks(b, 3);
  EXPECT_TRUE(heap.is_empty());
  EXPECT_EQ(recorded.count, 5);
}

TEST_F(Hardened, QuickFitDoubleFreeOfACoalescedRangeIsDetected) {
  HardenedQuick<64, 8> heap;
  void* big = heap.allocate_blocks(20, 1);
  heap.deallocate_blocks(big, 20);  // coalesced into the free list at once
  expect_reported(heap, Misuse::double_free, [&] { heap.deallocate_blocks(big, 2); });
  expect_reported(heap, Misuse::double_free, [&] { heap.deallocate_blocks(big, 20); });
}

// A use-after-free write into a waiting allocation's header is found when
// the entry is popped, and when the quick lists are flushed.
TEST_F(Hardened, QuickFitCorruptEntryIsDetectedOnPopAndFlush) {
  HardenedQuick<16, 8> heap;
  void* a = heap.allocate_blocks(2, 1);
  heap.deallocate_blocks(a, 2);
  auto* header = static_cast<std::uint16_t*>(a);
  const std::uint16_t saved[2] = {header[0], header[1]};
  header[1] = 0;  // the entry's count, zeroed
  ASSERT_FALSE(heap.check_invariants());
  expect_reported(heap, Misuse::corrupt_free_list,
                  [&] { EXPECT_EQ(heap.allocate_blocks(2, 1), nullptr); });
  header[1] = saved[1];
  header[0] = 500;  // a link out of range
  expect_reported(heap, Misuse::corrupt_free_list,
                  [&] { EXPECT_EQ(heap.allocate_blocks(2, 1), nullptr); });
  header[0] = saved[0];
  EXPECT_TRUE(heap.check_invariants());
  EXPECT_EQ(heap.allocate_blocks(2, 1), a);  // repaired: served again
}

TEST_F(Hardened, QuickFitValidUseIsNeverReported) {
  HardenedQuick<1024, 8> heap;  // 40 allocations of at most 20 blocks always fit
  void* p[40];
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 40; ++i) {
      p[i] = heap.allocate_blocks(1 + (i * 7 + round) % 20, 1);
      ASSERT_NE(p[i], nullptr);
    }
    for (int i = 0; i < 40; i += 2) heap.deallocate_blocks(p[i], 1 + (i * 7 + round) % 20);
    for (int i = 1; i < 40; i += 2) heap.deallocate_blocks(p[i], 1 + (i * 7 + round) % 20);
    ASSERT_TRUE(valid(heap));
  }
  EXPECT_TRUE(heap.is_empty());
  EXPECT_EQ(recorded.count, 0);
}

// ---- allocation boundaries (Hardened: the end bitmap) ----------------------

unsigned char* block(void* p, std::size_t k, std::size_t b) {
  return static_cast<unsigned char*>(p) + k * b;
}

TEST_F(Hardened, AnInteriorPointerIsDetectedOnFreeGrowAndShrink) {
  HardenedQuick<64, 8> heap;
  void* a = heap.allocate_blocks(4, 1);  // [0, 4)
  void* b = heap.allocate_blocks(2, 1);  // [4, 6)
  unsigned char* inside = block(a, 2, 8);
  // Without boundaries the last call freed [2, 4) of a live allocation.
  expect_reported(heap, Misuse::interior_pointer, [&] { heap.deallocate_blocks(inside, 2); });
  EXPECT_EQ(recorded.pointer, inside);
  expect_reported(heap, Misuse::interior_pointer, [&] { heap.deallocate(inside, 9, 8); });
  expect_reported(heap, Misuse::interior_pointer,
                  [&] { EXPECT_FALSE(heap.grow_in_place(inside, 2, 3)); });
  expect_reported(heap, Misuse::interior_pointer,
                  [&] { EXPECT_EQ(heap.shrink(inside, 16, 8, 8), nullptr); });
  expect_reported(heap, Misuse::interior_pointer,
                  [&] { heap.deallocate_blocks(block(a, 3, 8), 3); });  // into b too
  heap.deallocate_blocks(a, 4);
  heap.deallocate_blocks(b, 2);
  EXPECT_TRUE(heap.is_empty());
}

TEST_F(Hardened, ASizeTooSmallIsDetected) {
  HardenedQuick<64, 8> heap;
  void* a = heap.allocate_blocks(4, 1);
  void* big = heap.allocate_blocks(30, 1);
  // Without boundaries: a's tail, or big's last 10 blocks, would leak.
  expect_reported(heap, Misuse::wrong_size, [&] { heap.deallocate_blocks(a, 2); });
  expect_reported(heap, Misuse::wrong_size, [&] { heap.deallocate(a, 3 * 8, 8); });
  expect_reported(heap, Misuse::wrong_size, [&] { heap.deallocate_blocks(big, 20); });
  expect_reported(heap, Misuse::wrong_size, [&] { heap.shrink_in_place(big, 20, 10); });
  expect_reported(heap, Misuse::wrong_size, [&] { EXPECT_EQ(heap.grow_up_to(a, 3, 8), 3U); });
  heap.deallocate_blocks(a, 4);
  heap.deallocate_blocks(big, 30);
  EXPECT_TRUE(heap.is_empty());
}

TEST_F(Hardened, ASizeTooLargeIsDetected) {
  HardenedQuick<64, 8> heap;
  void* a = heap.allocate_blocks(2, 1);   // [0, 2)
  void* b = heap.allocate_blocks(2, 1);   // [2, 4): a's live neighbour
  void* c = heap.allocate_blocks(20, 1);  // [4, 24)
  // Without boundaries each call freed b (and c) with a.
  expect_reported(heap, Misuse::wrong_size, [&] { heap.deallocate_blocks(a, 4); });
  expect_reported(heap, Misuse::wrong_size, [&] { heap.deallocate(a, 17, 8); });
  expect_reported(heap, Misuse::wrong_size, [&] { heap.deallocate_blocks(a, 24); });
  expect_reported(heap, Misuse::wrong_size, [&] { EXPECT_EQ(heap.grow(a, 32, 64, 8), nullptr); });
  expect_reported(heap, Misuse::wrong_size,
                  [&] { EXPECT_EQ(heap.shrink(b, 22 * 8, 8, 8), nullptr); });
  heap.deallocate_blocks(a, 2);
  heap.deallocate_blocks(b, 2);
  heap.deallocate_blocks(c, 20);
  EXPECT_TRUE(heap.is_empty());
}

// A stale pointer whose blocks were handed out again: caught unless the
// very same range is live again.
TEST_F(Hardened, DoubleFreeAfterReuseIsDetectedWhenTheBoundariesDiffer) {
  HardenedQuick<64, 8> heap;
  void* x = heap.allocate_blocks(20, 1);  // [0, 20)
  void* y = heap.allocate_blocks(20, 1);  // [20, 40)
  heap.deallocate_blocks(x, 20);
  heap.deallocate_blocks(y, 20);          // all coalesced
  void* z = heap.allocate_blocks(40, 1);  // [0, 40): x and y again
  ASSERT_EQ(z, x);
  expect_reported(heap, Misuse::interior_pointer, [&] { heap.deallocate_blocks(y, 20); });
  expect_reported(heap, Misuse::wrong_size, [&] { heap.deallocate_blocks(x, 20); });
  heap.deallocate_blocks(z, 40);
  void* w = heap.allocate_blocks(20, 1);  // exactly x again: a free of x is legal now
  ASSERT_EQ(w, x);
  heap.deallocate_blocks(x, 20);
  EXPECT_TRUE(heap.is_empty());
  EXPECT_EQ(recorded.count, 2);
}

template <class Arena>
void zero_size_free_of_a_real_allocation(Arena& heap) {
  void* a = heap.allocate(24, 8);
  ASSERT_NE(a, nullptr);
  heap.deallocate(a, 0, 8);  // would leak a
  EXPECT_EQ(heap.grow(a, 0, 8, 8), nullptr);
  EXPECT_EQ(heap.shrink(a, 0, 0, 8), nullptr);
  heap.deallocate(heap.allocate(0, 64), 0, 64);  // the real zero-size pointer: fine
}

TEST_F(Hardened, SizeZeroForAPointerIntoTheArenaIsDetected) {
  HardenedQuick<64, 8> quick;
  zero_size_free_of_a_real_allocation(quick);
  EXPECT_EQ(recorded.count, 3);
  EXPECT_EQ(recorded.kind, Misuse::wrong_size);
  HardenedStalloc<64, 8> first_fit;
  zero_size_free_of_a_real_allocation(first_fit);
  EXPECT_EQ(recorded.count, 6);
  EXPECT_EQ(recorded.kind, Misuse::wrong_size);
}

// shrink() and grow() of a freed pointer report it and return nullptr, even
// when the sizes need no change to the list.
TEST_F(Hardened, ShrinkAndGrowOfAFreedPointerReturnNull) {
  HardenedQuick<64, 8> quick;
  void* a = quick.allocate(16, 8);
  void* keep = quick.allocate(16, 8);
  quick.deallocate(a, 16, 8);
  expect_reported(quick, Misuse::double_free,
                  [&] { EXPECT_EQ(quick.shrink(a, 16, 8, 8), nullptr); });
  expect_reported(quick, Misuse::double_free,
                  [&] { EXPECT_EQ(quick.shrink(a, 16, 16, 8), nullptr); });
  expect_reported(quick, Misuse::double_free,
                  [&] { EXPECT_EQ(quick.grow(a, 12, 16, 8), nullptr); });
  HardenedStalloc<64, 8> first_fit;
  void* f = first_fit.allocate(16, 8);
  void* g = first_fit.allocate(16, 8);
  first_fit.deallocate(f, 16, 8);
  expect_reported(first_fit, Misuse::double_free,
                  [&] { EXPECT_EQ(first_fit.shrink(f, 16, 16, 8), nullptr); });
  expect_reported(first_fit, Misuse::double_free,
                  [&] { EXPECT_EQ(first_fit.shrink(f, 16, 0, 8), nullptr); });
  expect_reported(first_fit, Misuse::double_free,
                  [&] { EXPECT_EQ(first_fit.grow(f, 12, 16, 8), nullptr); });
  (void)keep;
  (void)g;
}

// ---- use-after-free writes into free headers (encoded) ---------------------

// Changes a header's size half from plain `from` to plain `to`, whatever mask
// it is stored under (the XOR of the two leaves the mask in place): a write
// that happens to lengthen a chunk, as a stray store into freed memory can.
void rewrite_size_half(const void* header, std::uint16_t from, std::uint16_t to) {
  auto* h = static_cast<unsigned char*>(const_cast<void*>(header));
  std::uint16_t half;
  std::memcpy(&half, h + 2, 2);
  half = static_cast<std::uint16_t>(half ^ from ^ to);
  std::memcpy(h + 2, &half, 2);
}

// All-zero bytes in a freed block 0 once read as "the whole arena is free".
template <class Arena>
void zeroed_first_chunk(Arena& heap, Recorded& seen) {
  void* x = heap.allocate_blocks(20, 1);  // [0, 20)
  void* y = heap.allocate_blocks(4, 1);   // [20, 24)
  heap.deallocate_blocks(x, 20);          // chunk [0, 20) (over 16 blocks: not a quick entry)
  std::memset(x, 0, 4);
  EXPECT_FALSE(heap.check_invariants());
  const int before = seen.count;
  EXPECT_EQ(heap.allocate_blocks(30, 1), nullptr);  // would overlap y
  EXPECT_EQ(seen.count, before + 1);
  EXPECT_EQ(seen.kind, Misuse::corrupt_free_list);
  (void)y;
}

TEST_F(Hardened, AZeroedFreeChunkHeaderIsDetected) {
  HardenedQuick<64, 8> quick;
  zeroed_first_chunk(quick, recorded);
  HardenedStalloc<64, 8> first_fit;
  zeroed_first_chunk(first_fit, recorded);
}

TEST_F(Hardened, ALengthenedFreeChunkIsDetected) {
  {
    HardenedQuick<64, 8> heap;
    void* x = heap.allocate_blocks(20, 1);   // [0, 20)
    void* y = heap.allocate_blocks(20, 1);   // [20, 40), the live neighbour
    heap.deallocate_blocks(x, 20);           // chunks [0, 20) -> [40, 64)
    rewrite_size_half(x, 64 - 20, 64 - 30);  // [0, 30): still before the next chunk
    ASSERT_FALSE(heap.check_invariants());
    expect_reported(heap, Misuse::corrupt_free_list,
                    [&] { EXPECT_EQ(heap.allocate_blocks(25, 1), nullptr); });
    expect_reported(heap, Misuse::corrupt_free_list, [&] { heap.deallocate_blocks(y, 20); });
    rewrite_size_half(x, 64 - 30, 64 - 20);
    EXPECT_TRUE(valid(heap));
  }
  {
    // The last chunk (next = 0): nothing after it to compare with but the bitmaps.
    HardenedQuick<64, 8> heap;
    void* x = heap.allocate_blocks(20, 1);  // [0, 20)
    void* y = heap.allocate_blocks(44, 1);  // [20, 64)
    heap.deallocate_blocks(x, 20);          // the only chunk: [0, 20)
    for (const int len : {21, 30, 64}) {
      const auto code = static_cast<std::uint16_t>(64 - len);
      rewrite_size_half(x, 64 - 20, code);
      expect_reported(heap, Misuse::corrupt_free_list,
                      [&] { EXPECT_EQ(heap.allocate_blocks(20, 1), nullptr); });
      rewrite_size_half(x, code, 64 - 20);
    }
    EXPECT_TRUE(valid(heap));
    (void)y;
  }
}

// Plausible plain values written over a header: a chunk that says it is the
// last one, a quick entry that says it ends its list. Both once passed every
// check and silently dropped the rest of their list.
TEST_F(Hardened, PlainValuesWrittenOverHeadersAreDetected) {
  HardenedQuick<64, 8> heap;
  void* x = heap.allocate_blocks(20, 1);  // [0, 20)
  void* y = heap.allocate_blocks(20, 1);  // [20, 40)
  heap.deallocate_blocks(x, 20);          // chunks [0, 20) -> [40, 64)
  unsigned char saved[4];
  std::memcpy(saved, x, 4);
  const std::uint16_t last_chunk[2] = {0, 64 - 20};
  std::memcpy(x, last_chunk, 4);
  expect_reported(heap, Misuse::corrupt_free_list,
                  [&] { EXPECT_EQ(heap.allocate_blocks(30, 1), nullptr); });
  std::memcpy(x, saved, 4);
  void* a = heap.allocate_blocks(2, 1);
  void* b = heap.allocate_blocks(2, 1);
  ASSERT_NE(b, nullptr);
  heap.deallocate_blocks(a, 2);
  heap.deallocate_blocks(b, 2);  // list 2: b -> a
  std::memcpy(saved, b, 4);
  const std::uint16_t last_entry[2] = {0, 2};
  std::memcpy(b, last_entry, 4);
  expect_reported(heap, Misuse::corrupt_free_list,
                  [&] { EXPECT_EQ(heap.allocate_blocks(2, 1), nullptr); });
  std::memcpy(b, saved, 4);
  EXPECT_EQ(heap.allocate_blocks(2, 1), b);
  EXPECT_EQ(heap.allocate_blocks(2, 1), a);
  EXPECT_TRUE(valid(heap));
  (void)y;
}

// ---- the zero state ---------------------------------------------------------

// All-zero bytes are a valid empty hardened arena, so a static one sits in
// .bss; its first operation arms it (encodes block 0's header).
constinit HardenedQuick<1000, 8> static_quick;
constinit HardenedStalloc<1000, 8> static_first_fit;

template <class Arena>
void all_zero_until_first_use(Arena& heap) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(&heap);
  std::size_t nonzero = 0;
  for (std::size_t i = 0; i < sizeof heap; ++i) nonzero += bytes[i] != 0;
  EXPECT_EQ(nonzero, 0U);
  EXPECT_TRUE(heap.is_empty());
  EXPECT_TRUE(valid(heap));
  void* p = heap.allocate(8000, 8);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(heap.is_oom());
  EXPECT_TRUE(valid(heap));
  heap.deallocate(p, 8000, 8);
  EXPECT_TRUE(heap.is_empty());
  EXPECT_TRUE(valid(heap));
  // Armed now: a block 0 zeroed by a stray write no longer reads as free.
  void* q = heap.allocate_blocks(30, 1);
  void* r = heap.allocate_blocks(1, 1);
  ASSERT_NE(q, nullptr);
  heap.deallocate_blocks(q, 30);
  unsigned char saved[4];
  std::memcpy(saved, q, 4);
  std::memset(q, 0, 4);
  EXPECT_FALSE(heap.check_invariants());
  std::memcpy(q, saved, 4);
  EXPECT_TRUE(valid(heap));
  (void)r;
  heap.clear();
  EXPECT_TRUE(valid(heap));
  EXPECT_TRUE(heap.is_empty());
}

TEST_F(Hardened, AnAllZeroArenaIsValidAndEmpty) {
  all_zero_until_first_use(static_quick);
  all_zero_until_first_use(static_first_fit);
  EXPECT_EQ(recorded.count, 0);
}

}  // namespace
