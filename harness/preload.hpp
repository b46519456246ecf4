// Finding the shared library to preload into an allocator's worker process.
//
// Search order for provider P (mimalloc, jemalloc, tcmalloc):
//   1. the environment variable STALLOC_BENCH_<P>_LIBRARY (e.g.
//      STALLOC_BENCH_MIMALLOC_LIBRARY=/opt/lib/libmimalloc.so.2); when set it
//      is the only candidate, so a test can make a library "missing";
//   2. the dynamic linker's cache (`ldconfig -p`) for the known sonames;
//   3. the usual library directories.
#pragma once

#include <string>
#include <variant>

#include "allocators/descriptor.hpp"

namespace harness {

struct LibraryNotFound {
  std::string reason;  // one line, names what was looked for and how to get it
};

// The path to preload, or why there is none. glibc needs no preload and
// yields an empty path.
std::variant<std::string, LibraryNotFound> locate_malloc_library(MallocProvider provider);

}  // namespace harness
