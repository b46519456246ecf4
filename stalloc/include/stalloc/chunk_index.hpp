// ChunkIndex<L>: where the free chunks of an L-block arena start, and an upper
// bound on how long they are, so that first fit and free need not walk the
// free list.
//
// Why: the plain Stalloc finds a free's neighbours and a first fit by walking
// the address-ordered free list from its head, so both cost O(free chunks).
// A fragmented heap (thousands of holes) makes every operation slow. With this
// index, Stalloc<L, B, Indexed> finds them in O(L / 4096 + 64) word operations
// at most, and in a few in the usual case, while keeping the exact same
// first-fit placement and the same in-block free list.
//
// Structure (three levels, 64-way):
//   starts   one bit per block: set when a free chunk starts there.
//   summary  one bit per word of `starts`: set when that word is non-zero.
//   word_cap one uint16 per word of `starts`: an UPPER BOUND on the length of
//            the chunks that start in that word's 64 blocks.
//   group_cap one uint16 per 64 words: an upper bound on their word_caps.
// The caps are only ever raised when a chunk grows or appears; a search that
// finds a cap too high lowers it to the true value on its way. Keeping them as
// bounds (not exact maxima) makes every update O(1).
//
// Zero state: all-zero bytes are a valid index of an empty arena (one chunk
// [0, L)), like the arena itself: bit 0 of `starts` and of `summary` is
// stored inverted, and caps are stored as (L - cap), so 0 means "up to L".
//
// Cost in bytes, exactly: 10 * ceil(L / 64) + 10 * ceil(L / 4096)
// (8 + 2 per 64 blocks, 8 + 2 per 4096 blocks); 10,400 bytes for L = 65535,
// 0.16 bits per byte of a 16-byte-block arena.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace stalloc::detail {

template <std::size_t L>
class ChunkIndex {
 public:
  static constexpr std::size_t kWords = (L + 63) / 64;
  static constexpr std::size_t kGroups = (kWords + 63) / 64;
  static constexpr std::size_t kNone = ~std::size_t{0};

  constexpr ChunkIndex() noexcept = default;

  // Back to the empty arena's index: one chunk [0, L).
  void reset() noexcept {
    std::memset(starts_, 0, sizeof starts_);
    std::memset(summary_, 0, sizeof summary_);
    std::memset(word_cap_, 0, sizeof word_cap_);
    std::memset(group_cap_, 0, sizeof group_cap_);
  }

  [[nodiscard]] bool starts_at(std::size_t block) const noexcept {
    return (word(block / 64) >> (block % 64)) & 1;
  }

  // A free chunk of `length` blocks now starts at `block`.
  void add(std::size_t block, std::size_t length) noexcept {
    const std::size_t w = block / 64;
    set_word(w, word(w) | (std::uint64_t{1} << (block % 64)));
    raise(block, length);
  }

  // The chunk starting at `block` is gone (allocated whole, or merged into
  // the chunk before it).
  void remove(std::size_t block) noexcept {
    const std::size_t w = block / 64;
    set_word(w, word(w) & ~(std::uint64_t{1} << (block % 64)));
  }

  // The chunk starting at `block` grew to `length` blocks.
  void raise(std::size_t block, std::size_t length) noexcept {
    const std::size_t w = block / 64;
    if (length > cap(word_cap_[w])) word_cap_[w] = code(length);
    if (length > cap(group_cap_[w / 64])) group_cap_[w / 64] = code(length);
  }

  // For check_invariants(): how many chunk starts are marked, and whether the
  // caps over `block` are at least `length`.
  [[nodiscard]] std::size_t marked() const noexcept {
    std::size_t n = 0;
    for (std::size_t w = 0; w < kWords; ++w) n += static_cast<std::size_t>(std::popcount(word(w)));
    return n;
  }
  [[nodiscard]] bool bounds(std::size_t block, std::size_t length) const noexcept {
    const std::size_t w = block / 64;
    return cap(word_cap_[w]) >= length && cap(group_cap_[w / 64]) >= length;
  }

