// libFuzzer target for the indexed policy (stalloc/indexed.hpp): the same
// differential driver on IndexedStalloc, whose ChunkIndex must place exactly
// where the reference model's first fit does, and whose check_invariants()
// also verifies the index.
//   input[0]   configuration and alignment phase;  input[1..]  operations
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "differential_driver.hpp"
#include "stalloc/indexed.hpp"

namespace {

template <std::size_t L, std::size_t B>
int run(stalloc_test::ByteSource& in, std::size_t shift) {
  stalloc_test::Differential<L, B, stalloc::Indexed> diff(shift);
  std::string error;
  while (error.empty() && !in.exhausted() && diff.ops() < 2000) error = diff.step(in);
  if (error.empty()) {
    stalloc_test::Prng order(diff.ops());
    error = diff.free_all(order);
  }
  if (!error.empty()) {
    std::fprintf(stderr, "IndexedStalloc<%zu, %zu>: %s\n", L, B, error.c_str());
    std::abort();
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  stalloc_test::ByteSource in(data + 1, size - 1);
  const std::size_t shift = data[0] >> 4;
  switch (data[0] & 0x7) {
    case 0:
      return run<1, 4>(in, shift);
    case 1:
      return run<8, 4>(in, shift);
    case 2:
      return run<64, 16>(in, shift);
    case 3:
      return run<300, 8>(in, shift);
    case 4:
      return run<4096, 4>(in, shift);
    case 5:
      return run<4097, 8>(in, shift);
    default:
      return run<65535, 4>(in, shift);
  }
}
