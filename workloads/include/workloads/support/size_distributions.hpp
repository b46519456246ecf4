// Request-size distributions shared by the workloads, each documented with
// where its shape comes from. All draw from support::Random, so a seed fixes
// every size.
#pragma once

#include <array>
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
