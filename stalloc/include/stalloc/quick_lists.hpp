// QuickLists<K>: the heads of K size-segregated LIFO lists of freed
// allocations, the front end of the default Stalloc (policy QuickFit).
//
// Why: first fit over an address-ordered free list makes every allocate and
// every free walk the list, so a heap with holes pays a dependent load per
// hole on every call (small-objects ran at 0.73x glibc, random-free with
// 16,384 live objects at 0.005x). A program that makes many small objects
// mostly frees and reallocates the same few sizes, so the default arena keeps
// a freed allocation of k <= K blocks whole, on list k, instead of
// coalescing it, and hands it out again to the next request for exactly k
// blocks: allocate and free of small requests are a push or a pop, O(1),
// with no walk (what glibc's tcache and fastbins and Doug Lea's malloc do).
//
// Deferred coalescing: blocks on a quick list are, for the address-ordered
// free list (the "store"), still allocated. They return to it only when a
// request cannot be served otherwise: the store is then given every quick
// entry back (flush), and the request is retried. The unchecked policies
// mark every entry in the ChunkIndex and merge them all in one
// address-ordered pass (ChunkIndex::coalesce); a checking policy frees them
// one by one, validating each. So a request fails only when the fully
// coalesced heap has no room, as in plain first fit.
//
// Aligned requests (k <= K blocks at an alignment of a > 1 blocks): the top
// entry of list k serves the request when it happens to be aligned (only the
// top is looked at: O(1)); otherwise first fit in the store, as for any
// request. When the run first fit finds starts past its chunk's front, the
// blocks skipped for alignment (the padding, fewer than a) go onto quick
// list (padding) as a freed entry, if they are at most K blocks, instead of
// staying a free chunk. Why: C++'s operator new(n) must align to 16 bytes
// from n = 16 on, whatever the object, so an arena of 4- or 8-byte blocks
// behind it sees aligned requests all the time. Left in the store, each
// padding became the lowest free chunk, too short for the next request, and
// sent every allocation after it to the search (stalloc/examples: chained
// ran 3x slower than glibc). Parked, the first chunk stays the untouched
// tail, and the padding serves the next request of its size or is
// coalesced by the next flush.
//
// Layout: heads_[k - 1] names the most recently freed entry of list k, as
// block index + 1 (0: empty list), so that all-zero bytes are K empty lists
// and a static arena stays in .bss. Each entry's first block holds
//   { uint16 next;  uint16 count; }
// `next` is the following entry of the same list (index + 1, 0 ends it) and
// `count` is k, kept so that check_invariants() and the hardened policy can
// tell an entry from a corrupted block. `live_` counts the blocks handed out
// to callers (not those on quick lists), which keeps is_empty() and is_oom()
// exact and O(1).
//
// Why the counts are 32 bits although L <= 65,535: every pop and every push
// updates `live_` in memory, so one call's update waits on the last one's
// store, and on an AMD EPYC host a 16-bit read-modify-write of memory
// (`addw`/`subw`) was that chain's slow link, where a 32-bit one was not. A
// loop of local-string's request (allocate 200 B, write, free, on a static
// Stalloc<200, 4>) ran 1.72 ns per call with a 16-bit `live_`, 1.08 with a
// 32-bit one, and 1.09 with no count at all; random requests of 8-32 B, 1.77
// -> 1.10. In the harness (`stalloc-bench`, pinned, A/B of two builds):
// local-string 1.87 -> 1.57 ns, chained 1.79 -> 1.51, fast-vectors 8.3 ->
// 8.2, small-objects unchanged. `flush_count_`, which a sorting policy
// updates on every free, is 32 bits too (the same kind of chain; measured
// only as part of this layout, not alone). Both counts come first, so the
// 4-byte alignment costs no padding inside the struct; widening `live_` in
// place, after the heads, made the harness's fast-vectors 8% slower with
// the same instructions (GCC allocated the registers of its inlined
// realloc path differently). The list heads stay 16 bits: they are loaded
// and stored, never updated in place, and widening `live_` alone gave the
// loop above the time of no count at all.
//
// Sorted small chunks (policies with sorts_small_chunks, ChainedQuickFit):
// the lists also hold free chunks of at most K blocks that the arena made
// itself, so that no request has to search past them in the free list:
//   - a coalescing (flush) ends by moving every free chunk of k <= K blocks
//     onto list k, in address order (the highest on top);
//   - a take from the front of a chunk that would leave 1..K blocks after
//     the run takes them too and puts them on their list;
//   - a request of k blocks at alignment 1 that neither list k nor the first
//     chunk can serve splits the top entry of the smallest non-empty list
//     above k: its first k blocks are the answer, the rest goes on its list.
// Why: an arena that runs nearly full (ProgramHeap's, on a program whose
// live set fills several of them) otherwise leaves its free list full of
// slivers after every coalescing, and most requests searched past them:
// replaying python3-dicts, 18% of its allocations searched the free list
// (about 290 instructions each), and the replay loop took 189.7 instructions
// per operation against glibc's 160.8; sorted, 159.1 (callgrind on the
// harness's count-instructions worker).
// The coalescing rule then counts blocks freed since the last coalescing
// instead of blocks held: the sorted chunks are already coalesced, and
// counting them made every failed request coalesce them again. The count
// must reach both flush_threshold and three quarters of the free blocks
// (stalloc.hpp, the policy requirements), so that a coalescing, which
// visits every free block's chunk or entry, costs at most 4/3 visits per
// block freed, and after a barren coalescing the free blocks
// must have doubled (or L blocks been freed), so that a full arena whose
// free blocks lie scattered among live ones is not walked again for the
// few that join.
//
// Cost in bytes, exactly: 4 + 2 * K (the 32-bit live count and the 16-bit
// heads), and 4 more when the policy's flush_threshold is above 1 or it
// sorts small chunks (`flush_count_`, the number its coalescing rule
// compares: the blocks waiting on quick lists, or, when sorting, the blocks
// freed since the last coalescing, counted up to L), and 2 more when it
// sorts (`last_coalescing_`: the free blocks at the last coalescing if that
// one was barren, which the rule also compares; stalloc.hpp); the struct is
// 4-aligned, so it starts at the next multiple of 4 after the ChunkIndex's
// bytes and its size rounds up to 4.
// A checking policy (Hardened) also keeps two bitmaps, one bit per block
// each: 16 * ceil(L / 64) bytes more, 8-aligned.
//   `used_`  set while the block is handed out to a caller, so that a free
//            of a block that is not live (a double free, whether the first
//            free went to a quick list or to the free list) is one bit test,
//            and a popped entry whose blocks are not all free is caught;
//   `ends_`  set on the last block of each live allocation and of each free
//            chunk (never inside a quick entry), so that an allocation's
//            boundaries are known: a pointer inside one, or a size that is
//            not its own, is a few bit tests, and so is a free chunk header
//            whose length was changed (stalloc.hpp, I10).
// A start-of-allocation bitmap is not needed: block i starts an allocation
// exactly when it is used and block i - 1 is free or carries an end bit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace stalloc::detail {

