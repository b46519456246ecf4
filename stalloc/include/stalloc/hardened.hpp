// Hardened mode: a Stalloc that checks what it is given.
//
//   stalloc::HardenedStalloc<L, B>   ==   stalloc::Stalloc<L, B, stalloc::Hardened>
//
// Two checking policies. Hardened is QuickFit (the default design) plus two
// bitmaps, one bit per block each: `used` (handed out to a caller) and
// `end` (the last block of each live allocation and of each free chunk;
// stalloc.hpp I9, I10). Together they give every allocation's boundaries
// without a per-allocation header: block i starts an allocation when it is
// used and block i - 1 is free or ends one. HardenedFirstFit is the crate's
// first fit with the checks that ride on its walk, and no extra bytes.
// Both keep the headers inside free blocks (chunk headers, quick entries)
// XORed with a per-arena mask whose size half never decodes from zero to a
// valid size (stalloc.hpp, header_mask()), so a use-after-free write of
// plain values into them reads as garbage.
//
// Every misuse is reported before anything changes, through the misuse
// handler; then the operation is abandoned: nothing is written, allocations
// and grow/shrink return nullptr, grow_in_place returns false, grow_up_to
// the old count. The default handler prints one line to stderr and aborts;
// set_misuse_handler() replaces it (for tests, logging, or a custom panic).
//
// What is caught, and by which check (kind reported; "-" = not caught):
//
//   misuse                           Hardened                  HardenedFirstFit
//   -------------------------------  ------------------------  ------------------------
//   double free of an allocation     double_free: its first    (no quick lists)
//     waiting on a quick list          block's used bit is 0
//   double free of an allocation     double_free: used bit     double_free: the range
//     coalesced into the free list                               overlaps a chunk on the walk
//   double free after its blocks     interior_pointer or       double_free if a block of
//     were handed out again            wrong_size; - when the    the range is free again;
//                                      very same range is live   else -
//                                      again (see below)
//   foreign pointer                  foreign_pointer           foreign_pointer
//   pointer inside the arena, not    misaligned_pointer        misaligned_pointer
//     on a block boundary
//   interior pointer (a block start  interior_pointer: block   - (double_free only if the
//     inside a live allocation)        before is used, no end    range reaches free blocks)
//   size too small (free, grow,      wrong_size: no end bit    - (the tail leaks)
//     shrink: would leak the tail)     on the claimed last block
//   size too large (would free a     wrong_size: an end bit    double_free if the range
//     live neighbour)                  inside the claimed range  reaches a free block; else -
//   size of 0 blocks, or running     bad_size                  bad_size
//     past the arena's end
//   byte size 0 for a pointer into   wrong_size (allocate(0, a) returns a, a power of two:
//     the arena (would leak it)        such addresses pass)
//   grow/shrink of a freed pointer   double_free, nullptr      double_free (a walk), nullptr
//   use-after-free write zeroing a   corrupt_free_list on the next walk, pop or flush that
//     free chunk's or quick entry's    reads it: zero never decodes to a valid size
//     header (block 0 once read as
//     "the whole arena is free")
//   use-after-free write changing a  corrupt_free_list: every  corrupt_free_list when the
//     free chunk's length              change (the end bit and   decoded length breaks I2..I4
//                                      used bits pin it, with    (always for a plain value
//                                      `next`)                   < 2^15 if L <= 2^15); one
//                                                                short of the next chunk passes
//   use-after-free write changing a  corrupt_free_list when the decoded link is out of order
//     chunk's `next` only              or leads to a bad header; one that decodes to a valid
//                                      link (e.g. 0, cutting the list; a random write does
//                                      with probability about L / 65536 at most) passes
//   use-after-free write into a      corrupt_free_list on pop  (no quick lists)
//     quick entry's header             or flush: any change to
//                                      its count; a changed link
//                                      when it is out of range or
//                                      leads to a bad or live entry
//   use-after-free write past the    -                         -
//     4-byte header of a free block
//   use-after-free write into blocks -                         -
//     handed out again (a live
//     neighbour), buffer overflows
//     into live blocks
//   a corrupt base header            corrupt_free_list         corrupt_free_list
//
// Uncatchable here, and why:
//   - a stale pointer whose exact range (same start, same size) was handed
//     out again: the call is indistinguishable from the new owner's own free
//     or resize. Catching it needs per-allocation identity (a generation
//     count per allocation), which this design does not keep;
//   - writes into live memory (through a stale pointer into a reused block,
//     or an overflow into a live neighbour) and into the body of a free block:
//     they change no metadata. A canary per allocation or poisoned free
//     memory would be needed (the ASan build poisons free blocks);
//   - a write that happens to decode to a valid header (a `next` link, or a
//     size with HardenedFirstFit): the mask is per arena and derived from its
//     address, so this finds mistakes, not an attacker who knows the address;
//   - writes to the arena's metadata outside the blocks (the ChunkIndex, the
//     bitmaps): not reachable by use-after-free through the blocks, and not
//     re-checked per operation (check_invariants() finds them, I6, I9, I10).
//
// Cost, exactly (footprint): Hardened = QuickFit with 16 quick lists (96
// header bytes fewer than QuickFit's 64) + 16 * ceil(L / 64) bytes (the used
// and end bitmaps, 8-aligned), e.g. 2,048 bytes for L = 8192 and
// 16,384 for L = 65535; the mask and the armed state take no bytes (the
// base header's code says whether block 0's header is still plain: stalloc.hpp
// I11). HardenedFirstFit = FirstFit, L * B + 4.
// Cost, time: callgrind instructions per operation (an allocate or a free,
// with the loop and an 8-byte write) of a small-objects-like loop: 16..256 B
// objects, a live set around 48, 90% last-in-first-out frees, 207,200
// operations, g++ 12 -O3. Before -> after this design:
//   Stalloc<8192, 8>   QuickFit 209.0 -> 209.0    Hardened 283.5 -> 311.4 (+10%)
//                      FirstFit 168.2 -> 168.2    HardenedFirstFit 305.2 -> 370.8 (+21%)
//   Stalloc<8192, 16>  QuickFit  32.5 ->  32.5    Hardened 112.7 -> 106.7
//   (with B = 16 every request is served by a quick list; there the
//   bitmap updates, now one or two word operations instead of a loop, pay
//   for the new checks; with B = 8 half the requests go to the free list,
//   whose walks decode every header and check its end bit.)
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
    case Misuse::interior_pointer:
      return "interior pointer";
    case Misuse::wrong_size:
      return "wrong size";
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

