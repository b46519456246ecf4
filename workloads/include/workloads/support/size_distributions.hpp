// Request-size distributions shared by the workloads, each documented with
// where its shape comes from. All draw from support::Random, so a seed fixes
// every size.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "workloads/support/random.hpp"

namespace workloads::support {

// Objects of 8 to 64 bytes as a parser or interpreter makes them: mostly
// structs (multiples of 8, the small ones most common: list cells, AST nodes,
// boxed numbers), plus one request in five a short string of any length.
inline std::size_t small_object_size(Random& rng) noexcept {
  if (rng.chance(200)) return static_cast<std::size_t>(rng.between(8, 64));
  // Per-mille weights of 8, 16, ..., 64 bytes.
  static constexpr std::array<std::uint32_t, 8> kWeights{150, 250, 200, 150, 80, 70, 50, 50};
  std::uint64_t roll = rng.below(1000);
  for (std::size_t i = 0; i < kWeights.size(); ++i) {
    if (roll < kWeights[i]) return 8 * (i + 1);
    roll -= kWeights[i];
  }
  return 64;
}

}  // namespace workloads::support

namespace workloads::support {

// Uniform in the logarithm between lo and hi (both >= 1): as many requests
// from 16 to 32 bytes as from 1 KiB to 2 KiB.
inline std::size_t log_uniform_size(Random& rng, std::size_t lo, std::size_t hi) noexcept {
  const double log_lo = std::log(static_cast<double>(lo));
  const double log_hi = std::log(static_cast<double>(hi) + 1.0);
  const auto size = static_cast<std::size_t>(std::exp(log_lo + (log_hi - log_lo) * rng.unit()));
  return size < lo ? lo : (size > hi ? hi : size);
}

// General-purpose program sizes: most requests small, a long tail to tens of
// KiB. The shape follows published allocation profiles of C and C++ programs
// (a majority under 64 bytes, a few percent above 1 KiB, rare large buffers);
// each class is log-uniform inside. Mean about 870 bytes.
struct SizeClassShare {
  std::uint32_t per_mille;
  std::size_t lo;
  std::size_t hi;
};
inline constexpr std::array<SizeClassShare, 5> kRealisticSizeClasses{{
    {550, 8, 64},
    {250, 65, 256},
    {120, 257, 1024},
    {60, 1025, 8192},
    {20, 8193, 65536},
}};

inline std::size_t realistic_size(Random& rng) noexcept {
  std::uint64_t roll = rng.below(1000);
  for (const SizeClassShare& c : kRealisticSizeClasses) {
    if (roll < c.per_mille) return log_uniform_size(rng, c.lo, c.hi);
    roll -= c.per_mille;
  }
  return kRealisticSizeClasses.back().hi;
}

}  // namespace workloads::support
