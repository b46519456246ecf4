// The reference model the differential test and the fuzzers compare Stalloc
// with: one bit per block, set while the block is in use. Nothing clever, so
// it is obviously right. Free chunks are the maximal runs of clear bits, and
// first fit is a scan of those runs in address order.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
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

  // How many free blocks end just before block i.
  std::size_t free_run_before(std::size_t i) const {
    std::size_t n = 0;
    while (n < i && !used(i - n - 1)) ++n;
    return n;
  }

  // Is block i's address a multiple of align * block_size?
  bool is_aligned(std::size_t i, std::size_t align) const { return (base_index_ + i) % align == 0; }

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

namespace stalloc_test {

// The model of a whole arena: ReferenceModel for the free list (the "store"),
// plus, for QuickFit, K LIFO stacks of freed allocations that the store still
// counts as used. Every rule of quick_lists.hpp, stated plainly:
//   allocate k <= K blocks: the top of stack k, if any and if it has the
//   requested alignment (always, at alignment 1);
//   otherwise first fit in the store; if that fails and the stacks hold at
//   least `flush_threshold` blocks (1: anything), every entry returns to the
//   store and first fit is retried; when the run found starts p > 0 blocks
//   past the front of its free run (alignment) and p <= K, those p blocks
//   are pushed on stack p (they leave the store, as a freed allocation);
//   free of a whole allocation of k <= K blocks: pushed on stack k;
//   any other free (larger, the tail of a shrink, or the old place of an
//   allocation of 64 bytes or more that grow moved): back to the store.
// With K = 0 this is plain first fit.
// A sorting policy (sorts_small_chunks, "Sorted small chunks" there) changes
// three rules and adds one:
//   after the top of stack k: the run first fit finds, if it lies in the
//   store's first free run; else, at alignment 1 and k <= K, the top of the
//   smallest non-empty stack j > k, whose first k blocks are the answer and
//   whose last j - k go on stack j - k; else first fit;
//   a take from the store that leaves 1..K free blocks after the run takes
//   them too and pushes them on their stack (after the padding);
//   the flush happens when at least `flush_threshold` blocks, and at least
//   F - floor(F / 4) of the F free blocks (blocks - live), were freed (by any free above)
//   since the last one, and ends by moving every free run
//   of j <= K blocks onto stack j, in address order; the retry then begins
//   with stack k again;
//   a flush is barren when the free runs after it are more than three
//   quarters of the pieces before it (stack entries and free runs); after a
//   barren one, the next flush also waits until the free blocks are at least
//   twice what they were then, or max(blocks, flush_threshold) blocks were
//   freed since.
class ArenaModel {
 public:
  static constexpr std::size_t npos = ReferenceModel::npos;

  ArenaModel(std::size_t blocks, std::size_t block_size, std::uintptr_t base, std::size_t quick,
             std::size_t flush_threshold = 1, bool sorts = false)
      : store_(blocks, block_size, base),
        quick_(quick),
        flush_threshold_(flush_threshold),
        sorts_(sorts) {}

  const ReferenceModel& store() const { return store_; }
  const std::vector<std::vector<std::size_t>>& quick_lists() const { return quick_; }
  std::size_t live_blocks() const { return live_; }
  std::size_t free_blocks() const { return store_.blocks() - live_; }

  // Where allocate(count, align) lands (and now marked live), or npos.
  std::size_t allocate(std::size_t count, std::size_t align) {
    if (std::size_t at = pop(count, align); at != npos) return at;
    if (sorts_) {
      if (std::size_t at = allocate_sorting(count, align); at != npos) return at;
      if (freed_ < std::max(flush_threshold_, free_blocks() - free_blocks() / 4)) return npos;
      if (barren_free_ != 0 && free_blocks() < 2 * barren_free_ &&
          freed_ < std::max(store_.blocks(), flush_threshold_))
        return npos;
      flush();
      if (std::size_t at = pop(count, align); at != npos) return at;
      return allocate_sorting(count, align);
    }
    std::size_t at = store_.first_fit(count, align);
    if (at == npos && quick_blocks() >= flush_threshold_) {
      flush();
      at = store_.first_fit(count, align);
    }
    if (at == npos) return npos;
    take_run(at, count);
    return at;
  }

