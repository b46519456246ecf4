// QuickFit, the default policy: quick lists for 1..64 blocks in front of an
// indexed first fit (stalloc/quick_lists.hpp). Its exact answers on random
// operation streams are the differential test's job; these pin the rules one
// at a time, the footprint, and what check_invariants() catches.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "stalloc/stalloc.hpp"

namespace {

constexpr std::size_t round_up(std::size_t n, std::size_t to) {
  return (n + to - 1) / to * to;
}

// The stated footprint: blocks, the 4-byte header, the ChunkIndex
// (10 bytes per 64 and per 4096 blocks plus 5, 8-byte aligned; the quick
// lists start in its tail padding, at 4-byte alignment), the 32-bit live
// count and the 64 quick-list heads (4 + 2 * 64 bytes), the whole rounded to
// max(B, 8).
// ChainedQuickFit has 16 lists, and adds 6 bytes: the 32-bit count of blocks
// freed since its last coalescing and the 16-bit free blocks of its last
// barren one.
template <std::size_t L, std::size_t B, std::size_t counts = 0, std::size_t lists = 64>
constexpr std::size_t quick_fit_size() {
  const std::size_t index = round_up(10 * ((L + 63) / 64) + 10 * ((L + 4095) / 4096) + 5, 4);
  return round_up(round_up(L * B + 4, 8) + index + 4 + 2 * lists + counts, B > 8 ? B : 8);
}
static_assert(sizeof(stalloc::Stalloc<8, 4>) == quick_fit_size<8, 4>());
static_assert(sizeof(stalloc::Stalloc<8, 4>) == 200);
static_assert(sizeof(stalloc::Stalloc<1000, 4>) == quick_fit_size<1000, 4>());
static_assert(sizeof(stalloc::Stalloc<8192, 8>) == quick_fit_size<8192, 8>());
static_assert(sizeof(stalloc::Stalloc<8192, 8>) - 8192 * 8 == 1448);
static_assert(sizeof(stalloc::Stalloc<65535, 16>) == quick_fit_size<65535, 16>());
static_assert(sizeof(stalloc::Stalloc<65535, 32>) == quick_fit_size<65535, 32>());
static_assert(sizeof(stalloc::Stalloc<65535, 16>) - 65535 * 16 == 10560);

template <std::size_t L, std::size_t B>
using Arena = stalloc::Stalloc<L, B>;

std::vector<std::pair<std::size_t, std::size_t>> quick_entries(const auto& arena) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  arena.for_each_quick_entry([&](std::size_t s, std::size_t k) { out.emplace_back(s, k); });
  return out;
}

TEST(QuickFit, FreedAllocationIsReusedLastInFirstOut) {
  Arena<64, 8> a;
  void* x = a.allocate_blocks(2, 1);
  void* y = a.allocate_blocks(2, 1);
  void* z = a.allocate_blocks(3, 1);
  a.deallocate_blocks(x, 2);
  a.deallocate_blocks(y, 2);
  a.deallocate_blocks(z, 3);
  ASSERT_TRUE(a.check_invariants());
  EXPECT_EQ(quick_entries(a),
            (std::vector<std::pair<std::size_t, std::size_t>>{{2, 2}, {0, 2}, {4, 3}}));
  EXPECT_EQ(a.allocate_blocks(2, 1), y);  // most recent of list 2 first
  EXPECT_EQ(a.allocate_blocks(2, 1), x);
  EXPECT_EQ(a.allocate_blocks(3, 1), z);
  EXPECT_TRUE(quick_entries(a).empty());
  EXPECT_TRUE(a.check_invariants());
}

TEST(QuickFit, OtherSizesDoNotTakeAQuickEntry) {
  Arena<64, 8> a;
  void* x = a.allocate_blocks(2, 1);
  a.deallocate_blocks(x, 2);
  // One block: list 1 is empty, so first fit in the free list, past x.
  void* one = a.allocate_blocks(1, 1);
  EXPECT_EQ(a.block_index(one), 2u);
  EXPECT_EQ(quick_entries(a).size(), 1u);
  EXPECT_TRUE(a.check_invariants());
}

