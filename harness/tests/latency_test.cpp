// The instrumented pass's latency percentiles report the allocator's time,
// not the timer's: an allocator that busy-waits a known time per call must
// have its median within 20% of that time and no percentile below it, or one step of the timer
// where a step is more than that (before the timer's cost was subtracted, a 50 ns call read 70-80
// ns here), and a call faster than the timer can resolve must be marked, not given a number.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "instrumented_adapter.hpp"
#include "latency.hpp"
#include "tick_clock.hpp"

namespace {

using harness::HeldProbe;
using harness::InstrumentedAdapter;
using harness::MemoryModel;
using harness::OpKind;
using harness::TickClock;

// Busy for a fixed number of dependent multiply-adds per call: a known cost
// in CPU cycles, the same every call (a loop that polls a clock would add
// up to one poll of jitter to every call).
class BusyAdapter {
 public:
  explicit BusyAdapter(std::uint64_t rounds) : rounds_(rounds) {}
  void* allocate(std::size_t, std::size_t) noexcept {
    spin();
    return &slot_;
  }
  void deallocate(void*, std::size_t, std::size_t) noexcept { spin(); }
  void* reallocate(void* p, std::size_t, std::size_t, std::size_t) noexcept {
    spin();
    return p;
  }

 private:
  void spin() noexcept {
    std::uint64_t x = sink_;
    for (std::uint64_t i = 0; i < rounds_; ++i) {
      x = x * 3 + 1;
      asm volatile("" : "+r"(x));
    }
    sink_ = x;
  }
  std::uint64_t rounds_;
  std::uint64_t sink_ = 1;
  alignas(16) unsigned char slot_[16]{};
};

// An allocator that does nothing: its calls cost less than the timer's step.
struct EmptyAdapter {
  void* allocate(std::size_t, std::size_t) noexcept { return &slot; }
  void deallocate(void*, std::size_t, std::size_t) noexcept {}
  void* reallocate(void* p, std::size_t, std::size_t, std::size_t) noexcept { return p; }
  alignas(16) unsigned char slot[16]{};
};

template <class A>
nlohmann::json measure(A& inner, const TickClock& clock, int calls) {
  InstrumentedAdapter<A, MemoryModel::whole_process> ia(inner, clock, 1, 7, HeldProbe::none);
  ia.bind_thread(0);
  for (int i = 0; i < calls; ++i) ia.deallocate(ia.allocate(16, 8), 16, 8);
  return harness::latency_summary(ia.samples(OpKind::allocate), clock);
}

// The true cost of one busy call: timed over batches of calls, so that the
// timer's cost is spread to nothing, and the median batch, so that a batch
// the machine preempted (a shared VM) does not count.
double true_cost_ns(BusyAdapter& busy) {
  constexpr int kBatch = 200;
  std::vector<double> per_call;
  for (int b = 0; b < 101; ++b) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kBatch; ++i) (void)busy.allocate(16, 8);
    const auto t1 = std::chrono::steady_clock::now();
    per_call.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / kBatch);
  }
  std::nth_element(per_call.begin(), per_call.begin() + 50, per_call.end());
  return per_call[50];
}

// One try: the percentiles against the cost measured in batches just before.
// Returns what was off, empty when everything was within 20%.
std::string try_wait(const TickClock& clock, double ns_per_round, double wait_ns) {
  BusyAdapter busy(static_cast<std::uint64_t>(wait_ns / ns_per_round));
  const double truth = true_cost_ns(busy);
  const nlohmann::json lat = measure(busy, clock, 40000);
  std::string off;
  for (const char* p : {"p50_ns", "p99_ns"}) {
    // At 50 ns, 20% is about a single step of the TSC (10 to 20 ns), which
    // the tail of any real distribution crosses: the median only there.
    if (wait_ns < 100 && std::string(p) != "p50_ns") continue;
    // A percentile is read off a timer that counts in steps, so it cannot be
    // nearer the truth than one step: where a step is more than 20% of the
    // wait (a 20 ns TSC step on some hosts against a 50 ns wait), one step is
    // the bound.
    const double bound = std::max(0.2 * truth, clock.resolution_ns());
    // Above the truth, p99 is not checked: on a shared machine the slowest 1%
    // of calls include other processes' interrupts, preemptions and cache
    // evictions, which no code here controls (seen in CI, with ctest running
    // two tests at once: a 400 ns wait's p99 at 2314 ns while its median read
    // 363 ns). A timer cost left in shows in the median, which is bounded
    // both ways. Below the truth there is no such excuse: a p99 under the
    // truth means the timer's cost was taken off twice.
    const double above =
        std::string(p) == "p99_ns" ? std::numeric_limits<double>::infinity() : bound;
    const double error = lat[p].is_number() ? lat[p].get<double>() - truth : 0;
    if (!lat[p].is_number() || error > above || -error > bound)
      off += std::string(p) + " for a " + std::to_string(wait_ns) + " ns wait (" +
             std::to_string(truth) + " ns measured in batches; timer overhead " +
             std::to_string(clock.overhead_ns()) + " ns, resolution " +
             std::to_string(clock.resolution_ns()) + " ns): " + lat.dump() + "\n";
  }
  return off;
}

// Three tries each: the machine is shared, and another process taking the
// CPU between the batch measurement and the samples moves one of them only.
// The median must be within 20% (or one timer step) either way; the 99th
// percentile not more than that below (see try_wait).
// The timer's cost is 20-30 ns here, so without its subtraction the 50 and
// 100 ns waits fail every try.
TEST(Latency, PercentilesOfAKnownWaitAreWithinTwentyPercent) {
  const TickClock clock;
  BusyAdapter probe(1000);
  const double ns_per_round = true_cost_ns(probe) / 1000;
  for (double wait_ns : {50.0, 100.0, 400.0}) {
    std::string off;
    for (int attempt = 0; attempt < 3; ++attempt) {
      off = try_wait(clock, ns_per_round, wait_ns);
      if (off.empty()) break;
    }
    EXPECT_EQ(off, "");
  }
}

TEST(Latency, BelowTheResolutionIsMarkedNotANumber) {
  const TickClock clock;
  EXPECT_GT(clock.resolution_ns(), 0.0);
  EmptyAdapter empty;
  const nlohmann::json lat = measure(empty, clock, 20000);
  EXPECT_EQ(lat["resolution_ns"].get<double>(), clock.resolution_ns());
  ASSERT_TRUE(lat["p50_ns"].is_null()) << lat.dump();
  bool marked = false;
  for (const auto& k : lat["below_resolution"]) marked |= k == "p50_ns";
  EXPECT_TRUE(marked) << lat.dump();
}

TEST(Latency, NoSamplesNoNumbers) {
  const TickClock clock;
  const nlohmann::json lat = harness::latency_summary({}, clock);
  EXPECT_EQ(lat["count"], 0);
  EXPECT_TRUE(lat["p50_ns"].is_null());
  EXPECT_TRUE(lat["below_resolution"].empty());
}

}  // namespace