// The checking policy over the default design (QuickFit), with the used and
// end bitmaps (16 * ceil(L / 64) bytes; see the table above).
struct Hardened {
  static constexpr bool checks = true;
  static constexpr bool indexed = true;
  // 16 lists, not QuickFit's 64: what QuickFit gained from lists 17..64 is
  // speed on mid-sized requests, and Hardened is chosen for its checks, not
  // its speed; a free chunk (what a freed allocation of more than 16 blocks
  // becomes) has its header checked by every walk and coalesce, a quick
  // entry only when it is popped.
  static constexpr std::size_t quick_lists = 16;
  static constexpr std::size_t flush_threshold = 1;
  static constexpr bool sorts_small_chunks = false;
  // Out of line of the hot path: misuse is the rare case.
  [[gnu::cold, gnu::noinline]] static void report(const MisuseReport& r) noexcept {
    misuse_handler()(r);
  }
};

// The checking policy over the crate's algorithm (FirstFit): the footprint
// stays L*B + 4; every check rides on the free-list walk (grow and shrink,
// whose in-place paths need no walk, make one to find a freed pointer).
struct HardenedFirstFit {
  static constexpr bool checks = true;
  static constexpr bool indexed = false;
  static constexpr std::size_t quick_lists = 0;
  static constexpr std::size_t flush_threshold = 1;
  static constexpr bool sorts_small_chunks = false;
  [[gnu::cold, gnu::noinline]] static void report(const MisuseReport& r) noexcept {
    misuse_handler()(r);
  }
};

template <std::size_t L, std::size_t B>
using HardenedStalloc = Stalloc<L, B, Hardened>;

}  // namespace stalloc