TEST(QuickFit, LargeAllocationsCoalesceAtOnce) {
  Arena<128, 8> a;
  static_assert(stalloc::QuickFit::quick_lists == 64);
  void* big = a.allocate_blocks(65, 1);
  a.deallocate_blocks(big, 65);
  EXPECT_TRUE(quick_entries(a).empty());
  EXPECT_EQ(a.stats().free_chunks, 1u);
  EXPECT_TRUE(a.is_empty());
}

TEST(QuickFit, FullFreeListFlushesQuickListsAndRetries) {
  Arena<16, 8> a;
  std::vector<void*> ones;
  for (int i = 0; i < 16; ++i) ones.push_back(a.allocate_blocks(1, 1));
  EXPECT_TRUE(a.is_oom());
  for (void* p : ones) a.deallocate_blocks(p, 1);
  // Every block waits on list 1; the free list itself is empty.
  EXPECT_FALSE(a.is_oom());
  EXPECT_TRUE(a.is_empty());
  EXPECT_EQ(a.stats().quick_blocks, 16u);
  EXPECT_EQ(a.stats().free_chunks, 0u);
  // 16 blocks at once: only after coalescing the quick lists.
  void* all = a.allocate_blocks(16, 1);
  ASSERT_NE(all, nullptr);
  EXPECT_EQ(a.block_index(all), 0u);
  EXPECT_TRUE(quick_entries(a).empty());
  EXPECT_TRUE(a.is_oom());
  EXPECT_TRUE(a.check_invariants());
  a.deallocate_blocks(all, 16);
  EXPECT_TRUE(a.is_empty());
}

// ChainedQuickFit: the same, except that a failed request coalesces the
// quick lists only once flush_threshold (64) blocks, and three quarters of
// the free blocks, were freed since the last coalescing (and, after a
// barren one, the free blocks doubled or L blocks were freed), and that it
// sorts short free chunks onto the quick lists (quick_lists.hpp, "Sorted
// small chunks").
static_assert(stalloc::ChainedQuickFit::flush_threshold == 64);
static_assert(stalloc::ChainedQuickFit::sorts_small_chunks);
static_assert(!stalloc::QuickFit::sorts_small_chunks);
// ChainedQuickFit adds the 6 bytes its coalescing rule compares.
static_assert(sizeof(stalloc::Stalloc<65535, 16, stalloc::ChainedQuickFit>) ==
              quick_fit_size<65535, 16, 6, 16>());
static_assert(sizeof(stalloc::Stalloc<65535, 256, stalloc::ChainedQuickFit>) ==
              quick_fit_size<65535, 256, 6, 16>());
static_assert(sizeof(stalloc::Stalloc<8, 4, stalloc::ChainedQuickFit>) ==
              quick_fit_size<8, 4, 6, 16>());
static_assert(sizeof(stalloc::Stalloc<1000, 4, stalloc::ChainedQuickFit>) ==
              quick_fit_size<1000, 4, 6, 16>());
// One where those bytes show through the rounding (without them, 336).
static_assert(sizeof(stalloc::Stalloc<65, 4, stalloc::ChainedQuickFit>) ==
              quick_fit_size<65, 4, 6, 16>());
static_assert(sizeof(stalloc::Stalloc<65, 4, stalloc::ChainedQuickFit>) == 344);
static_assert(sizeof(stalloc::Stalloc<65535, 16, stalloc::ChainedQuickFit>) - 65535 * 16 == 10464);

