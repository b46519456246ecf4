// What the harness knows about an allocator besides its byte API.
//
// Every allocator is one header in harness/allocators/ defining a descriptor:
//
//   struct MyAllocator {
//     static constexpr std::string_view name = "my-allocator";       // CLI name
//     static constexpr std::string_view description = "...";         // for --list
//     static constexpr bool thread_safe = false;                     // may threads share it?
//     static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
//     template <workloads::ArenaHint H> using adapter = MyAdapter<...>;
//   };
//
// plus one line in registry.hpp. `adapter<H>` is the class the workloads call
// (workloads::Allocator); H is the workload's arena shape, which arena
// allocators turn into template arguments and the others ignore.
// `malloc_provider` names the library that must serve malloc in the worker
// process: the harness preloads it (mimalloc, jemalloc, tcmalloc) and the
// worker verifies it before measuring anything.
//
// Adapters may also offer, and the instrumented pass then uses:
//   static constexpr std::size_t arena_capacity;      a fixed arena of that many bytes
//   static constexpr std::size_t arena_footprint;     sizeof the arena object
//   std::size_t arena_offset(const void* p) const;    p's offset in the arena, or
//                                                     kNotInArena (then it came
//                                                     from a fallback)
//   std::size_t upstream_peak_bytes() const;          bytes the adapter took from below
//   void release_all();                               forget every allocation
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>

#include "workloads/workload.hpp"

namespace harness {

// The library that serves malloc/free/realloc in an allocator's worker process.
enum class MallocProvider { glibc, mimalloc, jemalloc, tcmalloc };

constexpr std::string_view provider_name(MallocProvider p) noexcept {
  switch (p) {
    case MallocProvider::glibc:
      return "glibc";
    case MallocProvider::mimalloc:
      return "mimalloc";
    case MallocProvider::jemalloc:
      return "jemalloc";
    case MallocProvider::tcmalloc:
      return "tcmalloc";
  }
  return "?";
}

inline constexpr std::size_t kNotInArena = ~std::size_t{0};

// A small arena shape for tests and probes that need some adapter<H>.
inline constexpr workloads::ArenaHint kProbeArena{4096, 16};

template <class D>
concept AllocatorDescriptor = requires {
  { D::name } -> std::convertible_to<std::string_view>;
  { D::description } -> std::convertible_to<std::string_view>;
  { D::thread_safe } -> std::convertible_to<bool>;
  { D::malloc_provider } -> std::convertible_to<MallocProvider>;
  typename D::template adapter<kProbeArena>;
};

template <class A>
concept HasFixedArena = requires(const A& a, const void* p) {
  { A::arena_capacity } -> std::convertible_to<std::size_t>;
  { A::arena_footprint } -> std::convertible_to<std::size_t>;
  { a.arena_offset(p) } -> std::same_as<std::size_t>;
};

template <class A>
concept CountsUpstream = requires(const A& a) {
  { a.upstream_peak_bytes() } -> std::same_as<std::size_t>;
};

}  // namespace harness