  // The last chunk start strictly before `block`, or kNone.
  [[nodiscard]] std::size_t before(std::size_t block) const noexcept {
    std::size_t w = block / 64;
    const std::uint64_t below = word(w) & ((std::uint64_t{1} << (block % 64)) - 1);
    if (below != 0) return w * 64 + (63 - std::countl_zero(below));
    if (w == 0) return kNone;
    // The last non-empty word before w, through the summary.
    --w;
    std::size_t g = w / 64;
    std::uint64_t s = summary(g) & (~std::uint64_t{0} >> (63 - w % 64));
    while (s == 0) {
      if (g == 0) return kNone;
      s = summary(--g);
    }
    w = g * 64 + (63 - std::countl_zero(s));
    return w * 64 + (63 - std::countl_zero(word(w)));
  }

  // The first chunk (lowest start) for which fits(start, length) holds, where
  // length is length_of(start); kNone if there is none. Only chunks whose cap
  // reaches `count` are looked at, so fits() must imply length >= count.
  // Lowers stale caps it meets.
  template <class LengthOf, class Fits>
  [[nodiscard]] std::size_t first_fit(std::size_t count, LengthOf&& length_of,
                                      Fits&& fits) noexcept {
    for (std::size_t g = 0; g < kGroups; ++g) {
      if (cap(group_cap_[g]) < count) continue;
      std::size_t group_true = 0;  // the group's true cap, if no fit is found
      const std::size_t w_end = (g + 1) * 64 < kWords ? (g + 1) * 64 : kWords;
      for (std::size_t w = g * 64; w < w_end; ++w) {
        std::size_t word_bound = cap(word_cap_[w]);
        if (word_bound >= count) {
          std::size_t word_true = 0;
          for (std::uint64_t bits = word(w); bits != 0; bits &= bits - 1) {
            const std::size_t start = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
            const std::size_t len = length_of(start);
            if (len >= count && fits(start, len)) return start;
            if (len > word_true) word_true = len;
          }
          word_cap_[w] = code(word_true);
          word_bound = word_true;
        }
        if (word_bound > group_true) group_true = word_bound;
      }
      group_cap_[g] = code(group_true);
    }
    return kNone;
  }

 private:
  // Stored form of a cap: L - cap, so that zero bytes mean "up to L".
  static constexpr std::uint16_t code(std::size_t c) noexcept {
    return static_cast<std::uint16_t>(L - c);
  }
  static constexpr std::size_t cap(std::uint16_t stored) noexcept {
    return L - static_cast<std::size_t>(stored);
  }

  // Bit 0 of word 0 (block 0) and of summary word 0 (word 0) is stored
  // inverted, so the zero state reads "one chunk at block 0".
  std::uint64_t word(std::size_t w) const noexcept { return starts_[w] ^ (w == 0 ? 1u : 0u); }
  std::uint64_t summary(std::size_t g) const noexcept { return summary_[g] ^ (g == 0 ? 1u : 0u); }
  void set_word(std::size_t w, std::uint64_t value) noexcept {
    starts_[w] = value ^ (w == 0 ? 1u : 0u);
    const std::uint64_t bit = std::uint64_t{1} << (w % 64);
    const std::uint64_t s = value != 0 ? (summary(w / 64) | bit) : (summary(w / 64) & ~bit);
    summary_[w / 64] = s ^ (w / 64 == 0 ? 1u : 0u);
  }

  std::uint64_t starts_[kWords]{};
  std::uint64_t summary_[kGroups]{};
  std::uint16_t word_cap_[kWords]{};
  std::uint16_t group_cap_[kGroups]{};
};

// What a plain arena keeps instead: nothing (an empty member of size zero).
struct NoChunkIndex {
  static constexpr std::size_t kNone = ~std::size_t{0};
};

}  // namespace stalloc::detail