TEST(ChainedQuickFit, RefusesUntilEnoughBlocksWereFreedThenCoalesces) {
  stalloc::Stalloc<128, 8, stalloc::ChainedQuickFit> a;
  std::vector<void*> ones;
  for (int i = 0; i < 128; ++i) ones.push_back(a.allocate_blocks(1, 1));
  EXPECT_TRUE(a.is_oom());
  for (int i = 0; i < 63; ++i) a.deallocate_blocks(ones[i], 1);
  EXPECT_EQ(a.stats().quick_blocks, 63u);
  // Two blocks would fit after coalescing, but only 63 were freed: refused,
  // and nothing changed.
  EXPECT_EQ(a.allocate_blocks(2, 1), nullptr);
  EXPECT_EQ(a.stats().quick_blocks, 63u);
  EXPECT_TRUE(a.check_invariants());
  // A one-block request still pops its quick list. Popping does not lower
  // the count (the blocks were freed), so the next free makes it 64.
  void* one = a.allocate_blocks(1, 1);
  EXPECT_EQ(one, ones[62]);
  EXPECT_EQ(a.allocate_blocks(2, 1), nullptr);
  a.deallocate_blocks(one, 1);
  void* two = a.allocate_blocks(2, 1);
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(a.block_index(two), 0u);  // coalesced, then the first chunk
  EXPECT_EQ(a.stats().quick_blocks, 0u);
  EXPECT_TRUE(a.check_invariants());
}

// The second bar of ChainedQuickFit's rule: the blocks freed since the
// last coalescing must also reach three quarters of the free blocks (F -
// floor(F / 4)), so that a nearly
// full arena with a large, already coalesced free pool does not coalesce it
// all again for every 64 blocks freed.
TEST(ChainedQuickFit, CoalescesOnlyOnceThreeQuartersOfTheFreeBlocksWereFreedSinceTheLastTime) {
  stalloc::Stalloc<1024, 8, stalloc::ChainedQuickFit> a;
  std::vector<void*> ones;
  for (int i = 0; i < 1024; ++i) ones.push_back(a.allocate_blocks(1, 1));
  for (int i = 0; i < 300; ++i) a.deallocate_blocks(ones[i], 1);
  // 300 freed, 300 free (the bar 300 - 75 = 225): coalesced into [0, 300),
  // then 200 taken.
  void* first = a.allocate_blocks(200, 1);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(a.block_index(first), 0u);
  EXPECT_EQ(a.stats().free_chunks, 1u);  // [200, 300), 100 blocks
  // 299 more freed next to it: 399 free, and coalescing would give a run of
  // 399, but 299 is below 399 - floor(399 / 4) = 300: refused, nothing
  // changed.
  for (int i = 300; i < 599; ++i) a.deallocate_blocks(ones[i], 1);
  EXPECT_EQ(a.allocate_blocks(301, 1), nullptr);
  EXPECT_EQ(a.stats().quick_blocks, 299u);
  EXPECT_TRUE(a.check_invariants());
  // One more: 300 of 400 free, and 400 - 100 = 300: coalesced and served.
  a.deallocate_blocks(ones[599], 1);
  void* big = a.allocate_blocks(301, 1);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(a.block_index(big), 200u);
  EXPECT_EQ(a.stats().quick_blocks, 0u);
  EXPECT_TRUE(a.check_invariants());
}

// The third part of ChainedQuickFit's rule: after a barren coalescing (one
// that joined fewer than a quarter of the pieces it visited to a neighbour)
// the next waits until the free blocks have doubled, or until a whole
// arena's worth of blocks (L) was freed since, so that a full arena whose
// free blocks lie scattered among live ones is not walked again and again
// for the few merges it yields.
namespace {
// 1024 live single blocks, every fourth one (0, 4, ..., 1020) freed, and a
// request of two blocks that coalesces them: 256 pieces, no merge, barren
// with 256 free blocks. Returns the singles (ones[i] at block i).
template <class Arena>
std::vector<void*> after_a_barren_coalescing(Arena& a) {
  std::vector<void*> ones;
  for (int i = 0; i < 1024; ++i) ones.push_back(a.allocate_blocks(1, 1));
  for (int i = 0; i < 1024; i += 4) a.deallocate_blocks(ones[i], 1);
  EXPECT_EQ(a.allocate_blocks(2, 1), nullptr);  // coalesced: nothing to join
  EXPECT_EQ(a.stats().quick_blocks, 256u);      // all back on list 1
  EXPECT_TRUE(a.check_invariants());
  return ones;
}
// Takes n single blocks off list 1 and frees them again: n blocks freed,
// nothing else changed.
template <class Arena>
void reuse(Arena& a, int n) {
  std::vector<void*> taken;
  for (int i = 0; i < n; ++i) taken.push_back(a.allocate_blocks(1, 1));
  for (void* p : taken) {
    ASSERT_NE(p, nullptr);
    a.deallocate_blocks(p, 1);
  }
}
}  // namespace

