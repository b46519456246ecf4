#include "catalog.hpp"

#include <string_view>
#include <type_traits>

#include "allocators/malloc_adapter.hpp"
#include "allocators/registry.hpp"
#include "build_info.hpp"
#include "malloc_provider.hpp"
#include "workload_registry.hpp"

namespace harness {
namespace {

template <class T>
constexpr std::string_view type_name() {
  // GCC and Clang spell T inside __PRETTY_FUNCTION__ as "... [with T = X]" or "[T = X]".
  constexpr std::string_view f = __PRETTY_FUNCTION__;
  constexpr auto start = f.find("T = ") + 4;
  constexpr auto end = f.find_first_of(";]", start);
  return f.substr(start, end - start);
}

// "harness::StallocAdapter<4096, 16, stalloc::Indexed>" with the probe shape
// written as L, B: the policy is what tells the variants apart.
std::string arena_adapter_name(std::string_view pretty) {
  std::string s(pretty);
  const std::string shape =
      "<" + std::to_string(kProbeArena.blocks) + ", " + std::to_string(kProbeArena.block_size);
  for (auto at = s.find(shape); at != std::string::npos; at = s.find(shape, at))
    s.replace(at, shape.size(), "<L, B");
  return s;
}

template <class W>
std::string quick_scope(const W& w, const workloads::Options& o) {
  if constexpr (requires { w.program(); }) {
    const auto& p = w.program();
    if (!o.quick || !p.truncated) return {};
    std::string s = "first " + std::to_string(p.trace_ops) + " ops";
    if (p.announced_ops > 0) s += " of " + std::to_string(p.announced_ops);
    return s + " of the trace";
  } else {
    return {};
  }
}

}  // namespace

const std::vector<WorkloadEntry>& workload_catalog() {
  static const std::vector<WorkloadEntry> catalog = [] {
    std::vector<WorkloadEntry> v;
    WorkloadRegistry::for_each([&]<class W>() {
      constexpr const workloads::Info& info = W::info;
      WorkloadEntry e;
      e.name = std::string(info.name);
      e.description = std::string(info.description);
      e.arena = info.arena;
      e.multithreaded = info.multithreaded;
      e.uses_seed = info.uses_seed;
      e.needs_input = info.needs_input;
      e.exceeds_arena_on_purpose = info.exceeds_arena_on_purpose;
      e.points = [](const workloads::Options& o) { return W::points(o); };
      e.validate = [](const workloads::Options& o) -> std::string {
        const std::vector<workloads::Point> points = W::points(o);
        if (points.empty()) return {};
        const W probe(o, points.front());
        return quick_scope(probe, o);
      };
      v.push_back(std::move(e));
    });
    return v;
  }();
  return catalog;
}

const std::vector<AllocatorEntry>& allocator_catalog() {
  static const std::vector<AllocatorEntry> catalog = [] {
    std::vector<AllocatorEntry> v;
    AllocatorRegistry::for_each([&]<class D>() {
      using A = typename D::template adapter<kProbeArena>;
      AllocatorEntry e;
      e.name = std::string(D::name);
      e.description = std::string(D::description);
      e.family = D::family;
      e.role = D::role;
      e.thread_safe = D::thread_safe;
      e.malloc_provider = D::malloc_provider;
      e.memory_model = D::memory_model;
      if constexpr (D::family == Family::stalloc) {
        e.version = std::string("stalloc ") + STALLOC_BENCH_STALLOC_VERSION + ", " +
                    arena_adapter_name(type_name<A>());
      } else if constexpr (D::family == Family::pmr) {
        e.version = "GNU libstdc++ " + std::to_string(_GLIBCXX_RELEASE) + " std::pmr";
      } else if constexpr (D::malloc_provider == MallocProvider::glibc) {
        e.version = "glibc " + glibc_version();
      }
      // An --external library runs under the adapter of the preloaded
      // family: plain malloc calls, held bytes from RSS.
      e.carries_external = D::family == Family::preloaded &&
                           std::is_same_v<A, PreloadedMallocAdapter> &&
                           D::malloc_provider != MallocProvider::glibc;
      v.push_back(std::move(e));
    });
    return v;
  }();
  return catalog;
}

nlohmann::json allocator_traits_json(const AllocatorEntry& a) {
  return {{"family", std::string(family_name(a.family))},
          {"role", std::string(role_name(a.role))},
          {"thread_safe", a.thread_safe},
          {"malloc_provider", std::string(provider_name(a.malloc_provider))},
          {"memory_model", std::string(memory_model_name(a.memory_model))}};
}

nlohmann::json workload_traits_json(const WorkloadEntry& w) {
  return {{"multithreaded", w.multithreaded},
          {"uses_seed", w.uses_seed},
          {"needs_input", w.needs_input},
          {"exceeds_arena_on_purpose", w.exceeds_arena_on_purpose},
          {"arena", {{"blocks", w.arena.blocks}, {"block_size", w.arena.block_size}}}};
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

const AllocatorEntry* external_carrier() {
  for (const auto& a : allocator_catalog())
    if (a.carries_external) return &a;
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
