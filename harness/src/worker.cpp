#include "worker.hpp"

#include <stdexcept>

#include "allocators/registry.hpp"
#include "external_malloc.hpp"
#include "malloc_provider.hpp"
#include "worker_slot.hpp"
#include "worker_slots.hpp"  // generated: one run_in_slot_N per allocator

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
  nlohmann::json result;
  bool found = false;
  for (const WorkerSlot slot : kWorkerSlots) {
    if ((found = slot(request, result))) break;
  }
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