TEST(ChainedQuickFit, AfterABarrenCoalescingWaitsUntilTheFreeBlocksDoubled) {
  stalloc::Stalloc<1024, 8, stalloc::ChainedQuickFit> a;
  std::vector<void*> ones = after_a_barren_coalescing(a);
  reuse(a, 200);
  // Blocks 1, 5, ..., 1017 freed: each joins the block before it. 511 free
  // blocks and 455 freed since, above the bar (511 - 127 = 384), so the
  // earlier rule would coalesce; but 511 is below twice 256: refused.
  for (int i = 1; i < 1021; i += 4) a.deallocate_blocks(ones[i], 1);
  EXPECT_EQ(a.allocate_blocks(2, 1), nullptr);
  EXPECT_EQ(a.stats().quick_blocks, 511u);
  EXPECT_TRUE(a.check_invariants());
  // Block 1021 makes 512: coalesced into 256 pairs (not barren), which go
  // on list 2, the highest on top.
  a.deallocate_blocks(ones[1021], 1);
  void* two = a.allocate_blocks(2, 1);
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(a.block_index(two), 1020u);
  EXPECT_EQ(a.stats().quick_blocks, 510u);
  EXPECT_TRUE(a.check_invariants());
}

TEST(ChainedQuickFit, AfterABarrenCoalescingAnArenasWorthOfFreesEndsTheWait) {
  stalloc::Stalloc<1024, 8, stalloc::ChainedQuickFit> a;
  std::vector<void*> ones = after_a_barren_coalescing(a);
  reuse(a, 256);
  reuse(a, 256);
  reuse(a, 256);
  reuse(a, 254);
  // Block 1 joins block 0: 257 free, 1023 freed since the barren coalescing,
  // one short of the arena's 1024 blocks: refused.
  a.deallocate_blocks(ones[1], 1);
  EXPECT_EQ(a.allocate_blocks(2, 1), nullptr);
  EXPECT_TRUE(a.check_invariants());
  // Block 1 (the top of list 1) taken and freed again: 1024 freed. Coalesced:
  // [0, 2) goes on list 2.
  reuse(a, 1);
  void* two = a.allocate_blocks(2, 1);
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(a.block_index(two), 0u);
  EXPECT_EQ(a.stats().quick_blocks, 255u);
  EXPECT_TRUE(a.check_invariants());
}

TEST(ChainedQuickFit, SortsShortChunksOntoQuickListsAndSplitsEntries) {
  stalloc::Stalloc<128, 8, stalloc::ChainedQuickFit> a;
  std::vector<void*> ones;
  for (int i = 0; i < 128; ++i) ones.push_back(a.allocate_blocks(1, 1));
  // 64 blocks freed: runs [0, 3), [10, 30), [40, 80) and [100, 101).
  auto free_run = [&](int from, int to) {
    for (int i = from; i < to; ++i) a.deallocate_blocks(ones[i], 1);
  };
  free_run(0, 3);
  free_run(10, 30);
  free_run(40, 80);
  free_run(100, 101);
  // 25 blocks: no list, no free chunk: coalesce. The short runs go onto
  // their lists; first fit takes [40, 65) and parks the 15 blocks after it.
  void* big = a.allocate_blocks(25, 1);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(a.block_index(big), 40u);
  auto sorted = [&] {
    auto q = quick_entries(a);
    std::sort(q.begin(), q.end());
    return q;
  };
  using Entries = std::vector<std::pair<std::size_t, std::size_t>>;
  EXPECT_EQ(sorted(), (Entries{{0, 3}, {65, 15}, {100, 1}}));
  EXPECT_EQ(a.stats().free_chunks, 1u);  // [10, 30)
  EXPECT_TRUE(a.check_invariants());
  // 17 blocks from the first chunk, [10, 30): the 3 left go on list 3.
  void* mid = a.allocate_blocks(17, 1);
  EXPECT_EQ(a.block_index(mid), 10u);
  EXPECT_EQ(sorted(), (Entries{{0, 3}, {27, 3}, {65, 15}, {100, 1}}));
  EXPECT_EQ(a.stats().free_chunks, 0u);
  // 2 blocks: list 2 is empty and no chunk is free: the top of list 3 (the
  // most recent, block 27) is split, its last block going to list 1.
  void* two = a.allocate_blocks(2, 1);
  EXPECT_EQ(a.block_index(two), 27u);
  EXPECT_EQ(sorted(), (Entries{{0, 3}, {29, 1}, {65, 15}, {100, 1}}));
  // 1 block: the top of list 1, the split's rest.
  EXPECT_EQ(a.block_index(a.allocate_blocks(1, 1)), 29u);
  // 16 blocks: nothing as large is free, and no block was freed since the
  // coalescing: refused, nothing changed.
  EXPECT_EQ(a.allocate_blocks(16, 1), nullptr);
  EXPECT_EQ(sorted(), (Entries{{0, 3}, {65, 15}, {100, 1}}));
  EXPECT_TRUE(a.check_invariants());
}

