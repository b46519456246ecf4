// The allocators `stalloc-bench run` can put under a whole program: the ones
// that replace malloc in an unmodified process by LD_PRELOAD. One list, read
// by the run command, its --help and its tests.
//
//   system    glibc's malloc (nothing preloaded)
//   stalloc   libstalloc-malloc.so: Stalloc arenas as the process's malloc
//   mimalloc, jemalloc, tcmalloc   Debian's libraries (preload.hpp finds them)
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "allocators/memory_model.hpp"
#include "allocators/traits.hpp"
#include "preload.hpp"

namespace harness {

// Traits as the allocator descriptors declare them (allocators/traits.hpp);
// the memory model of every program run is the whole process (its peak RSS).
struct ProgramAllocator {
  std::string_view name;
  std::string_view description;
  Family family;
  Role role;
  // Which library's malloc the probe must see; `stalloc` is not one of the
  // harness's in-process providers, so it has its own locator below.
  bool is_stalloc = false;
  MallocProvider provider = MallocProvider::glibc;

  std::string_view provider_label() const {
    return is_stalloc ? "stalloc" : provider_name(provider);
  }
};

inline constexpr ProgramAllocator kProgramAllocators[] = {
    {"system", "glibc malloc (no preload)", Family::system, Role::competitor, false,
     MallocProvider::glibc},
    {"stalloc", "libstalloc-malloc.so: Stalloc arenas in front of glibc", Family::stalloc,
     Role::subject, true, MallocProvider::glibc},
    {"mimalloc", "mimalloc (Debian libmimalloc2.0), preloaded", Family::preloaded, Role::competitor,
     false, MallocProvider::mimalloc},
    {"jemalloc", "jemalloc (Debian libjemalloc2), preloaded", Family::preloaded, Role::competitor,
     false, MallocProvider::jemalloc},
    {"tcmalloc", "tcmalloc (Debian libgoogle-perftools4), preloaded", Family::preloaded,
     Role::competitor, false, MallocProvider::tcmalloc},
};

// The library to preload for `a` ("" for system), or why there is none.
// libstalloc-malloc.so: $STALLOC_BENCH_STALLOC_MALLOC_LIBRARY when set, else
// the one built with this harness.
inline std::variant<std::string, LibraryNotFound> locate_program_allocator(
    const ProgramAllocator& a) {
  if (!a.is_stalloc) return locate_malloc_library(a.provider);
  if (const char* env = std::getenv("STALLOC_BENCH_STALLOC_MALLOC_LIBRARY"); env && *env)
    return std::string(env);
#ifdef STALLOC_MALLOC_LIBRARY_PATH
  return std::string(STALLOC_MALLOC_LIBRARY_PATH);
#else
  return LibraryNotFound{
      "libstalloc-malloc.so was not built with this harness; set "
      "STALLOC_BENCH_STALLOC_MALLOC_LIBRARY=/path/to/libstalloc-malloc.so"};
#endif
}

}  // namespace harness
