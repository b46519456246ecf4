#include "allocator_availability.hpp"

#include <stdexcept>
#include <variant>

#include "malloc_provider.hpp"
#include "preload.hpp"
#include "spawn.hpp"

namespace harness {
namespace {

using nlohmann::json;

// A probe worker for `allocator`, with `library` preloaded, must find that
// the library serves its malloc; `mismatch` words the answer when it does
// not. Returns the probe's result when it does.
std::optional<json> probe_library(const std::string& allocator, const std::string& external,
                                  const std::string& library, Availability& av,
                                  std::string (*mismatch)(const json& probe)) {
  WorkerRequest request;
  request.kind = WorkerRequest::Kind::probe;
  request.allocator = allocator;
  request.external_library = external;
  const WorkerOutcome probe = run_worker(request, library);
  if (probe.status != WorkerOutcome::Status::ok) {
    av.available = false;
    av.reason = "preloading " + library + " failed: " + probe.error;
    return std::nullopt;
  }
  if (!probe.result.value("verified", false)) {
    av.available = false;
    av.reason = "preloaded " + library + mismatch(probe.result);
    return std::nullopt;
  }
  return probe.result;
}

// The --external library, preloaded under the carrier allocator's worker.
Availability probe_external(const AllocatorEntry& a) {
  Availability av;
  av.library = a.external_library;
  probe_library(external_carrier()->name, a.external_library, a.external_library, av,
                [](const json& probe) {
                  return " but it does not serve malloc: " + probe.value("check", std::string("?"));
                });
  return av;
}

// The provider's library, located on this machine and preloaded.
Availability probe_provider(const AllocatorEntry& a) {
  Availability av;
  if (a.malloc_provider == MallocProvider::glibc) {
    av.version = glibc_version();
    return av;
  }
  auto located = locate_malloc_library(a.malloc_provider);
  if (auto* missing = std::get_if<LibraryNotFound>(&located)) {
    av.available = false;
    av.reason = missing->reason;
    return av;
  }
  av.library = std::get<std::string>(located);
  const auto probe = probe_library(a.name, "", av.library, av, [](const json& result) {
    return " but malloc is served by " + result.value("library", std::string("?")) + " (" +
           result.value("check", std::string()) + ")";
  });
  if (probe && (*probe)["version"].is_string()) av.version = (*probe)["version"].get<std::string>();
  return av;
}

}  // namespace

AllocatorLookup::AllocatorLookup(const std::vector<ExternalAllocator>& externals) {
  const AllocatorEntry* carrier = external_carrier();
  // An external library runs under the carrier's adapter, so it has the
  // carrier's traits (a preloaded malloc replacement).
  for (const ExternalAllocator& e : externals) {
    AllocatorEntry a = *carrier;
    a.name = e.name;
    a.description = "external malloc replacement " + e.library + " (--external)";
    a.version.clear();
    a.carries_external = false;
    a.external_library = e.library;
    externals_.push_back(std::move(a));
  }
}

const AllocatorEntry& AllocatorLookup::operator()(const std::string& name) const {
  if (const AllocatorEntry* a = find_allocator(name)) return *a;
  for (const AllocatorEntry& a : externals_)
    if (a.name == name) return a;
  throw std::logic_error("no allocator " + name);  // the command line checked the names
}

std::map<std::string, Availability> probe_allocators(
    const std::vector<const AllocatorEntry*>& allocators) {
  std::map<MallocProvider, Availability> by_provider;  // one probe per library
  std::map<std::string, Availability> result;
  for (const AllocatorEntry* entry : allocators) {
    const AllocatorEntry& a = *entry;
    if (!a.external_library.empty()) {
      result[a.name] = probe_external(a);
      continue;
    }
    auto it = by_provider.find(a.malloc_provider);
    if (it == by_provider.end())
      it = by_provider.emplace(a.malloc_provider, probe_provider(a)).first;
    result[a.name] = it->second;
    // In-process allocators share glibc's process but not its version.
    if (a.malloc_provider == MallocProvider::glibc && !a.version.empty())
      result[a.name].version = a.version;
  }
  return result;
}

json allocator_json(const AllocatorEntry& a, const Availability& av) {
  json j = {{"name", a.name},
            {"description", a.description},
            {"available", av.available},
            {"reason", av.available ? json(nullptr) : json(av.reason)},
            {"library", av.library.empty() ? json(nullptr) : json(av.library)},
            {"version", av.version ? json(*av.version) : json(nullptr)}};
  j.update(allocator_traits_json(a));
  return j;
}

}  // namespace harness
