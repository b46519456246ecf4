// The worker: the child process that runs one entry (workload, point,
// allocator, threads) and reports it as JSON on a file descriptor. The parent
// starts one per entry (spawn.hpp) so that each allocator gets a fresh heap,
// its own peak RSS, and, for mimalloc/jemalloc/tcmalloc, its own LD_PRELOAD.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace harness {

struct WorkerRequest {
  std::string workload;   // registered name
  std::string input;      // the ARG of NAME:ARG
  std::string allocator;  // registered name
  std::size_t point_index = 0;
  unsigned threads = 1;
  int repetitions = 5;
  double min_time_s = 0.2;
  double instrumented_time_s = 0.3;  // budget of the instrumented pass
  std::uint64_t seed = 42;
  bool quick = false;
  bool timing_only = false;  // an --interleave repetition after the first: timing only
  // > 0: exactly this many iterations per repetition instead of --min-time,
  // so that an instruction count cannot depend on how fast the run was
  // (scripts/count-instructions).
  std::uint64_t iterations = 0;
};

// Runs the entry and returns its fields of the result schema (arena,
// malloc_provider, timing, instrumented, corruptions, peak_rss_bytes).
// Throws std::runtime_error when the allocator's malloc provider cannot be
// verified or the workload fails.
nlohmann::json run_worker_entry(const WorkerRequest& request);

// Identifies the malloc of this process for the allocator's expected
// provider: { "library", "verified", "check", "version" }.
nlohmann::json run_worker_probe(const std::string& allocator);

}  // namespace harness
