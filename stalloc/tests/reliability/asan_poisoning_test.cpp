// AddressSanitizer knows the arena: free blocks and the rounding slack after
// each byte-API allocation are poisoned, so a use-after-free or an overflow
// that stays inside the arena is REPORTED. Only meaningful in an ASan build
// (scripts/test --sanitize); elsewhere the tests skip.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <new>

#include "stalloc/global.hpp"
#include "stalloc/program_heap.hpp"
#include "test_support.hpp"

#if defined(STALLOC_ASAN_POISONING)
#include <sanitizer/asan_interface.h>
#endif

namespace {

using stalloc::Stalloc;

#if defined(STALLOC_ASAN_POISONING)
bool poisoned(const void* p) {
  return __asan_address_is_poisoned(p) != 0;
}
const unsigned char* bytes(const void* p) {
  return static_cast<const unsigned char*>(p);
}

// A read the optimiser cannot drop.
void touch(const void* p) {
  (void)*static_cast<const volatile unsigned char*>(p);
}

void use_after_free() {
  Stalloc<64, 16> heap;
  void* p = heap.allocate(64, 16);
  void* q = heap.allocate(64, 16);
  heap.deallocate(p, 64, 16);
  touch(bytes(p) + 20);
  (void)q;
}
void overflow_into_slack() {
  Stalloc<64, 16> heap;
  auto* p = static_cast<unsigned char*>(heap.allocate(20, 16));  // 2 blocks, 32 bytes
  std::memset(p, 1, 20);                                         // fine
  touch(p + 24);                                                 // slack: reported
}

TEST(AsanPoisoning, UseAfterFreeInsideTheArenaIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(use_after_free(), "AddressSanitizer: use-after-poison");
}

TEST(AsanPoisoning, OverflowIntoTheRoundingSlackIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(overflow_into_slack(), "AddressSanitizer: use-after-poison");
}

TEST(AsanPoisoning, ExactlyTheCallersBytesAreAddressable) {
  Stalloc<64, 16> heap;
  void* p = heap.allocate(20, 16);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(poisoned(bytes(p) + i)) << i;
  for (int i = 24; i < 32; ++i) EXPECT_TRUE(poisoned(bytes(p) + i)) << "slack " << i;
  EXPECT_TRUE(poisoned(bytes(p) + 40)) << "the free chunk's body after p";
  EXPECT_FALSE(poisoned(heap.block_address(2))) << "a free chunk's header is the arena's";
}

TEST(AsanPoisoning, GrowAndShrinkMoveThePoisonLine) {
  Stalloc<64, 16> heap;
  auto* p = static_cast<unsigned char*>(heap.allocate(20, 16));
  p = static_cast<unsigned char*>(heap.grow(p, 20, 70, 16));  // in place: 5 blocks
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(poisoned(p + 69));
  EXPECT_TRUE(poisoned(p + 72));
  p[69] = 1;
  p = static_cast<unsigned char*>(heap.shrink(p, 70, 10, 16));
  EXPECT_FALSE(poisoned(p + 9));
  EXPECT_TRUE(poisoned(p + 12)) << "past the new size";
  EXPECT_FALSE(poisoned(p + 16)) << "the returned tail is a free chunk: its header";
  EXPECT_TRUE(poisoned(p + 40)) << "the returned tail's body";
  void* blocker = heap.allocate(16, 16);    // block 1
  void* q = heap.grow(p, 10, 16 * 63, 16);  // 63 blocks: 62 are free
  EXPECT_EQ(q, nullptr);
  (void)blocker;
  EXPECT_FALSE(poisoned(p + 9)) << "a failed grow leaves p addressable";
}

// QuickFit: a freed allocation waits on its quick list with only its 4-byte
// entry header addressable; popping it exposes it whole again; after the
// flush and clear() everything is poisoned again.
TEST(AsanPoisoning, QuickListEntriesArePoisonedButTheirHeader) {
  Stalloc<16, 32> heap;
  void* a = heap.allocate(64, 32);
  void* b = heap.allocate(64, 32);
  heap.deallocate(a, 64, 32);
  EXPECT_FALSE(poisoned(a)) << "the entry header";
  EXPECT_TRUE(poisoned(bytes(a) + 4));
  EXPECT_TRUE(poisoned(bytes(a) + 63));
  EXPECT_EQ(heap.allocate(64, 32), a);
  EXPECT_FALSE(poisoned(bytes(a) + 63));
  heap.deallocate(a, 64, 32);
  heap.deallocate(b, 64, 32);
  EXPECT_NE(heap.allocate(16 * 32, 32), nullptr);  // the flush coalesces both
  heap.clear();
  EXPECT_TRUE(poisoned(b));
}

// FirstFit coalesces at once: the swallowed header becomes body.
TEST(AsanPoisoning, FreeCoalescingAndClearPoisonWholeChunks) {
  stalloc::Stalloc<16, 32, stalloc::FirstFit> heap;
  void* a = heap.allocate(64, 32);
  void* b = heap.allocate(64, 32);
  void* c = heap.allocate(64, 32);
  heap.deallocate(b, 64, 32);
  heap.deallocate(a, 64, 32);  // merges forward: b's header becomes body
  EXPECT_FALSE(poisoned(a));
  EXPECT_TRUE(poisoned(b)) << "a swallowed chunk header is poisoned";
  EXPECT_TRUE(poisoned(bytes(a) + 100));
  EXPECT_FALSE(poisoned(c));
  heap.clear();
  EXPECT_TRUE(poisoned(c));
  EXPECT_FALSE(poisoned(heap.block_address(0)));
}

TEST(AsanPoisoning, BlockApiHandsOutWholeBlocks) {
  Stalloc<16, 32> heap;
  void* p = heap.allocate_blocks(2, 1);
  EXPECT_FALSE(poisoned(bytes(p) + 63));
  EXPECT_TRUE(poisoned(bytes(p) + 64 + 8));
  EXPECT_EQ(heap.grow_up_to(p, 2, 3), 3U);
  EXPECT_FALSE(poisoned(bytes(p) + 95));
  heap.shrink_in_place(p, 3, 1);
  EXPECT_TRUE(poisoned(bytes(p) + 40));
}

// The arena of the global replacement (SizedStalloc) allocates through the
// byte API, so operator new(5) leaves the rest of its block poisoned like
// Stalloc::allocate(5, ...) does: a 1-byte overflow is reported. (Through
// the block API the whole block would be addressable and it would not be.)
TEST(AsanPoisoning, SizedStallocPoisonsTheSlackAfterFiveBytes) {
  auto heap = std::make_unique<stalloc::SizedStalloc<64, 16>>();
  void* p = heap->allocate(5, stalloc::detail::natural_alignment(5));
  ASSERT_NE(p, nullptr);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(poisoned(bytes(p) + i)) << i;
  for (int i = 5; i < 16; ++i) EXPECT_TRUE(poisoned(bytes(p) + i)) << "slack " << i;
  heap->deallocate_unsized(p, stalloc::detail::kDefaultNewAlign);
  EXPECT_TRUE(poisoned(bytes(p) + 4)) << "freed";
}

// The same through the path operator new takes (global_new with the natural
// alignment), on the recommended whole-program heap's arena type:
// SizeLimited -> Synchronized -> SizedStalloc<65535, 16, ChainedQuickFit>.
// The real operator new is tested in global_new_asan_program.cpp.
TEST(AsanPoisoning, GlobalArenaPoisonsTheSlackAfterNewFive) {
  auto heap = std::make_unique<stalloc::global_arena_t<stalloc::ProgramHeap>>();
  void* p = stalloc::detail::global_new(*heap, 5, stalloc::detail::natural_alignment(5));
  ASSERT_TRUE(heap->first().owns(p)) << "served by the first arena, not malloc";
  EXPECT_FALSE(poisoned(bytes(p) + 4));
  EXPECT_TRUE(poisoned(bytes(p) + 5)) << "the byte after the 5";
  stalloc::detail::global_delete_unsized(*heap, p, stalloc::detail::kDefaultNewAlign);
}

TEST(AsanPoisoning, TheArenasMemoryIsCleanAfterItsDestructor) {
  using Arena = Stalloc<32, 16>;
  auto buffer = std::make_unique<unsigned char[]>(sizeof(Arena) + 16);
  void* raw = buffer.get();
  std::size_t space = sizeof(Arena) + 16;
  raw = std::align(alignof(Arena), sizeof(Arena), raw, space);
  auto* heap = new (raw) Arena();
  void* p = heap->allocate(40, 16);
  heap->deallocate(p, 40, 16);
  heap->~Arena();
  std::memset(raw, 0, sizeof(Arena));  // reusing the memory must not be reported
  EXPECT_FALSE(poisoned(static_cast<unsigned char*>(raw) + 100));
}

#else

TEST(AsanPoisoning, OnlyInAsanBuilds) {
  GTEST_SKIP() << "not an AddressSanitizer build; run scripts/test --sanitize";
}

#endif

}  // namespace
