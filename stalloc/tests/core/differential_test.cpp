// Randomized differential test: Stalloc against the reference model
// (reference_model.hpp: a bitmap, plus LIFO stacks for QuickFit),
// over configurations from the smallest (L = 1, B = 4) to the largest index
// space (L = 65535) and big blocks. Fixed seed; to explore further:
//   STALLOC_DIFF_SEED=<n>  another seed
//   STALLOC_DIFF_OPS=<n>   operations per configuration (default below)
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "differential_driver.hpp"
#include "stalloc/indexed.hpp"

namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  if (*end != '\0') {
    ADD_FAILURE() << name << " must be a decimal number, got '" << v << "'";
    return fallback;
  }
  return n;
}

// Runs `ops` operations on Stalloc<L, B> (placed at each of several
// alignment phases); stops at the first disagreement with the model.
template <std::size_t L, std::size_t B, class Policy = stalloc::QuickFit>
void run_differential(std::uint64_t default_ops) {
  const std::uint64_t seed = env_or("STALLOC_DIFF_SEED", 20261125);
  const std::uint64_t ops = env_or("STALLOC_DIFF_OPS", default_ops);
  constexpr std::size_t kPhases = 4;
  for (auto& n : stalloc_test::MisuseLog::provoked) n = 0;
  for (std::size_t shift = 0; shift < kPhases; ++shift) {
    stalloc_test::Prng rng(seed * 1000003 + L * 31 + B + shift);
    stalloc_test::Differential<L, B, Policy> diff(shift * 3);
    for (std::uint64_t i = 0; i < ops / kPhases; ++i) {
      const std::string error = diff.step(rng);
      ASSERT_TRUE(error.empty()) << "Stalloc<" << L << ", " << B << ">, seed " << seed << ", phase "
                                 << shift << ": " << error;
    }
    const std::string error = diff.free_all(rng);
    ASSERT_TRUE(error.empty()) << "Stalloc<" << L << ", " << B << "> free_all: " << error;
  }
  if constexpr (Policy::checks) {
    // Each kind the policy can detect was provoked (and predicted) at least
    // once: Hardened sees allocation boundaries and list corruption, while
    // HardenedFirstFit's misuse tests reach only overlaps with free blocks.
    using stalloc::Misuse;
    std::vector<Misuse> kinds = {Misuse::double_free, Misuse::foreign_pointer,
                                 Misuse::misaligned_pointer, Misuse::bad_size, Misuse::wrong_size};
    if (Policy::quick_lists > 0 && L > 1) {
      kinds.push_back(Misuse::interior_pointer);
      kinds.push_back(Misuse::corrupt_free_list);
    }
    for (Misuse k : kinds)
      EXPECT_GT(stalloc_test::MisuseLog::provoked[static_cast<std::size_t>(k)], 0U)
          << "Stalloc<" << L << ", " << B << ">: no misuse of kind " << stalloc::to_string(k);
  }
}