struct QuickEntry {
  std::uint16_t next;   // index + 1 of the following entry; 0 ends the list
  std::uint16_t count;  // the list's block count k
};
static_assert(sizeof(QuickEntry) == 4);

// The number the coalescing rule compares (see "Cost in bytes"), kept only
// when the rule needs one.
template <bool Counted>
struct FlushCount {
  std::uint32_t blocks = 0;
};
template <>
struct FlushCount<false> {};

// What a sorting policy's rule remembers of its last coalescing (stalloc.hpp,
// the policy requirements): the free blocks it found if it was barren
// (joined fewer than a quarter of the pieces it visited), else 0.
template <bool Kept>
struct LastCoalescing {
  std::uint16_t barren_free = 0;
};
template <>
struct LastCoalescing<false> {};

template <std::size_t K, std::size_t L, bool Marked, bool Counted, bool Sorted>
struct QuickLists {
  static_assert(K >= 1 && K <= 64, "quick lists: K must be in 1..64");
  static constexpr std::size_t kLists = K;

  std::uint32_t live_ = 0;  // blocks handed out to callers
  [[no_unique_address]] FlushCount<Counted> flush_count_{};
  std::uint16_t heads_[K]{};
  [[no_unique_address]] LastCoalescing<Sorted> last_coalescing_{};
};

template <std::size_t K, std::size_t L, bool Counted, bool Sorted>
struct QuickLists<K, L, true, Counted, Sorted> {
  static_assert(K >= 1 && K <= 64, "quick lists: K must be in 1..64");
  static constexpr std::size_t kLists = K;

  std::uint64_t used_[(L + 63) / 64]{};  // bit i: block i is handed out
  std::uint64_t ends_[(L + 63) / 64]{};  // bit i: block i ends an allocation or a chunk
  std::uint32_t live_ = 0;
  [[no_unique_address]] FlushCount<Counted> flush_count_{};
  std::uint16_t heads_[K]{};
  [[no_unique_address]] LastCoalescing<Sorted> last_coalescing_{};
};

// What an arena without quick lists keeps instead: nothing.
struct NoQuickLists {
  static constexpr std::size_t kLists = 0;
};

}  // namespace stalloc::detail