  // A whole allocation. False if the model thinks part of it is free already.
  bool free(std::size_t at, std::size_t count) {
    if (!is_live(at, count)) return false;
    live_ -= count;
    freed_ += count;
    if (count >= 1 && count <= quick_.size()) {
      quick_[count - 1].push_back(at);
      return true;
    }
    return store_.mark_free(at, count);
  }
  // A whole allocation that goes straight back to the store (grow moved it).
  bool free_to_store(std::size_t at, std::size_t count) {
    if (!is_live(at, count)) return false;
    live_ -= count;
    freed_ += count;
    return store_.mark_free(at, count);
  }
  // Blocks given back without being a whole allocation (a shrink's tail).
  bool free_tail(std::size_t at, std::size_t count) {
    live_ -= count;
    freed_ += count;
    return store_.mark_free(at, count);
  }
  std::size_t free_run_at(std::size_t at) const { return store_.free_run_at(at); }
  bool take(std::size_t at, std::size_t count) {
    live_ += count;
    return store_.mark_used(at, count);
  }
  // Is any block of the range free, in the store or on a stack?
  bool any_free_in(std::size_t at, std::size_t count) const {
    if (store_.next_free(at) < at + count) return true;
    for (std::size_t k = 1; k <= quick_.size(); ++k)
      for (std::size_t s : quick_[k - 1])
        if (s < at + count && at < s + k) return true;
    return false;
  }
  void clear() {
    store_.clear();
    for (auto& q : quick_) q.clear();
    live_ = 0;
    freed_ = 0;
    barren_free_ = 0;
  }

 private:
  std::size_t quick_blocks() const {
    std::size_t n = 0;
    for (std::size_t k = 1; k <= quick_.size(); ++k) n += k * quick_[k - 1].size();
    return n;
  }
  void flush() {
    std::size_t pieces = 0;  // entries and free runs before
    store_.for_each_free_run([&](std::size_t, std::size_t) { ++pieces; });
    for (std::size_t k = 1; k <= quick_.size(); ++k) {
      pieces += quick_[k - 1].size();
      for (std::size_t s : quick_[k - 1]) store_.mark_free(s, k);
      quick_[k - 1].clear();
    }
    freed_ = 0;
    if (!sorts_) return;
    std::size_t runs = 0;
    store_.for_each_free_run([&](std::size_t, std::size_t) { ++runs; });
    const std::size_t merged = pieces - runs;
    barren_free_ = 4 * merged < pieces ? free_blocks() : 0;
    std::vector<std::pair<std::size_t, std::size_t>> small;
    store_.for_each_free_run([&](std::size_t s, std::size_t len) {
      if (len <= quick_.size()) small.emplace_back(s, len);
    });
    for (auto [s, len] : small) park(s, len);
  }

  // The top of stack `count` when it has the alignment, popped; else npos.
  std::size_t pop(std::size_t count, std::size_t align) {
    if (count < 1 || count > quick_.size() || quick_[count - 1].empty() ||
        !store_.is_aligned(quick_[count - 1].back(), align))
      return npos;
    const std::size_t at = quick_[count - 1].back();
    quick_[count - 1].pop_back();
    live_ += count;
    return at;
  }

  // Free blocks of the store leave it for a stack, as a freed allocation.
  void park(std::size_t at, std::size_t count) {
    store_.mark_used(at, count);
    quick_[count - 1].push_back(at);
  }

  // Marks the run first fit found live, parks its padding and, when sorting,
  // its short rest.
  void take_run(std::size_t at, std::size_t count) {
    const std::size_t padding = store_.free_run_before(at);
    const std::size_t rest = store_.free_run_at(at) - count;
    store_.mark_used(at, count);
    live_ += count;
    if (padding >= 1 && padding <= quick_.size()) park(at - padding, padding);
    if (sorts_ && rest >= 1 && rest <= quick_.size()) park(at + count, rest);
  }

  // A sorting policy's steps after the stack of its size: the first free run,
  // a split, first fit.
  std::size_t allocate_sorting(std::size_t count, std::size_t align) {
    const std::size_t at = store_.first_fit(count, align);
    const std::size_t first = store_.next_free(0);
    if (at != npos && at < store_.next_used(first)) {
      take_run(at, count);
      return at;
    }
    if (align == 1 && count >= 1) {
      for (std::size_t j = count + 1; j <= quick_.size(); ++j) {
        if (quick_[j - 1].empty()) continue;
        const std::size_t entry = quick_[j - 1].back();
        quick_[j - 1].pop_back();
        quick_[j - count - 1].push_back(entry + count);
        live_ += count;
        return entry;
      }
    }
    if (at == npos) return npos;
    take_run(at, count);
    return at;
  }
  bool is_live(std::size_t at, std::size_t count) const {
    return at <= store_.blocks() && count <= store_.blocks() - at && !any_free_in(at, count);
  }

  ReferenceModel store_;
  std::vector<std::vector<std::size_t>> quick_;
  std::size_t flush_threshold_;
  bool sorts_;
  std::size_t live_ = 0;
  std::size_t freed_ = 0;        // blocks freed since the last flush
  std::size_t barren_free_ = 0;  // free blocks at the last flush if it was barren, else 0
};

}  // namespace stalloc_test
