// The registries as run-time data, for the parts of the harness that only
// need names and descriptions (CLI validation, --list, planning, reports).
// Nothing here is on a measured path.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <workloads/workload.hpp>

#include "allocators/descriptor.hpp"

namespace harness {

struct WorkloadEntry {
  std::string name;
  std::string description;
  workloads::ArenaHint arena;
  // Its declared traits (workloads::Info).
  bool multithreaded = false;
  bool uses_seed = true;
  bool needs_input = false;  // only as NAME:ARG (trace:FILE); `all` skips it
  bool exceeds_arena_on_purpose = false;
  std::function<std::vector<workloads::Point>(const workloads::Options&)> points;
  // Builds the workload once (its first point), so that a bad argument (a
  // missing or corrupt trace file) is reported before any work. Throws.
  // Returns what --quick left out of it ("first 100,000 of 1,270,000 ops"),
  // empty when that is not known beyond "CI-sized".
  std::function<std::string(const workloads::Options&)> validate;
};

struct AllocatorEntry {
  std::string name;
  std::string description;
  // Its descriptor's declared traits (allocators/descriptor.hpp).
  Family family = Family::other;
  Role role = Role::competitor;
  bool thread_safe = false;
  MallocProvider malloc_provider = MallocProvider::glibc;
  MemoryModel memory_model = MemoryModel::whole_process;
  // The allocator's own version when it runs inside the harness's process
  // (Stalloc: the library's version and the adapter with its policy; pmr:
  // libstdc++); empty for the preloaded libraries, which report their own.
  std::string version;
  // Its adapter makes plain malloc calls and counts RSS growth as held
  // memory (PreloadedMallocAdapter): what an --external library runs under.
  bool carries_external = false;
  std::string external_library;  // an --external allocator's library, else empty
};

const std::vector<WorkloadEntry>& workload_catalog();
const std::vector<AllocatorEntry>& allocator_catalog();

const WorkloadEntry* find_workload(const std::string& name);
const AllocatorEntry* find_allocator(const std::string& name);

// The registered allocator whose adapter an --external library runs under.
const AllocatorEntry* external_carrier();

// The declared traits as JSON, for the results' allocators[] and
// `--list --format json`: what the scripts read instead of lists of names.
nlohmann::json allocator_traits_json(const AllocatorEntry& a);
nlohmann::json workload_traits_json(const WorkloadEntry& w);

// "a, b, c": for error messages that list the valid names.
std::string workload_names();
std::string allocator_names();

}  // namespace harness
