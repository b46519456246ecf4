// One entry, measured: the template instantiated for every (workload,
// allocator) pair. Three passes, each with a fresh allocator and a fresh
// workload object (an arena adapter may be a global that only one adapter
// uses at a time):
//   1. instrumented (untimed): InstrumentedAdapter samples latencies and
//      memory figures;
//   2. check: the workload in check mode, for corruptions;
//   3. timed: Google Benchmark, one iteration = one W::run round, time per op
//      = wall time / ops returned, per repetition.
// The measured loop of pass 3 calls W::run on the concrete adapter type: no
// virtual call, no function pointer, nothing the harness adds.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

#include <workloads/metrics.hpp>
#include <workloads/workload.hpp>

#include "allocators/descriptor.hpp"
#include "instrumented_adapter.hpp"
#include "latency.hpp"
#include "memory_probe.hpp"
#include "statistics.hpp"
#include "tick_clock.hpp"
#include "timing_summary.hpp"
#include "worker.hpp"

namespace harness {

// Calls f(thread) on `threads` threads at once (the caller's own thread is
// thread 0) and waits for all.
template <class F>
void on_threads(unsigned threads, F&& f) {
  std::vector<std::thread> others;
  others.reserve(threads > 0 ? threads - 1 : 0);
  for (unsigned t = 1; t < threads; ++t) others.emplace_back([&f, t] { f(t); });
  f(0u);
  for (auto& th : others) th.join();
}

// Collects the per-repetition runs of the one benchmark registered at a time.
class CollectingReporter final : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration) continue;
      if (r.error_occurred) error = r.error_message;
      repetitions.push_back(r);
    }
  }
  std::vector<Run> repetitions;
  std::string error;
};

inline workloads::Options entry_options(const WorkerRequest& r, bool check) {
  workloads::Options o;
  o.seed = r.seed;
  o.quick = r.quick;
  o.check = check;
  o.threads = r.threads;
  o.input = r.input;
  return o;
}

template <class W, class A>
void prepare_all(W& w, A& a, unsigned thread) {
  if constexpr (workloads::Prepares<W, A>) w.prepare(a, thread);
}

// Rounds of W::run per thread that fill `budget_s`, from the time of one.
inline std::uint64_t rounds_for(double budget_s, double first_round_s) {
  constexpr std::uint64_t kMaxRounds = 1'000'000;
  if (first_round_s <= 0) return kMaxRounds;
  const double n = std::ceil(budget_s / first_round_s);
  return static_cast<std::uint64_t>(std::clamp(n, 1.0, static_cast<double>(kMaxRounds)));
}

