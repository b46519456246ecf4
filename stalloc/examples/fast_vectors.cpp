// fast_vectors: the whole program's allocator is a global UnsafeStalloc<1000, 4>
// (4 KB of .bss, no lock: this program has one thread). Each iteration fills
// two vectors with ten ints and then drops both at once with heap.clear(),
// instead of freeing them one by one. 10 million iterations.
//
// The default side does the same work with vectors that allocate from glibc
// malloc (stalloc::System, i.e. what the default operator new calls) and are
// freed normally, since malloc has no clear().
#include <stalloc/allocator.hpp>
#include <stalloc/global.hpp>
#include <stalloc/system.hpp>

#include <cstdint>
#include <cstdio>
#include <vector>

#include "example_support.hpp"

STALLOC_GLOBAL_ALLOCATOR(heap, stalloc::UnsafeStalloc<1000, 4>);

namespace {

std::uint64_t with_stalloc(std::uint64_t iterations) {
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    // Never destroyed: clear() below reclaims their memory in one step.
    examples::Forgotten<std::vector<int>> a;
    examples::Forgotten<std::vector<int>> b;
    for (int k = 0; k < 10; ++k) {
      a->push_back(k);
      b->push_back(k);
    }
    examples::keep(a->data());
    examples::keep(b->data());
    sum += static_cast<std::uint64_t>((*a)[9] + (*b)[4]);
    heap.clear();  // no allocation into `heap` is live any more
  }
  return sum;
}

std::uint64_t with_default(std::uint64_t iterations) {
  stalloc::System system;
  using Vector = std::vector<int, stalloc::allocator<int, stalloc::System>>;
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    Vector a(system);
    Vector b(system);
    for (int k = 0; k < 10; ++k) {
      a.push_back(k);
      b.push_back(k);
    }
    examples::keep(a.data());
    examples::keep(b.data());
    sum += static_cast<std::uint64_t>(a[9] + b[4]);
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const examples::Options options = examples::parse_options(argc, argv);
  // clear() in the loop is only sound if nothing else lives in the heap.
  if (!heap.is_empty()) {
    std::fprintf(stderr, "fast_vectors: the global heap is in use before main\n");
    return 1;
  }
  const std::uint64_t n = options.short_run ? 10'000 : 10'000'000;
  return examples::run_side_by_side(
      "fast_vectors", options, n, 13 * n, [&] { return with_stalloc(n); },
      [&] { return with_default(n); });
}
