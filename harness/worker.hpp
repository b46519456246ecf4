// The worker: the child process that runs one entry (workload, point,
// allocator, threads) and reports it as JSON on a file descriptor. The parent
// starts one per entry (spawn.hpp) so that each allocator gets a fresh heap,
// its own peak RSS, and, for mimalloc/jemalloc/tcmalloc, its own LD_PRELOAD.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "worker_request.hpp"

namespace harness {

// Runs the entry and returns its fields of the result schema (arena,
// malloc_provider, timing, instrumented, corruptions, peak_rss_bytes).
// Throws std::runtime_error when the allocator's malloc provider cannot be
// verified or the workload fails.
nlohmann::json run_worker_entry(const WorkerRequest& request);

// Identifies the malloc of this process for the allocator's expected
// provider: { "library", "verified", "check", "version" }.
nlohmann::json run_worker_probe(const std::string& allocator);

}  // namespace harness
