// --external NAME=/path/lib.so: any malloc-replacement shared library as an
// allocator, with no code. Its entries run the adapter the preloaded Debian
// libraries use (PreloadedMallocAdapter: plain malloc/free/realloc calls,
// RSS growth as the memory held) in workers that preload the library, and
// each worker proves, before measuring, that the library really serves
// malloc.
#pragma once

#include <string>

#include "malloc_provider.hpp"

namespace harness {

// Proves two ways that this process's malloc, free, realloc and
// aligned_alloc are `library`'s: dladdr on each resolved symbol names a file
// that is `library` (same device and inode), and each resolved symbol is
// the library's own (dlopen with RTLD_NOLOAD, dlsym), as the glibc check
// compares with libc.so.6's symbol.
MallocIdentity identify_external_malloc(const std::string& library);

// Set in a worker started for an external allocator: the provider check of
// the allocator it runs under is replaced by identify_external_malloc.
void set_expected_external_library(const std::string& library);
const std::string& expected_external_library();

}  // namespace harness
