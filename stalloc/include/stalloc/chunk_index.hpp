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
//   top_cap  an upper bound on every group_cap: a request longer than any
//            free chunk fails with one compare (a full arena in a Chain
//            sees that on every request it passes on).
// The caps are only ever raised when a chunk grows or appears; a search that
// finds a cap too high lowers it to the true value on its way. Keeping them as
// bounds (not exact maxima) makes every update O(1).
//
// Zero state: all-zero bytes are a valid index of an empty arena (one chunk
// [0, L)), like the arena itself: bit 0 of `starts` and of `summary` is
// stored inverted, and caps are stored as (L - cap), so 0 means "up to L".
//
// Kept only while it pays: with a handful of free chunks a walk of the list
// is cheaper than keeping the index current (measured: an allocate + free of
// one 50-block buffer in an otherwise empty Stalloc<200, 4> cost 212
// instructions with the index kept, 71 without). So the index counts the
// free chunks, and is "live" (kept and used) only from kLiveAbove chunks on
// until the count falls to kIdleBelow; the arena walks the list while it is
// idle, which then has at most kLiveAbove chunks. Going live clears the
// stale marks through the summary and adds every chunk: O(chunks), at most
// once per kLiveAbove - kIdleBelow chunk changes.
//
// Cost in bytes, exactly: 10 * ceil(L / 64) + 10 * ceil(L / 4096) + 6
// (8 + 2 per 64 blocks, 8 + 2 per 4096 blocks, top_cap, the chunk count and
// the live flag), before padding; 10,406 bytes for L = 65535, 0.16 bits per
// byte of a 16-byte-block arena.
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
  // Live from more than kLiveAbove free chunks; idle again below kIdleBelow.
  // 16 and 4, not 8 and 3: realloc-growth (8 containers growing at once)
  // keeps 9 to 16 chunks under QuickFit, and keeping the index current for
  // them cost more than walking them: 531 -> 439 million instructions, 0.26
  // -> 0.17 s (taskset, the workload alone on Stalloc<65535, 16>), where
  // FirstFit takes 0.18 s. random-free, size-mix, small-objects and
  // stack-order: instruction counts unchanged (within 0.05%).
  static constexpr std::size_t kLiveAbove = 16;
  static constexpr std::size_t kIdleBelow = 4;

  constexpr ChunkIndex() noexcept = default;

  // Back to the empty arena: one chunk [0, L), index idle (its marks are
  // stale and cleared when it goes live again).
  void reset() noexcept {
    extra_chunks_ = 0;
    live_ = false;
  }

  [[nodiscard]] bool live() const noexcept { return live_; }
  [[nodiscard]] std::size_t chunks() const noexcept {
    return static_cast<std::uint16_t>(extra_chunks_ + 1);
  }
  // The free list gained (+1) or lost (-1) a chunk. Returns true when the
  // index must now go live: the caller then calls go_live() with every chunk.
  [[nodiscard]] bool count_chunks(int delta) noexcept {
    extra_chunks_ = static_cast<std::uint16_t>(extra_chunks_ + delta);
    const std::size_t n = chunks();
    if (live_) {
      if (n < kIdleBelow) live_ = false;
      return false;
    }
    return n > kLiveAbove;
  }
  // Clears the stale marks; for_each_chunk(add) must then add every chunk.
  template <class ForEachChunk>
  [[gnu::noinline]] void go_live(ForEachChunk&& for_each_chunk) noexcept {
    for (std::size_t g = 0; g < kGroups; ++g) {
      for (std::uint64_t s = summary(g); s != 0; s &= s - 1) {
        const std::size_t w = g * 64 + static_cast<std::size_t>(std::countr_zero(s));
        starts_[w] = w == 0 ? 1u : 0u;  // stored form of an empty word
      }
      summary_[g] = g == 0 ? 1u : 0u;
    }
    live_ = true;
    for_each_chunk([this](std::size_t start, std::size_t length) { add(start, length); });
  }

  [[nodiscard]] bool starts_at(std::size_t block) const noexcept {
    return (word(block / 64) >> (block % 64)) & 1;
  }

  // The updates are out of line: they run only while the index is live, and
  // inlined they made the arena's take and release too big to inline into
  // their callers, which slowed the short-list case (the common one) 2x.

  // A free chunk of `length` blocks now starts at `block`.
  [[gnu::noinline]] void add(std::size_t block, std::size_t length) noexcept {
    const std::size_t w = block / 64;
    set_word(w, word(w) | (std::uint64_t{1} << (block % 64)));
    raise(block, length);
  }

  // The chunk starting at `block` is gone (allocated whole, or merged into
  // the chunk before it).
  [[gnu::noinline]] void remove(std::size_t block) noexcept {
    const std::size_t w = block / 64;
    set_word(w, word(w) & ~(std::uint64_t{1} << (block % 64)));
  }

  // The chunk that started at `from` now starts at `to` and is `length`
  // blocks long (a chunk's front was taken, or a freed range joined it from
  // below). Within one word that is one XOR: both bits flip, the word stays
  // non-zero (so the summary holds), and flipping commutes with the inverted
  // storage of bit 0.
  [[gnu::noinline]] void move(std::size_t from, std::size_t to, std::size_t length) noexcept {
    in_range(from / 64);
    in_range(to / 64);
    if (from / 64 == to / 64) {
      starts_[from / 64] ^= (std::uint64_t{1} << (from % 64)) | (std::uint64_t{1} << (to % 64));
      raise(to, length);
    } else {
      remove(from);
      add(to, length);
    }
  }

  // The chunk starting at `block` grew to `length` blocks.
  [[gnu::noinline]] void raise(std::size_t block, std::size_t length) noexcept {
    const std::size_t w = block / 64;
    if (length > cap(word_cap_[w])) word_cap_[w] = code(length);
    if (length > cap(group_cap_[w / 64])) group_cap_[w / 64] = code(length);
    if (length > cap(top_cap_)) top_cap_ = code(length);
  }

  // ---- coalescing in one pass (Stalloc's flush of its quick lists) -------
  // Why: a flush gives back thousands of quick entries at once (replaying
  // python3-dicts through ProgramHeap, about 4,700 per flush), and freeing
  // them one by one looked up each one's predecessor with before() and kept
  // the list and the caps current after each: a fifth of that replay's
  // instructions. Marked all at once and merged in one address-ordered pass,
  // each costs a mark and a visit.

  // Block now starts a free chunk whose length coalesce() will read; no cap
  // is raised (coalesce() sets them). The index must be live.
  void mark(std::size_t block) noexcept {
    const std::size_t w = block / 64;
    set_word(w, word(w) | (std::uint64_t{1} << (block % 64)));
  }

  // Makes the index live, with exact marks, whatever the chunk count (a
  // flush is about to mark and merge its entries); for_each_chunk as for
  // go_live().
  template <class ForEachChunk>
  void make_live(ForEachChunk&& for_each_chunk) noexcept {
    if (!live_) go_live(static_cast<ForEachChunk&&>(for_each_chunk));
  }

  // Visits every marked start in address order and merges each one that
  // begins where the run before it ends into that run, so the marked
  // ranges become maximal runs: `length_of(start)` is a marked range's
  // length, `absorbed(start)` is told of a start merged into the run before
  // it (its mark is cleared), and `run(start, length)` receives each maximal
  // run and returns whether it stays a chunk (its mark is then kept and its
  // caps raised) or leaves the index (its mark is cleared). The caps of
  // every group, of the top and of every word visited are recomputed from
  // the runs (exact again), the chunk count is the runs kept, and the index
  // stays live only from kIdleBelow of them on, as count_chunks() would
  // leave it. Precondition: live, and the marked ranges do not overlap.
  template <class LengthOf, class Absorbed, class Run>
  void coalesce(LengthOf&& length_of, Absorbed&& absorbed, Run&& run) noexcept {
    for (std::size_t g = 0; g < kGroups; ++g) group_cap_[g] = code(0);
    top_cap_ = code(0);
    std::size_t kept = 0;
    std::size_t run_start = kNone;
    std::size_t run_end = 0;
    // The marks of the word being visited, written back when it is done:
    // clearing them one call at a time was 17 instructions per mark, most
    // of a flush's cost after the pass itself.
    std::size_t w = kWords;
    std::uint64_t marks = 0;
    const auto clear_mark = [&](std::size_t block) {
      if (block / 64 == w) {
        marks &= ~(std::uint64_t{1} << (block % 64));
      } else {
        remove(block);  // a run that began in an earlier word
      }
    };
    const auto end_run = [&] {
      if (run_start == kNone) return;
      if (run(run_start, run_end - run_start)) {
        ++kept;
        raise(run_start, run_end - run_start);
      } else {
        clear_mark(run_start);
      }
    };
    for (std::size_t g = 0; g < kGroups; ++g) {
      // A copy of the summary: the marks cleared on the way are at or behind
      // the current start, never ahead of it.
      for (std::uint64_t nonempty = summary(g); nonempty != 0; nonempty &= nonempty - 1) {
        w = g * 64 + static_cast<std::size_t>(std::countr_zero(nonempty));
        marks = word(w);
        word_cap_[w] = code(0);
        for (std::uint64_t bits = marks; bits != 0; bits &= bits - 1) {
          const std::size_t start = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
          const std::size_t len = length_of(start);
          if (start == run_end && run_start != kNone) {
            clear_mark(start);
            absorbed(start);
            run_end += len;
          } else {
            end_run();
            run_start = start;
            run_end = start + len;
          }
        }
        set_word(w, marks);
      }
    }
    w = kWords;
    end_run();
    extra_chunks_ = static_cast<std::uint16_t>(kept - 1);
    live_ = kept >= kIdleBelow;
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
    return cap(word_cap_[w]) >= length && cap(group_cap_[w / 64]) >= length &&
           cap(top_cap_) >= length;
  }

  // The last chunk start strictly before `block`, or kNone.
  [[gnu::noinline, nodiscard]] std::size_t before(std::size_t block) const noexcept {
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
    if (cap(top_cap_) < count) return kNone;
    std::size_t top_true = 0;  // the true top cap, if no fit is found
    for (std::size_t g = 0; g < kGroups; ++g) {
      if (cap(group_cap_[g]) < count) {
        if (cap(group_cap_[g]) > top_true) top_true = cap(group_cap_[g]);
        continue;
      }
      std::size_t group_true = 0;  // the group's true cap, if no fit is found
      // Only the words where a chunk starts (the summary's bits): an empty
      // word adds nothing to the group's true cap, and skipping it keeps a
      // sparse group from costing 64 cap checks. (An empty word's own cap may
      // stay stale-high: still an upper bound.)
      for (std::uint64_t nonempty = summary(g); nonempty != 0; nonempty &= nonempty - 1) {
        const std::size_t w = g * 64 + static_cast<std::size_t>(std::countr_zero(nonempty));
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
      if (group_true > top_true) top_true = group_true;
    }
    top_cap_ = code(top_true);
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
  // Callers pass in-range words; stating it keeps GCC from warning about
  // paths it cannot rule out (e.g. a split of a one-block arena's chunk).
  static void in_range(std::size_t w) noexcept {
#if defined(__GNUC__)
    if (w >= kWords) __builtin_unreachable();
#else
    (void)w;
#endif
  }
  std::uint64_t word(std::size_t w) const noexcept {
    in_range(w);
    return starts_[w] ^ (w == 0 ? 1u : 0u);
  }
  std::uint64_t summary(std::size_t g) const noexcept {
    return summary_[g] ^ (g == 0 ? 1u : 0u);
  }
  [[gnu::always_inline]] void set_word(std::size_t w, std::uint64_t value) noexcept {
    in_range(w);
    starts_[w] = value ^ (w == 0 ? 1u : 0u);
    const std::uint64_t bit = std::uint64_t{1} << (w % 64);
    const std::uint64_t s = value != 0 ? (summary(w / 64) | bit) : (summary(w / 64) & ~bit);
    summary_[w / 64] = s ^ (w / 64 == 0 ? 1u : 0u);
  }

  std::uint64_t starts_[kWords]{};
  std::uint64_t summary_[kGroups]{};
  std::uint16_t word_cap_[kWords]{};
  std::uint16_t group_cap_[kGroups]{};
  std::uint16_t top_cap_ = 0;
  std::uint16_t extra_chunks_ = 0;  // free chunks - 1 (0xFFFF: none); zero: one chunk
  bool live_ = false;
};

// What a plain arena keeps instead: nothing (an empty member of size zero).
struct NoChunkIndex {
  static constexpr std::size_t kNone = ~std::size_t{0};
};

}  // namespace stalloc::detail
