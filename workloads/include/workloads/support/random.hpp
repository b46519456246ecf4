// Deterministic random numbers for generating request streams.
//
// std::mt19937 and the std:: distributions are not specified bit for bit
// across standard libraries, so a seed would not give the same requests
// everywhere. These generators are fully specified: xoshiro256** seeded
// through splitmix64, as their authors recommend, and an unbiased bounded
// draw (Lemire's multiply-and-reject).
#pragma once

#include <cstddef>
#include <cstdint>

namespace workloads::support {

// GCC and Clang's 128-bit integer; __extension__ keeps -Wpedantic quiet.
__extension__ using UInt128 = unsigned __int128;

// A tiny generator whose main use is to expand one 64-bit seed into the four
// words of xoshiro's state (and to derive per-object pattern words).
class SplitMix64 {
 public:
  explicit constexpr SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}

  constexpr std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

// One stateless splitmix64 step: a good 64-bit mix of x.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  return SplitMix64{x}.next();
}

// xoshiro256**: fast, small state, passes BigCrush. `stream` separates
// generators built from the same seed (one per thread, say), so they do not
// produce overlapping sequences.
class Random {
 public:
  explicit constexpr Random(std::uint64_t seed, std::uint64_t stream = 0) noexcept {
    SplitMix64 expand{seed ^ mix64(stream + 0x5EED)};
    for (auto& word : s_) word = expand.next();
  }

  constexpr std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n); n > 0. Unbiased.
  constexpr std::uint64_t below(std::uint64_t n) noexcept {
    UInt128 m = static_cast<UInt128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<UInt128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  // Uniform in [lo, hi]; lo <= hi.
  constexpr std::uint64_t between(std::uint64_t lo, std::uint64_t hi) noexcept {
    return lo + below(hi - lo + 1);
  }

  // True with probability per_mille / 1000.
  constexpr bool chance(std::uint32_t per_mille) noexcept { return below(1000) < per_mille; }

  // Uniform in [0, 1), 53 bits.
  constexpr double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }

  std::uint64_t s_[4]{};
};

}  // namespace workloads::support