TEST(QuickFit, FailsOnlyWhenTheCoalescedHeapHasNoRoom) {
  Arena<16, 8> a;
  void* x = a.allocate_blocks(8, 1);
  void* y = a.allocate_blocks(8, 1);
  a.deallocate_blocks(x, 8);
  EXPECT_EQ(a.allocate_blocks(9, 1), nullptr);  // 8 free after the flush: still no room
  EXPECT_TRUE(quick_entries(a).empty());        // the flush happened
  EXPECT_EQ(a.stats().largest_free_chunk, 8u);
  EXPECT_TRUE(a.check_invariants());
  a.deallocate_blocks(y, 8);
  EXPECT_NE(a.allocate_blocks(16, 1), nullptr);
}

// The index of the first block of `a` whose address is a multiple of `bytes`.
std::size_t first_aligned_block(auto& a, std::size_t bytes) {
  void* probe = a.allocate_blocks(1, 1);
  const auto base = reinterpret_cast<std::uintptr_t>(probe) - a.block_index(probe) * 8;
  a.deallocate_blocks(probe, 1);
  a.clear();
  return ((bytes - base % bytes) % bytes) / 8;
}

TEST(QuickFit, AlignedRequestTakesTheTopEntryOnlyWhenItIsAligned) {
  Arena<64, 8> a;
  const std::size_t k0 = first_aligned_block(a, 32);  // blocks k0, k0 + 4, ... are 32-aligned
  std::vector<void*> x;
  for (int i = 0; i < 8; ++i) x.push_back(a.allocate_blocks(1, 1));
  a.deallocate_blocks(x[k0], 1);
  EXPECT_EQ(a.allocate_blocks(1, 4), x[k0]);  // the top of list 1 is aligned: popped
  EXPECT_TRUE(quick_entries(a).empty());
  a.deallocate_blocks(x[k0 + 1], 1);
  void* aligned = a.allocate_blocks(1, 4);  // the top is not: first fit
  ASSERT_NE(aligned, nullptr);
  EXPECT_NE(aligned, x[k0 + 1]);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(aligned) % 32, 0u);
  const auto entries = quick_entries(a);  // (it may also hold the padding of that fit)
  EXPECT_NE(
      std::find(entries.begin(), entries.end(), std::pair<std::size_t, std::size_t>{k0 + 1, 1}),
      entries.end());
  EXPECT_TRUE(a.check_invariants());
}

