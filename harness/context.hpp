// The context block of a result: the machine, the build and the run.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness {

struct MachineInfo {
  std::string host;
  std::string cpu_model;
  unsigned cores = 1;
  std::string os;
};

MachineInfo machine_info();

// Build facts compiled in (version, compiler, flags, build type, commit).
nlohmann::json build_context();

// "2026-11-25T16:40:00Z" for now, or with compact=true "20261125T164000Z"
// (for file names).
std::string utc_timestamp(bool compact = false);

// The repository's results/ directory this binary was built from.
std::string source_results_dir();

std::string tool_version();

// The 1, 5 and 15 minute load averages, or null.
nlohmann::json load_average();

// cpu_mhz, cpu_scaling and caches (results/SCHEMA.md), as Google Benchmark
// reads them.
void add_cpu_context(nlohmann::json& context);

// What a run says of itself in the context block (results/SCHEMA.md), next
// to the machine and the build. The benchmark run (run.cpp) and the program
// run (program_run.cpp) fill it their way; run_context builds the block the
// same way for both.
struct RunDescription {
  std::string date;  // utc_timestamp() when the run started
  nlohmann::json load_average_start;
  std::string command_line;
  std::uint64_t seed = 0;
  bool quick = false;
  nlohmann::json quick_scope;  // null unless quick
  int repetitions = 1;
  bool interleaved = true;
  nlohmann::json min_time_s;  // null: a repetition is one run of a program
  std::vector<unsigned> threads;
  // Versions found by the probes ("mimalloc" -> "2.0.9"), over the
  // defaults: glibc, stalloc and Google Benchmark known, the preloaded
  // libraries null.
  std::map<std::string, std::string> library_versions;
};

// The whole context block: machine, CPU, build, the run; `interrupted`
// false and `duration_s` 0 until finish_context.
nlohmann::json run_context(const RunDescription& run);

// What is known only at the end: whether the run was interrupted, how long
// it took, the load average then.
void finish_context(nlohmann::json& context, bool interrupted, double duration_s);

}  // namespace harness
