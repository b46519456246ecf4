// The command line of stalloc-bench (CLI11), and its validation: every bad
// input is rejected here, before any work, with one line and exit status 2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace harness {

// `NAME`, `NAME:FILE` for a workload that reads a file (the argument goes
// to workloads::Options::input), or `NAME:key=value` / `NAME:key` to select
// sweep points of the others.
struct WorkloadSpec {
  std::string name;
  std::string input;
  std::string select_key;    // "live": only this sweep ...
  std::string select_value;  // ... and, when not empty, only this point
  // What names the workload in results and in a worker's request: the point
  // selection is the parent's business.
  std::string text() const { return input.empty() ? name : name + ":" + input; }
};

enum class Format { table, json, csv, gbench };

// --external NAME=/path/lib.so.
struct ExternalAllocator {
  std::string name;
  std::string library;  // absolute path
};

struct Config {
  std::vector<WorkloadSpec> workloads;
  // --workload program:NAME (or program:all): programs of the catalog, run
  // alone, as `stalloc-bench run --program` runs them (plan.hpp).
  std::vector<std::string> programs;
  std::vector<std::string> allocators;  // registry order, then the --external ones
  std::vector<ExternalAllocator> externals;
  bool allocators_given = false;  // else: every available one
  unsigned max_threads = 1;       // the top of the sweep: 1, 2, 4, ... max_threads
  int repetitions = 5;
  double min_time_s = 0.2;
  double instrumented_time_s = 0.3;
  std::uint64_t seed = 42;
  bool quick = false;
  // One worker per repetition, round-robin over the entries (see --help).
  bool interleave = true;
  std::string out;         // empty: ./results/<workloads>-<time>.json
  std::string gbench_out;  // Google Benchmark JSON, beside the results
  std::string filter;      // ECMAScript regex over entry names, empty: all
  bool quiet = false;      // no progress on stderr
  Format format = Format::table;
  bool list = false;
  std::string command_line;
};

// Defaults that depend on --quick (Google Benchmark repetitions and minimum
// time per repetition, instrumented pass budget).
struct RunDefaults {
  int repetitions;
  double min_time_s;
  double instrumented_time_s;
};
RunDefaults run_defaults(bool quick);

struct CliResult {
  bool proceed = false;  // false: exit now with exit_code
  int exit_code = 0;
};

// Parses and validates. On --help/--version prints to `out` and returns
// {false, 0}; on bad input prints one line to `err` and returns {false, 2}.
CliResult parse_command_line(int argc, const char* const* argv, Config& config, std::ostream& out,
                             std::ostream& err);

// Thread counts tried for multithreaded workloads: 1, 2, 4, ... below max, and max.
std::vector<unsigned> thread_counts(unsigned max_threads);

}  // namespace harness
