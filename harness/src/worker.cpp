// Where the registries meet: the only translation unit that instantiates
// run_entry<W, D> for every (workload, allocator) pair.
#include "worker.hpp"

#include <stdexcept>

#include "allocators/registry.hpp"
#include "malloc_provider.hpp"
#include "run_entry.hpp"
#include "workload_registry.hpp"

namespace harness {
namespace {

nlohmann::json identity_json(const MallocIdentity& id) {
  nlohmann::json j;
  j["library"] = id.library;
  j["verified"] = id.verified;
  j["check"] = id.check;
  j["version"] = id.version ? nlohmann::json(*id.version) : nlohmann::json(nullptr);
  return j;
}

// Refuses to measure an allocator whose malloc is not what it claims to be
// (the malloc trap): better no number than a wrong one.
nlohmann::json verified_provider(MallocProvider expected, const std::string& allocator) {
  const MallocIdentity id = identify_malloc(expected);
  if (!id.verified)
    throw std::runtime_error("allocator " + allocator + ": malloc is served by '" + id.library +
                             "', not " + std::string(provider_name(expected)) + " (" + id.check +
                             ")");
  nlohmann::json j = identity_json(id);
  j.erase("version");
  return j;
}

}  // namespace

nlohmann::json run_worker_entry(const WorkerRequest& request) {
  nlohmann::json result;
  bool found = false;
  WorkloadRegistry::for_each([&]<class W>() {
    if (found || W::info.name != request.workload) return;
    AllocatorRegistry::for_each([&]<class D>() {
      if (found || D::name != request.allocator) return;
      found = true;
      nlohmann::json provider = verified_provider(D::malloc_provider, request.allocator);
      result = run_entry<W, D>(request);
      result["malloc_provider"] = std::move(provider);
    });
  });
  if (!found)
    throw std::runtime_error("no such workload/allocator pair: " + request.workload + " / " +
                             request.allocator);
  return result;
}

nlohmann::json run_worker_probe(const std::string& allocator) {
  nlohmann::json result;
  bool found = false;
  AllocatorRegistry::for_each([&]<class D>() {
    if (found || D::name != allocator) return;
    found = true;
    result = identity_json(identify_malloc(D::malloc_provider));
  });
  if (!found) throw std::runtime_error("no such allocator: " + allocator);
  return result;
}

}  // namespace harness
