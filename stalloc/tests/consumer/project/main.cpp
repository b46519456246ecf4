// The consumer: uses the arena through the installed (or vendored) headers and
// prints a line the test checks.
#include <stalloc/ostream.hpp>
#include <stalloc/stalloc.hpp>

#include <iostream>

constinit static stalloc::Stalloc<100, 8> heap;

int main() {
  void* a = heap.allocate(24, 8);
  void* b = heap.allocate(10, 16);
  if (a == nullptr || b == nullptr) return 1;
  heap.deallocate(a, 24, 8);
  std::cout << heap << '\n';
  heap.deallocate(b, 10, 16);
  if (!heap.is_empty()) return 2;
  std::cout << "consumer ok\n";
  return 0;
}
