// The real operator new(5) of a program whose allocator is
// STALLOC_GLOBAL_ALLOCATOR(heap, stalloc::ProgramHeap): the 5 bytes are
// addressable and the byte after them is poisoned, so a 1-byte overflow is
// reported by AddressSanitizer (it lands in the rounding slack of a 16-byte
// block, inside the arena, where ASan's own redzones cannot see it).
//
// A program of its own: the replacement owns every allocation of the
// process. A plain program, not a GoogleTest one, for the same reason as the
// adaptors' global tests (global_check.hpp). Outside ASan builds there is
// nothing to check: exit 77, which ctest shows as skipped.
#include <stalloc/global.hpp>
#include <stalloc/program_heap.hpp>

#include <cstdio>
#include <new>

#include "../adaptors/global_check.hpp"

#if defined(STALLOC_ASAN_POISONING)
#include <sanitizer/asan_interface.h>
#endif

STALLOC_GLOBAL_ALLOCATOR(heap, stalloc::ProgramHeap);

int main() {
#if defined(STALLOC_ASAN_POISONING)
  // Called as a function, not through a new-expression, so the compiler may
  // not elide or merge the allocation.
  auto* p = static_cast<unsigned char*>(::operator new(5));
  GLOBAL_CHECK(heap.first().owns(p));  // the 16-byte arena, not malloc
  GLOBAL_CHECK(__asan_region_is_poisoned(p, 5) == nullptr);
  GLOBAL_CHECK(__asan_address_is_poisoned(p + 5) != 0);   // the byte after the 5
  GLOBAL_CHECK(__asan_address_is_poisoned(p + 15) != 0);  // the rest of its block
  ::operator delete(p);                                  // unsized: the arena finds the size itself
  GLOBAL_CHECK(__asan_address_is_poisoned(p + 4) != 0);  // freed

  // The array and sized forms take the same path.
  auto* q = static_cast<unsigned char*>(::operator new[](5));
  GLOBAL_CHECK(__asan_address_is_poisoned(q + 5) != 0);
  ::operator delete[](q, 5);
  std::puts("operator new(5): the byte after the 5 is poisoned");
  return 0;
#else
  std::puts("not an AddressSanitizer build: nothing to check (scripts/test --sanitize)");
  return 77;
#endif
}
