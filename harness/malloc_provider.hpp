// Which library really serves malloc in this process, proven two ways:
//   1. dladdr() on the `malloc` that the dynamic linker resolves for the
//      program (RTLD_DEFAULT) names the object that defines it;
//   2. that library's own ownership query, found with dlsym, claims a block
//      just returned by malloc (mimalloc: mi_is_in_heap_region; jemalloc:
//      sallocx; tcmalloc: MallocExtension_GetOwnership; glibc: the resolved
//      malloc is libc.so.6's own `malloc` symbol and no other allocator's
//      query claims the block).
// The worker checks this before measuring and refuses to run on a mismatch,
// so a `system` baseline can never silently be another allocator.
#pragma once

#include <optional>
#include <string>

#include "allocators/descriptor.hpp"

namespace harness {

struct MallocIdentity {
  std::string library;                 // path of the object defining the resolved malloc
  bool verified = false;               // it is the expected provider, by both checks
  std::string check;                   // what was checked, or why it failed
  std::optional<std::string> version;  // the provider's own version report
};

MallocIdentity identify_malloc(MallocProvider expected);

// gnu_get_libc_version().
std::string glibc_version();

}  // namespace harness
