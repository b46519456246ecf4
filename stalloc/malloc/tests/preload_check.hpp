// The test programs run under LD_PRELOAD=libstalloc-malloc.so. They prove
// that the library really serves them (not glibc, silently) through its
// exported query functions, looked up at run time.
#pragma once

#include <dlfcn.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>

namespace malloc_test {

struct Library {
  std::size_t (*bytes_in_use)() = nullptr;
  int (*owns)(const void*) = nullptr;
  std::size_t (*active_arenas)() = nullptr;
};

// The preloaded library's query functions; exits 1 with a message when it is
// not loaded.
inline Library library() {
  Library lib;
  lib.bytes_in_use =
      reinterpret_cast<std::size_t (*)()>(dlsym(RTLD_DEFAULT, "stalloc_malloc_arena_bytes_in_use"));
  lib.owns = reinterpret_cast<int (*)(const void*)>(dlsym(RTLD_DEFAULT, "stalloc_malloc_owns"));
  lib.active_arenas =
      reinterpret_cast<std::size_t (*)()>(dlsym(RTLD_DEFAULT, "stalloc_malloc_active_arenas"));
  if (lib.bytes_in_use == nullptr || lib.owns == nullptr || lib.active_arenas == nullptr) {
    std::fprintf(stderr, "libstalloc-malloc.so is not loaded (run with LD_PRELOAD)\n");
    std::exit(1);
  }
  return lib;
}

// Byte i of an allocation filled with `seed`.
inline unsigned char pattern(unsigned seed, std::size_t i) {
  return static_cast<unsigned char>(seed + i * 31U + (i >> 8));
}
inline void fill(void* p, std::size_t n, unsigned seed) {
  auto* b = static_cast<unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) b[i] = pattern(seed, i);
}
// Index of the first byte that differs from the pattern, or n.
inline std::size_t first_bad(const void* p, std::size_t n, unsigned seed) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i)
    if (b[i] != pattern(seed, i)) return i;
  return n;
}

}  // namespace malloc_test
