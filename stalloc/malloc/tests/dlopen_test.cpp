// Lifetimes under libstalloc-malloc.so (ctest malloc.dlopen_lifetimes):
//  - a library linked to this program (DT_NEEDED) allocates in its
//    constructor, before main; main checks those blocks came from the arenas
//    and are intact;
//  - a library loaded with dlopen allocates in its constructor and frees in
//    its destructor, loaded and unloaded 50 times; the arenas' bytes in use
//    come back to where they were;
//  - exit paths: an atexit handler and a static destructor free blocks after
//    main returns, a thread's TLS destructor frees at thread exit, and
//    another thread keeps allocating while the process exits.
//   stalloc_malloc_dlopen_test PATH_TO_DLOPENED_LIBRARY
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "preload_check.hpp"

extern "C" void** early_blocks(int* count);  // malloc_test_early library

namespace {

malloc_test::Library g_lib;
int g_failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAIL: %s\n", what);
    ++g_failures;
  }
}

void* g_at_exit_block = nullptr;
struct FreesAtExit {
  void* p = nullptr;
  ~FreesAtExit() {
    // After main returned: the arenas must still be there.
    std::memset(p, 1, 200);
    free(p);
    std::fputs("static destructor freed its block\n", stdout);
  }
} g_static;

pthread_key_t g_key;

}  // namespace

int main(int argc, char** argv) {
  g_lib = malloc_test::library();
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s LIBRARY\n", argv[0]);
    return 2;
  }

  // Allocations from a constructor that ran before main.
  int n = 0;
  void** early = early_blocks(&n);
  check(n > 0, "the early library's constructor allocated nothing");
  for (int i = 0; i < n; ++i) {
    check(g_lib.owns(early[i]) != 0, "a constructor's block is not from the arenas");
    check(malloc_test::first_bad(early[i], 100, static_cast<unsigned>(i)) == 100,
          "a constructor's block was overwritten");
    free(early[i]);
  }

  // Every round must give back at least what the library allocated. (The
  // total creeps up by ~150 bytes a round: ld.so's own bookkeeping, which
  // glibc's malloc shows too.)
  const std::size_t before = g_lib.bytes_in_use();
  for (int round = 0; round < 50; ++round) {
    void* h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      std::fprintf(stderr, "dlopen: %s\n", dlerror());
      return 1;
    }
    auto live = reinterpret_cast<std::size_t (*)()>(dlsym(h, "dl_live_bytes"));
    const std::size_t lib_bytes = live != nullptr ? live() : 0;
    check(lib_bytes > 0, "the dlopened library allocated nothing");
    const std::size_t loaded = g_lib.bytes_in_use();
    check(loaded > before + lib_bytes, "the dlopened library's blocks are not in the arenas");
    check(dlclose(h) == 0, "dlclose failed");
    const std::size_t unloaded = g_lib.bytes_in_use();
    if (loaded - unloaded < lib_bytes) {
      std::fprintf(stderr, "FAIL: round %d: %zu bytes allocated, %zu freed by dlclose\n", round,
                   lib_bytes, loaded - unloaded);
      ++g_failures;
    }
  }
  std::printf("arena bytes in use around 50 dlopen/dlclose: %zu -> %zu\n", before,
              g_lib.bytes_in_use());

  // A thread whose TLS destructor frees at thread exit.
  pthread_key_create(&g_key, [](void* p) {
    std::memset(p, 2, 64);
    free(p);
  });
  std::thread([] { pthread_setspecific(g_key, malloc(64)); }).join();

  g_static.p = malloc(200);
  g_at_exit_block = malloc(3000);
  atexit([] {
    std::memset(g_at_exit_block, 3, 3000);
    free(g_at_exit_block);
    std::fputs("atexit handler freed its block\n", stdout);
  });
  // A thread still allocating while main returns and exit() runs the
  // handlers and destructors above (and the C++ runtime's own).
  std::atomic<bool> started{false};
  std::thread([&started] {
    for (unsigned i = 0;; ++i) {
      void* p = malloc(16 + i % 3000);
      std::memset(p, 4, 16);
      free(p);
      started.store(true, std::memory_order_relaxed);
    }
  }).detach();
  while (!started.load(std::memory_order_relaxed)) std::this_thread::yield();
  if (g_failures != 0) return 1;
  std::puts("dlopen and lifetimes ok");
  return 0;
}
