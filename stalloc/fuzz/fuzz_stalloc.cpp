// libFuzzer differential target: the input drives a sequence of operations
// (byte and block APIs, odd sizes and alignments, grow, shrink, grow_up_to,
// clear, free in any order) on one of several Stalloc configurations and on
// the reference model; any disagreement aborts with a description.
//   input[0]      configuration: bits 0-2 the shape, bits 3 and 7 the policy
//                 (bit 3 set: FirstFit, the crate's; else bit 7 set:
//                 ChainedQuickFit; else QuickFit, the default), bits 4-6 the
//                 alignment phase of the arena
//   input[1..]    the operations (see differential_driver.hpp)
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "differential_driver.hpp"

namespace {

constexpr std::size_t kMaxOpsPerInput = 2000;

template <std::size_t L, std::size_t B, class Policy>
int run_policy(stalloc_test::ByteSource& in, std::size_t shift) {
  stalloc_test::Differential<L, B, Policy> diff(shift);
  std::string error;
  while (error.empty() && !in.exhausted() && diff.ops() < kMaxOpsPerInput) error = diff.step(in);
  if (error.empty()) error = diff.check_all_contents();
  if (error.empty()) {
    stalloc_test::Prng order(diff.ops());
    error = diff.free_all(order);
  }
  if (!error.empty()) {
    std::fprintf(stderr, "Stalloc<%zu, %zu, %s> disagrees with the model: %s\n", L, B,
                 Policy::quick_lists == 0      ? "FirstFit"
                 : Policy::flush_threshold > 1 ? "ChainedQuickFit"
                                               : "QuickFit",
                 error.c_str());
    std::abort();
  }
  return 0;
}

enum class Which { kQuickFit, kFirstFit, kChainedQuickFit };
Which policy = Which::kQuickFit;

template <std::size_t L, std::size_t B>
int run(stalloc_test::ByteSource& in, std::size_t shift) {
  switch (policy) {
    case Which::kFirstFit:
      return run_policy<L, B, stalloc::FirstFit>(in, shift);
    case Which::kChainedQuickFit:
      return run_policy<L, B, stalloc::ChainedQuickFit>(in, shift);
    default:
      return run_policy<L, B, stalloc::QuickFit>(in, shift);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  stalloc_test::ByteSource in(data + 1, size - 1);
  const std::size_t shift = (data[0] >> 4) & 0x7;
  policy = (data[0] & 0x8) != 0    ? Which::kFirstFit
           : (data[0] & 0x80) != 0 ? Which::kChainedQuickFit
                                   : Which::kQuickFit;
  switch (data[0] & 0x7) {
    case 0:
      return run<1, 4>(in, shift);
    case 1:
      return run<2, 8>(in, shift);
    case 2:
      return run<8, 4>(in, shift);
    case 3:
      return run<64, 8>(in, shift);
    case 4:
      return run<300, 16>(in, shift);
    case 5:
      return run<16, 4096>(in, shift);
    case 6:
      return run<65535, 4>(in, shift);
    default:
      return run<5, 32>(in, shift);
  }
}
