// The quick path (stalloc.hpp, "Quick path"): try_allocate_quick and
// try_deallocate_quick, and the wrappers that forward them. What must hold:
//   - a miss changes nothing;
//   - a hit is exactly what the full call would have done (same pointer,
//     same arena state afterwards), so "try the quick path, else the full
//     call" places every request where the full call alone does;
//   - only the arenas that can take it without a check have it (not
//     Hardened, not FirstFit), and every wrapper forwards it unchanged
//     except for its own rule (SizeLimited's bounds, Synchronized's lone
//     thread: only_thread_test.cpp).
// Each check runs against a twin arena driven through the full calls only,
// with check_invariants() after every operation.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "stalloc/arena_array.hpp"
#include "stalloc/chain.hpp"
#include "stalloc/hardened.hpp"
#include "stalloc/indexed.hpp"
#include "stalloc/program_heap.hpp"
#include "stalloc/size_limited.hpp"
#include "stalloc/sized_stalloc.hpp"
#include "stalloc/stalloc.hpp"
#include "stalloc/sync.hpp"
#include "stalloc/system.hpp"
#include "stalloc/thread_cached.hpp"

namespace adaptor_tests {
namespace {

using stalloc::detail::has_quick_path;

// Which types have one.
static_assert(has_quick_path<stalloc::Stalloc<64, 8>>);                            // QuickFit
static_assert(has_quick_path<stalloc::Stalloc<64, 8, stalloc::ChainedQuickFit>>);  // sorting
static_assert(!has_quick_path<stalloc::Stalloc<64, 8, stalloc::FirstFit>>);
static_assert(!has_quick_path<stalloc::Stalloc<64, 8, stalloc::Indexed>>);
static_assert(!has_quick_path<stalloc::Stalloc<64, 8, stalloc::Hardened>>);
static_assert(has_quick_path<stalloc::SizedStalloc<64, 8>>);
static_assert(!has_quick_path<stalloc::SizedStalloc<64, 8, stalloc::Hardened>>);
static_assert(has_quick_path<stalloc::Synchronized<stalloc::Stalloc<64, 8>>>);
static_assert(!has_quick_path<stalloc::Synchronized<stalloc::Stalloc<64, 8, stalloc::FirstFit>>>);
static_assert(has_quick_path<stalloc::Unsynchronized<stalloc::Stalloc<64, 8>>>);
static_assert(has_quick_path<stalloc::SizeLimited<64, stalloc::Stalloc<64, 8>>>);
static_assert(has_quick_path<stalloc::ArenaArray<2, stalloc::Stalloc<64, 8>>>);
static_assert(has_quick_path<stalloc::ProgramHeap>);
static_assert(has_quick_path<stalloc::AllocChain<stalloc::Stalloc<64, 8>&, stalloc::System>>);
static_assert(!has_quick_path<stalloc::AllocChain<stalloc::System, stalloc::Stalloc<64, 8>>>);
static_assert(!has_quick_path<stalloc::System>);
static_assert(has_quick_path<stalloc::SyncStalloc<64, 8>>);  // ThreadCached

// Everything observable about an arena's state, to compare twins.
template <class Arena>
struct State {
  std::vector<std::pair<std::size_t, std::size_t>> chunks, quick;
  std::size_t live;
  explicit State(const Arena& a) : live(a.live_blocks()) {
    a.for_each_free_chunk([&](std::size_t s, std::size_t n) { chunks.emplace_back(s, n); });
    a.for_each_quick_entry([&](std::size_t s, std::size_t k) { quick.emplace_back(s, k); });
  }
  bool operator==(const State&) const = default;
};

template <class Arena>
::testing::AssertionResult valid(Arena& a) {
  const auto r = a.check_invariants();
  if (r) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << r.what << " at block " << r.chunk;
}

// The arena a wrapper holds (for its State): the arena itself otherwise.
template <class A>
auto& bare(A& a) {
  if constexpr (requires { a.arena(); }) {
    return a.arena();
  } else if constexpr (requires { a.acquire_locked(); }) {
    return a.acquire_locked().get();
  } else {
    return a;
  }
}

// A random stream of allocations and frees, mostly in the quick lists'
// range, some beyond it, some over-aligned, some of size 0, run against
// `quick` ("try the quick path, else the full call") and `full` (the full
// calls). Every result and every state must agree; and the quick path must
// have hit (or the test would prove nothing).
template <class Arena>
void run_twins(Arena& quick, Arena& full, std::size_t quick_bytes, std::uint64_t seed,
               std::size_t ops) {
  std::mt19937_64 rng(seed);
  struct Live {
    void* q;
    void* f;
    std::size_t size, align;
  };
  std::vector<Live> live;
  std::size_t alloc_hits = 0, free_hits = 0, misses = 0;
  const auto base_q = reinterpret_cast<std::uintptr_t>(&quick);
  const auto base_f = reinterpret_cast<std::uintptr_t>(&full);
  for (std::size_t i = 0; i < ops; ++i) {
    const bool do_alloc = live.empty() || (rng() % 100 < (live.size() < 40 ? 60 : 45));
    if (do_alloc) {
      const std::uint64_t r = rng() % 100;
      // Mostly a few sizes, as programs ask (so the quick lists hold some).
      static constexpr std::size_t kCommon[] = {1, 8, 16, 24, 40, 64, 100};
      std::size_t size = r < 70   ? kCommon[rng() % 7] % quick_bytes + 1
                         : r < 85 ? 1 + rng() % quick_bytes
                         : r < 97 ? quick_bytes + 1 + rng() % 200
                                  : 0;
      std::size_t align = std::size_t{1} << (rng() % 100 < 90 ? rng() % 4 : 4 + rng() % 4);
      void* q = quick.try_allocate_quick(size, align);
      if (q != nullptr) {
        ++alloc_hits;
      } else {
        ++misses;
        q = quick.allocate(size, align);
      }
      void* f = full.allocate(size, align);
      ASSERT_EQ(q == nullptr, f == nullptr) << "op " << i;
      if (q == nullptr || size == 0) continue;  // size 0: a pointer outside the arena
      ASSERT_EQ(reinterpret_cast<std::uintptr_t>(q) - base_q,
                reinterpret_cast<std::uintptr_t>(f) - base_f)
          << "op " << i << ": size " << size << " align " << align;
      live.push_back({q, f, size, align});
    } else {
      const std::size_t k = rng() % live.size();
      const Live l = live[k];
      live[k] = live.back();
      live.pop_back();
      if (quick.try_deallocate_quick(l.q, l.size, l.align)) {
        ++free_hits;
      } else {
        ++misses;
        quick.deallocate(l.q, l.size, l.align);
      }
      full.deallocate(l.f, l.size, l.align);
    }
    ASSERT_TRUE(valid(quick)) << "op " << i;
    ASSERT_TRUE(State(bare(quick)) == State(bare(full))) << "op " << i;
  }
  EXPECT_GT(alloc_hits, ops / 10);
  EXPECT_GT(free_hits, ops / 10);
  EXPECT_GT(misses, ops / 20);
}

// Both at the same alignment (a page), so that over-aligned requests land
// at the same offsets in both.
template <class Arena>
struct Twins {
  alignas(4096) Arena quick;
  alignas(4096) Arena full;
};

template <class Arena>
void twins_for(std::size_t quick_bytes, std::uint64_t seed) {
  auto t = std::make_unique<Twins<Arena>>();
  run_twins(t->quick, t->full, quick_bytes, seed, 100'000);
}

TEST(QuickPath, QuickFitHitsAreTheFullCallsAnswers) {
  twins_for<stalloc::Stalloc<512, 8>>(64 * 8, 1);
  twins_for<stalloc::Stalloc<200, 16>>(64 * 16, 2);  // runs full often
  twins_for<stalloc::Stalloc<4096, 4>>(64 * 4, 3);
}

TEST(QuickPath, ChainedQuickFitHitsAreTheFullCallsAnswers) {
  twins_for<stalloc::Stalloc<512, 16, stalloc::ChainedQuickFit>>(16 * 16, 4);
  twins_for<stalloc::Stalloc<150, 8, stalloc::ChainedQuickFit>>(16 * 8, 5);
}

TEST(QuickPath, SizedStallocKeepsItsEndMarks) {
  // check_invariants() includes "no free block carries an end mark".
  twins_for<stalloc::SizedStalloc<512, 8>>(64 * 8, 6);
  // And an allocation the quick path made is found by an unsized free.
  auto a = std::make_unique<stalloc::SizedStalloc<64, 8>>();
  void* p = a->allocate(24, 8);
  a->deallocate(p, 24, 8);
  void* q = a->try_allocate_quick(24, 8);
  ASSERT_EQ(q, p);
  EXPECT_EQ(a->allocation_size(q), 24u);
  a->deallocate_unsized(q, 8);
  EXPECT_TRUE(a->is_empty());
  EXPECT_TRUE(valid(*a));
}

TEST(QuickPath, WrappersForwardIt) {
  twins_for<stalloc::Unsynchronized<stalloc::Stalloc<512, 8>>>(64 * 8, 7);
  // One thread in this process (none started): the lone path.
  twins_for<stalloc::Synchronized<stalloc::Stalloc<512, 8>>>(64 * 8, 8);
}

TEST(QuickPath, ThreadCachedAlone) {
  // Alone, ThreadCached is its arena (only_thread_test.cpp checks the rest).
  auto a = std::make_unique<stalloc::SyncStalloc<64, 8>>();
  void* p = a->allocate(24, 8);
  a->deallocate(p, 24, 8);
  EXPECT_EQ(a->live_blocks(), 0u);
  EXPECT_EQ(a->try_allocate_quick(24, 8), p);
  EXPECT_EQ(a->live_blocks(), 3u);
  EXPECT_TRUE(a->try_deallocate_quick(p, 24, 8));
  EXPECT_TRUE(a->is_empty());
  EXPECT_TRUE(valid(*a));
}

TEST(QuickPath, AMissChangesNothing) {
  auto a = std::make_unique<stalloc::Stalloc<64, 8>>();
  const State empty(*a);
  EXPECT_EQ(a->try_allocate_quick(8, 8), nullptr);  // no quick list holds anything
  EXPECT_TRUE(State(*a) == empty);
  void* big = a->allocate(40 * 8, 8);
  ASSERT_NE(big, nullptr);
  void* small = a->allocate(8, 8);
  a->deallocate(small, 8, 8);
  const State before(*a);
  EXPECT_EQ(a->try_allocate_quick(0, 8), nullptr);       // size 0
  EXPECT_EQ(a->try_allocate_quick(8, 3), nullptr);       // not a power of two
  EXPECT_EQ(a->try_allocate_quick(8, 64), nullptr);      // above block alignment
  EXPECT_EQ(a->try_allocate_quick(16, 8), nullptr);      // that list is empty
  EXPECT_EQ(a->try_allocate_quick(65 * 8, 8), nullptr);  // beyond the lists
  EXPECT_FALSE(a->try_deallocate_quick(small, 0, 8));    // size 0: the full call's
  EXPECT_TRUE(State(*a) == before);
  EXPECT_TRUE(valid(*a));
  EXPECT_EQ(a->try_allocate_quick(8, 8), small);  // and the hit: the last free
  EXPECT_TRUE(a->try_deallocate_quick(small, 8, 8));
  a->deallocate(big, 40 * 8, 8);
  EXPECT_TRUE(a->is_empty());
  EXPECT_TRUE(valid(*a));

  // ChainedQuickFit has 16 lists: 17 blocks is beyond them.
  auto c = std::make_unique<stalloc::Stalloc<64, 8, stalloc::ChainedQuickFit>>();
  void* p = c->allocate(17 * 8, 8);
  const State held(*c);
  EXPECT_FALSE(c->try_deallocate_quick(p, 17 * 8, 8));
  EXPECT_TRUE(State(*c) == held);
  c->deallocate(p, 17 * 8, 8);
  EXPECT_TRUE(c->is_empty());
}

// operator new(n >= 16) asks for 16 bytes (global.hpp). In arenas of 4- and
// 8-byte blocks the quick path takes such a request when the top entry of
// its list starts on a 16-byte boundary, and misses (changing nothing) when
// it does not; the full call then pads.
template <std::size_t B>
void sixteen_aligned_in_small_blocks() {
  struct Holder {
    alignas(64) stalloc::Stalloc<64, B> arena;
  };
  auto h = std::make_unique<Holder>();
  auto& a = h->arena;
  void* p = a.allocate(24, 16);
  ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u);
  a.deallocate(p, 24, 16);
  EXPECT_EQ(a.try_allocate_quick(24, 16), p);  // an aligned top: a hit
  a.deallocate(p, 24, 16);
  EXPECT_EQ(a.allocate(24, 16), p);  // the inline path of allocate() too
  a.deallocate(p, 24, 16);
  EXPECT_TRUE(valid(a));

  // A fresh arena, where a top entry starts B bytes past a 16-byte boundary.
  auto h2 = std::make_unique<Holder>();
  auto& b = h2->arena;
  void* one = b.allocate(B, B);
  void* odd = b.allocate(24, B);
  ASSERT_EQ(reinterpret_cast<std::uintptr_t>(odd) % 16, B % 16);
  b.deallocate(odd, 24, B);
  const State before(b);
  EXPECT_EQ(b.try_allocate_quick(24, 16), nullptr);
  EXPECT_TRUE(State(b) == before);
  void* padded = b.allocate(24, 16);  // the full call: aligned, not the top
  ASSERT_NE(padded, nullptr);
  EXPECT_NE(padded, odd);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(padded) % 16, 0u);
  EXPECT_EQ(b.try_allocate_quick(24, B), odd);  // block alignment still takes it
  EXPECT_TRUE(valid(b));
  b.deallocate(odd, 24, B);
  b.deallocate(padded, 24, 16);
  b.deallocate(one, B, B);
  EXPECT_TRUE(b.is_empty());
  EXPECT_TRUE(valid(b));
}

TEST(QuickPath, SixteenByteAlignmentInSmallBlocksHitsWhenTheTopIsAligned) {
  sixteen_aligned_in_small_blocks<4>();
  sixteen_aligned_in_small_blocks<8>();
}

TEST(QuickPath, SizeLimitedMissesOutsideItsBounds) {
  auto a = std::make_unique<stalloc::SizeLimited<64, stalloc::Stalloc<64, 8>, 16>>();
  void* p8 = a->arena().allocate(8, 8);
  void* p16 = a->allocate(16, 8);
  void* p72 = a->arena().allocate(72, 8);
  a->deallocate(p8, 8, 8);
  a->deallocate(p16, 16, 8);
  a->deallocate(p72, 72, 8);
  EXPECT_EQ(a->try_allocate_quick(8, 8), nullptr);   // below MinBytes
  EXPECT_EQ(a->try_allocate_quick(72, 8), nullptr);  // above MaxBytes
  EXPECT_EQ(a->allocate(8, 8), nullptr);             // as allocate refuses
  EXPECT_EQ(a->try_allocate_quick(16, 8), p16);
  EXPECT_TRUE(a->try_deallocate_quick(p16, 16, 8));
  EXPECT_TRUE(valid(*a));
}

TEST(QuickPath, ArenaArrayUsesTheCurrentArenaAndFreesIntoTheOwner) {
  using Arena = stalloc::Stalloc<16, 8>;
  auto a = std::make_unique<stalloc::ArenaArray<2, Arena>>();
  std::vector<void*> first;
  for (int i = 0; i < 16; ++i) first.push_back(a->allocate(8, 8));  // fills arena 0
  void* second = a->allocate(8, 8);                                 // arena 1 is current
  ASSERT_NE(second, nullptr);
  ASSERT_EQ(a->current(), 1u);
  ASSERT_TRUE(a->arena(1).owns(second));
  // A free into arena 0 (not current) goes onto arena 0's list ...
  EXPECT_TRUE(a->try_deallocate_quick(first[3], 8, 8));
  EXPECT_EQ(a->arena(0).live_blocks(), 15u);
  // ... and the quick path allocates from the current arena only.
  EXPECT_EQ(a->try_allocate_quick(8, 8), nullptr);  // arena 1 has no free 1-block entry
  EXPECT_TRUE(a->try_deallocate_quick(second, 8, 8));
  EXPECT_EQ(a->try_allocate_quick(8, 8), second);
  EXPECT_TRUE(valid(*a));
}

TEST(QuickPath, AChainTriesItsFirstLinkOnly) {
  using Small = stalloc::SizeLimited<64, stalloc::Stalloc<64, 8>>;
  using Medium = stalloc::Stalloc<64, 64>;
  using Heap = stalloc::Chain<Small, Medium, stalloc::System>;
  static_assert(has_quick_path<Heap>);
  auto quick = std::make_unique<Heap>();
  auto full = std::make_unique<Heap>();
  // `full` routes as the chain did before the quick path: first link's full
  // call, then the rest.
  std::mt19937_64 rng(9);
  std::vector<std::pair<void*, void*>> live;
  std::vector<std::size_t> sizes;
  const auto base_q = reinterpret_cast<std::uintptr_t>(quick.get());
  const auto base_f = reinterpret_cast<std::uintptr_t>(full.get());
  for (int i = 0; i < 20'000; ++i) {
    if (live.empty() || rng() % 2 == 0) {
      const std::size_t size = 1 + rng() % (rng() % 10 == 0 ? 5000 : 64);
      void* q = quick->allocate(size, 8);
      void* f = full->first().allocate(size, 8);
      if (f == nullptr) f = full->second().allocate(size, 8);
      ASSERT_NE(q, nullptr);
      ASSERT_NE(f, nullptr);
      ASSERT_EQ(quick->first().owns(q), full->first().owns(f));
      ASSERT_EQ(quick->second().first().owns(q), full->second().first().owns(f));
      if (quick->first().owns(q) || quick->second().first().owns(q)) {
        ASSERT_EQ(reinterpret_cast<std::uintptr_t>(q) - base_q,
                  reinterpret_cast<std::uintptr_t>(f) - base_f);
      }
      live.emplace_back(q, f);
      sizes.push_back(size);
    } else {
      const std::size_t k = rng() % live.size();
      quick->deallocate(live[k].first, sizes[k], 8);
      if (full->first().owns(live[k].second)) {
        full->first().deallocate(live[k].second, sizes[k], 8);
      } else {
        full->second().deallocate(live[k].second, sizes[k], 8);
      }
      live[k] = live.back();
      live.pop_back();
      sizes[k] = sizes.back();
      sizes.pop_back();
    }
    ASSERT_TRUE(valid(*quick)) << "op " << i;
    ASSERT_TRUE(State(quick->first().arena()) == State(full->first().arena())) << "op " << i;
    ASSERT_TRUE(State(quick->second().first()) == State(full->second().first())) << "op " << i;
  }
  for (std::size_t k = 0; k < live.size(); ++k) quick->deallocate(live[k].first, sizes[k], 8);
  EXPECT_TRUE(quick->first().is_empty());
  EXPECT_TRUE(quick->second().first().is_empty());
  for (std::size_t k = 0; k < live.size(); ++k) {
    if (full->first().owns(live[k].second)) {
      full->first().deallocate(live[k].second, sizes[k], 8);
    } else {
      full->second().deallocate(live[k].second, sizes[k], 8);
    }
  }
}

}  // namespace
}  // namespace adaptor_tests
