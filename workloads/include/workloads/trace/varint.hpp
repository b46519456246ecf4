// LEB128 varints and zigzag deltas: the binary format's integers. Small
// numbers (sizes, id deltas) take one byte, which is most of why traces are
// compact before compression.
#pragma once

#include <cstddef>
#include <cstdint>

namespace workloads::trace {

inline constexpr std::size_t kMaxVarintBytes = 10;

// Writes v at out; returns the bytes written (1..10). No allocation, so the
// recorder can use it from a signal handler.
inline std::size_t put_varint(std::uint8_t* out, std::uint64_t v) {
  std::size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  out[n++] = static_cast<std::uint8_t>(v);
  return n;
}

// Writes v in exactly kMaxVarintBytes bytes (continuation bits on the first
// nine). Readers accept it like any varint; a writer that learns a count only
// at the end reserves its place with this and overwrites it in place.
inline void put_varint_padded(std::uint8_t* out, std::uint64_t v) {
  for (std::size_t i = 0; i + 1 < kMaxVarintBytes; ++i) {
    out[i] = static_cast<std::uint8_t>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out[kMaxVarintBytes - 1] = static_cast<std::uint8_t>(v);
}

inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

// Decodes a varint from [p, end). Returns the bytes used, or 0 if the input
// ends first or the value does not fit 64 bits (both are format errors).
inline std::size_t get_varint(const std::uint8_t* p, const std::uint8_t* end, std::uint64_t& v) {
  v = 0;
  for (std::size_t i = 0; i < kMaxVarintBytes && p + i < end; ++i) {
    std::uint64_t byte = p[i];
    if (i == kMaxVarintBytes - 1 && byte > 1) return 0;  // bits beyond 64
    v |= (byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) return i + 1;
  }
  return 0;
}

}  // namespace workloads::trace
