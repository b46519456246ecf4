// Must not compile: std::allocator is not an arena.
#include <memory>
#include <stalloc/global.hpp>

STALLOC_GLOBAL_ALLOCATOR(heap, std::allocator<int>);

int main() {
  return 0;
}
