// Turning the results document (results/SCHEMA.md) into what people read:
// the ratio to `system`, the table, the CSV, and the file on disk.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace harness {

// Fills timing.ratio_to_system and speedup_vs_system of every ok entry from
// the `system` entry of the same workload, point and thread count.
void fill_ratios(nlohmann::json& entries);

// "stalloc-bench 0.1.0 | host | CPU x cores | compiler flags | ..."
std::string machine_line(const nlohmann::json& context);

std::string render_table(const nlohmann::json& document);
std::string render_csv(const nlohmann::json& document);

// Writes `content` to `path` through a temporary file in the same directory
// and a rename, so a reader never sees half a file. Throws on failure.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace harness
