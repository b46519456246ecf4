// dlopened by stalloc_malloc_dlopen_test: allocates in its constructor,
// checks and frees in its destructor (dlclose).
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "preload_check.hpp"

namespace {
std::map<int, std::string>* g_map = nullptr;
void* g_blocks[64];
std::size_t g_live = 0;

__attribute__((constructor)) void load() {
  g_map = new std::map<int, std::string>;
  for (int i = 0; i < 200; ++i) (*g_map)[i] = std::string(static_cast<std::size_t>(i), 'a');
  for (int i = 0; i < 64; ++i) {
    const std::size_t n = 8 + static_cast<std::size_t>(i) * 60;
    g_blocks[i] = std::malloc(n);
    malloc_test::fill(g_blocks[i], n, static_cast<unsigned>(i));
    g_live += n;
  }
}

__attribute__((destructor)) void unload() {
  for (int i = 0; i < 64; ++i) {
    const std::size_t n = 8 + static_cast<std::size_t>(i) * 60;
    if (malloc_test::first_bad(g_blocks[i], n, static_cast<unsigned>(i)) != n) {
      std::fputs("dl_lib: a block was overwritten\n", stderr);
      std::abort();
    }
    std::free(g_blocks[i]);
  }
  delete g_map;
  g_live = 0;
}
}  // namespace

extern "C" __attribute__((visibility("default"))) std::size_t dl_live_bytes() {
  return g_live;
}
