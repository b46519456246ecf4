// Which of the run's allocators can run here, found before the plan: each
// preloaded library is located and test-loaded by a probe worker (one per
// library), so that a missing or broken library makes its allocators
// "unavailable" up front instead of failing in the middle of the run.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog.hpp"
#include "cli.hpp"

namespace harness {

struct Availability {
  bool available = true;
  std::string reason;   // when not available
  std::string library;  // the preloaded library, when there is one
  std::optional<std::string> version;
};

// The registered allocators and the run's --external ones, by name.
class AllocatorLookup {
 public:
  explicit AllocatorLookup(const std::vector<ExternalAllocator>& externals);
  // The name must be known (the command line checked it).
  const AllocatorEntry& operator()(const std::string& name) const;

 private:
  std::vector<AllocatorEntry> externals_;
};

// Probes the given allocators' libraries; keyed by allocator name.
std::map<std::string, Availability> probe_allocators(
    const std::vector<const AllocatorEntry*>& allocators);

// An allocators[] element of the results: its declared traits (the scripts
// read them) and its availability.
nlohmann::json allocator_json(const AllocatorEntry& a, const Availability& av);

}  // namespace harness
