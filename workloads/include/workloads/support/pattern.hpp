// What a workload writes into the memory it gets, and how it checks it.
//
// Two modes, chosen once per workload from Options::check:
//   fast   touch(): the first byte, the last byte and one byte in every 4 KiB
//          page. Cheap enough for the timed loop, yet no allocator can win by
//          handing out memory nobody uses (large blocks still pay their page
//          faults, as they would in a real program). The stores are volatile
//          so the compiler cannot drop them as dead before a free.
//   check  fill(): every byte, from a pattern derived from the object's id and
//          the byte's offset, verified before the object is freed. Because a
//          byte depends only on (id, offset), a block that grows by realloc
//          keeps a valid prefix and only the new tail needs filling.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "workloads/support/random.hpp"

namespace workloads::support {

inline constexpr std::size_t kPageSize = 4096;

// Whole words are stored with memcpy and single bytes with pattern_byte; the
// two agree only when a word's byte k is its bits [8k, 8k+8).
static_assert(std::endian::native == std::endian::little,
              "workloads::support::pattern assumes a little-endian machine");

// The 8 pattern bytes at offsets [8*word, 8*word + 8) of object `id`.
constexpr std::uint64_t pattern_word(std::uint64_t id, std::size_t word) noexcept {
  return mix64(id * 0x2545F4914F6CDD1DULL + word);
}

constexpr unsigned char pattern_byte(std::uint64_t id, std::size_t offset) noexcept {
  return static_cast<unsigned char>(pattern_word(id, offset / 8) >> (8 * (offset % 8)));
}

// Fills [from, to) of the object at p with its pattern.
inline void fill_pattern(void* p, std::size_t from, std::size_t to, std::uint64_t id) noexcept {
  auto* bytes = static_cast<unsigned char*>(p);
  std::size_t i = from;
  for (; i < to && i % 8 != 0; ++i) bytes[i] = pattern_byte(id, i);
  for (; i + 8 <= to; i += 8) {
    const std::uint64_t word = pattern_word(id, i / 8);
    std::memcpy(bytes + i, &word, 8);
  }
  for (; i < to; ++i) bytes[i] = pattern_byte(id, i);
}

// True when [from, to) still holds the pattern fill_pattern wrote.
inline bool pattern_intact(const void* p, std::size_t from, std::size_t to,
                           std::uint64_t id) noexcept {
  const auto* bytes = static_cast<const unsigned char*>(p);
  std::size_t i = from;
  for (; i < to && i % 8 != 0; ++i)
    if (bytes[i] != pattern_byte(id, i)) return false;
  for (; i + 8 <= to; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes + i, 8);
    if (word != pattern_word(id, i / 8)) return false;
  }
  for (; i < to; ++i)
    if (bytes[i] != pattern_byte(id, i)) return false;
  return true;
}

// Fast mode: the first and last byte of [from, to) and one byte per page.
inline void touch(void* p, std::size_t from, std::size_t to, std::uint64_t id) noexcept {
  if (from >= to) return;
  auto* bytes = static_cast<volatile unsigned char*>(p);
  const auto value = static_cast<unsigned char>(id);
  for (std::size_t i = from; i < to; i += kPageSize) bytes[i] = value;
  bytes[to - 1] = value;
}

class Pattern {
 public:
  explicit constexpr Pattern(bool check) noexcept : check_(check) {}

  constexpr bool checking() const noexcept { return check_; }

  // A fresh object of `size` bytes.
  void write(void* p, std::size_t size, std::uint64_t id) const noexcept {
    write_range(p, 0, size, id);
  }

  // The bytes [old_size, new_size) that a grow by realloc added.
  void write_range(void* p, std::size_t from, std::size_t to, std::uint64_t id) const noexcept {
    if (check_) {
      fill_pattern(p, from, to, id);
    } else {
      touch(p, from, to, id);
    }
  }

  // Before a free (or after a move): in fast mode nothing is read.
  bool intact(const void* p, std::size_t size, std::uint64_t id) const noexcept {
    return !check_ || pattern_intact(p, 0, size, id);
  }

 private:
  bool check_;
};

}  // namespace workloads::support
