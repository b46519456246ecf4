// Stage 1 of a run (run.cpp: plan -> execute -> merge -> report): the
// entries, from the command line. Every (workload, sweep point, thread
// count, allocator) that --workload, --threads, --allocator and --filter
// select, in the order the results list them, each with the exact request
// its workers get. Pure: it reads the catalog and the probed availability,
// starts no process, and is tested from a Config alone (tests/plan_test.cpp).
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <workloads/workload.hpp>

#include "allocator_availability.hpp"
#include "catalog.hpp"
#include "cli.hpp"
#include "program_run.hpp"
#include "worker_request.hpp"

namespace harness {

struct PlannedEntry {
  const WorkloadEntry* workload = nullptr;
  WorkloadSpec spec;
  workloads::Point point;
  const AllocatorEntry* allocator = nullptr;
  // "" = to run; "unavailable" or "not_applicable" = listed, not run.
  std::string status;
  std::string reason;
  std::string quick_scope;  // what --quick left out, for the label
  // What its worker is asked: the first (or only) pass. The thread count
  // here is exact; --threads was the top of the sweep.
  WorkerRequest request;
  std::string preload;  // LD_PRELOAD of its workers ("" = none)

  // workload[/point]/allocator/threads:N, the name --filter matches and
  // Google Benchmark's format uses.
  std::string name() const;
};

// Bad input found while planning (a trace the workload refuses, a point
// that does not exist, a --filter that matches nothing): one line, and the
// run exits 2 before any work.
class PlanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The plan of `config`. `availability` holds every allocator of
// config.allocators (probe_allocators). Throws PlanError.
std::vector<PlannedEntry> plan_entries(const Config& config, const AllocatorLookup& lookup,
                                       const std::map<std::string, Availability>& availability);

// The entry's identity in the results (results/SCHEMA.md), its measured
// fields null: what merge fills from the workers' results.
nlohmann::json entry_skeleton(const PlannedEntry& entry);

// --workload program:NAME: the options of `stalloc-bench run --program NAME`
// with the same allocators, repetitions, output and format, so that the run
// is that one (the same entries, named program:NAME, in the same JSON).
ProgramRunOptions program_run_options(const Config& config);

// "live=16, live=1024": a workload's sweep points, for --list and errors.
std::string point_labels(const std::vector<workloads::Point>& points);

}  // namespace harness