// The default policy, QuickFit: quick lists in front of an indexed first fit.
TEST(Differential, OneBlock) {
  run_differential<1, 4>(40'000);
}
TEST(Differential, TwoBlocks) {
  run_differential<2, 8>(40'000);
}
TEST(Differential, CrateHeadline8x4) {
  run_differential<8, 4>(120'000);
}
TEST(Differential, Small64x8) {
  run_differential<64, 8>(200'000);
}
TEST(Differential, Medium300x16) {
  run_differential<300, 16>(200'000);
}
TEST(Differential, Medium1000x4) {
  run_differential<1000, 4>(200'000);
}
TEST(Differential, Wide4096x64) {
  run_differential<4096, 64>(80'000);
}
TEST(Differential, MaxBlocks65535x4) {
  run_differential<65535, 4>(60'000);
}
TEST(Differential, MaxBlocks65535x16) {
  run_differential<65535, 16>(30'000);
}
TEST(Differential, BigBlocks16x4096) {
  run_differential<16, 4096>(40'000);
}
TEST(Differential, HugeBlocks3x1MiB) {
  run_differential<3, (std::size_t{1} << 20)>(10'000);
}

// The crate-exact policy: first fit over the address-ordered list.
TEST(Differential, FirstFitOneBlock) {
  run_differential<1, 4, stalloc::FirstFit>(40'000);
}
TEST(Differential, FirstFitTwoBlocks) {
  run_differential<2, 8, stalloc::FirstFit>(40'000);
}
TEST(Differential, FirstFitCrateHeadline8x4) {
  run_differential<8, 4, stalloc::FirstFit>(120'000);
}
TEST(Differential, FirstFitSmall64x8) {
  run_differential<64, 8, stalloc::FirstFit>(200'000);
}
TEST(Differential, FirstFitMedium300x16) {
  run_differential<300, 16, stalloc::FirstFit>(200'000);
}
TEST(Differential, FirstFitMedium1000x4) {
  run_differential<1000, 4, stalloc::FirstFit>(200'000);
}
TEST(Differential, FirstFitWide4096x64) {
  run_differential<4096, 64, stalloc::FirstFit>(80'000);
}
TEST(Differential, FirstFitMaxBlocks65535x4) {
  run_differential<65535, 4, stalloc::FirstFit>(60'000);
}
TEST(Differential, FirstFitMaxBlocks65535x16) {
  run_differential<65535, 16, stalloc::FirstFit>(30'000);
}
TEST(Differential, FirstFitBigBlocks16x4096) {
  run_differential<16, 4096, stalloc::FirstFit>(40'000);
}
TEST(Differential, FirstFitHugeBlocks3x1MiB) {
  run_differential<3, (std::size_t{1} << 20), stalloc::FirstFit>(10'000);
}

// QuickFit for Chain links: a failed request coalesces the quick lists only
// when they hold 64 blocks or more (never, in the arenas below 64 blocks).
TEST(Differential, ChainedQuickFit8x4) {
  run_differential<8, 4, stalloc::ChainedQuickFit>(120'000);
}
TEST(Differential, ChainedQuickFit64x8) {
  run_differential<64, 8, stalloc::ChainedQuickFit>(200'000);
}
TEST(Differential, ChainedQuickFit300x16) {
  run_differential<300, 16, stalloc::ChainedQuickFit>(200'000);
}
TEST(Differential, ChainedQuickFit1000x4) {
  run_differential<1000, 4, stalloc::ChainedQuickFit>(270'000);
}
TEST(Differential, ChainedQuickFit4096x64) {
  run_differential<4096, 64, stalloc::ChainedQuickFit>(150'000);
}
TEST(Differential, ChainedQuickFit65535x16) {
  run_differential<65535, 16, stalloc::ChainedQuickFit>(60'000);
}

// The hardened policy: same answers as the plain arena on valid input, and
// provoked misuse (double frees, foreign and misaligned pointers, sizes past
// the end) reported exactly when the model says it is detectable.
TEST(Differential, Hardened8x4) {
  run_differential<8, 4, stalloc::Hardened>(60'000);
}
TEST(Differential, Hardened300x16) {
  run_differential<300, 16, stalloc::Hardened>(100'000);
}
TEST(Differential, Hardened65535x4) {
  run_differential<65535, 4, stalloc::Hardened>(30'000);
}
TEST(Differential, HardenedFirstFit8x4) {
  run_differential<8, 4, stalloc::HardenedFirstFit>(60'000);
}
TEST(Differential, HardenedFirstFit300x16) {
  run_differential<300, 16, stalloc::HardenedFirstFit>(100'000);
}
TEST(Differential, HardenedFirstFit65535x4) {
  run_differential<65535, 4, stalloc::HardenedFirstFit>(30'000);
}

// The indexed policy: the same answers as the plain arena (the model's first
// fit), with its ChunkIndex checked (I6) after every operation.
TEST(Differential, Indexed8x4) {
  run_differential<8, 4, stalloc::Indexed>(60'000);
}
TEST(Differential, Indexed300x16) {
  run_differential<300, 16, stalloc::Indexed>(150'000);
}
TEST(Differential, Indexed4096x64) {
  run_differential<4096, 64, stalloc::Indexed>(80'000);
}
TEST(Differential, Indexed65535x4) {
  run_differential<65535, 4, stalloc::Indexed>(30'000);
}
}  // namespace
