// The reference model the differential test and the fuzzers compare Stalloc
// with: one bit per block, set while the block is in use. Nothing clever, so
// it is obviously right. Free chunks are the maximal runs of clear bits, and
// first fit is a scan of those runs in address order.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace stalloc_test {

class ReferenceModel {
 public:
  static constexpr std::size_t npos = ~std::size_t{0};

  // `base` is the arena's first block address: block alignment is a property
  // of real addresses, so the model needs it to predict aligned first fit.
  ReferenceModel(std::size_t blocks, std::size_t block_size, std::uintptr_t base)
      : blocks_(blocks),
        block_size_(block_size),
        base_index_(base / block_size),
        words_((blocks + 63) / 64, 0),
        free_(blocks) {}

  std::size_t blocks() const { return blocks_; }
  std::size_t free_blocks() const { return free_; }
  bool used(std::size_t i) const { return (words_[i / 64] >> (i % 64)) & 1U; }

  // False (and no change) when some block in the range is already in the
  // requested state: a double allocation or a double free.
  bool mark_used(std::size_t start, std::size_t count) { return set(start, count, true); }
  bool mark_free(std::size_t start, std::size_t count) { return set(start, count, false); }
  void clear() {
    for (auto& w : words_) w = 0;
    free_ = blocks_;
  }

  // First index >= i whose block is free (or used); blocks() when none.
  std::size_t next_free(std::size_t i) const { return next_with(i, false); }
  std::size_t next_used(std::size_t i) const { return next_with(i, true); }

  // How many free blocks start at i.
  std::size_t free_run_at(std::size_t i) const {
    if (i >= blocks_ || used(i)) return 0;
    return next_used(i) - i;
  }

  // The lowest block index of a free range of `count` blocks whose address is
  // a multiple of align * block_size; npos when there is none.
  std::size_t first_fit(std::size_t count, std::size_t align) const {
    for (std::size_t s = next_free(0); s < blocks_; s = next_free(next_used(s))) {
      const std::size_t e = next_used(s);
      const std::size_t phase = (base_index_ + s) % align;
      const std::size_t start = phase == 0 ? s : s + (align - phase);
      if (start < e && count <= e - start) return start;
    }
    return npos;
  }

  // f(start, length) for each free run, in address order.
  template <class F>
  void for_each_free_run(F&& f) const {
    for (std::size_t s = next_free(0); s < blocks_;) {
      const std::size_t e = next_used(s);
      f(s, e - s);
      s = next_free(e);
    }
  }

 private:
  bool set(std::size_t start, std::size_t count, bool value) {
    if (start > blocks_ || count > blocks_ - start) return false;
    for (std::size_t i = start; i < start + count; ++i)
      if (used(i) == value) return false;
    for (std::size_t i = start; i < start + count; ++i) {
      const std::uint64_t bit = std::uint64_t{1} << (i % 64);
      if (value) {
        words_[i / 64] |= bit;
      } else {
        words_[i / 64] &= ~bit;
      }
    }
    free_ = value ? free_ - count : free_ + count;
    return true;
  }

  std::size_t next_with(std::size_t i, bool value) const {
    while (i < blocks_) {
      std::uint64_t w = words_[i / 64];
      if (!value) w = ~w;
      w >>= (i % 64);
      if (w != 0) {
        const std::size_t found = i + static_cast<std::size_t>(std::countr_zero(w));
        return found < blocks_ ? found : blocks_;
      }
      i = (i / 64 + 1) * 64;
    }
    return blocks_;
  }

  std::size_t blocks_;
  std::size_t block_size_;
  std::uintptr_t base_index_;
  std::vector<std::uint64_t> words_;
  std::size_t free_;
};

}  // namespace stalloc_test
