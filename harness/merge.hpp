// Stage 3 of a run (run.cpp: plan -> execute -> merge -> report): one
// results entry from its workers. The first pass's worker measured
// everything (instrumented and check passes, timing); each later pass of an
// interleaved run adds one timed repetition, and the summary is recomputed
// over all of them. Pure: tested on made-up outcomes (tests/merge_test.cpp).
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "spawn.hpp"

namespace harness {

// `entry` is the planned entry (entry_skeleton); `passes` its workers'
// outcomes in pass order, empty when it was never started. Only an entry
// whose status is "ok" (planned to run) is changed:
//   - never started: "interrupted" (the run was interrupted before it);
//   - the first worker interrupted: "interrupted" (while running);
//   - any worker failed: "failed", its error as the reason (prefixed with
//     the repetition after the first), no timing;
//   - a later worker interrupted: the repetitions measured so far stay.
nlohmann::json merge_repetitions(nlohmann::json entry, const std::vector<WorkerOutcome>& passes);

// Appends a timed repetition (a later pass's timing) to an entry's timing
// and recomputes the summary over all repetitions.
void add_repetition(nlohmann::json& timing, const nlohmann::json& more);

// Whether the entry makes the run's exit status 1: it failed, or its check
// pass found corrupted bytes.
bool entry_failed(const nlohmann::json& entry);

}  // namespace harness