TEST(QuickFit, AlignmentPaddingWaitsOnAQuickList) {
  Arena<64, 8> a;
  const std::size_t k0 = first_aligned_block(a, 32);
  for (std::size_t i = 0; i <= k0; ++i) ASSERT_NE(a.allocate_blocks(1, 1), nullptr);
  // The first chunk starts at k0 + 1; the next 32-aligned block is k0 + 4.
  void* aligned = a.allocate_blocks(2, 4);
  ASSERT_NE(aligned, nullptr);
  EXPECT_EQ(a.block_index(aligned), k0 + 4);
  // The 3 blocks skipped for alignment wait on list 3, not in the free list,
  // whose first chunk is the untouched tail again.
  EXPECT_EQ(quick_entries(a), (std::vector<std::pair<std::size_t, std::size_t>>{{k0 + 1, 3}}));
  EXPECT_EQ(a.stats().free_chunks, 1u);
  EXPECT_TRUE(a.check_invariants());
  EXPECT_EQ(a.block_index(a.allocate_blocks(1, 1)), k0 + 6);
  EXPECT_EQ(a.block_index(a.allocate_blocks(3, 1)), k0 + 1);  // the padding, reused
  EXPECT_TRUE(quick_entries(a).empty());
  EXPECT_TRUE(a.check_invariants());
}

TEST(QuickFit, QuickEntriesAreNotUsedForInPlaceGrowth) {
  Arena<64, 8> a;
  void* x = a.allocate_blocks(2, 1);
  void* y = a.allocate_blocks(2, 1);
  a.deallocate_blocks(y, 2);  // waits on list 2, still "used" by the free list
  EXPECT_FALSE(a.grow_in_place(x, 2, 4));
  EXPECT_EQ(a.grow_up_to(x, 2, 40), 2u);
  // A shrink's tail coalesces at once, so growing back succeeds.
  void* z = a.allocate_blocks(8, 1);
  a.shrink_in_place(z, 8, 3);
  EXPECT_TRUE(a.grow_in_place(z, 3, 8));
  EXPECT_TRUE(a.check_invariants());
}

TEST(QuickFit, ByteApiRoundsToBlocksAndReusesByBlockCount) {
  Arena<64, 8> a;
  void* x = a.allocate(13, 8);  // two blocks
  a.deallocate(x, 13, 8);
  EXPECT_EQ(a.allocate(16, 8), x);  // also two blocks
}

TEST(QuickFit, ClearForgetsQuickLists) {
  Arena<32, 8> a;
  for (int i = 0; i < 5; ++i) a.deallocate_blocks(a.allocate_blocks(1 + i, 1), 1 + i);
  ASSERT_NE(a.allocate_blocks(3, 1), nullptr);
  a.clear();
  EXPECT_TRUE(a.is_empty());
  EXPECT_TRUE(quick_entries(a).empty());
  EXPECT_EQ(a.stats().free_blocks, 32u);
  EXPECT_TRUE(a.check_invariants());
}

TEST(QuickFit, ConstinitStaticStartsEmpty) {
  constinit static Arena<1000, 4> heap;
  EXPECT_TRUE(heap.is_empty());
  EXPECT_TRUE(heap.check_invariants());
  void* p = heap.allocate(24, 4);
  heap.deallocate(p, 24, 4);
  EXPECT_TRUE(heap.is_empty());
}

// Many live objects and random frees: every call stays exact (the invariants
// hold), and the quick lists absorb the frees.
TEST(QuickFit, RandomFreesOverALargeLiveSet) {
  static Arena<65535, 32> a;
  a.clear();
  std::uint64_t s = 12345;
  auto next = [&](std::uint64_t n) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (s >> 33) % n;
  };
  std::vector<std::pair<void*, std::size_t>> live;
  for (int i = 0; i < 16384; ++i) {
    const std::size_t n = 1 + next(4);
    live.emplace_back(a.allocate_blocks(n, 1), n);
    ASSERT_NE(live.back().first, nullptr);
  }
  for (int i = 0; i < 200000; ++i) {
    const std::size_t j = next(live.size());
    a.deallocate_blocks(live[j].first, live[j].second);
    const std::size_t n = 1 + next(4);
    live[j] = {a.allocate_blocks(n, 1), n};
    ASSERT_NE(live[j].first, nullptr);
  }
  ASSERT_TRUE(a.check_invariants());
  for (auto [p, n] : live) a.deallocate_blocks(p, n);
  EXPECT_TRUE(a.is_empty());
  EXPECT_TRUE(a.check_invariants());
}

