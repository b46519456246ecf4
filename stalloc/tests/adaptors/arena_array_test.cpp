// ArenaArray: one arena after another, used ones before untouched ones, the
// skip after a full sweep, frees and resizes routed by address, and a
// random stream checked against the live set after every operation.
#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "arenas.hpp"
#include "stalloc/arena_array.hpp"
#include "stalloc/chain.hpp"
#include "stalloc/program_heap.hpp"
#include "stalloc/sized_stalloc.hpp"

namespace adaptor_tests {
namespace {

// 3 arenas of 8 blocks of 8 bytes.
using Small = stalloc::Stalloc<8, 8>;
using Three = stalloc::ArenaArray<3, Small>;

// The stated footprint: N arenas, 16 bytes of cursor and counters, padding.
static_assert(sizeof(Three) ==
              (3 * sizeof(Small) + 16 + alignof(Small) - 1) / alignof(Small) * alignof(Small));
static_assert(sizeof(stalloc::ArenaArray<32, stalloc::Stalloc<65535, 16>>) ==
              (32 * sizeof(stalloc::Stalloc<65535, 16>) + 16 + 15) / 16 * 16);

// Lanes: one current arena per lane, min(N, 8) lanes over arenas declared
// thread-safe, one over the others; 8 bytes each in the footprint.
using LockedSmall = stalloc::Synchronized<Small>;
using LockedThree = stalloc::ArenaArray<3, LockedSmall>;
static_assert(Three::lane_count == 1);
static_assert(stalloc::ArenaArray<3, stalloc::UnsafeStalloc<8, 8>>::lane_count == 1);
static_assert(LockedThree::lane_count == 3);
static_assert(stalloc::ArenaArray<32, stalloc::SyncStalloc<64, 8>>::lane_count == 8);
static_assert(sizeof(LockedThree) ==
              (3 * sizeof(LockedSmall) + 3 * 8 + 8 + alignof(LockedSmall) - 1) /
                  alignof(LockedSmall) * alignof(LockedSmall));

// Constant-initialised (all zero when empty), so a static one is in .bss.
constinit Three global_array;

std::size_t arena_index(Three& a, const void* p) {
  for (std::size_t i = 0; i < Three::arena_count; ++i) {
    if (a.arena(i).owns(p)) return i;
  }
  return Three::arena_count;
}

void expect_ok(Three& a) {
  const stalloc::InvariantReport r = a.check_invariants();
  EXPECT_TRUE(r.ok) << r.what;
}

TEST(ArenaArray, FillsOneArenaAfterAnother) {
  auto a = make_arena<Three>();
  std::vector<void*> live;
  for (std::size_t i = 0; i < 24; ++i) {
    void* p = a->allocate(8, 8);
    ASSERT_NE(p, nullptr) << i;
    EXPECT_EQ(arena_index(*a, p), i / 8) << i;
    EXPECT_EQ(a->current(), i / 8);
    EXPECT_TRUE(a->owns(p));
    live.push_back(p);
    expect_ok(*a);
  }
  EXPECT_EQ(a->allocate(8, 8), nullptr);  // every arena full
  EXPECT_TRUE(a->is_oom());
  EXPECT_FALSE(a->is_empty());
  for (void* p : live) {
    a->deallocate(p, 8, 8);
    expect_ok(*a);
  }
  EXPECT_TRUE(a->is_empty());
}

TEST(ArenaArray, RefusesWhatNoArenaCanHold) {
  auto a = make_arena<Three>();
  EXPECT_EQ(a->allocate(8 * 8 + 1, 8), nullptr);  // larger than any one arena
  EXPECT_EQ(a->allocate(8, 3), nullptr);          // alignment not a power of two
  EXPECT_TRUE(a->is_empty());
  expect_ok(*a);
}

// When the current arena refuses, a used arena with room is taken before an
// untouched one when it is at most 3/4 full (6 of 8 blocks live), and the
// emptiest such arena first: a program touches only the arenas its live set
// needs.
TEST(ArenaArray, GoesBackToTheEmptiestUsedArenaBeforeAnUntouchedOne) {
  auto a = make_arena<Three>();
  std::vector<void*> first;
  for (int i = 0; i < 8; ++i) first.push_back(a->allocate(8, 8));  // arena 0 full
  void* second = a->allocate(8, 8);
  EXPECT_EQ(arena_index(*a, second), 1u);
  a->deallocate(first[3], 8, 8);
  a->deallocate(first[6], 8, 8);  // arena 0: 6 of 8 live
  for (int i = 0; i < 7; ++i) ASSERT_EQ(arena_index(*a, a->allocate(8, 8)), 1u);  // arena 1 full
  void* back = a->allocate(8, 8);
  EXPECT_EQ(arena_index(*a, back), 0u) << "went to an untouched arena instead of a freed block";
  EXPECT_EQ(a->current(), 0u);
  ASSERT_EQ(arena_index(*a, a->allocate(8, 8)), 0u);  // arena 0 full again
  void* third = a->allocate(8, 8);                    // 0 and 1 are full now
  EXPECT_EQ(arena_index(*a, third), 2u);
  expect_ok(*a);
}

// A used arena more than 3/4 full is passed over for an untouched one (it
// would run nearly full, which is slow), and used again only when every
// arena is that full.
TEST(ArenaArray, PassesOverANearlyFullArenaWhileAnUntouchedOneRemains) {
  auto a = make_arena<Three>();
  std::vector<void*> first;
  for (int i = 0; i < 8; ++i) first.push_back(a->allocate(8, 8));  // arena 0 full
  for (int i = 0; i < 8; ++i) ASSERT_EQ(arena_index(*a, a->allocate(8, 8)), 1u);
  a->deallocate(first[2], 8, 8);  // arena 0: 7 of 8 live, more than 3/4
  EXPECT_EQ(arena_index(*a, a->allocate(8, 8)), 2u);
  for (int i = 0; i < 7; ++i) ASSERT_EQ(arena_index(*a, a->allocate(8, 8)), 2u);  // arena 2 full
  EXPECT_EQ(a->allocate(8, 8), first[2]);  // no untouched arena left: the fuller ones too
  expect_ok(*a);
}

TEST(ArenaArray, SkipsTheArenasForAWhileAfterFindingThemAllFull) {
  auto a = make_arena<Three>();
  std::vector<void*> live;
  for (int i = 0; i < 24; ++i) live.push_back(a->allocate(8, 8));
  EXPECT_EQ(a->allocate(8, 8), nullptr);  // the full sweep
  a->deallocate(live[5], 8, 8);           // room again, in arena 0
  // The current arena (2) refuses and the next kSkipWhenFull requests do not
  // look further.
  for (std::uint32_t i = 0; i < Three::kSkipWhenFull; ++i) {
    ASSERT_EQ(a->allocate(8, 8), nullptr) << i;
    expect_ok(*a);
  }
  EXPECT_EQ(a->allocate(8, 8), live[5]);  // the sweep after the skip finds it
  EXPECT_EQ(a->current(), 0u);
  expect_ok(*a);
}

// In a chain, the requests a full array refuses go to the next link.
TEST(ArenaArray, InAChainSpillsToTheNextLink) {
  stalloc::Chain<Three, stalloc::Stalloc<64, 16>> chain;
  std::vector<void*> live;
  for (int i = 0; i < 30; ++i) {
    void* p = chain.allocate(8, 8);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(chain.first().owns(p), i < 24) << i;
    live.push_back(p);
  }
  for (void* p : live) chain.deallocate(p, 8, 8);
  EXPECT_TRUE(chain.first().is_empty());
  EXPECT_TRUE(chain.second().is_empty());
}

TEST(ArenaArray, GrowMovesToAnotherArenaAndKeepsTheBytes) {
  auto a = make_arena<Three>();
  void* fill[6];
  for (void*& p : fill) p = a->allocate(8, 8);  // arena 0: 6 of 8 blocks
  void* p = a->allocate(16, 8);                 // blocks 6-7
  ASSERT_EQ(arena_index(*a, p), 0u);
  std::memcpy(p, "0123456789abcdef", 16);
  void* q = a->grow(p, 16, 40, 8);  // arena 0 has no room: moves
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(arena_index(*a, q), 1u);
  EXPECT_EQ(std::memcmp(q, "0123456789abcdef", 16), 0);
  void* r = a->shrink(q, 40, 8, 8);
  EXPECT_EQ(r, q);                                  // shrinks in place
  EXPECT_EQ(a->grow(r, 8, 8 * 8 + 8, 8), nullptr);  // no arena holds it: untouched
  EXPECT_EQ(std::memcmp(r, "01234567", 8), 0);
  EXPECT_NE(a->reallocate(nullptr, 0, 8, 8), nullptr);  // old_size 0 allocates
  expect_ok(*a);
  a->clear();
  EXPECT_TRUE(a->is_empty());
  EXPECT_EQ(a->current(), 0u);
  EXPECT_EQ(arena_index(*a, a->allocate(8, 8)), 0u);
  expect_ok(*a);
}

TEST(ArenaArray, OwnsOnlyItsOwnAddresses) {
  auto a = make_arena<Three>();
  int outside = 0;
  EXPECT_FALSE(a->owns(&outside));
  EXPECT_FALSE(a->owns(nullptr));
  EXPECT_FALSE(a->owns(reinterpret_cast<const char*>(a.get()) + sizeof(Three)));
  void* p = a->allocate(8, 8);
  EXPECT_TRUE(a->owns(p));
}

// Size-tracking arenas (what the global operator delete uses) keep their
// unsized free and size query through the array.
TEST(ArenaArray, ForwardsUnsizedFreesOfSizeTrackingArenas) {
  stalloc::ArenaArray<2, stalloc::SizedStalloc<16, 8>> a;
  std::vector<void*> live;
  for (int i = 0; i < 10; ++i) live.push_back(a.allocate(24, 8));  // 3 blocks each: 5 per arena
  for (void* p : live) ASSERT_NE(p, nullptr);
  EXPECT_EQ(a.allocate(24, 8), nullptr);
  EXPECT_EQ(a.allocation_size(live[7]), 24u);
  for (void* p : live) a.deallocate_unsized(p, 8);
  EXPECT_TRUE(a.is_empty());
  EXPECT_TRUE(a.check_invariants().ok);
}

// A random stream of allocations, frees and resizes: every live allocation
// keeps its bytes, none overlaps another, the invariants hold after every
// operation, and everything freed leaves the array empty.
TEST(ArenaArray, RandomStreamKeepsEveryAllocationIntact) {
  using Array = stalloc::ArenaArray<4, stalloc::Stalloc<64, 8>>;
  auto a = make_arena<Array>();
  struct Live {
    unsigned char* p;
    std::size_t size;
    unsigned char seed;
  };
  std::vector<Live> live;
  std::mt19937 rng(13);
  auto fill = [](const Live& l) {
    for (std::size_t i = 0; i < l.size; ++i) l.p[i] = static_cast<unsigned char>(l.seed + i);
  };
  auto intact = [](const Live& l) {
    for (std::size_t i = 0; i < l.size; ++i) {
      if (l.p[i] != static_cast<unsigned char>(l.seed + i)) return false;
    }
    return true;
  };
  std::size_t refused = 0;
  for (int op = 0; op < 20000; ++op) {
    const auto r = static_cast<unsigned>(rng() % 10);
    if (live.empty() || r < 5) {
      const std::size_t size = 1 + rng() % 100;
      void* p = a->allocate(size, 8);
      if (p == nullptr) {
        ++refused;
      } else {
        live.push_back({static_cast<unsigned char*>(p), size, static_cast<unsigned char>(rng())});
        fill(live.back());
      }
    } else if (r < 8) {
      const std::size_t i = rng() % live.size();
      ASSERT_TRUE(intact(live[i])) << op;
      a->deallocate(live[i].p, live[i].size, 8);
      live[i] = live.back();
      live.pop_back();
    } else {
      const std::size_t i = rng() % live.size();
      const std::size_t size = 1 + rng() % 160;
      void* q = a->reallocate(live[i].p, live[i].size, size, 8);
      if (q != nullptr) {
        live[i].p = static_cast<unsigned char*>(q);
        live[i].size = std::min(live[i].size, size);
        ASSERT_TRUE(intact(live[i])) << op;
        live[i].size = size;
        fill(live[i]);
      } else {
        ASSERT_TRUE(intact(live[i])) << op;  // a failed resize leaves it as it was
      }
    }
    const stalloc::InvariantReport report = a->check_invariants();
    ASSERT_TRUE(report.ok) << report.what << " after operation " << op;
  }
  EXPECT_GT(refused, 0u);  // the stream did fill the array
  std::vector<std::pair<std::uintptr_t, std::uintptr_t>> ranges;
  for (const Live& l : live) {
    EXPECT_TRUE(intact(l));
    EXPECT_TRUE(a->owns(l.p));
    ranges.emplace_back(reinterpret_cast<std::uintptr_t>(l.p),
                        reinterpret_cast<std::uintptr_t>(l.p) + l.size);
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i) EXPECT_LE(ranges[i - 1].second, ranges[i].first);
  for (const Live& l : live) a->deallocate(l.p, l.size, 8);
  EXPECT_TRUE(a->is_empty());
}

// live_blocks(), which the array reads to pick an arena: the blocks handed
// out, in every arena form (quick lists, FirstFit's walk, the wrappers; a
// thread's cached allocation counts as live).
template <class A>
void expect_live_blocks_counted() {
  auto a = make_arena<A>();
  EXPECT_EQ(a->live_blocks(), 0u);
  void* p = a->allocate(40, 8);  // 5 blocks of 8
  void* q = a->allocate(8, 8);
  EXPECT_EQ(a->live_blocks(), 6u);
  a->deallocate(p, 40, 8);
  EXPECT_EQ(a->live_blocks(), 1u);
  a->deallocate(q, 8, 8);
  EXPECT_EQ(a->live_blocks(), 0u);
}
TEST(ArenaArray, LiveBlocksCountsWhatIsHandedOut) {
  expect_live_blocks_counted<stalloc::Stalloc<64, 8>>();
  expect_live_blocks_counted<stalloc::Stalloc<64, 8, stalloc::FirstFit>>();
  expect_live_blocks_counted<stalloc::Stalloc<64, 8, stalloc::ChainedQuickFit>>();
  expect_live_blocks_counted<stalloc::SizedStalloc<64, 8>>();
  expect_live_blocks_counted<stalloc::Synchronized<stalloc::Stalloc<64, 8>>>();
  expect_live_blocks_counted<stalloc::UnsafeStalloc<64, 8>>();
  auto cached = make_arena<stalloc::SyncStalloc<64, 8>>();
  void* p = cached->allocate(8, 8);
  cached->deallocate(p, 8, 8);  // waits in this thread's cache
  EXPECT_LE(cached->live_blocks(), 1u);
  EXPECT_TRUE(cached->is_empty());  // takes the caches back
  EXPECT_EQ(cached->live_blocks(), 0u);
}

// Lanes: two threads alive at once allocate from two arenas, each its lane's
// current one, and either may free the other's allocation.
TEST(ArenaArray, ThreadsAllocateFromArenasOfTheirOwn) {
  using Locked = stalloc::ArenaArray<8, stalloc::Synchronized<stalloc::Stalloc<64, 8>>>;
  auto a = make_arena<Locked>();
  void* got[2] = {};
  std::uint32_t lane[2] = {};
  std::size_t current[2] = {};
  std::barrier both(2);
  auto body = [&](int t) {
    both.arrive_and_wait();  // both threads exist, so neither is alone
    got[t] = a->allocate(8, 8);
    lane[t] = a->calling_lane();
    current[t] = a->current(lane[t]);
    both.arrive_and_wait();  // both hold their numbers until both have allocated
  };
  std::thread first(body, 0);
  std::thread second(body, 1);
  first.join();
  second.join();
  ASSERT_NE(lane[0], lane[1]) << "threads alive at once have different numbers";
  ASSERT_NE(got[0], nullptr);
  ASSERT_NE(got[1], nullptr);
  for (int t = 0; t < 2; ++t) {
    EXPECT_LT(current[t], Locked::arena_count);
    EXPECT_TRUE(a->arena(current[t]).owns(got[t])) << t;
  }
  EXPECT_NE(current[0], current[1]);
  EXPECT_TRUE(a->check_invariants().ok);
  a->deallocate(got[0], 8, 8);  // this thread frees both
  a->deallocate(got[1], 8, 8);
  EXPECT_TRUE(a->is_empty());
  EXPECT_TRUE(a->check_invariants().ok);
  // clear() unplaces every lane but lane 0, which is back on arena 0.
  a->clear();
  EXPECT_EQ(a->current(0), 0u);
  for (std::size_t l = 1; l < Locked::lane_count; ++l)
    EXPECT_EQ(a->current(l), Locked::arena_count);
  EXPECT_TRUE(a->check_invariants().ok);
}

// A lane moves on from a full arena by the rules of one current arena, and
// only that lane: the 3 arenas of 8 blocks, a thread allocating 20 blocks.
TEST(ArenaArray, ALaneMovesOnAloneWhenItsArenaFills) {
  auto a = make_arena<LockedThree>();
  std::vector<void*> live;
  std::uint32_t lane = 0;
  std::size_t before = 0;
  std::thread worker([&] {
    lane = a->calling_lane();
    before = a->current(lane);
    for (int i = 0; i < 20; ++i) live.push_back(a->allocate(8, 8));
  });
  worker.join();
  for (void* p : live) ASSERT_NE(p, nullptr);
  EXPECT_LT(before, LockedThree::arena_count);
  EXPECT_NE(a->current(lane), before);  // its first arena filled after 8
  if (lane != 0) {
    // It was placed on the lowest untouched arena (1), and lane 0 stayed on arena 0.
    EXPECT_EQ(before, 1u);
    EXPECT_EQ(a->current(0), 0u);
  }
  EXPECT_TRUE(a->check_invariants().ok);
  for (void* p : live) a->deallocate(p, 8, 8);
  EXPECT_TRUE(a->is_empty());
}

// A lane placed after every arena has been touched takes the emptiest: the
// first thread fills arenas until all 3 are used, then empties one of them
// (not the one its lane is on), and a second thread, alive at the same
// time, places its lane. (Which lanes the two threads get depends on the
// numbers other tests' threads left claimed; in a process of its own, as
// ctest runs it, the second thread's lane is always a new one.)
TEST(ArenaArray, ALanePlacedWhenEveryArenaIsTouchedTakesTheEmptiest) {
  auto a = make_arena<LockedThree>();
  std::vector<void*> live;
  std::size_t emptied = LockedThree::arena_count;
  std::size_t placed_on = LockedThree::arena_count;
  bool second_lane_was_new = false;
  std::barrier both(2);
  std::thread first([&] {
    for (int i = 0; i < 20; ++i) live.push_back(a->allocate(8, 8));
    const std::size_t mine = a->current(a->calling_lane());
    emptied = mine == 1 ? 2 : 1;
    std::erase_if(live, [&](void* p) {
      if (!a->arena(emptied).owns(p)) return false;
      a->deallocate(p, 8, 8);
      return true;
    });
    both.arrive_and_wait();  // (1) the second thread may place its lane
    both.arrive_and_wait();  // (2) it has: until then this thread keeps its number
  });
  std::thread second([&] {
    both.arrive_and_wait();  // (1)
    const auto lane = static_cast<std::uint32_t>((stalloc::detail::this_thread_number() - 1) %
                                                 LockedThree::lane_count);
    second_lane_was_new = a->current(lane) == LockedThree::arena_count;
    live.push_back(a->allocate(8, 8));
    placed_on = a->current(a->calling_lane());
    both.arrive_and_wait();  // (2)
  });
  first.join();
  second.join();
  for (void* p : live) ASSERT_NE(p, nullptr);
  ASSERT_LT(emptied, LockedThree::arena_count);
  if (second_lane_was_new) {
    EXPECT_EQ(placed_on, emptied);
  }
  EXPECT_TRUE(a->check_invariants().ok);
  for (void* p : live) a->deallocate(p, 8, 8);
  EXPECT_TRUE(a->is_empty());
}

// The recommended whole-program heap keeps a live set far larger than one
// arena in its arenas: 4 MiB of 64-byte objects, none of them from malloc.
TEST(ProgramHeap, HoldsALiveSetLargerThanOneArena) {
  static stalloc::ProgramHeap heap;  // 96 MiB: static, in .bss
  auto& small = heap.first().arena();
  std::vector<void*> live;
  for (int i = 0; i < 65536; ++i) {
    void* p = heap.allocate(64, 16);
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(small.owns(p)) << i;
    live.push_back(p);
  }
  EXPECT_GE(small.current(small.calling_lane()), 3u);
  for (void* p : live) heap.deallocate(p, 64, 16);
  EXPECT_TRUE(small.is_empty());
  EXPECT_TRUE(heap.check_invariants().ok);
}

}  // namespace
}  // namespace adaptor_tests
