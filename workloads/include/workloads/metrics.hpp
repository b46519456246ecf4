// Optional reporting a workload offers beyond workload.hpp's contract.
//
// workload.hpp fixes what every workload must have. The memory figures the
// benchmark reports (peak bytes requested, failed requests, the fill level at
// the first failure) and an untimed setup step are extras: the harness checks
// for them with these concepts and uses them when present, so a workload that
// lacks one still runs.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>

#include "workloads/allocator.hpp"

namespace workloads {

// failed_requests(): allocate/reallocate calls that returned nullptr, summed
// over every run() so far (all threads).
// peak_requested_bytes(): the most bytes the workload asked to hold at once.
// Computed from the request stream where the stream is pre-generated (so it
// is exact and costs nothing in the timed loop); for multithreaded workloads
// it is the sum of each thread's own peak plus the peak of objects in flight
// between threads, an upper bound on the simultaneous peak.
template <class W>
concept ReportsMemory = requires(const W& w) {
  { w.failed_requests() } -> std::same_as<std::uint64_t>;
  { w.peak_requested_bytes() } -> std::same_as<std::uint64_t>;
};

// How full the heap was, in requested bytes live, when the first request
// failed; empty when none failed. A fixed arena that fails at 95% of its
// capacity resists fragmentation better than one that fails at 60%.
template <class W>
concept ReportsFirstFailure = requires(const W& w) {
  { w.first_failure_live_bytes() } -> std::same_as<std::optional<std::uint64_t>>;
};

// prepare(a, thread): untimed setup that needs the allocator (for example
// filling random-free's live set before the churn is timed). Call it once per
// thread after construction and after each drain(), before the first run().
// Workloads that have it also call it themselves from run() when it was not
// called, so skipping it changes the timing of the first round, not the result.
template <class W, class A>
concept Prepares = Allocator<A> && requires(W& w, A& a, unsigned thread) {
  { w.prepare(a, thread) } -> std::same_as<void>;
};

}  // namespace workloads
