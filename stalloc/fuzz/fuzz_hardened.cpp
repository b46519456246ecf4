// libFuzzer target for the hardened policy: the same differential driver, on
// HardenedStalloc, with provoked misuse (double frees of earlier frees, also
// after their blocks were handed out again; foreign, misaligned and interior
// pointers; sizes too small, too large, past the end, or 0; and, on
// Hardened, use-after-free writes into free chunk and quick entry headers).
// Each misuse must be reported, as the kind the model predicts, exactly
// when the model says it is detectable, with the arena unchanged; valid
// operations must never be reported.
//   input[0]   bits 0-1 the shape, bit 2 the policy (0 Hardened, over
//              QuickFit; 1 HardenedFirstFit), bits 4-7 the alignment phase
//   input[1..] operations
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "differential_driver.hpp"

namespace {

template <std::size_t L, std::size_t B, class Policy>
int run_policy(stalloc_test::ByteSource& in, std::size_t shift) {
  stalloc_test::Differential<L, B, Policy> diff(shift);
  std::string error;
  while (error.empty() && !in.exhausted() && diff.ops() < 2000) error = diff.step(in);
  if (error.empty()) {
    stalloc_test::Prng order(diff.ops());
    error = diff.free_all(order);
  }
  if (!error.empty()) {
    std::fprintf(stderr, "Stalloc<%zu, %zu, %s>: %s\n", L, B,
                 Policy::quick_lists > 0 ? "Hardened" : "HardenedFirstFit", error.c_str());
    std::abort();
  }
  return 0;
}

bool first_fit = false;

template <std::size_t L, std::size_t B>
int run(stalloc_test::ByteSource& in, std::size_t shift) {
  return first_fit ? run_policy<L, B, stalloc::HardenedFirstFit>(in, shift)
                   : run_policy<L, B, stalloc::Hardened>(in, shift);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  stalloc_test::ByteSource in(data + 1, size - 1);
  const std::size_t shift = data[0] >> 4;
  first_fit = (data[0] & 0x4) != 0;
  switch (data[0] & 0x3) {
    case 0:
      return run<1, 4>(in, shift);
    case 1:
      return run<8, 4>(in, shift);
    case 2:
      return run<64, 16>(in, shift);
    default:
      return run<1000, 8>(in, shift);
  }
}
