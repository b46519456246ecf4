// The library builds and works with -fno-exceptions -fno-rtti (the flags of
// many embedded and game code bases).
#include <stalloc/stalloc.hpp>

constinit stalloc::Stalloc<64, 8> heap;

int main() {
  void* p = heap.allocate(40, 8);
  if (p == nullptr) return 1;
  p = heap.grow(p, 40, 100, 8);
  if (p == nullptr) return 2;
  heap.deallocate(p, 100, 8);
  return heap.is_empty() && heap.check_invariants() ? 0 : 3;
}
