// Must not compile: a global allocator cannot be a chain of references (the
// global arena owns its links). The error must say what is accepted.
#include <stalloc/global.hpp>

using Small = stalloc::Stalloc<16, 4>;
STALLOC_GLOBAL_ALLOCATOR(heap, stalloc::AllocChain<Small&, stalloc::System>);

int main() {
  return 0;
}
