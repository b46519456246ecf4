// A checksum of a workload's request stream (request_checksum()).
//
// Tests compare it between runs to prove that a seed fixes the requests, so
// it must cover every field that shapes a request (kind, size, alignment,
// which object) and be order-sensitive. FNV-1a over 64-bit words, with a final
// mix so that streams differing in one late word still differ in every bit.
#pragma once

#include <cstdint>

#include "workloads/support/random.hpp"

namespace workloads::support {

class RequestHash {
 public:
  constexpr void add(std::uint64_t word) noexcept {
    for (int i = 0; i < 8; ++i) {
      state_ ^= (word >> (8 * i)) & 0xFF;
      state_ *= 0x100000001B3ULL;
    }
  }

  constexpr void add(std::uint64_t a, std::uint64_t b) noexcept {
    add(a);
    add(b);
  }

  constexpr std::uint64_t value() const noexcept { return mix64(state_); }

 private:
  std::uint64_t state_ = 0xCBF29CE484222325ULL;
};

}  // namespace workloads::support
