// Linked into stalloc_malloc_dlopen_test (DT_NEEDED): its constructor runs
// before main and allocates through whatever malloc the process has.
#include <cstdlib>

#include "preload_check.hpp"

namespace {
constexpr int kBlocks = 16;
void* g_blocks[kBlocks];

__attribute__((constructor)) void allocate_early() {
  for (int i = 0; i < kBlocks; ++i) {
    g_blocks[i] = std::malloc(100);
    if (g_blocks[i] != nullptr) malloc_test::fill(g_blocks[i], 100, static_cast<unsigned>(i));
  }
}
}  // namespace

extern "C" __attribute__((visibility("default"))) void** early_blocks(int* count) {
  *count = kBlocks;
  return g_blocks;
}
