// What the harness knows about an allocator besides its byte API: its
// descriptor, the single source of truth for its traits.
//
// Every allocator is one header in harness/allocators/ defining a descriptor:
//
//   struct MyAllocator {
//     static constexpr std::string_view name = "my-allocator";  // CLI name
//     static constexpr std::string_view description = "...";    // for --list
//     static constexpr Family family = Family::other;            // traits.hpp
//     static constexpr Role role = Role::competitor;             // traits.hpp
//     static constexpr bool thread_safe = false;                 // may threads share it?
//     static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
//     static constexpr MemoryModel memory_model = MemoryModel::whole_process;
//     template <workloads::ArenaHint H> using adapter = MyAdapter<...>;
//   };
//
// plus one line in registry.hpp. `adapter<H>` is the class the workloads call
// (workloads::Allocator); H is the workload's arena shape, which arena
// allocators turn into template arguments and the others ignore.
// `malloc_provider` names the library that must serve malloc in the worker
// process: the harness preloads it (mimalloc, jemalloc, tcmalloc) and the
// worker verifies it before measuring anything. `memory_model` says which
// "held bytes" figure the allocator gets and what its adapter must offer for
// it (memory_model.hpp; checked at compile time for every registered
// allocator). Every trait is declared, none is inferred from the adapter's
// members: the results JSON's allocators[] and `stalloc-bench --list
// --format json` carry them to the scripts.
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>

#include "allocators/memory_model.hpp"
#include "allocators/traits.hpp"
#include "workloads/workload.hpp"

namespace harness {

// A small arena shape for tests and probes that need some adapter<H>.
inline constexpr workloads::ArenaHint kProbeArena{4096, 16};

template <class D>
concept AllocatorDescriptor = requires {
  { D::name } -> std::convertible_to<std::string_view>;
  { D::description } -> std::convertible_to<std::string_view>;
  { D::family } -> std::convertible_to<Family>;
  { D::role } -> std::convertible_to<Role>;
  { D::thread_safe } -> std::convertible_to<bool>;
  { D::malloc_provider } -> std::convertible_to<MallocProvider>;
  { D::memory_model } -> std::convertible_to<MemoryModel>;
  typename D::template adapter<kProbeArena>;
};

// True, or a compile error saying what D's adapter (for arena shape H) lacks
// for the memory model D declares. registry.hpp checks every allocator with
// the probe shape, run_entry.hpp with each workload's shape.
template <AllocatorDescriptor D, workloads::ArenaHint H = kProbeArena>
inline constexpr bool kOffersDeclaredMemoryModel =
    check_memory_model<typename D::template adapter<H>, D::memory_model>();

}  // namespace harness
