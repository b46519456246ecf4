// Construction and footprint: exact sizes, constinit statics, and a local
// arena touching only its headers (never the L*B bytes of blocks).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

#include "test_support.hpp"

namespace {

// These tests pin the crate's exact first-fit placement and footprint, so they
// run on the FirstFit policy; QuickFit (the default) has quick_fit_test.cpp and
// the differential test.
template <std::size_t L, std::size_t B>
using Stalloc = stalloc::Stalloc<L, B, stalloc::FirstFit>;

// Footprint: L*B + 4, rounded up to the alignment B.
static_assert(sizeof(Stalloc<1, 4>) == 8);
static_assert(sizeof(Stalloc<8, 4>) == 36);
static_assert(sizeof(Stalloc<1000, 4>) == 4004);
static_assert(sizeof(Stalloc<65535, 4>) == 65535 * 4 + 4);
static_assert(sizeof(Stalloc<10, 8>) == 88);
static_assert(sizeof(Stalloc<3, 16>) == 64);
static_assert(sizeof(Stalloc<2, 4096>) == 3 * 4096);
static_assert(alignof(Stalloc<1, 4>) == 4);
static_assert(alignof(Stalloc<1, 64>) == 64);
static_assert(alignof(Stalloc<1, 4096>) == 4096);
static_assert(Stalloc<100, 8>::capacity == 800);
static_assert(Stalloc<100, 8>::block_count == 100 && Stalloc<100, 8>::block_size == 8);
static_assert(!std::is_copy_constructible_v<Stalloc<4, 4>>);
static_assert(!std::is_copy_assignable_v<Stalloc<4, 4>>);
static_assert(std::is_nothrow_default_constructible_v<Stalloc<4, 4>>);

// constinit: constant-initialised, before any dynamic initialiser runs.
constinit Stalloc<1000, 4> static_heap;
constinit Stalloc<16, 64> static_heap_wide;

TEST(Construction, ConstinitStaticIsAnEmptyArena) {
  EXPECT_TRUE(static_heap.is_empty());
  EXPECT_TRUE(static_heap.check_invariants());
  void* p = static_heap.allocate(4000, 4);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(static_heap.is_oom());
  static_heap.deallocate(p, 4000, 4);
  EXPECT_TRUE(static_heap_wide.is_empty());
}

// Build the arena over memory full of a pattern: only block 0's 4-byte header
// and the 4-byte base header may change.
template <std::size_t L, std::size_t B>
void expect_only_headers_written() {
  using Arena = Stalloc<L, B>;
  constexpr unsigned char kPattern = 0xA7;
  auto buffer = std::make_unique<unsigned char[]>(sizeof(Arena) + alignof(Arena));
  void* raw = buffer.get();
  std::size_t space = sizeof(Arena) + alignof(Arena);
  raw = std::align(alignof(Arena), sizeof(Arena), raw, space);
  ASSERT_NE(raw, nullptr);
  auto* bytes = static_cast<unsigned char*>(raw);
  stalloc_test::fill_pattern(bytes, sizeof(Arena), kPattern);
  auto* heap = stalloc_test::construct_at<Arena>(raw);
  asm volatile("" : : "r"(bytes) : "memory");
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(bytes[i], 0) << "block 0 header byte " << i;
  std::size_t changed = 0;
  for (std::size_t i = 4; i < L * B; ++i) changed += bytes[i] != kPattern;
  EXPECT_EQ(changed, 0U) << "block bytes written by the constructor";
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(bytes[L * B + i], 0) << "base header byte " << i;
  EXPECT_TRUE(heap->is_empty());
  EXPECT_TRUE(heap->check_invariants());
  heap->~Arena();
}

TEST(Construction, LocalArenaTouchesOnlyItsHeaders) {
  expect_only_headers_written<1, 4>();
  expect_only_headers_written<8, 4>();
  expect_only_headers_written<1000, 16>();
  expect_only_headers_written<65535, 4>();
  expect_only_headers_written<4, 4096>();
}

TEST(Construction, ClearWritesOnlyHeadersToo) {
  using Arena = Stalloc<64, 8>;
  auto heap = std::make_unique<Arena>();
  void* p = heap->allocate(64 * 8, 8);
  std::memset(p, 0x5C, 64 * 8);
  heap->clear();
  const auto* bytes = static_cast<const unsigned char*>(heap->block_address(0));
  // Only block 0's header is rewritten. (Under ASan the rest is poisoned, so
  // this look is for ordinary builds.)
#if !defined(STALLOC_ASAN_POISONING)
  for (std::size_t i = 4; i < 64 * 8; ++i) ASSERT_EQ(bytes[i], 0x5C) << i;
#endif
  EXPECT_EQ(bytes[0] | bytes[1] | bytes[2] | bytes[3], 0);
  EXPECT_TRUE(heap->is_empty());
}

#if !defined(STALLOC_ASAN_POISONING)
static_assert(std::is_trivially_destructible_v<Stalloc<4, 4>>,
              "outside ASan builds the arena needs no destructor");
#endif

}  // namespace
