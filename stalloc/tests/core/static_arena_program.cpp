// A program with one constinit static arena: Stalloc<65535, 16> (1 MiB of
// blocks) when STALLOC_BIG_ARENA is 1, Stalloc<1, 16> otherwise. The check
// script compares the two binaries: the big one must not be ~1 MiB larger on
// disk, because an all-zero arena belongs in .bss.
#include <stalloc/stalloc.hpp>

#include <cstdio>

#if STALLOC_BIG_ARENA
constinit static stalloc::Stalloc<65535, 16> arena;
#else
constinit static stalloc::Stalloc<1, 16> arena;
#endif

int main() {
  void* p = arena.allocate(16, 16);
  if (p == nullptr || !arena.owns(p)) return 1;
  arena.deallocate(p, 16, 16);
  std::printf("arena of %zu bytes is %s\n", sizeof(arena), arena.is_empty() ? "empty" : "BROKEN");
  return arena.is_empty() ? 0 : 2;
}
