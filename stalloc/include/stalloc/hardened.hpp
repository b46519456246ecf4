// Hardened mode: a Stalloc that checks what it is given.
//
//   stalloc::HardenedStalloc<L, B>   ==   stalloc::Stalloc<L, B, stalloc::Hardened>
//
// Detects, before changing anything:
//   - double free: the freed range overlaps a free chunk or an allocation
//     waiting on a quick list (found through the index and the quick marks,
//     or, for HardenedFirstFit, on the walk free already makes); the same
//     holds for grow/shrink of a freed range;
//   - a quick-list entry whose header changed after it was freed (popped or
//     flushed with the wrong count, an unmarked block, a link out of range);
//   - a pointer that is not from the arena, or not at a block boundary;
//   - a size of zero blocks, or one that runs past the end of the arena (the
//     design keeps no per-allocation header, so a wrong size is caught only
//     when it reaches a free chunk or the arena's end);
//   - free-list corruption met on any walk: an index out of range or not
//     increasing, a chunk of length zero, past the end, or touching the next.
// Each one is reported through the misuse handler; then the operation is
// abandoned: nothing is written, allocations return nullptr, grow_in_place
// returns false. The default handler prints one line to stderr and aborts;
// set_misuse_handler() replaces it (for tests, logging, or a custom panic).
#pragma once

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "stalloc/stalloc.hpp"

namespace stalloc {

using MisuseHandler = void (*)(const MisuseReport&) noexcept;

[[nodiscard]] constexpr const char* to_string(Misuse kind) noexcept {
  switch (kind) {
    case Misuse::double_free:
      return "double free";
    case Misuse::foreign_pointer:
      return "foreign pointer";
    case Misuse::misaligned_pointer:
      return "misaligned pointer";
    case Misuse::bad_size:
      return "bad size";
    case Misuse::corrupt_free_list:
      return "corrupt free list";
  }
  return "misuse";
}

// One line on stderr, then abort(): the process cannot trust its heap any more.
inline void abort_on_misuse(const MisuseReport& r) noexcept {
  std::fprintf(stderr, "stalloc: %s: %s (arena %p, pointer %p)\n", to_string(r.kind), r.what,
               r.arena, r.pointer);
  std::abort();
}

namespace detail {
inline std::atomic<MisuseHandler> misuse_handler{&abort_on_misuse};
}  // namespace detail

// Installs `handler` (nullptr restores the default) and returns the previous
// one. A handler may return: the operation it interrupted is then abandoned.
inline MisuseHandler set_misuse_handler(MisuseHandler handler) noexcept {
  return detail::misuse_handler.exchange(handler != nullptr ? handler : &abort_on_misuse);
}

[[nodiscard]] inline MisuseHandler misuse_handler() noexcept {
  return detail::misuse_handler.load(std::memory_order_acquire);
}

// The checking policy over the default design (QuickFit): quick lists with
// a mark bit per block on each entry's first block (8 * ceil(L / 64) bytes),
// so that a double free of an allocation that waits on a quick list is found
// by a word scan, and popped or flushed entries are checked for corruption.
struct Hardened {
  static constexpr bool checks = true;
  static constexpr bool indexed = true;
  static constexpr std::size_t quick_lists = QuickFit::quick_lists;
  static constexpr std::size_t flush_threshold = 1;
  // Out of line of the hot path: misuse is the rare case.
  [[gnu::cold, gnu::noinline]] static void report(const MisuseReport& r) noexcept {
    misuse_handler()(r);
  }
};

// The checking policy over the crate's algorithm (FirstFit): the footprint
// stays L*B + 4; every check rides on the free-list walk.
struct HardenedFirstFit {
  static constexpr bool checks = true;
  static constexpr bool indexed = false;
  static constexpr std::size_t quick_lists = 0;
  static constexpr std::size_t flush_threshold = 1;
  [[gnu::cold, gnu::noinline]] static void report(const MisuseReport& r) noexcept {
    misuse_handler()(r);
  }
};

template <std::size_t L, std::size_t B>
using HardenedStalloc = Stalloc<L, B, Hardened>;

}  // namespace stalloc
