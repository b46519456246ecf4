#include "catalog.hpp"

#include "allocators/registry.hpp"
#include "workload_registry.hpp"

namespace harness {

const std::vector<WorkloadEntry>& workload_catalog() {
  static const std::vector<WorkloadEntry> catalog = [] {
    std::vector<WorkloadEntry> v;
    WorkloadRegistry::for_each([&]<class W>() {
      v.push_back({std::string(W::info.name), std::string(W::info.description), W::info.arena,
                   W::info.multithreaded, requires { requires W::needs_input; },
                   [](const workloads::Options& o) {
      return W::points(o); },
                   [](const workloads::Options& o) {
      const std::vector<workloads::Point> points = W::points(o);
      if (!points.empty()) W probe(o, points.front());
                   }});
});
return v;
}
();
return catalog;
}

const std::vector<AllocatorEntry>& allocator_catalog() {
  static const std::vector<AllocatorEntry> catalog = [] {
    std::vector<AllocatorEntry> v;
    AllocatorRegistry::for_each([&]<class D>() {
      using A = typename D::template adapter<kProbeArena>;
      v.push_back({std::string(D::name), std::string(D::description), D::thread_safe,
                   D::malloc_provider, requires { A::arena_footprint; }});
});
return v;
}
();
return catalog;
}

const WorkloadEntry* find_workload(const std::string& name) {
  for (const auto& w : workload_catalog())
    if (w.name == name) return &w;
  return nullptr;
}

const AllocatorEntry* find_allocator(const std::string& name) {
  for (const auto& a : allocator_catalog())
    if (a.name == name) return &a;
  return nullptr;
}

std::string workload_names() {
  std::string s;
  for (const auto& w : workload_catalog()) s += (s.empty() ? "" : ", ") + w.name;
  return s;
}

std::string allocator_names() {
  std::string s;
  for (const auto& a : allocator_catalog()) s += (s.empty() ? "" : ", ") + a.name;
  return s;
}

}  // namespace harness
