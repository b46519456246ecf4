#include "worker.hpp"

#include <stdexcept>

#include "allocators/registry.hpp"
#include "external_malloc.hpp"
#include "malloc_provider.hpp"
#include "worker_shard.hpp"

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

}  // namespace

nlohmann::json verified_provider(MallocProvider expected, const std::string& allocator) {
  const std::string& external = expected_external_library();
  const MallocIdentity id =
      external.empty() ? identify_malloc(expected) : identify_external_malloc(external);
  if (!external.empty() && !id.verified)
    throw std::runtime_error("external allocator: " + id.check);
  if (!id.verified)
    throw std::runtime_error("allocator " + allocator + ": malloc is served by '" + id.library +
                             "', not " + std::string(provider_name(expected)) + " (" + id.check +
                             ")");
  nlohmann::json j = identity_json(id);
  j.erase("version");
  return j;
}

nlohmann::json run_worker_entry(const WorkerRequest& request) {
  static_assert(kWorkerShards == 4, "add or remove run_in_shard calls and src/worker_shard_N.cpp");
  nlohmann::json result;
  const bool found = run_in_shard<0>(request, result) || run_in_shard<1>(request, result) ||
                     run_in_shard<2>(request, result) || run_in_shard<3>(request, result);
  if (!found)
    throw std::runtime_error("no such workload/allocator pair: " + request.workload + " / " +
                             request.allocator);
  return result;
}

nlohmann::json run_worker_probe(const std::string& allocator) {
  nlohmann::json result;
  bool found = false;
  if (!expected_external_library().empty())
    return identity_json(identify_external_malloc(expected_external_library()));
  AllocatorRegistry::for_each([&]<class D>() {
    if (found || D::name != allocator) return;
    found = true;
    result = identity_json(identify_malloc(D::malloc_provider));
  });
  if (!found) throw std::runtime_error("no such allocator: " + allocator);
  return result;
}

}  // namespace harness