// The held-bytes figure follows the allocator's declared memory model
// (allocators/memory_model.hpp); only whole_process needs a process probe.
template <class W, class A, MallocProvider Provider, MemoryModel Model>
nlohmann::json instrumented_pass(const WorkerRequest& r, const workloads::Point& point,
                                 std::uint64_t& rounds_out) {
  constexpr HeldProbe probe = Model != MemoryModel::whole_process ? HeldProbe::none
                              : Provider == MallocProvider::glibc ? HeldProbe::mallinfo2
                                                                  : HeldProbe::rss;
  // Time every k-th call: often enough for a stable p99.9, rarely enough
  // that the pass stays short and the caches are not all timer code.
  constexpr unsigned kSampleEvery = 7;
  const TickClock clock;
  const unsigned n = r.threads;

  auto alloc = std::make_unique<A>();
  InstrumentedAdapter<A, Model> ia(*alloc, clock, n, kSampleEvery, probe);
  W w(entry_options(r, false), point);
  // Every thread binds its sample buffer first: on_threads starts new
  // threads each time, and the binding is thread-local.
  on_threads(n, [&](unsigned t) {
    ia.bind_thread(t);
    prepare_all(w, ia, t);
  });
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t ops = 0;
  std::vector<std::uint64_t> ops_per_thread(n, 0);
  on_threads(n, [&](unsigned t) {
    ia.bind_thread(t);
    ops_per_thread[t] += w.run(ia, t);
  });
  const double first = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::uint64_t rounds = rounds_for(r.instrumented_time_s, first);
  on_threads(n, [&](unsigned t) {
    ia.bind_thread(t);
    for (std::uint64_t i = 1; i < rounds; ++i) ops_per_thread[t] += w.run(ia, t);
  });
  for (std::uint64_t o : ops_per_thread) ops += o;
  const std::size_t live_end = ia.requested_live_bytes();
  on_threads(n, [&](unsigned t) {
    ia.bind_thread(t);
    w.drain(ia, t);
  });
  rounds_out = rounds;

  nlohmann::json j;
  j["rounds"] = rounds;
  j["ops"] = ops;
  j["sample_every"] = kSampleEvery;
  j["timer"] = std::string(clock.name());
  j["timer_overhead_ns"] = clock.overhead_ns();
  j["timer_resolution_ns"] = clock.resolution_ns();
  j["latency"] = {{"allocate", latency_summary(ia.samples(OpKind::allocate), clock)},
                  {"free", latency_summary(ia.samples(OpKind::free), clock)},
                  {"realloc", latency_summary(ia.samples(OpKind::realloc), clock)}};
  const std::size_t requested_peak = ia.requested_peak_bytes();
  j["requested_live_peak_bytes"] = requested_peak;
  j["requested_live_end_bytes"] = live_end;
  std::size_t held = 0;
  if constexpr (Model == MemoryModel::fixed_arena) {
    held = ia.arena_high_water();
    j["held_source"] = "arena_high_water";
  } else if constexpr (Model == MemoryModel::arena_plus_fallback) {
    held = ia.arena_high_water() + ia.fallback_peak_bytes();
    j["held_source"] = "arena_high_water+system";
  } else if constexpr (Model == MemoryModel::upstream_counted) {
    held = alloc->upstream_peak_bytes();
    j["held_source"] = "upstream_bytes";
  } else {
    held = ia.probed_peak_bytes();
    j["held_source"] = probe == HeldProbe::mallinfo2 ? "mallinfo2" : "rss_growth";
  }
  j["held_peak_bytes"] = held;
  j["overhead_ratio"] =
      requested_peak > 0
          ? nlohmann::json(static_cast<double>(held) / static_cast<double>(requested_peak))
          : nlohmann::json(nullptr);
  j["failed_requests"] = ia.failed_requests();
  if (auto fill = ia.fill_at_first_failure()) {
    j["fill_at_first_failure"] = *fill;
  } else {
    j["fill_at_first_failure"] = nullptr;
  }
  return j;
}

template <class W, class A>
std::uint64_t check_pass(const WorkerRequest& r, const workloads::Point& point,
                         std::uint64_t rounds) {
  auto alloc = std::make_unique<A>();
  W w(entry_options(r, true), point);
  on_threads(r.threads, [&](unsigned t) {
    prepare_all(w, *alloc, t);
    for (std::uint64_t i = 0; i < rounds; ++i) (void)w.run(*alloc, t);
  });
  on_threads(r.threads, [&](unsigned t) { w.drain(*alloc, t); });
  return w.corruptions();
}

