// The context block of a result: the machine, the build and the run.
#pragma once

#include <string>

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

}  // namespace harness