// Fragmentation (issue 13 target 9): a live set grown by random allocations
// of 1..k blocks with one random free in three, until the first request
// fails. The fill level then must not be lower than the crate's first fit
// on the same request stream. Mean of 5 seeds, FirstFit -> QuickFit with 64
// quick lists (16 lists in brackets): k=4 0.992 -> 1.000, k=8 0.981 ->
// 0.9995, k=16 0.973 -> 0.999, k=64 0.960 -> 0.982 (0.962).
//
// Requests past the quick lists are the exception, and target 9 is missed
// there: k=128 0.955 -> 0.946 (0.957 with 16 lists), k=256 0.946 -> 0.931
// (0.949). Allocations of 17..64 blocks wait on quick lists uncoalesced, so
// first fit places the larger requests past them, and the arena is more
// broken up when the first request fails (the failing request itself
// coalesces everything first). The second test holds that loss to its
// measured size.
template <class Policy>
double fill_at_first_failure(std::uint64_t seed, std::size_t max_count) {
  using A = stalloc::Stalloc<65535, 32, Policy>;
  static A arena;
  arena.clear();
  std::uint64_t s = seed;
  auto next = [&](std::uint64_t n) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (s >> 33) % n;
  };
  std::vector<std::pair<void*, std::size_t>> live;
  std::size_t live_blocks = 0;
  for (;;) {
    if (!live.empty() && next(3) == 0) {
      const std::size_t j = next(live.size());
      arena.deallocate_blocks(live[j].first, live[j].second);
      live_blocks -= live[j].second;
      live[j] = live.back();
      live.pop_back();
      continue;
    }
    const std::size_t n = 1 + next(max_count);
    void* p = arena.allocate_blocks(n, 1);
    if (p == nullptr) return static_cast<double>(live_blocks) / 65535.0;
    live.emplace_back(p, n);
    live_blocks += n;
  }
}

TEST(QuickFit, FillsTheArenaAtLeastAsFullAsFirstFitBeforeTheFirstFailure) {
  for (const std::size_t k : {4u, 8u, 16u, 64u}) {
    double first_fit = 0;
    double quick_fit = 0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      first_fit += fill_at_first_failure<stalloc::FirstFit>(seed, k);
      quick_fit += fill_at_first_failure<stalloc::QuickFit>(seed, k);
    }
    EXPECT_GE(quick_fit, first_fit) << "requests of 1.." << k << " blocks";
  }
}

TEST(QuickFit, LosesAtMostTwoPointsOfFillToFirstFitWithLargerRequests) {
  for (const std::size_t k : {128u, 256u}) {
    double first_fit = 0;
    double quick_fit = 0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      first_fit += fill_at_first_failure<stalloc::FirstFit>(seed, k);
      quick_fit += fill_at_first_failure<stalloc::QuickFit>(seed, k);
    }
    EXPECT_GE(quick_fit / 5, first_fit / 5 - 0.02) << "requests of 1.." << k << " blocks";
  }
}

// check_invariants() sees a corrupted quick entry (as a use-after-free write
// would leave it).
TEST(QuickFit, InvariantsCatchACorruptQuickEntry) {
  Arena<64, 8> a;
  void* x = a.allocate_blocks(2, 1);
  void* y = a.allocate_blocks(2, 1);
  a.deallocate_blocks(x, 2);
  a.deallocate_blocks(y, 2);
  ASSERT_TRUE(a.check_invariants());
  auto* entry = static_cast<std::uint16_t*>(y);
  const std::uint16_t saved_next = entry[0];
  const std::uint16_t saved_count = entry[1];

  entry[1] = 3;  // another list's count
  EXPECT_FALSE(a.check_invariants());
  entry[1] = saved_count;

  entry[0] = 3;  // y's next now names block 2 (y itself): a cycle
  EXPECT_FALSE(a.check_invariants());

  entry[0] = 60;  // an entry at block 59 of two blocks: overlaps the free chunk
  EXPECT_FALSE(a.check_invariants());

  entry[0] = 200;  // out of range
  EXPECT_FALSE(a.check_invariants());
  entry[0] = saved_next;
  EXPECT_TRUE(a.check_invariants());
}

}  // namespace
