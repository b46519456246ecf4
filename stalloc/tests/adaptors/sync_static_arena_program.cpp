// A program with one constinit static SyncStalloc (the default lock):
// SyncStalloc<65535, 16> when STALLOC_BIG_ARENA is 1, SyncStalloc<1, 16>
// otherwise. stalloc/tests/core/check_bss.cmake compares the two binaries:
// the lock must not move the arena out of .bss (its words start at zero).
#include <stalloc/sync.hpp>

#include <cstdio>

#if STALLOC_BIG_ARENA
constinit static stalloc::SyncStalloc<65535, 16> arena;
#else
constinit static stalloc::SyncStalloc<1, 16> arena;
#endif

int main() {
  void* p = arena.allocate(16, 16);
  if (p == nullptr || !arena.owns(p)) return 1;
  arena.deallocate(p, 16, 16);
  std::printf("arena of %zu bytes is %s\n", sizeof(arena), arena.is_empty() ? "empty" : "BROKEN");
  return arena.is_empty() ? 0 : 2;
}
