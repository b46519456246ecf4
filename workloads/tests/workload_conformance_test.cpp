// Every synthetic workload against the rules of workload.hpp: clean in check
// mode, no leaks after drain, a seed fixes the requests, and a full heap gives
// counted failures rather than a crash.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "capped_allocator.hpp"
#include "checking_allocator.hpp"
#include "checking_arena.hpp"
#include "scribbling_allocator.hpp"
#include "test_driver.hpp"
#include "workloads/metrics.hpp"
#include "workloads/synthetic.hpp"
#if defined(STALLOC_BENCH_TEST_WORKLOAD_HEADER)  // the one-file test's extra workload
#include STALLOC_BENCH_TEST_WORKLOAD_HEADER
#endif

namespace {

using workloads::Options;
using workloads::Point;
using workloads::testing::CappedAllocator;
using workloads::testing::CheckingAllocator;
using workloads::testing::CheckingArena;
using workloads::testing::run_workload;
using workloads::testing::ScribblingAllocator;

template <class Tuple>
struct AsTestTypes;
template <class... W>
struct AsTestTypes<std::tuple<W...>> {
  using type = ::testing::Types<W...>;
};

// The workloads under test: every synthetic workload, and in the harness's
// one-file-plus-one-line test (harness/tests/CMakeLists.txt) one more from
// the test tree, as a new workload's one line in synthetic.hpp would add it.
#if defined(STALLOC_BENCH_TEST_WORKLOAD_HEADER)
using TestedWorkloads =
    decltype(std::tuple_cat(std::declval<workloads::SyntheticWorkloads>(),
                            std::declval<std::tuple<workloads::TestOnlyWorkload>>()));
#else
using TestedWorkloads = workloads::SyntheticWorkloads;
#endif

template <class W>
class WorkloadConformance : public ::testing::Test {};

struct WorkloadName {
  template <class W>
  static std::string GetName(int) {
    std::string name{W::info.name};
    for (char& c : name)
      if (c == '-') c = '_';
    return name;
  }
};

TYPED_TEST_SUITE(WorkloadConformance, AsTestTypes<TestedWorkloads>::type, WorkloadName);

constexpr unsigned kRounds = 3;

Options quick_check(std::uint64_t seed, unsigned threads) {
  Options o;
  o.seed = seed;
  o.quick = true;
  o.check = true;
  o.threads = threads;
  return o;
}

// Every sweep point, in check mode, single thread and (for multithreaded
// workloads) three threads.
TYPED_TEST(WorkloadConformance, CheckModeIsCleanAndDrainLeavesNothing) {
  using W = TypeParam;
  for (unsigned threads : {1u, 3u}) {
    if (threads > 1 && !W::info.multithreaded) continue;
    const Options options = quick_check(42, threads);
    const auto points = W::points(options);
    ASSERT_FALSE(points.empty());
    for (const Point& point : points) {
      SCOPED_TRACE("threads=" + std::to_string(threads) + " " + point.label());
      W w{options, point};
      CheckingAllocator a;
      const auto result = run_workload(w, a, options, kRounds);
      EXPECT_GT(result.operations, 0u);
      EXPECT_EQ(w.corruptions(), 0u);
      EXPECT_TRUE(a.errors().empty()) << a.errors().front();
      EXPECT_EQ(a.live_blocks(), 0u) << "leaked " << a.live_bytes() << " bytes";
      EXPECT_GT(a.allocations(), 0u);
      if constexpr (workloads::ReportsMemory<W>) {
        EXPECT_EQ(w.failed_requests(), 0u);
        EXPECT_GT(w.peak_requested_bytes(), 0u);
      }
    }
  }
}

// The pattern check is real: fast mode and check mode make the same requests.
TYPED_TEST(WorkloadConformance, CheckModeDoesNotChangeTheRequests) {
  using W = TypeParam;
  Options fast = quick_check(42, 2);
  fast.check = false;
  const Point point = W::points(fast).front();
  const W in_fast_mode{fast, point};
  const W in_check_mode{quick_check(42, 2), point};
  EXPECT_EQ(in_fast_mode.request_checksum(), in_check_mode.request_checksum());
}

// The crate's examples have fixed shapes (Info::uses_seed false): for them a
// different seed must give the same requests.

TYPED_TEST(WorkloadConformance, SameSeedSameRequestsDifferentSeedDifferent) {
  using W = TypeParam;
  const Options options = quick_check(42, 2);
  for (const Point& point : W::points(options)) {
    SCOPED_TRACE(point.label());
    const W a{options, point};
    const W b{options, point};
    const W c{quick_check(43, 2), point};
    EXPECT_EQ(a.request_checksum(), b.request_checksum());
    if (W::info.uses_seed) {
      EXPECT_NE(a.request_checksum(), c.request_checksum());
    } else {
      EXPECT_EQ(a.request_checksum(), c.request_checksum());
    }
  }
}

// Allocators that can drop everything at once (arenas) take the
// release_all() path of the workloads that use it; it must be just as clean.
TYPED_TEST(WorkloadConformance, CleanWithAnAllocatorThatReleasesAll) {
  using W = TypeParam;
  const Options options = quick_check(42, W::info.multithreaded ? 2 : 1);
  const Point point = W::points(options).front();
  W w{options, point};
  CheckingArena a;
  static_assert(workloads::ReleasesAll<CheckingArena>);
  const auto with_release_all = run_workload(w, a, options, kRounds);
  EXPECT_EQ(w.corruptions(), 0u);
  EXPECT_TRUE(a.errors().empty()) << a.errors().front();
  EXPECT_EQ(a.live_blocks(), 0u);
  // The same work counts the same operations either way (single-threaded:
  // with threads, how many handed objects are freed in a round is timing).
  if (W::info.multithreaded) return;
  W plain_w{options, point};
  CheckingAllocator plain;
  EXPECT_EQ(run_workload(plain_w, plain, options, kRounds).operations, with_release_all.operations);
}

// The pattern check can fail: an allocator that scribbles on a live block is
// caught (in check mode) as corruption by every workload.
// The scribbler can only damage a block that is live while another request
// is made. local-string, threaded and cache-scratch (on one thread) never hold
// a block across a request, so there the claim to check is that it finds
// nothing to damage.
template <class W>
constexpr bool holds_one_object_at_a_time() {
  return std::is_same_v<W, workloads::LocalString> || std::is_same_v<W, workloads::Threaded> ||
         std::is_same_v<W, workloads::CacheScratch>;
}

TYPED_TEST(WorkloadConformance, CheckModeCatchesAnAllocatorThatScribbles) {
  using W = TypeParam;
  // One thread: the scribbler's writes into another thread's block would be
  // a data race (and ThreadSanitizer runs this suite).
  const Options options = quick_check(42, 1);
  const Point point = W::points(options).front();
  W w{options, point};
  ScribblingAllocator a;
  run_workload(w, a, options, kRounds);
  if (holds_one_object_at_a_time<W>()) {
    EXPECT_EQ(a.scribbles(), 0u);
    EXPECT_EQ(w.corruptions(), 0u);
  } else {
    EXPECT_GT(a.scribbles(), 0u);
    EXPECT_GT(w.corruptions(), 0u);
  }
}

// Quick and full runs take the same shape of requests, and quick is smaller or
// equal: the points list of a quick run is a subset of the full one.
TYPED_TEST(WorkloadConformance, QuickPointsAreASubsetOfTheFullSweep) {
  using W = TypeParam;
  Options full;
  Options quick;
  quick.quick = true;
  const auto all = W::points(full);
  for (const Point& p : W::points(quick)) {
    bool found = false;
    for (const Point& q : all) found = found || (q.name == p.name && q.value == p.value);
    EXPECT_TRUE(found) << p.label();
  }
}

// A heap far too small for the workload: requests fail, the workload counts
// them, frees only what it got, and leaves nothing behind.
TYPED_TEST(WorkloadConformance, AFullHeapGivesCountedFailuresNotACrash) {
  using W = TypeParam;
  for (unsigned threads : {1u, 3u}) {
    if (threads > 1 && !W::info.multithreaded) continue;
    SCOPED_TRACE("threads=" + std::to_string(threads));
    const Options options = quick_check(42, threads);
    const Point point = W::points(options).front();
    W w{options, point};
    // Half of one thread's share of the workload's peak: requests must fail.
    std::uint64_t cap = 256;
    if constexpr (workloads::ReportsMemory<W>) cap = w.peak_requested_bytes() / (2 * threads);
    CappedAllocator a{cap};
    run_workload(w, a, options, kRounds);
    EXPECT_GT(a.refusals(), 0u);
    EXPECT_EQ(w.corruptions(), 0u);
    EXPECT_TRUE(a.checker().errors().empty()) << a.checker().errors().front();
    EXPECT_EQ(a.checker().live_blocks(), 0u);
    if constexpr (workloads::ReportsMemory<W>) {
      EXPECT_EQ(w.failed_requests(), a.refusals());
    }
  }
}

// The arena hint must hold the peak live set (in requested bytes; block
// rounding and fragmentation need the slack the hints leave), except for
// workloads whose point is to overflow it.
TYPED_TEST(WorkloadConformance, ArenaHintHoldsThePeakLiveSet) {
  using W = TypeParam;
  if constexpr (workloads::ReportsMemory<W>) {
    const Options options = quick_check(42, W::info.multithreaded ? 3 : 1);
    const std::uint64_t capacity = W::info.arena.blocks * W::info.arena.block_size;
    EXPECT_LE(W::info.arena.blocks, 65535u) << "Stalloc block indices are 16-bit";
    for (const Point& point : W::points(Options{})) {
      SCOPED_TRACE(point.label());
      W w{options, point};
      CheckingAllocator a;
      run_workload(w, a, options, 1);
      if (!W::info.exceeds_arena_on_purpose) {
        EXPECT_LE(w.peak_requested_bytes(), capacity);
      }
    }
  }
}

}  // namespace
