// local_alloc: a fresh Stalloc<200, 4> on the stack for every iteration,
// holding two vectors of ten ints. Creating it writes two 4-byte headers and
// nothing else, and the vectors are never freed: the arena simply goes out
// of scope. 10 million iterations.
//
// The default side uses plain std::vector (std::allocator, glibc malloc).
#include <stalloc/allocator.hpp>
#include <stalloc/stalloc.hpp>

#include <cstdint>
#include <vector>

#include "example_support.hpp"

namespace {

std::uint64_t with_stalloc(std::uint64_t iterations) {
  using Arena = stalloc::Stalloc<200, 4>;
  using Vector = std::vector<int, stalloc::allocator<int, Arena>>;
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    Arena arena;
    // Their memory dies with the arena; no destructor needs to run.
    examples::Forgotten<Vector> a(arena);
    examples::Forgotten<Vector> b(arena);
    for (int k = 0; k < 10; ++k) {
      a->push_back(k);
      b->push_back(k);
    }
    examples::keep(a->data());
    examples::keep(b->data());
    sum += static_cast<std::uint64_t>((*a)[9] + (*b)[4]);
  }
  return sum;
}

std::uint64_t with_default(std::uint64_t iterations) {
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    std::vector<int> a;
    std::vector<int> b;
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
  const std::uint64_t n = options.short_run ? 10'000 : 10'000'000;
  return examples::run_side_by_side(
      "local_alloc", options, n, 13 * n, [&] { return with_stalloc(n); },
      [&] { return with_default(n); });
}
