// Runs a workload the way the harness does: construct, run() for some rounds
// (from Options::threads threads at once for the multithreaded ones), drain().
#pragma once

#include <cstddef>
#include <cstdint>
#include <latch>
#include <thread>
#include <vector>

#include "workloads/allocator.hpp"
#include "workloads/metrics.hpp"
#include "workloads/workload.hpp"

namespace workloads::testing {

struct RunResult {
  std::uint64_t operations = 0;
};

// Thread t prepares, runs `rounds + t` rounds, so threads stop at different
// times, and drains as soon as it is done, while the others may still be
// running: the harshest order the harness can produce.
template <class W, Allocator A>
RunResult run_workload(W& w, A& a, const Options& options, unsigned rounds) {
  RunResult result;
  if (!W::info.multithreaded) {
    if constexpr (Prepares<W, A>) w.prepare(a, 0);
    for (unsigned r = 0; r < rounds; ++r) result.operations += w.run(a, 0);
    w.drain(a, 0);
    return result;
  }
  std::vector<std::uint64_t> operations(options.threads, 0);
  std::vector<std::thread> threads;
  // All threads exist before any starts (as behind Google Benchmark's start
  // barrier), so no thread id is reused while the workload runs.
  std::latch start{static_cast<std::ptrdiff_t>(options.threads)};
  for (unsigned t = 0; t < options.threads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      if constexpr (Prepares<W, A>) w.prepare(a, t);
      for (unsigned r = 0; r < rounds + t; ++r) operations[t] += w.run(a, t);
      w.drain(a, t);
    });
  }
  for (auto& thread : threads) thread.join();
  for (auto ops : operations) result.operations += ops;
  return result;
}

}  // namespace workloads::testing
