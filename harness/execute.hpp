// Stage 2 of a run (run.cpp: plan -> execute -> merge -> report): the
// workers. Each planned entry to run gets one worker per pass (spawn.hpp),
// the passes round-robin over the plan, so that a slow phase of a shared
// machine falls on every allocator alike. Progress goes to stderr.
#pragma once

#include <chrono>
#include <vector>

#include "plan.hpp"
#include "spawn.hpp"

namespace harness {

struct ExecuteOptions {
  // Passes over the plan: with --interleave, one per repetition (each
  // worker runs one; the later ones time only), else one.
  int passes = 1;
  bool quiet = false;  // no progress
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// Runs the plan and returns, for each planned entry, its workers' outcomes
// in pass order (what merge_repetitions folds). An entry planned not to run
// gets none; an entry whose worker failed or was interrupted gets no more.
// After an interrupt (interrupted()), no worker starts.
std::vector<std::vector<WorkerOutcome>> execute_plan(const std::vector<PlannedEntry>& plan,
                                                     const ExecuteOptions& options);

}  // namespace harness
