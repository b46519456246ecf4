// Turning the results document (results/SCHEMA.md) into what people read:
// the speedup against `system`, the table, the CSV and Google Benchmark's
// JSON format.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace harness {

// results/SCHEMA.md. 2: `ratio_to_system` removed (one meaning per name: the
// speedup is system time / this time), CPU time, latency resolution, quick
// labels and entry names added.
inline constexpr int kResultsSchemaVersion = 2;

// Fills timing.speedup_vs_system (system's median time / this entry's: above
// 1 is faster than glibc) of every ok entry from the `system` entry of the
// same workload, point and thread count.
void fill_ratios(nlohmann::json& entries);

// "stalloc-bench 0.1.0 | host | CPU x cores | compiler flags | ..."
std::string machine_line(const nlohmann::json& context);

std::string render_table(const nlohmann::json& document);
std::string render_csv(const nlohmann::json& document);

// Google Benchmark's JSON output format (context, and per entry one
// benchmark per repetition plus the mean/median/stddev/cv aggregates, times
// in ns per allocator call), which its tools/compare.py reads unmodified.
// Entries that did not run are left out (named in context.not_run).
nlohmann::json render_gbench(const nlohmann::json& document);

}  // namespace harness