template <class W, class A>
nlohmann::json timed_pass(const WorkerRequest& r, const workloads::Point& point) {
  auto alloc = std::make_unique<A>();
  W w(entry_options(r, false), point);
  const unsigned n = r.threads;
  // Prepared once per thread, inside the benchmark function but outside its
  // timed loop, so that per-thread allocators see the thread that runs.
  std::vector<char> prepared(n, 0);
  A& a = *alloc;
  auto* bench = benchmark::RegisterBenchmark("entry", [&](benchmark::State& state) {
    const auto t = static_cast<unsigned>(state.thread_index());
    if (!prepared[t]) {
      prepare_all(w, a, t);
      prepared[t] = 1;
    }
    std::uint64_t ops = 0;
    for (auto _ : state) ops += w.run(a, t);
    state.counters["ops"] = benchmark::Counter(static_cast<double>(ops));  // summed over threads
  });
  bench->Repetitions(r.repetitions)->UseRealTime();
  if (r.iterations > 0) {
    bench->Iterations(static_cast<benchmark::IterationCount>(r.iterations));
  } else {
    bench->MinTime(r.min_time_s);
  }
  if (n > 1) bench->Threads(static_cast<int>(n));
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::ClearRegisteredBenchmarks();
  on_threads(n, [&](unsigned t) { w.drain(a, t); });
  if (!reporter.error.empty()) throw std::runtime_error("benchmark error: " + reporter.error);
  if (reporter.repetitions.empty()) throw std::runtime_error("benchmark produced no repetitions");

  std::vector<double> ns_per_op;
  std::vector<double> cpu_ns_per_op;
  std::vector<std::uint64_t> ops_per_rep;
  std::vector<std::int64_t> iterations;
  for (const auto& run : reporter.repetitions) {
    const auto it = run.counters.find("ops");
    const double ops = it == run.counters.end() ? 0.0 : static_cast<double>(it->second.value);
    if (ops <= 0) throw std::runtime_error("the workload reported no operations");
    ops_per_rep.push_back(static_cast<std::uint64_t>(ops));
    ns_per_op.push_back(run.real_accumulated_time * 1e9 / ops);
    // CPU time of all the entry's threads: beside the wall time, it shows a
    // repetition that waited (descheduled, or spinning on a lock holder).
    cpu_ns_per_op.push_back(run.cpu_accumulated_time * 1e9 / ops);
    iterations.push_back(run.iterations);
  }
  nlohmann::json j;
  j["iterations"] = reporter.repetitions.front().iterations;
  j["iterations_per_repetition"] = iterations;
  j["ops_per_repetition"] = ops_per_rep;
  j["cpu_ns_per_op"] = cpu_ns_per_op;
  write_timing_summary(j, ns_per_op);
  j["speedup_vs_system"] = nullptr;  // filled in by the parent, which sees every entry
  return j;
}

template <class W, class D>
nlohmann::json run_entry(const WorkerRequest& r) {
  using A = typename D::template adapter<W::info.arena>;
  static_assert(kOffersDeclaredMemoryModel<D, W::info.arena>);
  const workloads::Options options = entry_options(r, false);
  const std::vector<workloads::Point> points = W::points(options);
  if (r.point_index >= points.size())
    throw std::runtime_error("point index " + std::to_string(r.point_index) + " out of range");
  const workloads::Point& point = points[r.point_index];

  nlohmann::json j;
  if (r.timing_only) {  // a later --interleave repetition: the first one measured the rest
    j["timing"] = timed_pass<W, A>(r, point);
    return j;
  }
  if constexpr (D::memory_model == MemoryModel::fixed_arena ||
                D::memory_model == MemoryModel::arena_plus_fallback) {
    j["arena"] = {{"blocks", W::info.arena.blocks},
                  {"block_size", W::info.arena.block_size},
                  {"capacity_bytes", W::info.arena.blocks * W::info.arena.block_size},
                  {"footprint_bytes", A::arena_footprint}};
  } else {
    j["arena"] = nullptr;
  }
  std::uint64_t rounds = 1;
  nlohmann::json instrumented =
      instrumented_pass<W, A, D::malloc_provider, D::memory_model>(r, point, rounds);
  // Check mode verifies every byte, so it is slower: a quarter of the rounds.
  const std::uint64_t corruptions =
      check_pass<W, A>(r, point, std::max<std::uint64_t>(1, rounds / 4));
  instrumented["check_mode_corruptions"] = corruptions;
  j["instrumented"] = std::move(instrumented);
  j["corruptions"] = corruptions;
  j["timing"] = timed_pass<W, A>(r, point);
  j["peak_rss_bytes"] = peak_rss_bytes();
  return j;
}

}  // namespace harness
