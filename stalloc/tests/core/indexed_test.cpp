// The indexed policy (stalloc/indexed.hpp): the same placements as the plain
// arena, its stated footprint, and an index that survives every operation.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "stalloc/indexed.hpp"
#include "test_support.hpp"

namespace {

constexpr std::size_t round_up(std::size_t n, std::size_t to) {
  return (n + to - 1) / to * to;
}
// The index's stated cost: 10 bytes per 64 blocks and per 4096 blocks, plus
// 3 (the chunk count and the live flag), placed after the 4-byte header at
// 8-byte alignment, the whole rounded to B.
template <std::size_t L, std::size_t B>
constexpr std::size_t indexed_size() {
  const std::size_t index = 10 * ((L + 63) / 64) + 10 * ((L + 4095) / 4096) + 5;
  return round_up(round_up(L * B + 4, 8) + index, B > 8 ? B : 8);
}
static_assert(sizeof(stalloc::Stalloc<65535, 16, stalloc::FirstFit>) == 65535 * 16 + 16,
              "the plain arena stays exact: the index costs it nothing");
static_assert(sizeof(stalloc::IndexedStalloc<65535, 16>) == indexed_size<65535, 16>());
static_assert(sizeof(stalloc::IndexedStalloc<65535, 16>) -
                  sizeof(stalloc::Stalloc<65535, 16, stalloc::FirstFit>) ==
              10400);
static_assert(sizeof(stalloc::IndexedStalloc<8192, 8>) == indexed_size<8192, 8>());
static_assert(sizeof(stalloc::IndexedStalloc<100, 4>) == indexed_size<100, 4>());

// A tiny deterministic generator (no <random>: its distributions are not
// specified exactly across standard libraries).
struct Lcg {
  std::uint64_t state;
  std::uint64_t next() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  }
};

// Drives a plain and an indexed arena with the same operations and requires
// the same answer from both, block for block.
template <std::size_t L, std::size_t B>
void lockstep(std::uint64_t seed, int ops) {
  static stalloc::Stalloc<L, B, stalloc::FirstFit> plain;
  static stalloc::IndexedStalloc<L, B> indexed;
  plain.clear();
  indexed.clear();
  struct Live {
    void* p;
    void* q;
    std::size_t blocks;
  };
  std::vector<Live> live;
  Lcg rng{seed};
  for (int i = 0; i < ops; ++i) {
    const std::uint64_t kind = rng.next() % 10;
    if (kind < 5 || live.empty()) {
      const std::size_t n = 1 + rng.next() % (rng.next() % 4 == 0 ? 64 : 6);
      const std::size_t align = rng.next() % 10 == 0 ? 4 : 1;
      void* p = plain.allocate_blocks(n, align);
      void* q = indexed.allocate_blocks(n, align);
      ASSERT_EQ(p == nullptr, q == nullptr) << "op " << i;
      if (p == nullptr) continue;
      ASSERT_EQ(plain.block_index(p), indexed.block_index(q))
          << "op " << i << ": first fit differs";
      live.push_back({p, q, n});
    } else if (kind < 8) {
      const std::size_t j = rng.next() % live.size();
      plain.deallocate_blocks(live[j].p, live[j].blocks);
      indexed.deallocate_blocks(live[j].q, live[j].blocks);
      live[j] = live.back();
      live.pop_back();
    } else {
      Live& l = live[rng.next() % live.size()];
      const std::size_t want = l.blocks + 1 + rng.next() % 4;
      const std::size_t a = plain.grow_up_to(l.p, l.blocks, want);
      const std::size_t b = indexed.grow_up_to(l.q, l.blocks, want);
      ASSERT_EQ(a, b) << "op " << i << ": grow_up_to differs";
      l.blocks = a;
      if (kind == 9 && l.blocks > 1) {
        plain.shrink_in_place(l.p, l.blocks, l.blocks / 2);
        indexed.shrink_in_place(l.q, l.blocks, l.blocks / 2);
        l.blocks /= 2;
      }
    }
    const stalloc::InvariantReport r = indexed.check_invariants();
    ASSERT_TRUE(r.ok) << "op " << i << ": " << r.what << " at chunk " << r.chunk;
    ASSERT_EQ(plain.stats().free_chunks, indexed.stats().free_chunks) << "op " << i;
  }
  for (const Live& l : live) {
    plain.deallocate_blocks(l.p, l.blocks);
    indexed.deallocate_blocks(l.q, l.blocks);
  }
  EXPECT_TRUE(plain.is_empty());
  EXPECT_TRUE(indexed.is_empty());
  EXPECT_TRUE(indexed.check_invariants().ok);
}

TEST(Indexed, SamePlacementsAsPlainSmall) {
  lockstep<200, 8>(1, 50'000);
}
TEST(Indexed, SamePlacementsAsPlainManyWords) {
  lockstep<5000, 4>(2, 80'000);
}
TEST(Indexed, SamePlacementsAsPlainFullIndexSpace) {
  lockstep<65535, 4>(3, 40'000);
}

// The first-fit worst case the index exists for: many small holes below a
// large free chunk. The request skips every hole and lands past them.
TEST(Indexed, SkipsHolesTooSmallToFit) {
  static stalloc::IndexedStalloc<20000, 8> arena;
  arena.clear();
  std::vector<void*> blocks;
  for (int i = 0; i < 8000; ++i) blocks.push_back(arena.allocate_blocks(1, 1));
  ASSERT_EQ(arena.block_index(blocks.back()), 7999u);
  std::vector<void*> pins;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (i % 2 == 0) {
      arena.deallocate_blocks(blocks[i], 1);  // a 1-block hole below each pin
    } else {
      pins.push_back(blocks[i]);
    }
  }
  EXPECT_EQ(arena.stats().free_chunks, 4001u);
  void* big = arena.allocate_blocks(2, 1);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(arena.block_index(big), 8000u);
  EXPECT_TRUE(arena.check_invariants().ok);
  arena.deallocate_blocks(big, 2);
  for (void* p : pins) arena.deallocate_blocks(p, 1);
  EXPECT_TRUE(arena.is_empty());
}

TEST(Indexed, ClearResetsTheIndex) {
  static stalloc::IndexedStalloc<1000, 4> arena;
  for (int i = 0; i < 100; ++i) ASSERT_NE(arena.allocate_blocks(3, 1), nullptr);
  arena.clear();
  EXPECT_TRUE(arena.is_empty());
  EXPECT_TRUE(arena.check_invariants().ok);
  EXPECT_NE(arena.allocate_blocks(1000, 1), nullptr);
  EXPECT_TRUE(arena.is_oom());
  EXPECT_TRUE(arena.check_invariants().ok);
}

}  // namespace
