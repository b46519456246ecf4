// Stalloc: an allocator whose whole heap lives inside one object.
//
// Stalloc<L, B, Policy> holds L blocks of B bytes inline, plus a small fixed
// header. It makes no system calls, keeps no per-allocation header, and its
// size is a constant of its parameters (below, and static_asserted in
// tests/core).
//
// Design (the default policy, QuickFit)
//   Two layers. In front: 64 LIFO "quick lists" of freed allocations, one per
//   block count 1..64 (quick_lists.hpp). A free of a small allocation pushes
//   it whole on its list; the next request for that many blocks pops it. No
//   walk, no coalescing: O(1). Behind: the free list, the crate's design, with
//   a ChunkIndex (chunk_index.hpp) that finds a first fit and a free's
//   neighbours with a few word operations instead of a walk. Requests the
//   quick lists cannot serve (larger, aligned, or a list is empty) take a
//   first fit there; when that fails, every quick entry is coalesced into
//   the free list (deferred coalescing) and the request is retried, so a
//   request fails only when the coalesced heap has no room.
//
//   Why, measured (stalloc-bench --interleave on this project's 2-vCPU
//   machine, ratio to glibc malloc in the same run; README "Results"):
//   FirstFit walks every hole on every call and ran small-objects at 0.73x
//   glibc and random-free with 16,384 live objects at 0.005x. QuickFit's
//   figures are in the README's results table.
//
// The free list (every policy)
//   Free memory not on a quick list is a singly linked list of free chunks
//   (runs of consecutive free blocks), kept in address order. The first
//   block of every free chunk holds that chunk's header:
//       { uint16 next;  uint16 size_code; }
//   `next` is the block index of the following free chunk; 0 ends the list
//   (block 0 can never follow another chunk, so 0 is free to mean "none").
//   `size_code` is the chunk's length in blocks, stored as (L - length), so
//   that a header of all-zero bytes means "one chunk of L blocks". The base
//   header, outside the blocks, has the same shape: `next` names the first
//   free chunk and `size_code` is 0, or kFullMarker when no block is free.
//   The checking policies store the headers inside the blocks XORed with a
//   per-arena mask and mark the base header "armed" (see header_mask(), I11).
//
//   Because an all-zero object is a valid empty arena (index, quick lists
//   and live count included), a static Stalloc is constant-initialised into
//   .bss (it adds nothing to the file size) and a local one is constructed
//   by writing its headers only, never its blocks.
//
// Footprint, exactly (sizeof, rounded up to the object's alignment, which
//   is max(B, 8) with an index and B without; B is capped at 2^28):
//   FirstFit  L*B + 4                        (the crate's)
//   Indexed   L*B + 4, to 8, + 10*ceil(L/64) + 10*ceil(L/4096) + 5
//   QuickFit  Indexed, to 4, + 4 + 2*64      (the live count, 64 list heads)
//   ChainedQuickFit  Indexed, to 4, + 4 + 4 + 2*16 + 2   (the live count, the
//             two numbers its coalescing rule compares, 16 list heads)
//   Hardened  Indexed, to 8, + 16*ceil(L/64) + 4 + 2*16   (the used and end
//             bitmaps, the live count, 16 list heads)
//   HardenedFirstFit  FirstFit               (its checks and header mask take no bytes)
//   e.g. Stalloc<8192, 8>: 65,536 + 1,448 bytes; Stalloc<65535, 16>:
//   1,048,560 + 10,560 bytes (1.0%).
//
// Invariants (check_invariants() verifies each one; tests call it after every
// operation):
//   I1  Free chunk starts are strictly increasing along the list.
//   I2  Every chunk lies inside the arena: start + length <= L.
//   I3  Every chunk has length >= 1.
//   I4  No two chunks touch: start + length < next start (else they would have
//       been coalesced).
//   I5  The base header is marked full exactly when the list is empty.
//   I6  (indexed policies) The ChunkIndex marks exactly the free chunk
//       starts, and its caps are at least the lengths of those chunks.
//   I7  (quick lists) Every entry of list k lies inside the arena, holds k,
//       and overlaps no free chunk and no other entry (so no list has a cycle).
//   I8  (quick lists) live blocks + free-list blocks + quick-list blocks == L.
//   I9  (Hardened) The used bits are set exactly on the blocks handed out to
//       callers (free neither in the list nor on a quick list).
//   I10 (Hardened, once armed) The end bits are set exactly on the last block
//       of each live allocation and of each free chunk; never inside a quick
//       entry. Unarmed (the zero state) every end bit is clear.
//   I11 (checking policies) The base header's code is the full marker or
//       "armed" once any operation ran; before that (the zero state) it is 0,
//       the list is the single chunk [0, L) with its header stored plain.
//
// Policies (see FirstFit below for which to choose)
//   QuickFit (default) and FirstFit trust their caller, like the original
//   crate. Hardened policies (stalloc/hardened.hpp) validate every pointer
//   and size they are given and the lists they walk, and report misuse
//   through a replaceable handler instead of corrupting the arena.
//
// AddressSanitizer
//   Built with -fsanitize=address, the arena poisons what the caller must not
//   touch: the bodies of free chunks and of quick-list entries (all but their
//   4-byte header), and the rounding slack between the end of a byte-API
//   allocation and the end of its last block. Define STALLOC_NO_ASAN_POISONING
//   to turn this off.
//
// Thread safety: none. Use SyncStalloc (stalloc/sync.hpp) to share one arena.
#pragma once

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "stalloc/chunk_index.hpp"
#include "stalloc/quick_lists.hpp"

#if !defined(STALLOC_NO_ASAN_POISONING)
#if defined(__SANITIZE_ADDRESS__)
#define STALLOC_ASAN_POISONING 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STALLOC_ASAN_POISONING 1
#endif
#endif
#endif
#if defined(STALLOC_ASAN_POISONING)
#include <sanitizer/asan_interface.h>
#endif

namespace stalloc {

// The free list, summarised. Computed on demand so the footprint stays exact.
struct FreeListStats {
  std::size_t free_blocks = 0;
  std::size_t free_chunks = 0;
  std::size_t largest_free_chunk = 0;
  std::size_t quick_blocks = 0;   // of free_blocks, those on quick lists
  std::size_t quick_entries = 0;  // allocations waiting on quick lists
};

// The outcome of check_invariants(): `ok`, or the first broken rule, with the
// block index of the chunk where it was found.
struct InvariantReport {
  bool ok = true;
  const char* what = "ok";
  std::size_t chunk = 0;

  explicit operator bool() const noexcept { return ok; }
};

// What a checking policy detected (see stalloc/hardened.hpp).
enum class Misuse {
  double_free,         // the freed range overlaps a free chunk
  foreign_pointer,     // the pointer does not point into this arena
  misaligned_pointer,  // the pointer is inside the arena but not at a block start
  bad_size,            // zero blocks, or a range that runs past the arena's end
  corrupt_free_list,   // a free-list header breaks an invariant
  interior_pointer,    // (Hardened) a block start inside a live allocation, not its first
  wrong_size,          // the size is not the live allocation's own (Hardened), or is 0
                       // for a pointer into the arena (both checking policies)
};

struct MisuseReport {
  Misuse kind;
  const char* what;     // one line, for humans
  const void* arena;    // the Stalloc object
  const void* pointer;  // the caller's pointer, or the corrupt header's address
};

// A policy chooses the arena's algorithm and its checks. It declares, all
// six explicitly:
//   static constexpr bool checks;              // validate every pointer and size?
//   static constexpr bool indexed;             // keep a ChunkIndex (chunk_index.hpp)?
//   static constexpr std::size_t quick_lists;  // K: quick lists for 1..K blocks, 0 for none
//   static constexpr std::size_t flush_threshold;  // >= 1; see below
//   static constexpr bool sorts_small_chunks;  // see below (needs K > 0, no checks)
//   static void report(const MisuseReport&) noexcept;   // called on misuse
// flush_threshold: a request the free list cannot serve coalesces the quick
// lists (and is retried) only when they hold at least this many blocks. 1
// (every policy here but ChainedQuickFit): whenever they hold any, so a
// request fails only when the fully coalesced heap has no room. Larger: an
// arena with a fallback behind it (a Chain link) refuses at once instead of
// coalescing a few blocks on every request once it is full. With
// sorts_small_chunks the count compared is instead the blocks freed (by any
// path) since the last coalescing: its lists also hold free chunks that
// coalescing again cannot grow. And it must also reach three quarters of
// the arena's free blocks (F - floor(F / 4) of the F = L minus the live
// ones), because a coalescing visits every free chunk and quick entry, up
// to all the free blocks: so it costs at most 4/3 visits per block freed
// since the last one, however full the arena runs (see ChainedQuickFit for
// what that fixed). And after a barren coalescing (one that joined fewer
// than a quarter of the pieces it visited, quick entries and free chunks,
// to a neighbour), the next also waits until the free blocks are at least
// twice what they were then, or until L blocks were freed since (the
// count's cap): free blocks scattered among live ones do not join, and the
// chance that they do grows with the share of the arena that is free.
// sorts_small_chunks: free chunks of at most K blocks are kept on the quick
// lists rather than in the free list, wherever the arena makes one on its
// own (quick_lists.hpp, "Sorted small chunks"): after coalescing, and when a
// take from a chunk would leave at most K blocks behind it. A request whose
// quick list is empty and which the first chunk cannot hold then splits the
// smallest larger quick entry before it searches the free list.
// After report() returns, the operation is abandoned: nothing is changed and
// allocations return nullptr.
//
// Which to choose:
//   QuickFit (the default)  the fastest: freed allocations of 1..64 blocks wait
//                           on quick lists for the next request of their size,
//                           O(1); everything else is an indexed first fit.
//   FirstFit                the crate's exact algorithm and placement, and its
//                           exact footprint L*B + 4. Every call walks the free
//                           list: fine for a handful of live objects, slow with
//                           many holes.
//   Indexed                 FirstFit's placements, found through a ChunkIndex
//                           (stalloc/indexed.hpp).
//   Hardened, HardenedFirstFit   QuickFit and FirstFit with every pointer and
//                           size checked (stalloc/hardened.hpp).
//   ChainedQuickFit         QuickFit for an arena that has a fallback behind
//                           it (ProgramHeap's links): once it is nearly full
//                           it refuses instead of coalescing on every request,
//                           and it keeps short free chunks on its quick lists
//                           instead of searching past them.
//
// The default, measured (stalloc-bench --interleave, medians, ratios to glibc
// in the same run; README "Results" has the full table): see QuickFit below.
struct FirstFit {
  static constexpr bool checks = false;
  static constexpr bool indexed = false;
  static constexpr std::size_t quick_lists = 0;
  static constexpr std::size_t flush_threshold = 1;
  static constexpr bool sorts_small_chunks = false;
  static void report(const MisuseReport&) noexcept {}
};

// The name FirstFit had before QuickFit became the default.
using Unchecked = FirstFit;

// Quick lists for 1..64 blocks in front of an indexed first fit (see
// stalloc/quick_lists.hpp for why and how). Placement differs from the
// crate's: a request of k <= 64 blocks takes the most recently freed
// allocation of exactly k blocks when there is one.
//
// 64 lists, not 16: a general program's requests of 17 to 64 blocks (in
// size-mix, 512 B to 2 KiB of 32-byte blocks, about 12% of its requests)
// otherwise each took the indexed search and their frees the coalescing.
// size-mix alone (Stalloc<65535, 32>, taskset, ns per call with glibc's in
// the same process): 16 lists 11.4-11.7 (1.26x glibc), 32 lists 8.8-9.5
// (1.56-1.66x), 64 lists 8.4-8.6 (1.74x). The price is 96 header bytes (2
// per list) and, at most, 64-block allocations parked on lists until a
// request the store cannot serve coalesces them (flush_threshold 1).
struct QuickFit {
  static constexpr bool checks = false;
  static constexpr bool indexed = true;
  static constexpr std::size_t quick_lists = 64;
  static constexpr std::size_t flush_threshold = 1;
  static constexpr bool sorts_small_chunks = false;
  static void report(const MisuseReport&) noexcept {}
};

// QuickFit for an arena with a fallback behind it. A full arena whose
// program keeps freeing into it holds a few blocks on its quick lists most
// of the time; QuickFit would coalesce them on every request it cannot pop,
// find no room, and refuse anyway. This one coalesces only when 64 blocks
// (and three quarters of its free blocks: below) were freed since it last did, and
// otherwise refuses at once, so the
// request goes on to the next link. Replaying recorded programs through
// ProgramHeap (taskset, best of 3): gcc-cc1plus 13.3 -> 10.2 ns/op,
// python3-dicts 21.9 -> 19.8 (glibc 12.6 and 13.3; thresholds 16 and 256
// gave 11.8 and 9.9 on gcc-cc1plus). The price: it may refuse a request
// that coalescing up to 63 freed blocks would have served.
//
// The count must also reach three quarters of the free blocks (see
// flush_threshold above), because 64 alone made a large program's heap fall off a cliff: a
// python3 run of matplotlib (PYTHONMALLOC=malloc, 32 M operations, 74 MB
// live, so ProgramHeap's 32 small arenas all run full) replayed at 108 ns
// per operation against glibc's 21.5, a third of the time in coalescing:
// ArenaArray's sweeps reached every full arena, and each had freed 64
// blocks since its last coalescing, which then visited its thousands of
// free blocks again. A bar of half the free blocks: 42.9 ns against 29.0
// (a slow phase of the machine; the other traces unchanged within the
// noise). A bar of all the free blocks was about 10% faster there again
// (taskset, three runs of each in turn: 33.2, 32.7, 28.3 against 36.9,
// 36.2, 32.0), but it refuses for as long as the program only frees: a
// region freed piece by piece next to the last coalescing's leftovers
// would never be merged until as many blocks were reused. Three quarters
// lies between: in a steady state (as many blocks reused as freed) it
// coalesces after about 3/4 of the free blocks were freed, not 1/2, and a
// program that only frees gets its region merged once it has freed three
// times the leftovers. With the flush's walk of all lists at once, ns per
// operation on python3-large (taskset, the two builds in turn, three
// rounds, glibc 19.5-28.4 in the same runs): half 22.0, 28.2, 26.9; three
// quarters 21.1, 24.4, 22.7. The shipped traces' instruction counts
// (callgrind) moved by less than 0.1%: their arenas never run that full.
//
// The wait after a barren coalescing (flush_threshold above): counted on
// python3-large (one run of the harness's worker, its timed and check passes),
// its 21,391 coalescings walked 44.7 M quick entries and joined about one
// in nine; the rest went back onto their lists as they were, and the
// coalescing still took a quarter of the replay's time (perf). Waiting
// after a barren one: 969 coalescings walking 6.4 M entries; the requests
// the waiting arenas refuse go on to the next arena or to malloc (4.1 M ->
// 5.8 M skipped to malloc over the same replays). The replay loop
// (callgrind): python3-large 123.4 -> 104.6 instructions per operation;
// gcc-large 104.3 -> 104.3; python3-dicts 98.6 -> 99.3, gcc-cc1plus 98.2
// -> 98.1, the other shipped traces unchanged. In time (the two builds in
// turn, taskset, `--workload trace:<python3-large>,trace:<gcc-large>
// --allocator stalloc-chain,system -r 3 --interleave`, three rounds),
// python3-large, ns per operation, glibc's in the same run in brackets:
// 20.4 (21.0), 21.5 (21.8), 22.4 (23.4) -> 16.6 (20.4), 17.4 (19.9), 24.2
// (21.9; its repetitions spread from 16.3 to 25.0); gcc-large 12.0-13.7
// -> 12.1-12.9.
//
// It also sorts short free chunks onto its quick lists (sorts_small_chunks;
// quick_lists.hpp, "Sorted small chunks"), because such an arena runs nearly
// full and its free list fills with slivers that every request searched
// past. Replaying python3-dicts through ProgramHeap with the harness's
// count-instructions worker (callgrind, the whole replay loop): 189.7 ->
// 159.1 instructions per operation (glibc 160.8); gcc-cc1plus 162.7 ->
// 156.8 (glibc 145.5).
struct ChainedQuickFit {
  static constexpr bool checks = false;
  static constexpr bool indexed = true;
  static constexpr std::size_t quick_lists = 16;
  static constexpr std::size_t flush_threshold = 64;
  static constexpr bool sorts_small_chunks = true;
  static void report(const MisuseReport&) noexcept {}
};

template <class Policy>
concept ArenaPolicy = requires(const MisuseReport& r) {
  { Policy::checks } -> std::convertible_to<bool>;
  { Policy::indexed } -> std::convertible_to<bool>;
  { Policy::quick_lists } -> std::convertible_to<std::size_t>;
  { Policy::flush_threshold } -> std::convertible_to<std::size_t>;
  { Policy::sorts_small_chunks } -> std::convertible_to<bool>;
  Policy::report(r);
};

template <class Policy>
inline constexpr bool policy_is_indexed = Policy::indexed;

namespace detail {

// An arena or wrapper with a quick path (Stalloc's try_allocate_quick and
// try_deallocate_quick, "Quick path" below): the wrappers (Synchronized,
// Unsynchronized, SizeLimited, ArenaArray, AllocChain) forward it when their
// arena has one, and AllocChain tries it before its full calls.
template <class A>
concept has_quick_path = requires(A& a, void* p, std::size_t n) {
  { a.try_allocate_quick(n, n) } -> std::same_as<void*>;
  { a.try_deallocate_quick(p, n, n) } -> std::same_as<bool>;
};

// GCC and Clang refuse alignas() above 2^28. For B = 2^29 the object is only
// 2^28-aligned; byte-API requests for more than that are refused unless the
// object happens to sit at a suitably aligned address.
inline constexpr std::size_t kMaxObjectAlign = std::size_t{1} << 28;

// x is a power of two. Not std::has_single_bit: on the x86-64 baseline (no
// POPCNT) that is a call to libgcc's __popcountdi2, about 20 instructions, on
// every allocation with a run-time alignment.
constexpr bool is_power_of_two(std::size_t x) noexcept {
  return x != 0 && (x & (x - 1)) == 0;
}

// Whole blocks of B bytes that hold `bytes`, without overflowing even for
// sizes near SIZE_MAX. The one rounding rule: every adaptor that has to
// find an allocation's last block (SizedStalloc) must round exactly as the
// arena does.
template <std::size_t B>
constexpr std::size_t blocks_for(std::size_t bytes) noexcept {
  return bytes / B + (bytes % B != 0 ? 1 : 0);
}
// The same for bytes <= SIZE_MAX - B + 1, in two instructions instead of
// five: the hot paths, whose sizes are known small (stack-order, callgrind:
// 19.5 -> 16.0 instructions per operation inside the arena).
template <std::size_t B>
constexpr std::size_t blocks_for_bounded(std::size_t bytes) noexcept {
  return (bytes + B - 1) / B;
}

// Tells the optimiser that a precondition holds. Used where the unchecked
// policies trust their caller (a freed pointer came from this arena):
// without it GCC 12 follows impossible paths into the chunk index and warns
// about out-of-bounds subscripts (-Warray-bounds).
inline void assume(bool condition) noexcept {
#if defined(__GNUC__)
  if (!condition) __builtin_unreachable();
#else
  (void)condition;
#endif
}

struct Header {
  std::uint16_t next;
  std::uint16_t size_code;
};
static_assert(sizeof(Header) == 4);

// AddressSanitizer hooks; empty (and free) in every other build.
inline void poison(const void* p, std::size_t n) noexcept {
#if defined(STALLOC_ASAN_POISONING)
  if (n != 0) ASAN_POISON_MEMORY_REGION(p, n);
#else
  (void)p;
  (void)n;
#endif
}
inline void unpoison(const void* p, std::size_t n) noexcept {
#if defined(STALLOC_ASAN_POISONING)
  if (n != 0) ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
  (void)p;
  (void)n;
#endif
}

// The copy of a moved allocation's contents (grow and shrink when they
// move, a chain moving data between links), through the C library's memcpy.
// Out of line on purpose: inline, GCC 12 sees the size bounded by the arena
// and expands the copy as `rep movsq`, whose start-up alone (~30 cycles on
// this AMD EPYC) cost more than the rest of grow for the 16- to 64-byte
// copies of a growing vector; glibc's memcpy does those in a few vector
// moves. fast-vectors' loop, Stalloc<1000, 4>, taskset: 16.2 -> 14.8 ns per
// call. noipa keeps GCC from propagating the bound into the function.
#if defined(__clang__)
#define STALLOC_DETAIL_OUT_OF_LINE gnu::noinline
#else
#define STALLOC_DETAIL_OUT_OF_LINE gnu::noipa
#endif
[[STALLOC_DETAIL_OUT_OF_LINE]] inline void copy_contents(void* to, const void* from,
                                                         std::size_t n) noexcept {
  std::memcpy(to, from, n);
}

// Zeroes a small header structure (clear()'s quick-list heads) with
// straight-line 16-byte stores. Why: `x = T{}` on the 130-byte struct (then, of
// 2-byte alignment) compiled (GCC 12) to `rep stosq`, whose start-up cost more than
// the rest of clear(); stalloc/examples/fast_vectors clears its arena once
// per 18 calls. Up to 256 bytes; larger structures keep the library's memset.
template <std::size_t Bytes>
inline void zero_header_bytes(void* p) noexcept {
  static_assert(Bytes <= 256);
  auto* bytes = static_cast<unsigned char*>(p);
  [bytes]<std::size_t... I>(std::index_sequence<I...>) {
    constexpr unsigned char zero[16]{};
    (std::memcpy(bytes + I * 16, zero, 16), ...);
  }
  (std::make_index_sequence<Bytes / 16>{});
  if constexpr (Bytes % 16 != 0) {
    constexpr unsigned char zero[16]{};
    std::memcpy(bytes + Bytes / 16 * 16, zero, Bytes % 16);
  }
}

// The arena's alignment: B (capped, see kMaxObjectAlign), or more when a
// policy adds a member that needs it (the Indexed policy's 64-bit words with
// B = 4). An alignas weaker than a member's own alignment is ill-formed, and
// clang rejects it.
template <std::size_t L, std::size_t B, class Policy>
constexpr std::size_t arena_alignment() noexcept {
  constexpr std::size_t blocks = B < kMaxObjectAlign ? B : kMaxObjectAlign;
  if constexpr (policy_is_indexed<Policy>) {
    return blocks > alignof(ChunkIndex<L>) ? blocks : alignof(ChunkIndex<L>);
  } else {
    return blocks;
  }
}

}  // namespace detail

template <std::size_t L, std::size_t B, class Policy = QuickFit>
class alignas(detail::arena_alignment<L, B, Policy>()) Stalloc {
  static_assert(ArenaPolicy<Policy>,
                "stalloc::Stalloc<L, B, Policy>: a policy declares checks, indexed, quick_lists, "
                "flush_threshold, sorts_small_chunks and report() (see FirstFit)");
  static_assert(!Policy::sorts_small_chunks || (Policy::quick_lists > 0 && !Policy::checks),
                "stalloc::Stalloc: sorts_small_chunks needs quick lists and an unchecked policy");
  static_assert(Policy::flush_threshold >= 1, "stalloc::Stalloc: flush_threshold must be >= 1");
  static_assert(Policy::quick_lists <= 64, "stalloc::Stalloc: at most 64 quick lists");
  static_assert(Policy::quick_lists == 0 || Policy::indexed,
                "stalloc::Stalloc: quick lists need the ChunkIndex (their flush releases every "
                "entry; without the index each release walks the free list)");
  static_assert(B >= 4 && B <= (std::size_t{1} << 29) && std::has_single_bit(B),
                "stalloc::Stalloc<L, B>: the block size B must be a power of two from 4 to 2^29 "
                "(a free block must hold the 4-byte chunk header)");
  static_assert(L >= 1 && L <= 65535,
                "stalloc::Stalloc<L, B>: the block count L must be in 1..65535 "
                "(block indices are 16-bit)");

 public:
  static constexpr std::size_t block_count = L;
  static constexpr std::size_t block_size = B;
  static constexpr std::size_t capacity = L * B;  // usable bytes
  using policy = Policy;
  static constexpr bool indexed = policy_is_indexed<Policy>;
  // Requests of 1..quick_lists blocks use the quick lists (quick_lists.hpp).
  static constexpr std::size_t quick_lists = Policy::quick_lists;

  // Touches only the headers (block 0's and the base header): a local arena
  // costs nothing to create, and a static one is all-zero bytes, so it lives
  // in .bss.
  constexpr Stalloc() noexcept {}

  // Allocations point into the object, so it can be neither copied nor moved.
  Stalloc(const Stalloc&) = delete;
  Stalloc& operator=(const Stalloc&) = delete;

#if defined(STALLOC_ASAN_POISONING)
  // The memory may be reused for anything once the arena is gone, so it must
  // not stay poisoned.
  ~Stalloc() {
    detail::unpoison(base(), capacity);
  }
#endif

  // ---- Block API --------------------------------------------------------
  // Sizes and alignments are counted in blocks. `align` is a power of two;
  // the returned address is a multiple of align * B.

  // Returns `count` blocks whose address is a multiple of align * B, or
  // nullptr, changing nothing, when the arguments are invalid (count 0 or
  // > L, align not a power of two) or the arena has no room even after
  // coalescing every quick list.
  //   QuickFit: count <= quick_lists and align == 1 takes the most recently
  //     freed allocation of exactly `count` blocks, O(1). Otherwise, first
  //     fit through the index: O(L / 4096 + 64) word operations at most.
  //   FirstFit / Indexed: the lowest-addressed free chunk that can hold the
  //     request (the crate's placement). Spare blocks before and after the
  //     chosen range stay free.
  //   B = 2^29 (above the object's own alignment, see kMaxObjectAlign): an
  //     object that does not sit at a multiple of B cannot give any multiple
  //     of align * B, so every request is refused (the byte API still serves
  //     alignments up to 2^28).
  [[nodiscard, gnu::always_inline]] void* allocate_blocks(std::size_t count,
                                                          std::size_t align) noexcept {
    if constexpr (B > detail::kMaxObjectAlign) {
      if (!valid_block_align(align) || !object_can_align(align * B)) return nullptr;
    }
    return allocate_run(count, align);
  }

  // Sized free: `count` must be the block count the allocation was made with
  // (or has since been grown or shrunk to). Coalesces with free neighbours.
  // QuickFit: an allocation of at most quick_lists blocks goes on its quick
  // list whole, O(1); larger ones coalesce at once.
  void deallocate_blocks(void* p, std::size_t count) noexcept {
    free_allocation(live_index(p, count), count);
  }

  // Returns the tail [new_count, old_count) to the free list. Never moves.
  // new_count must be in 1..old_count.
  void shrink_in_place(void* p, std::size_t old_count, std::size_t new_count) noexcept {
    if (new_count >= old_count) return;
    const std::size_t at = resize_index(p, old_count);
    if constexpr (Policy::checks) {
      if (at == kBadIndex) return;
    }
    shrink_tail(at, old_count, new_count);
  }

  // Succeeds only when the free chunk that starts right after the allocation
  // holds at least new_count - old_count blocks; otherwise changes nothing.
  [[nodiscard]] bool grow_in_place(void* p, std::size_t old_count, std::size_t new_count) noexcept {
    if (new_count <= old_count) return true;
    const std::size_t want = new_count - old_count;
    return extend(resize_index(p, old_count), old_count, want, want) == want;  // kBadIndex != want
  }

  // Grows as far as the following free chunk allows, up to new_count.
  // Returns the allocation's new block count, between old_count and new_count.
  std::size_t grow_up_to(void* p, std::size_t old_count, std::size_t new_count) noexcept {
    if (new_count <= old_count) return old_count;
    const std::size_t got = extend(resize_index(p, old_count), old_count, 1, new_count - old_count);
    if constexpr (Policy::checks) {
      if (got == kBadIndex) return old_count;
    }
    return old_count + got;
  }

  // Forgets every allocation at once.
  void clear() noexcept {
    detail::poison(base(), capacity);
    if constexpr (indexed) index_.reset();
    if constexpr (quick_lists > 0) {
      // All-zero bytes are the empty state (quick_lists.hpp, "Layout").
      static_assert(std::is_trivially_copyable_v<QuickState>);
      if constexpr (sizeof(QuickState) <= 256) {
        detail::zero_header_bytes<sizeof(QuickState)>(&quick_);
      } else {
        quick_ = QuickState{};
      }
    }
    head_ = detail::Header{0, kListCode};
    store(0, detail::Header{0, encode(L)});
    set_end(L - 1);
  }

  // No block is free (none in the free list, none on a quick list).
  [[nodiscard]] bool is_oom() const noexcept {
    if constexpr (quick_lists > 0) {
      return quick_.live_ == L;
    } else {
      return store_full();
    }
  }

  // How many blocks are handed out (allocated, not free, not on a quick
  // list). O(1) with quick lists (a counter); FirstFit walks the free list.
  [[nodiscard]] std::size_t live_blocks() const noexcept {
    if constexpr (quick_lists > 0) {
      return quick_.live_;
    } else {
      return L - stats().free_blocks;
    }
  }

  // No allocation is live. (The crate answered true as soon as block 0 was
  // free; this looks at the whole arena.)
  [[nodiscard]] bool is_empty() const noexcept {
    if constexpr (quick_lists > 0) {
      return quick_.live_ == 0;
    } else {
      return !store_full() && head_.next == 0 && view(0).size_code == encode(L);
    }
  }

  [[nodiscard]] bool owns(const void* p) const noexcept {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    const auto b = reinterpret_cast<std::uintptr_t>(base());
    return a - b < capacity;
  }

  // ---- Byte API ---------------------------------------------------------
  // Sizes in bytes; `align` is a power of two in bytes. Sizes round up to
  // whole blocks, alignments below B round up to B.

  // size 0 returns a non-null pointer aligned to `align` that touches no
  // block and must not be dereferenced. nullptr when the arena cannot serve
  // the request or `align` is not a power of two.
  //   QuickFit: the quick-list pop and the take from the first chunk are
  //   inlined into the caller; everything else is one call. (Left to the
  //   compiler, whether allocate() was inlined at all depended on the size of
  //   the caller's translation unit: the harness's small-objects loop took
  //   42.8 or 52.8 instructions per operation for the same code.)
  [[nodiscard, gnu::always_inline]] void* allocate(std::size_t size, std::size_t align) noexcept {
    if constexpr (quick_lists > 0) {
      // The hot path: 1..quick_lists blocks at no more than block alignment,
      // validated with two compares, straight to the quick list. The power-of-
      // two test is spelled out: detail::is_power_of_two's align != 0 is
      // implied by align - 1 < kInlineAlign, but with it GCC 12 compiles
      // allocate differently (e.g. Stalloc<1000, 4>: more instructions past
      // the quick lists).
      if (size - 1 < quick_lists * B) {
        if (align - 1 < kQuickAlign && (align & (align - 1)) == 0) {
          const std::size_t count = blocks_for_bounded(size);
          if (quick_top_fits(count, align)) {
            void* p = quick_pop(count);
            if (p != nullptr) expose(p, size);
            return p;
          }
          if constexpr (!Policy::checks) {
            if (first_chunk_fits(count, align)) {
              if (void* p = take_from_first_chunk(count)) {
                expose(p, size);
                return p;
              }
            }
          }
          if constexpr (kQuickAlign > kInlineAlign) {
            // operator new(n >= 16) asks for 16 bytes whatever the object:
            // in arenas of 4- or 8-byte blocks, a common request (see
            // global.hpp). Its hits are above; the rest is one call.
            if (align > kInlineAlign) {
              if (size - 1 < kSmallAlignedBytes) return allocate_small_aligned(size, align);
              return allocate_slow(size, align);
            }
          }
        }
      }
      return allocate_slow(size, align);
    } else {
      return allocate_general(size, align);
    }
  }

  // size 0 is a no-op (the pointer came from allocate(0, ...)). (Not forced
  // inline: compilers inline it anyway, and forcing it made GCC 12 report
  // false -Warray-bounds in callers.)
  void deallocate(void* p, std::size_t size, std::size_t /*align*/) noexcept {
    if (size == 0) {
      zero_size_is_valid(p);
      return;
    }
    // An unchecked arena trusts the size (it is an allocation's); a checking
    // one must also catch sizes near SIZE_MAX.
    const std::size_t count = Policy::checks ? blocks_for(size) : blocks_for_bounded(size);
    free_allocation(live_index(p, count), count);
  }

  // ---- Quick path -------------------------------------------------------
  // The part of allocate and deallocate that needs no call: a pop from or a
  // push onto a quick list, for an unchecked policy with quick lists. A
  // miss (nullptr, false) changes nothing, and the caller then makes the
  // full call, which does what the quick path would have done and more.
  //
  // Only for unchecked policies with quick lists (QuickFit, ChainedQuickFit);
  // a Hardened arena validates every pop and push, so it has none.
  //
  // Why: a wrapper that inlines the whole of allocate also inlines its
  // calls, and then saves and restores the callee-saved registers those
  // calls need on every request, hits included (six pushes and six pops
  // around a 10-instruction pop, in ArenaArray's allocate). A wrapper that
  // tries the quick path inline and tail-calls its full path for the rest
  // pays them only on misses (`AllocChain`, chain.hpp; ProgramHeap's
  // numbers are in program_heap.hpp). Same arguments and preconditions as
  // allocate and deallocate; the arena must own p.
  [[nodiscard, gnu::always_inline]] void* try_allocate_quick(std::size_t size,
                                                             std::size_t align) noexcept
      requires(quick_lists > 0 && !Policy::checks) {
    if (size - 1 < quick_lists * B && align - 1 < kQuickAlign && (align & (align - 1)) == 0) {
      const std::size_t count = blocks_for_bounded(size);
      if (quick_top_fits(count, align)) {
        void* p = quick_pop(count);  // unchecked: never nullptr
        expose(p, size);
        return p;
      }
    }
    return nullptr;
  }
  [[gnu::always_inline]] bool try_deallocate_quick(void* p, std::size_t size,
                                                   std::size_t /*align*/) noexcept
      requires(quick_lists > 0 && !Policy::checks) {
    if (size - 1 >= quick_lists * B) return false;
    const std::size_t count = blocks_for_bounded(size);
    free_allocation(live_index(p, count), count);  // the quick push: no call
    return true;
  }

  // new_size >= old_size. In place when the next chunk allows (and p already
  // meets `align`), else allocate, copy, free. nullptr on failure, and then
  // the old allocation stays valid and the arena unchanged.
  [[nodiscard]] void* grow(void* p, std::size_t old_size, std::size_t new_size,
                           std::size_t align) noexcept {
    if (old_size == 0) return zero_size_is_valid(p) ? allocate(new_size, align) : nullptr;
    if (new_size > capacity || !detail::is_power_of_two(align)) return nullptr;
    const std::size_t old_count = blocks_for(old_size);
    const std::size_t new_count = blocks_for(new_size);
    // Checked before the in-place paths, which might not look at the list.
    const std::size_t at = resize_index(p, old_count);
    if constexpr (Policy::checks) {
      if (at == kBadIndex) return nullptr;
    }
    const bool aligned = (reinterpret_cast<std::uintptr_t>(p) & (align - 1)) == 0;
    if (aligned) {
      if (new_count <= old_count) {
        expose(p, new_size);
        return p;
      }
      const std::size_t want = new_count - old_count;
      const std::size_t got =
          may_start_free_chunk(at + old_count) ? extend(at, old_count, want, want) : 0;
      if (got == want) {
        expose(p, new_size);
        return p;
      }
      if constexpr (Policy::checks) {
        if (got == kBadIndex) return nullptr;  // p was freed already (reported)
      }
    }
    void* q = allocate(new_size, align);
    if (q == nullptr) return nullptr;
    detail::copy_contents(q, p, old_size < new_size ? old_size : new_size);
    if (quick_lists > 0 && old_count * B >= kCoalesceVacatedBytes) {
      // The place of a moved allocation of 64 bytes or more coalesces at
      // once instead of going on a quick list: a growing container is not
      // asked for at its old size again, and a quick entry next to a
      // neighbour would stop that neighbour from growing in place. Smaller
      // ones are a container's first capacities, which the next container
      // asks for again soon: they stay quick. (Callgrind, standalone loops:
      // realloc-growth in-place growths 24% -> 42% of all growths, the
      // instructions unchanged (fewer bytes copied); with every size
      // coalesced, 58%, but fast-vectors +24% instructions; with the bound,
      // fast-vectors unchanged.)
      free_to_store(at, old_count);
    } else if constexpr (Policy::checks) {
      free_allocation(at, old_count);  // checked above: not again
    } else {
      deallocate(p, old_size, align);
    }
    return q;
  }

  // new_size <= old_size. In place unless `align` is stricter than p's own
  // alignment; new_size 0 frees and returns the zero-size pointer. nullptr
  // when `align` is not a power of two or a forced move finds no room (the
  // old allocation then stays valid).
  // With a checking policy, a pointer or size it reports gives nullptr (and
  // nothing changes).
  [[nodiscard]] void* shrink(void* p, std::size_t old_size, std::size_t new_size,
                             std::size_t align) noexcept {
    if (!detail::is_power_of_two(align)) return nullptr;
    if (old_size == 0) return zero_size_is_valid(p) ? dangling(align) : nullptr;
    const std::size_t old_count = blocks_for(old_size);
    // Checked first: the in-place paths might not look at the list.
    const std::size_t at = resize_index(p, old_count);
    if constexpr (Policy::checks) {
      if (at == kBadIndex) return nullptr;
    } else {
      // The precondition (p is a live allocation of old_size), said to GCC:
      // a chain's shrink of a constant size only the system could hold
      // otherwise warned (-Warray-bounds) in the arena link it never reaches.
      detail::assume(at + old_count <= L);
    }
    if (new_size == 0) {
      if constexpr (Policy::checks) {
        if (!free_allocation(at, old_count)) return nullptr;
      } else {
        deallocate(p, old_size, align);
      }
      return dangling(align);
    }
    if ((reinterpret_cast<std::uintptr_t>(p) & (align - 1)) != 0) {
      void* q = allocate(new_size, align);
      if (q == nullptr) return nullptr;
      detail::copy_contents(q, p, new_size < old_size ? new_size : old_size);
      if constexpr (Policy::checks) {
        free_allocation(at, old_count);  // checked above: not again
      } else {
        deallocate(p, old_size, align);
      }
      return q;
    }
    const std::size_t new_count = blocks_for(new_size);
    if (new_count < old_count && !shrink_tail(at, old_count, new_count)) return nullptr;
    expose(p, new_size);
    return p;
  }

  // grow or shrink, whichever the sizes call for.
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    return new_size >= old_size ? grow(p, old_size, new_size, align)
                                : shrink(p, old_size, new_size, align);
  }

  // ---- Diagnostics ------------------------------------------------------

  // Calls f(start_block, length_in_blocks) for each free chunk, in address
  // order. Stops early at anything out of range, so a corrupt list cannot
  // make it loop or read outside the arena.
  // Blocks on quick lists are not part of any chunk (see for_each_quick_entry).
  template <class F>
  void for_each_free_chunk(F&& f) const {
    if (store_full()) return;
    std::size_t at = head_.next;
    std::size_t visited = 0;
    while (at < L && visited++ < L) {
      const detail::Header h = view(at);
      f(at, decode(h.size_code));
      if (h.next == 0) break;
      at = h.next;
    }
  }

  // Calls f(start_block, count) for each allocation waiting on a quick list:
  // list 1 first, each list from its most recently freed entry. Stops early at
  // anything out of range, like for_each_free_chunk.
  template <class F>
  void for_each_quick_entry(F&& f) const {
    if constexpr (quick_lists > 0) {
      for (std::size_t k = 1; k <= quick_lists; ++k) {
        std::size_t link = quick_.heads_[k - 1];
        for (std::size_t visited = 0; link != 0 && link <= L && visited < L; ++visited) {
          f(link - 1, k);
          link = view_entry(link - 1).next;
        }
      }
    } else {
      (void)f;
    }
  }

  // free_blocks counts every block a caller could be given, quick lists
  // included; free_chunks and largest_free_chunk describe the free list only.
  [[nodiscard]] FreeListStats stats() const noexcept {
    FreeListStats s;
    for_each_free_chunk([&](std::size_t, std::size_t len) {
      s.free_blocks += len;
      ++s.free_chunks;
      if (len > s.largest_free_chunk) s.largest_free_chunk = len;
    });
    for_each_quick_entry([&](std::size_t, std::size_t count) {
      s.free_blocks += count;
      s.quick_blocks += count;
      ++s.quick_entries;
    });
    return s;
  }

  // Walks the free list and the quick lists and reports the first broken
  // invariant (I1..I8).
  [[nodiscard]] InvariantReport check_invariants() const noexcept {
    std::size_t store_free = 0;
    const InvariantReport store = check_store(store_free);
    if (!store) return store;
    return check_quick_lists(store_free);
  }

  // Address of block `index`; for tests and diagnostics.
  [[nodiscard]] const void* block_address(std::size_t index) const noexcept {
    return base() + index * B;
  }
  [[nodiscard]] std::size_t block_index(const void* p) const noexcept {
    return static_cast<std::size_t>(static_cast<const unsigned char*>(p) - base()) >> kShift;
  }

 private:
  // I1..I6: the free list and its index. Adds the free list's blocks to
  // `free_blocks`.
  InvariantReport check_store(std::size_t& free_blocks) const noexcept {
    if (head_.size_code != kListCode && head_.size_code != kFullMarker &&
        !(Policy::checks && head_.size_code == kUnarmed))
      return {false,
              Policy::checks ? "base header holds neither 0, the armed code nor the full marker"
                             : "base header holds neither 0 nor the full marker",
              0};
    if constexpr (Policy::checks) {
      // I11: unarmed is the zero state: only the whole-arena chunk, in plain.
      if (head_.size_code == kUnarmed) {
        const detail::Header h = view(0);
        if (head_.next != 0 || h.next != 0 || h.size_code != encode(L))
          return {false, "unarmed arena that is not the zero state", 0};
      }
    }
    if (store_full()) return index_matches(0);
    std::size_t at = head_.next;
    std::size_t visited = 0;
    for (;;) {
      if (at >= L) return {false, "free chunk index out of range", at};
      if (++visited > L) return {false, "free list longer than the arena (cycle)", at};
      const detail::Header h = view(at);
      // Valid codes are 0..L-1 (lengths L..1); anything else is a zero or
      // negative length.
      if (h.size_code >= L) return {false, "free chunk length is zero or out of range", at};
      const std::size_t len = decode(h.size_code);
      if (at + len > L) return {false, "free chunk runs past the end of the arena", at};
      free_blocks += len;
      if constexpr (indexed) {
        if (index_live()) {
          if (!index_.starts_at(at)) return {false, "index does not mark a free chunk's start", at};
          if (!index_.bounds(at, len))
            return {false, "index cap is below a free chunk's length", at};
        }
      }
      if (h.next == 0) return index_matches(visited);
      if (h.next <= at) return {false, "free chunk indices not strictly increasing", at};
      if (at + len == h.next) return {false, "two free chunks touch (not coalesced)", at};
      if (at + len > h.next) return {false, "free chunks overlap", at};
      at = h.next;
    }
  }

  // I7: every quick-list entry lies in the arena, holds its list's count, and
  // overlaps no other entry and no free chunk (each list is acyclic, as a
  // cycle would revisit an entry). I8: the live count plus every free block,
  // on the list or a quick list, is L.
  InvariantReport check_quick_lists(std::size_t store_free) const noexcept {
    if constexpr (quick_lists > 0) {
      std::uint64_t seen[(L + 63) / 64] = {};
      bool overlap = false;
      for_each_free_chunk(
          [&](std::size_t start, std::size_t len) { overlap |= !mark_blocks(seen, start, len); });
      if (overlap) return {false, "free chunks overlap", 0};
      std::size_t quick_free = 0;
      for (std::size_t k = 1; k <= quick_lists; ++k) {
        std::size_t link = quick_.heads_[k - 1];
        for (std::size_t visited = 0; link != 0; ++visited) {
          if (link > L || visited >= L) return {false, "quick list link out of range", link - 1};
          const std::size_t at = link - 1;
          if (at + k > L) return {false, "quick list entry runs past the end of the arena", at};
          const detail::QuickEntry e = view_entry(at);
          if (e.count != k) return {false, "quick list entry holds another list's count", at};
          if (!mark_blocks(seen, at, k))
            return {false, "quick list entry overlaps a free chunk or another entry", at};
          quick_free += k;
          link = e.next;
        }
      }
      if (quick_.live_ + store_free + quick_free != L)
        return {false, "live count plus free blocks is not the arena's size", 0};
      if constexpr (kCountHeld) {
        if (quick_.flush_count_.blocks != quick_free)
          return {false, "the count of quick-list blocks is wrong", 0};
      }
      if constexpr (kCountFreed) {
        if (quick_.flush_count_.blocks > kFreedCountCap)
          return {false, "the count of blocks freed since the last flush passed its cap", 0};
        if (quick_.last_coalescing_.barren_free > L)
          return {false, "the free blocks of the last barren coalescing exceed the arena", 0};
      }
      if constexpr (kUsedMap) {
        // I9 (Hardened): the used bits are exactly the blocks that are free
        // neither in the list nor on a quick list.
        for (std::size_t w = 0; w < kWords; ++w) {
          if (quick_.used_[w] != (~seen[w] & valid_bits(w)))
            return {false, "used bits differ from the blocks handed out", w * 64};
        }
        return check_end_bits();
      }
    } else {
      (void)store_free;
    }
    return {};
  }

  // I10 (Hardened): an end bit on a block nobody holds is exactly a free
  // chunk's last block (so none inside a chunk or a quick entry), and every
  // run of handed-out blocks ends on an end bit (the last block of a live
  // allocation that is followed by free blocks or the arena's end). Two live
  // allocations side by side are told apart only by the end bits, so those
  // bits cannot be checked against anything else.
  InvariantReport check_end_bits() const noexcept {
    if constexpr (kUsedMap) {
      if (head_.size_code == kUnarmed) {
        for (std::size_t w = 0; w < kWords; ++w)
          if (quick_.ends_[w] != 0) return {false, "end bits set in an unarmed arena", w * 64};
        return {};
      }
      std::uint64_t chunk_ends[kWords] = {};
      for_each_free_chunk([&](std::size_t start, std::size_t len) {
        const std::size_t last = start + len - 1;
        chunk_ends[last / 64] |= std::uint64_t{1} << (last % 64);
      });
      for (std::size_t w = 0; w < kWords; ++w) {
        const std::uint64_t ends = quick_.ends_[w];
        const std::uint64_t used = quick_.used_[w];
        if ((ends & ~valid_bits(w)) != 0) return {false, "end bit past the arena", w * 64};
        if ((ends & ~used) != chunk_ends[w])
          return {false, "end bits on free blocks differ from the free chunks' last blocks",
                  w * 64};
        const std::uint64_t next_used =
            (used >> 1) | (w + 1 < kWords ? quick_.used_[w + 1] << 63 : 0);
        if ((used & ~next_used & ~ends) != 0)
          return {false, "a live allocation's last block has no end bit", w * 64};
      }
    }
    return {};
  }
  static constexpr std::uint64_t valid_bits(std::size_t w) noexcept {
    const std::size_t bits = L - w * 64 < 64 ? L - w * 64 : 64;
    return bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  }
  // Sets the bits of [start, start + len); false if one was set already.
  static bool mark_blocks(std::uint64_t* seen, std::size_t start, std::size_t len) noexcept {
    bool fresh = true;
    for (std::size_t i = start; i < start + len;) {
      const std::size_t bit = i % 64;
      const std::size_t n = len - (i - start) < 64 - bit ? len - (i - start) : 64 - bit;
      const std::uint64_t mask = (n == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << n) - 1))
                                 << bit;
      fresh = fresh && (seen[i / 64] & mask) == 0;
      seen[i / 64] |= mask;
      i += n;
    }
    return fresh;
  }

  static constexpr std::uint16_t kFullMarker = 0xFFFF;
  // The base header's code while the list is not empty: 0 for the unchecked
  // policies; for the checking ones kArmed, and kUnarmed (0) only in the zero
  // state, before the first operation has encoded block 0's header (I11).
  static constexpr std::uint16_t kUnarmed = 0;
  static constexpr std::uint16_t kArmed = 1;
  static constexpr std::uint16_t kListCode = Policy::checks ? kArmed : 0;
  static constexpr std::size_t kWords = (L + 63) / 64;
  static constexpr unsigned kShift = std::countr_zero(B);
  // Largest block alignment accepted; keeps index arithmetic far from overflow.
  static constexpr std::size_t kMaxBlockAlign = std::size_t{1} << 32;
  // A Link names the header whose `next` field points at the current chunk:
  // a block index, or kHeadLink for the base header.
  using Link = std::size_t;
  static constexpr Link kHeadLink = ~std::size_t{0};
  // index_for()'s answer, with a checking policy, for a pointer it reported.
  static constexpr std::size_t kBadIndex = ~std::size_t{0};

  // Length <-> size_code. For L == 65535 the code of length L is 0 and the
  // code of length 1 is 65534, so kFullMarker (65535) never occurs in a chunk.
  static constexpr std::uint16_t encode(std::size_t len) noexcept {
    return static_cast<std::uint16_t>(L - len);
  }
  static constexpr std::size_t decode(std::uint16_t code) noexcept {
    return L - static_cast<std::size_t>(code);
  }

  static constexpr std::size_t blocks_for(std::size_t bytes) noexcept {
    return detail::blocks_for<B>(bytes);
  }
  static constexpr std::size_t blocks_for_bounded(std::size_t bytes) noexcept {
    return detail::blocks_for_bounded<B>(bytes);
  }
  static constexpr std::size_t kCoalesceVacatedBytes = 64;  // see grow()
  // Alignments the inline path of allocate() serves: any block's, except
  // that for B = 2^29 only the object's own alignment is certain.
  static constexpr std::size_t kInlineAlign =
      B < detail::kMaxObjectAlign ? B : detail::kMaxObjectAlign;
  static constexpr bool valid_block_align(std::size_t align) noexcept {
    return detail::is_power_of_two(align) && align <= kMaxBlockAlign;
  }
  // Byte alignment -> block alignment; 0 (invalid) when not a power of two.
  static constexpr std::size_t align_in_blocks(std::size_t align) noexcept {
    if (!detail::is_power_of_two(align)) return 0;
    return align <= B ? 1 : align >> kShift;
  }
  // Block alignment is computed from block indices, which is only right when
  // the object is B-aligned; that fails only for B = 2^29 (see kMaxObjectAlign).
  bool object_can_align(std::size_t align) const noexcept {
    if constexpr (B > detail::kMaxObjectAlign) {
      const auto a = reinterpret_cast<std::uintptr_t>(base());
      if (align > detail::kMaxObjectAlign && (a & (B - 1)) != 0) return false;
    }
    (void)align;
    return true;
  }
  static void* dangling(std::size_t align) noexcept {
    return detail::is_power_of_two(align) ? reinterpret_cast<void*>(align) : nullptr;
  }

  unsigned char* base() noexcept {
    return storage_.bytes;
  }
  const unsigned char* base() const noexcept {
    return storage_.bytes;
  }

  // ASan: the caller may touch [p, p + size); the rest of its last block is
  // rounding slack and stays poisoned.
  void expose(void* p, std::size_t size) noexcept {
#if defined(STALLOC_ASAN_POISONING)
    if (!owns(p)) return;  // a pointer a checking policy has just reported
    auto* bytes = static_cast<unsigned char*>(p);
    detail::unpoison(bytes, size);
    detail::poison(bytes + size, blocks_for(size) * B - size);
#else
    (void)p;
    (void)size;
#endif
  }

  bool store_full() const noexcept {
    return head_.size_code == kFullMarker;
  }

  // False when no free chunk starts at block i, found without a walk: free
  // chunks start at head_.next or later (I1). grow asks this before calling
  // extend, which would walk to find out: a growing container whose
  // neighbour is live (in fast-vectors, every growth) skips the call, ~30
  // instructions of its ~140. A checking policy always calls extend, whose
  // walk also catches the grow of a freed allocation.
  bool may_start_free_chunk(std::size_t i) const noexcept {
    if constexpr (Policy::checks) {
      return true;
    } else {
      return !store_full() && i >= head_.next && i < L;
    }
  }

  // The byte API's allocate past its quick-list pop.
  [[gnu::always_inline]] void* allocate_general_inline(std::size_t size,
                                                       std::size_t align) noexcept {
    if (size == 0) return dangling(align);
    if (size > capacity || !object_can_align(align)) return nullptr;
    void* p = allocate_run(blocks_for(size), align_in_blocks(align));
    if (p != nullptr) expose(p, size);
    return p;
  }
  void* allocate_general(std::size_t size, std::size_t align) noexcept {
    return allocate_general_inline(size, align);
  }
  // The one call of allocate()'s slow path, with the general path inside it:
  // left to GCC, allocate_general became a second call once allocate_run
  // took aligned requests (harness local-string: 43.6 -> 58.6 instructions
  // per operation).
  [[gnu::noinline]] void* allocate_slow(std::size_t size, std::size_t align) noexcept {
    return allocate_general_inline(size, align);
  }
  // allocate() of 1..quick_lists blocks at B < align <= kSmallAlignedMax
  // bytes (both checked by the caller): allocate_run's steps without
  // allocate_general's checks. Per call on stalloc/examples/fast_vectors
  // (callgrind): 100 through allocate_general, 78 with this function's first
  // form (padding inline), 49 with the form below.
  //
  // Out of line, so that allocate()'s inline body stays small (with these
  // paths inline in it, GCC stopped inlining the harness adapter's allocate
  // into its loops: small-objects 35 -> 50 instructions per operation).
  // The cases that need no padding come first: the top quick entry is
  // aligned (a size freed and asked for again), or the list is empty and the
  // first chunk's front is aligned (a run of one size, or an arena just
  // cleared); take_aligned_from_first_chunk takes the latter with no padding.
  //
  // Those two cases are also tested inline, before the call (quick_top_fits
  // and first_chunk_fits below), where they cost a compare and a mask each
  // and no call. So what reaches this function is mostly a request that
  // needs padding, and the padding is no longer a second call (it was while
  // every aligned request came here): fast_vectors' one padded request per
  // iteration, 102 -> 85 instructions, the whole example 17.50 -> 17.33
  // million; the other examples unchanged. Before, the examples' stalloc
  // sides under callgrind (--short, whole process) and in time (taskset, 3
  // rounds of the builds in turn), for the two inline tests:
  //   chained (SyncStalloc<1024, 8> + malloc, 22-byte strings): 19.16 ->
  //     13.16 million instructions, 1500-1609 -> 1428-1460 ms (the top test:
  //     each new had called AllocChain's allocate_links and this function);
  //   fast_vectors (UnsafeStalloc<1000, 4>, clear() every iteration, so its
  //     lists are empty and the first chunk serves): 19.84 -> 17.78 million,
  //     1240-1299 -> 1025-1092 ms (the first-chunk test; the top test alone
  //     had cost it +3%).
  // The harness's loops (scripts/ci-perf-check) moved by -1.4% to +1.5%.
  static constexpr std::size_t kSmallAlignedMax = 16;
  static constexpr std::size_t kSmallAlignedBytes = (quick_lists < L ? quick_lists : L) * B;
  // Alignments the quick path serves: block alignment, and (unchecked, B < 16)
  // up to 16 when the top entry of the list happens to start on such a
  // boundary (quick_top_fits). Under operator new the entries of a list of
  // n >= 16 bytes were allocated 16-aligned, so the top usually is: inline,
  // this took two calls off each such new (allocate_links and
  // allocate_small_aligned behind an AllocChain; numbers above).
  static constexpr std::size_t kQuickAlign =
      !Policy::checks && B < kSmallAlignedMax ? kSmallAlignedMax : kInlineAlign;
  // The top entry of quick list `count` can serve a request at `align` (a
  // power of two below kQuickAlign): there is one, and past block alignment
  // it starts on an `align` boundary. Which entry a request gets is the same
  // as allocate_small_aligned's first test: only where the code runs moved.
  [[gnu::always_inline]] bool quick_top_fits(std::size_t count, std::size_t align) const noexcept {
    const std::size_t top = quick_.heads_[count - 1];
    if constexpr (kQuickAlign > kInlineAlign) {
      if (align > kInlineAlign) return top != 0 && index_is_aligned(top - 1, align >> kShift);
    }
    return top != 0;
  }
  // After a quick_top_fits miss: the front of the first chunk may serve it
  // (take_from_first_chunk). Past block alignment only when the list is
  // empty and the chunk's front is on an `align` boundary; anything else is
  // allocate_small_aligned's (which tests the same first: it places every
  // request where it did before this test was inline).
  [[gnu::always_inline]] bool first_chunk_fits(std::size_t count,
                                               std::size_t align) const noexcept {
    if constexpr (kQuickAlign > kInlineAlign) {
      if (align > kInlineAlign)
        return quick_.heads_[count - 1] == 0 && !store_full() &&
               index_is_aligned(head_.next, align >> kShift);
    }
    return true;
  }
  [[gnu::noinline]] void* allocate_small_aligned(std::size_t size, std::size_t align) noexcept {
    const std::size_t count = blocks_for_bounded(size);
    const std::size_t blocks = align >> kShift;
    const std::size_t top = quick_.heads_[count - 1];
    if (top != 0 && index_is_aligned(top - 1, blocks)) {
      void* p = quick_pop(count);
      expose(p, size);
      return p;
    }
    void* p = take_aligned_from_first_chunk(count, blocks);
    if (p == nullptr) p = allocate_from_store(count, blocks);
    if (p != nullptr) expose(p, size);
    return p;
  }

  // QuickFit, unchecked: `count` blocks from the front of the first free
  // chunk when it is long enough (see store_allocate), else nullptr. Inline:
  // after a quick-list miss this is the usual case (under QuickFit the first
  // chunk is usually the untouched tail).
  [[gnu::always_inline]] void* take_from_first_chunk(std::size_t count) noexcept {
    if (store_full()) return nullptr;
    const std::size_t at = head_.next;
    const detail::Header h = load(at);
    const std::size_t end = at + decode(h.size_code);
    if (at + count > end) return nullptr;
    count_taken(count);
    if constexpr (kSortSmall) {
      return take_aligned(kHeadLink, at, h.next, at, count, end);  // the rest rule
    }
    return take(kHeadLink, at, h.next, at, count, end);
  }

  // QuickFit, unchecked: what store_search would do with an aligned request
  // the first chunk can hold (take_aligned), without the call. Without it,
  // every operator new(16) in an arena of 4-byte blocks took the search.
  [[gnu::always_inline]] void* take_aligned_from_first_chunk(std::size_t count,
                                                             std::size_t align) noexcept {
    if (store_full()) return nullptr;
    const std::size_t at = head_.next;
    const detail::Header h = load(at);
    const std::size_t end = at + decode(h.size_code);
    const std::size_t start = align_up_index(at, align);
    if (start + count > end) return nullptr;
    count_taken(count);
    return take_aligned(kHeadLink, at, h.next, start, count, end);
  }

  // allocate_blocks without the check of the object's own alignment (the
  // byte API makes its own, in bytes).
  [[gnu::always_inline]] void* allocate_run(std::size_t count, std::size_t align) noexcept {
    if (count - 1 >= L || !valid_block_align(align)) return nullptr;
    if constexpr (Policy::checks) {
      if (!arm()) return nullptr;
    }
    if constexpr (quick_lists > 0) {
      // The top entry of list `count` serves any alignment it happens to
      // have (quick_lists.hpp, "Aligned requests"): one compare more.
      if (count <= quick_lists && quick_.heads_[count - 1] != 0 &&
          (align == 1 || index_is_aligned(quick_.heads_[count - 1] - std::size_t{1}, align))) {
        return quick_pop(count);  // nullptr only when a checking policy reported corruption
      }
      if constexpr (!Policy::checks) {
        if (align == 1) {
          if (void* p = take_from_first_chunk(count)) return p;
        } else if (count <= quick_lists && align <= quick_lists) {
          if (void* p = take_aligned_from_first_chunk(count, align)) return p;
        }
      }
      return allocate_from_store(count, align);
    } else {
      return store_allocate(count, align);
    }
  }

  // First fit in the free list: the lowest-addressed chunk that can hold
  // `count` blocks at block alignment `align` (arguments already valid).
  [[gnu::always_inline]] void* store_allocate(std::size_t count, std::size_t align) noexcept {
    if constexpr (!Policy::checks) {
      // The lowest chunk is the first fit whenever it is long enough: no
      // search. (Under QuickFit it is usually the untouched tail.) Inline;
      // the search is not.
      if (align == 1 && !store_full()) {
        const std::size_t at = head_.next;
        const detail::Header h = load(at);
        const std::size_t end = at + decode(h.size_code);
        if (at + count <= end) return take(kHeadLink, at, h.next, at, count, end);
      }
    }
    return store_search(count, align);
  }

  // QuickFit's slow path: a search of the free list, and when that fails
  // with blocks waiting on quick lists, the deferred coalescing and a retry.
  [[gnu::noinline]] void* allocate_from_store(std::size_t count, std::size_t align) noexcept {
    if constexpr (kSortSmall) {
      if (count <= quick_lists && align == 1) {
        if (void* p = split_quick_entry(count)) return p;
      }
    }
    void* p = store_search(count, align);
    if (p == nullptr && flush_may_help()) {
      flush_quick_lists();
      if constexpr (kSortSmall) {
        // The flush sorted every short chunk onto a list: the request's own
        // list comes first again, then the first chunk, a split, the search.
        if (count <= quick_lists && quick_.heads_[count - 1] != 0 &&
            (align == 1 || index_is_aligned(quick_.heads_[count - 1] - std::size_t{1}, align)))
          return quick_pop(count);
        if (align == 1) {
          if (void* q = take_from_first_chunk(count)) return q;
          if (count <= quick_lists) {
            if (void* q = split_quick_entry(count)) return q;
          }
        }
        p = store_search(count, align);
      } else {
        p = store_allocate(count, align);
      }
    }
    if (p != nullptr) {
      count_taken(count);
      mark_used(block_index(p), count, true);
    }
    return p;
  }

  [[gnu::noinline]] void* store_search(std::size_t count, std::size_t align) noexcept {
    if (store_full()) return nullptr;
    if constexpr (Policy::checks) {
      if (!head_is_valid()) return nullptr;
    }
    if constexpr (indexed) {
      if (index_live()) {
        const std::size_t at = index_.first_fit(
            count, [this](std::size_t s) { return length_at(s); },
            [this, count, align](std::size_t s, std::size_t len) {
              return (align == 1 ? s : align_up_index(s, align)) + count <= s + len;
            });
        if (at == Index::kNone) return nullptr;
        const detail::Header h = load(at);
        if constexpr (Policy::checks) {
          if (!chunk_is_valid(at, h)) return nullptr;
        }
        const std::size_t start = align == 1 ? at : align_up_index(at, align);
        return take_aligned(link_before(at), at, h.next, start, count, at + decode(h.size_code));
      }
    }
    // The walk: every FirstFit call, and indexed ones while the list is short.
    Link link = kHeadLink;
    std::size_t at = head_.next;
    for (;;) {
      const detail::Header h = load(at);
      if constexpr (Policy::checks) {
        if (!chunk_is_valid(at, h)) return nullptr;
      }
      const std::size_t end = at + decode(h.size_code);
      const std::size_t start = align == 1 ? at : align_up_index(at, align);
      if (start + count <= end) return take_aligned(link, at, h.next, start, count, end);
      if (h.next == 0) return nullptr;
      link = at;
      at = h.next;
    }
  }

  // ---- the lazy index (chunk_index.hpp) ------------------------------------
  bool index_live() const noexcept {
    if constexpr (indexed) {
      return index_.live();
    } else {
      return false;
    }
  }
  // The free list gained or lost a chunk (it is consistent again): the index
  // may go live (rebuilt from the list) or idle.
  void chunks_changed(int delta) noexcept {
    if constexpr (indexed) {
      if (index_.count_chunks(delta)) [[unlikely]]
        index_.go_live([this](auto&& add) { for_each_free_chunk(add); });
    } else {
      (void)delta;
    }
  }

  // ---- quick lists (QuickFit; see quick_lists.hpp) ------------------------
  static constexpr bool kUsedMap = Policy::checks && quick_lists > 0;
  static constexpr bool kSortSmall = quick_lists > 0 && Policy::sorts_small_chunks;
  // The flush rule's count (quick_lists.hpp), kept only when the rule needs a
  // number: the blocks on quick lists, or, when sorting, those freed since
  // the last flush.
  static constexpr bool kCountHeld = quick_lists > 0 && !kSortSmall && Policy::flush_threshold > 1;
  static constexpr bool kCountFreed = kSortSmall;
  using QuickState =
      std::conditional_t<(quick_lists > 0),
                         detail::QuickLists<(quick_lists > 0 ? quick_lists : 1), L, kUsedMap,
                                            kCountHeld || kCountFreed, kSortSmall>,
                         detail::NoQuickLists>;

  // The most recently freed allocation of `count` blocks (its list is not
  // empty).
  void* quick_pop(std::size_t count) noexcept {
    const std::size_t at = quick_.heads_[count - 1] - std::size_t{1};
    const detail::QuickEntry e = load_entry(at);
    if constexpr (Policy::checks) {
      if (!quick_entry_is_valid(at, count, e)) return nullptr;
      mark_used(at, count, true);
      set_end(at + count - 1);
    }
    detail::assume(at < L);
    quick_.heads_[count - 1] = e.next;
    quick_.live_ = static_cast<std::uint32_t>(quick_.live_ + count);
    if constexpr (kCountHeld)
      quick_.flush_count_.blocks = static_cast<std::uint32_t>(quick_.flush_count_.blocks - count);
    void* p = base() + at * B;
    detail::unpoison(p, count * B);
    return p;
  }

  void quick_push(std::size_t at, std::size_t count) noexcept {
    if constexpr (kUsedMap) {
      mark_used(at, count, false);
      clear_end(at + count - 1);  // I10: quick entries carry no end bit
    }
    store_entry(at,
                detail::QuickEntry{quick_.heads_[count - 1], static_cast<std::uint16_t>(count)});
    detail::poison(base() + at * B + sizeof(detail::QuickEntry),
                   count * B - sizeof(detail::QuickEntry));
    quick_.heads_[count - 1] = static_cast<std::uint16_t>(at + 1);
    quick_.live_ = static_cast<std::uint32_t>(quick_.live_ - count);
    if constexpr (kCountHeld)
      quick_.flush_count_.blocks = static_cast<std::uint32_t>(quick_.flush_count_.blocks + count);
  }

  // Blocks a caller gave back (any free, a shrink's tail): counted, up to
  // L or flush_threshold (enough: the rule compares the count with its bar,
  // below both, and, after a barren coalescing, with this cap), for the
  // flush rule of a sorting policy.
  static constexpr std::size_t kFreedCountCap =
      L > Policy::flush_threshold ? L : Policy::flush_threshold;
  static_assert(kFreedCountCap <= 0xFFFFFFFF, "the freed-block count is 32 bits");
  void note_freed(std::size_t count) noexcept {
    if constexpr (kCountFreed) {
      const std::size_t n = quick_.flush_count_.blocks + count;
      quick_.flush_count_.blocks =
          static_cast<std::uint32_t>(n < kFreedCountCap ? n : kFreedCountCap);
    }
    (void)count;
  }

  // Whether a failed request should coalesce the quick lists and retry
  // (Policy::flush_threshold).
  bool flush_may_help() const noexcept {
    if constexpr (kCountFreed) {
      // Three quarters of the free blocks: the amortizing bar of the policy comment.
      const std::size_t free_blocks = L - quick_.live_;
      const std::size_t most_free = free_blocks - free_blocks / 4;
      const std::size_t bar =
          most_free > Policy::flush_threshold ? most_free : Policy::flush_threshold;
      const std::size_t freed = quick_.flush_count_.blocks;
      if (freed < bar) return false;
      // After a barren coalescing, not again until the free blocks have
      // doubled or a whole arena's worth was freed (the policy comment).
      const std::size_t barren_free = quick_.last_coalescing_.barren_free;
      return barren_free == 0 || free_blocks >= 2 * barren_free || freed >= kFreedCountCap;
    } else if constexpr (kCountHeld) {
      return quick_.flush_count_.blocks >= Policy::flush_threshold;
    } else {
      return quick_lists_hold_blocks();
    }
  }

  bool quick_lists_hold_blocks() const noexcept {
    if constexpr (quick_lists > 0) {
      std::uint16_t any = 0;
      for (std::size_t k = 0; k < quick_lists; ++k) any |= quick_.heads_[k];
      return any != 0;
    } else {
      return false;
    }
  }

  // Deferred coalescing: every quick entry goes back to the free list.
  [[gnu::noinline]] void flush_quick_lists() noexcept {
    if constexpr (kCountHeld || kCountFreed) quick_.flush_count_.blocks = 0;
    if constexpr (!Policy::checks) {
      flush_in_one_pass();
      return;
    }
    // A checking policy validates each entry as it frees it, and stops at
    // the first bad one, so it frees them one by one.
    for (std::size_t k = 1; k <= quick_lists; ++k) {
      std::size_t link = quick_.heads_[k - 1];
      quick_.heads_[k - 1] = 0;
      while (link != 0) {
        const std::size_t at = link - 1;
        const detail::QuickEntry e = load_entry(at);  // before release() overwrites it
        if constexpr (Policy::checks) {
          if (!quick_entry_is_valid(at, k, e)) break;  // reported; the rest of the list leaks
        }
        detail::assume(at < L && k <= L - at);
        link = e.next;
        release(at, k);
      }
    }
  }

  // The flush of the unchecked policies (ChunkIndex::coalesce): every entry
  // becomes a marked chunk of its own, then one address-ordered pass over
  // the marks merges the touching ones and relinks the free list. A sorting
  // policy's runs of at most K blocks go onto their lists on the way, in
  // address order (the highest on top), as quick_lists.hpp states. The
  // result is the free list that freeing the entries one by one makes:
  // coalescing does not depend on the order. Replaying python3-dicts through
  // ProgramHeap (callgrind, the harness's worker, the full trace twice; 97
  // flushes of about 4,700 entries each): 524 K -> 195 K instructions per
  // flush, the replay loop 113.5 -> 97.3 instructions per operation (glibc
  // 160.8); gcc-cc1plus 102.1 -> 98.5, sqlite3 96.0 -> 94.4.
  void flush_in_one_pass() noexcept {
    index_.make_live([this](auto&& add) { for_each_free_chunk(add); });
    // The lists are walked all at once, one entry of each in turn: a list is
    // a chain of dependent loads, one likely cache miss each in an arena the
    // program has scattered, and stepping the lists in turn overlaps the
    // misses of different lists (the marks do not depend on the order).
    // Replaying the recorded python3-large (74 MB live, every small arena of
    // ProgramHeap full; two runs of each build in turn, `--workload
    // trace:<it> --allocator stalloc-chain,system -r 3 --interleave`), ns
    // per operation: one list after another 32.9, 30.9 (glibc 20.2, 21.2);
    // all at once 24.6, 22.4 (glibc 22.2, 19.6). A map of where the entries
    // start, a bit set and cleared on every push and pop, would let the flush
    // skip the walk: there 19.4, 20.1 against 20.5, 22.7 walking (glibc
    // 19.2-19.8), but the bit costs every operation of every program (sqlite3,
    // callgrind: 94.4 -> 102.7 instructions per operation), so it is not kept.
    std::uint16_t links[quick_lists];
    std::uint8_t sizes[quick_lists];
    std::size_t walking = 0;
    for (std::size_t k = 1; k <= quick_lists; ++k) {
      if (quick_.heads_[k - 1] == 0) continue;
      links[walking] = quick_.heads_[k - 1];
      sizes[walking] = static_cast<std::uint8_t>(k);
      ++walking;
      quick_.heads_[k - 1] = 0;
    }
    while (walking != 0) {
      for (std::size_t i = 0; i < walking;) {
        const std::size_t at = links[i] - std::size_t{1};
        const std::size_t k = sizes[i];
        detail::assume(at < L && k >= 1 && k <= quick_lists && k <= L - at);
        const std::uint16_t next = load_entry(at).next;
        store(at, detail::Header{0, encode(k)});
        index_.mark(at);
        if (next != 0) {
          links[i++] = next;
        } else {  // this list is done: the last one walking takes its place
          --walking;
          links[i] = links[walking];
          sizes[i] = sizes[walking];
        }
      }
    }
    Link last = kHeadLink;  // the last run kept, whose `next` the next one sets
    head_ = detail::Header{0, kFullMarker};
    std::size_t joined = 0;  // pieces (entries and chunks) merged into the one before
    std::size_t runs = 0;    // what the pieces became
    index_.coalesce(
        [this](std::size_t at) { return decode(load(at).size_code); },
        [this, &joined](std::size_t at) {
          ++joined;
          detail::poison(base() + at * B, sizeof(detail::Header));
        },
        [this, &last, &runs](std::size_t at, std::size_t len) {
          ++runs;
          detail::assume(at < L && len <= L - at);
          if constexpr (kSortSmall) {
            if (len <= quick_lists) {
              quick_push(at, len);
              count_taken(len);  // quick_push counted a free; these blocks were free already
              return false;
            }
          }
          store(at, detail::Header{0, encode(len)});
          if (last == kHeadLink) {
            head_ = detail::Header{static_cast<std::uint16_t>(at), kListCode};
          } else {
            set_next(last, at);
          }
          last = at;
          return true;
        });
    if constexpr (kSortSmall) {
      // Barren: fewer than a quarter of the pieces found a neighbour.
      const bool barren = 4 * joined < joined + runs;
      quick_.last_coalescing_.barren_free =
          barren ? static_cast<std::uint16_t>(L - quick_.live_) : std::uint16_t{0};
    } else {
      (void)joined;
      (void)runs;
    }
  }

  // Sorting policies: a request of `count` blocks at alignment 1 that its own
  // list and the first chunk could not serve takes the front of the top
  // entry of the smallest non-empty list above it; the rest goes on its own
  // list. nullptr when every larger list is empty.
  void* split_quick_entry(std::size_t count) noexcept {
    for (std::size_t k = count + 1; k <= quick_lists; ++k) {
      if (quick_.heads_[k - 1] != 0) {
        const std::size_t at = quick_.heads_[k - 1] - std::size_t{1};
        void* p = quick_pop(k);
        quick_push(at + count, k - count);
        return p;
      }
    }
    return nullptr;
  }

  // Frees a whole allocation: onto its quick list when it is small, else
  // into the free list. With a checking policy `at` may be kBadIndex
  // (already reported); returns false when misuse was reported.
  [[gnu::always_inline]] bool free_allocation(std::size_t at, std::size_t count) noexcept {
    if constexpr (quick_lists > 0) {
      if (count <= quick_lists) {
        if constexpr (Policy::checks) {
          // live_index() proved [at, at + count) is one live allocation.
          if (at == kBadIndex || !head_is_valid()) return false;
        } else {
          detail::assume(at < L);
        }
        quick_push(at, count);
        note_freed(count);
        return true;
      }
    }
    if constexpr (!Policy::checks) {
      // The range joins the first free chunk from below (a last-in first-out
      // free): no neighbour search, no new chunk.
      detail::assume(at < L);
      if (!store_full() && at + count == head_.next) {
        const std::size_t next = head_.next;
        const detail::Header h = load(next);
        const std::size_t len = count + decode(h.size_code);
        detail::poison(base() + at * B, count * B);
        detail::poison(base() + next * B, sizeof(detail::Header));
        store(at, detail::Header{h.next, encode(len)});
        head_.next = static_cast<std::uint16_t>(at);
        if constexpr (indexed) {
          if (index_.live()) index_.move(next, at, len);
        }
        count_freed(count);
        return true;
      }
    }
    if constexpr (Policy::checks) {
      return free_to_store_checked(at, count);
    } else {
      free_to_store(at, count);
      return true;
    }
  }

  // With Hardened, [at, at + count) was proved one live allocation by
  // live_index() or resize_index(). Two entry points so that the unchecked
  // policies' code stays as it was (a bool result made GCC clone it).
  [[gnu::always_inline]] bool store_freed(std::size_t at, std::size_t count) noexcept {
    if (!release(at, count)) return false;
    count_freed(count);
    mark_used(at, count, false);
    return true;
  }
  [[gnu::noinline]] void free_to_store(std::size_t at, std::size_t count) noexcept {
    store_freed(at, count);
  }
  [[gnu::noinline]] bool free_to_store_checked(std::size_t at, std::size_t count) noexcept {
    return store_freed(at, count);
  }

  // Returns [at + new_count, at + old_count), the tail of the live allocation
  // at `at`, to the free list; it coalesces at once (it never goes on a quick
  // list), so that growing the allocation back in place can succeed.
  bool shrink_tail(std::size_t at, std::size_t old_count, std::size_t new_count) noexcept {
    if (!release(at + new_count, old_count - new_count)) return false;
    count_freed(old_count - new_count);
    mark_used(at + new_count, old_count - new_count, false);
    set_end(at + new_count - 1);
    return true;
  }

  // ---- checking policies with quick lists (Hardened) ----------------------
  // Bits [at, at + n) of a bitmap as the low n bits; n in 1..64, and the
  // range inside the arena.
  static std::uint64_t window(const std::uint64_t* map, std::size_t at, std::size_t n) noexcept {
    const std::size_t w = at / 64;
    const std::size_t b = at % 64;
    std::uint64_t v = map[w] >> b;
    if constexpr (kWords > 1) {
      if (b + n > 64) v |= map[w + 1] << (64 - b);
    }
    return n == 64 ? v : v & ((std::uint64_t{1} << n) - 1);
  }

  // Sets or clears the used bits of [at, at + count).
  void mark_used(std::size_t at, std::size_t count, bool on) noexcept {
    if constexpr (kUsedMap) {
      if (count <= 64) {  // quick entries and most allocations: at most two words
        const std::size_t w = at / 64;
        const std::size_t b = at % 64;
        const std::uint64_t bits =
            count == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1;
        const std::uint64_t lo = bits << b;
        quick_.used_[w] = on ? (quick_.used_[w] | lo) : (quick_.used_[w] & ~lo);
        if constexpr (kWords > 1) {  // one word: the range cannot cross into a next one
          if (b + count > 64) {
            const std::uint64_t hi = bits >> (64 - b);
            quick_.used_[w + 1] = on ? (quick_.used_[w + 1] | hi) : (quick_.used_[w + 1] & ~hi);
          }
        }
        return;
      }
      for_each_word(at, count, [&](std::size_t w, std::uint64_t mask) {
        quick_.used_[w] = on ? (quick_.used_[w] | mask) : (quick_.used_[w] & ~mask);
        return true;
      });
    } else {
      (void)at;
      (void)count;
      (void)on;
    }
  }
  bool used_bit(std::size_t i) const noexcept {
    if constexpr (kUsedMap) {
      return ((quick_.used_[i / 64] >> (i % 64)) & 1U) != 0;
    } else {
      (void)i;
      return false;
    }
  }
  // The end bits (I10). No-ops without them, so the shared paths (take,
  // release) call them unconditionally.
  bool end_bit(std::size_t i) const noexcept {
    if constexpr (kUsedMap) {
      return ((quick_.ends_[i / 64] >> (i % 64)) & 1U) != 0;
    } else {
      (void)i;
      return false;
    }
  }
  void set_end(std::size_t i) noexcept {
    if constexpr (kUsedMap) {
      quick_.ends_[i / 64] |= std::uint64_t{1} << (i % 64);
    } else {
      (void)i;
    }
  }
  void clear_end(std::size_t i) noexcept {
    if constexpr (kUsedMap) {
      quick_.ends_[i / 64] &= ~(std::uint64_t{1} << (i % 64));
    } else {
      (void)i;
    }
  }
  // Does any block of [at, at + count) carry an end bit?
  bool any_end(std::size_t at, std::size_t count) const noexcept {
    if constexpr (kUsedMap) {
      return !for_each_word(at, count, [&](std::size_t w, std::uint64_t mask) {
        return (quick_.ends_[w] & mask) == 0;
      });
    } else {
      (void)at;
      (void)count;
      return false;
    }
  }
  // Is any block of [at, at + count) handed out?
  bool any_used(std::size_t at, std::size_t count) const noexcept {
    if constexpr (kUsedMap) {
      if (count <= 64) return window(quick_.used_, at, count) != 0;
      return !for_each_word(at, count, [&](std::size_t w, std::uint64_t mask) {
        return (quick_.used_[w] & mask) == 0;
      });
    } else {
      (void)at;
      (void)count;
      return false;
    }
  }
  // f(word, mask) over the words that [at, at + count) covers, while f says
  // true; returns false if it stopped early.
  template <class F>
  static bool for_each_word(std::size_t at, std::size_t count, F&& f) noexcept {
    for (std::size_t i = at, end = at + count; i < end;) {
      const std::size_t bit = i % 64;
      const std::size_t n = end - i < 64 - bit ? end - i : 64 - bit;
      const std::uint64_t mask = (n == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << n) - 1))
                                 << bit;
      if (!f(i / 64, mask)) return false;
      i += n;
    }
    return true;
  }
  // An entry about to be popped or flushed from list `count`: reported as
  // corruption unless it is one (a use-after-free write changes it).
  bool quick_entry_is_valid(std::size_t at, std::size_t count,
                            detail::QuickEntry e) const noexcept {
    if (at < L && count <= L - at && e.count == count && e.next <= L && !any_used(at, count))
      return true;
    misuse(Misuse::corrupt_free_list, "quick list corrupt: entry header changed after free",
           at < L ? block_address(at) : this);
    return false;
  }

  void count_taken(std::size_t count) noexcept {
    if constexpr (quick_lists > 0) quick_.live_ = static_cast<std::uint32_t>(quick_.live_ + count);
    (void)count;
  }
  // A caller's blocks went back to the free list (not a quick list).
  void count_freed(std::size_t count) noexcept {
    if constexpr (quick_lists > 0) quick_.live_ = static_cast<std::uint32_t>(quick_.live_ - count);
    note_freed(count);
  }

  detail::QuickEntry load_entry(std::size_t index) const noexcept {
    const detail::Header h = coded(load_raw(index), kQuickSalt);
    return detail::QuickEntry{h.next, h.size_code};
  }
  detail::QuickEntry view_entry(std::size_t index) const noexcept {
    if (!armed()) {
      const detail::Header h = load_raw(index);
      return detail::QuickEntry{h.next, h.size_code};
    }
    return load_entry(index);
  }
  void store_entry(std::size_t index, detail::QuickEntry e) noexcept {
    store_raw(index, coded(detail::Header{e.next, e.count}, kQuickSalt));
  }

  // The block index of an allocation start that covers `count` blocks. With a
  // checking policy, a pointer that cannot be one is reported and kBadIndex
  // returned; the callers then do nothing.
  std::size_t index_for(const void* p, std::size_t count) const noexcept {
    if constexpr (Policy::checks) {
      if (!owns(p)) return misuse(Misuse::foreign_pointer, "pointer not from this arena", p);
      const auto offset = static_cast<std::size_t>(static_cast<const unsigned char*>(p) - base());
      if ((offset & (B - 1)) != 0)
        return misuse(Misuse::misaligned_pointer, "pointer not at a block boundary", p);
      const std::size_t at = offset >> kShift;
      if (count == 0 || count > L - at)
        return misuse(Misuse::bad_size, "size is zero or runs past the end of the arena", p);
      return at;
    } else {
      (void)count;
      return block_index(p);
    }
  }

  std::size_t misuse(Misuse kind, const char* what, const void* p) const noexcept {
    Policy::report(MisuseReport{kind, what, this, p});
    return kBadIndex;
  }

  // The block index of p, which the caller says is a live allocation of
  // `count` blocks: index_for(), and with Hardened the allocation's own
  // boundaries (kBadIndex after a report). Every operation on an existing
  // allocation starts here, so it also arms the arena (I11).
  [[gnu::always_inline]] std::size_t live_index(const void* p, std::size_t count) noexcept {
    if constexpr (Policy::checks) {
      if (!arm()) return kBadIndex;
      const std::size_t at = index_for(p, count);
      if constexpr (kUsedMap) {
        if (at != kBadIndex) return allocation_at(at, count, p);
      }
      return at;
    } else {
      return index_for(p, count);
    }
  }

  // live_index() for grow and shrink, whose in-place paths may not touch the
  // list: HardenedFirstFit, which has no bitmaps, walks the list for a free
  // chunk inside the range (a freed allocation) as free() does.
  std::size_t resize_index(const void* p, std::size_t count) noexcept {
    const std::size_t at = live_index(p, count);
    if constexpr (Policy::checks && !kUsedMap) {
      if (at == kBadIndex || !head_is_valid() || store_full()) return at;
      std::size_t cur = head_.next;
      for (std::size_t visited = 0; visited < L; ++visited) {
        const detail::Header h = load(cur);
        if (!chunk_is_valid(cur, h)) return kBadIndex;
        if (cur >= at + count) break;
        if (cur + decode(h.size_code) > at)
          return misuse(Misuse::double_free, "resize of a freed allocation", p);
        if (h.next == 0) break;
        cur = h.next;
      }
    }
    return at;
  }

  // Size 0 is for the pointers allocate(0, align) returns: `align` itself, a
  // power of two. Any other pointer into the arena names a real allocation,
  // and freeing it as size 0 would leak it (checking policies report that).
  bool zero_size_is_valid(const void* p) const noexcept {
    if constexpr (Policy::checks) {
      const auto a = reinterpret_cast<std::uintptr_t>(p);
      if (owns(p) && !detail::is_power_of_two(a)) {
        misuse(Misuse::wrong_size, "size 0 for a pointer into the arena", p);
        return false;
      }
    }
    (void)p;
    return true;
  }

  // Hardened: [at, at + count) must be exactly one live allocation. Returns
  // at, or kBadIndex after a report. With I10 four bit tests decide it; no
  // all-blocks scan is needed, because a free block inside the range would
  // sit after a live allocation's end bit, which the third test finds.
  std::size_t allocation_at(std::size_t at, std::size_t count, const void* p) const noexcept {
    // index_for() checked both; said for GCC's -Warray-bounds, which loses
    // them when a caller is compiled out of line (ThreadCached's locked free).
    detail::assume(at < L && count >= 1 && count <= L - at);
    if (!used_bit(at))
      return misuse(Misuse::double_free, "the pointer's block is not handed out (freed already?)",
                    p);
    if (at != 0 && used_bit(at - 1) && !end_bit(at - 1))
      return misuse(Misuse::interior_pointer, "the pointer is inside a live allocation", p);
    bool too_large;
    bool too_small;
    if (count <= 64) {  // the usual case: one window, one compare
      const std::uint64_t ends = window(quick_.ends_, at, count);
      const std::uint64_t last = std::uint64_t{1} << (count - 1);
      too_large = (ends & (last - 1)) != 0;
      too_small = (ends & last) == 0;
    } else {
      too_large = any_end(at, count - 1);
      too_small = !end_bit(at + count - 1);
    }
    if (too_large)
      return misuse(Misuse::wrong_size, "size too large: the range runs past the allocation's end",
                    p);
    if (too_small)
      return misuse(Misuse::wrong_size, "size too small: the allocation goes on past it", p);
    return at;
  }

  // Checking policies: before the first operation changes anything, encode
  // the zero state's plain block-0 header (I11). False after a report.
  [[gnu::always_inline]] bool arm() noexcept {
    if (head_.size_code != kUnarmed) [[likely]]
      return true;
    return arm_fresh();
  }
  [[gnu::noinline]] bool arm_fresh() noexcept {
    const detail::Header h = load_raw(0);  // plain while unarmed
    bool fresh = head_.next == 0 && h.next == 0 && h.size_code == encode(L);
    if constexpr (quick_lists > 0) fresh = fresh && quick_.live_ == 0 && !quick_lists_hold_blocks();
    if (!fresh) {
      misuse(Misuse::corrupt_free_list, "free list corrupt: base header reset after use", this);
      return false;
    }
    head_.size_code = kArmed;
    store(0, h);
    set_end(L - 1);
    return true;
  }

  // Checking policies only: the base header, and one chunk header on the
  // walk, against I1..I4 (reported, so no walk goes astray). With Hardened
  // also against the bitmaps: the chunk's first and last blocks are not
  // handed out, and the last carries an end bit (I10). Together with
  // `next` that pins the length exactly: a shorter one ends inside the
  // chunk, where no end bit is; a longer one ends on a live allocation
  // (used), inside a quick entry (no end bit), or on a later chunk's end,
  // which lies past `next`.
  bool head_is_valid() const noexcept {
    if ((head_.size_code == kListCode && head_.next < L) || head_.size_code == kFullMarker)
      return true;
    misuse(Misuse::corrupt_free_list, "free list corrupt: bad base header", this);
    return false;
  }
  bool chunk_is_valid(std::size_t at, detail::Header h) const noexcept {
    const std::size_t end = at + decode(h.size_code);
    bool ok =
        at < L && h.size_code < L && end <= L && (h.next == 0 || (h.next > end && h.next < L));
    if constexpr (kUsedMap) ok = ok && !used_bit(at) && end_bit(end - 1) && !used_bit(end - 1);
    if (ok) return true;
    misuse(Misuse::corrupt_free_list, "free list corrupt: chunk header breaks an invariant",
           at < L ? block_address(at) : this);
    return false;
  }

  // The index of the first block whose address is a multiple of align * B.
  std::size_t align_up_index(std::size_t at, std::size_t align) const noexcept {
    const std::size_t phase = (reinterpret_cast<std::uintptr_t>(base()) >> kShift) & (align - 1);
    return ((at + phase + align - 1) & ~(align - 1)) - phase;
  }
  bool index_is_aligned(std::size_t at, std::size_t align) const noexcept {
    return (((reinterpret_cast<std::uintptr_t>(base()) >> kShift) + at) & (align - 1)) == 0;
  }

  // I6 (indexed policies): the index counts the free chunks, is live when
  // there are more than kLiveAbove, and then marks exactly their starts.
  InvariantReport index_matches(std::size_t chunks) const noexcept {
    if constexpr (indexed) {
      if (index_.chunks() != chunks)
        return {false, "index counts the wrong number of free chunks", 0};
      if (!index_.live() && chunks > Index::kLiveAbove)
        return {false, "index idle with too many free chunks to walk", 0};
      if (index_.live() && index_.marked() != chunks)
        return {false, "index marks a block where no free chunk starts", 0};
    }
    (void)chunks;
    return {};
  }

  std::size_t length_at(std::size_t index) const noexcept {
    return decode(load(index).size_code);
  }
  // The link to the chunk at `at`: the free chunk just before it, or the head.
  Link link_before(std::size_t at) const noexcept {
    if constexpr (indexed) {
      const std::size_t before = index_.before(at);
      return before == Index::kNone ? kHeadLink : before;
    } else {
      (void)at;
      return kHeadLink;
    }
  }

#if defined(STALLOC_ASAN_POISONING)
  // Diagnostics and checked walks follow a corrupt list wherever it points,
  // maybe into poisoned memory: that must be reported as a broken invariant
  // or as misuse, not as an ASan error in the allocator itself.
  __attribute__((no_sanitize("address"))) detail::Header load_raw(
      std::size_t index) const noexcept {
    unsigned char raw[sizeof(detail::Header)];
    const unsigned char* src = base() + index * B;
    for (std::size_t i = 0; i < sizeof raw; ++i) raw[i] = src[i];
    detail::Header h;
    std::memcpy(&h, raw, sizeof h);
    return h;
  }
#else
  detail::Header load_raw(std::size_t index) const noexcept {
    detail::Header h;
    std::memcpy(&h, base() + index * B, sizeof h);
    return h;
  }
#endif
  // Writes the header of a free chunk; under ASan a chunk's header is the only
  // part of it that is not poisoned.
  void store_raw(std::size_t index, detail::Header h) noexcept {
    detail::unpoison(base() + index * B, sizeof h);
#if defined(__GNUC__) && !defined(__clang__)
    // GCC 12 takes the union's initialised member (block 0's header) for the
    // destination object and flags writes to later blocks; they are in bounds.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif
    std::memcpy(base() + index * B, &h, sizeof h);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  }
  void set_next(Link link, std::size_t next) noexcept {
    auto n = static_cast<std::uint16_t>(next);
    if (link == kHeadLink) {
      head_.next = n;
    } else {
      if constexpr (Policy::checks)
        n = static_cast<std::uint16_t>(n ^ header_mask(kChunkSalt).next);
      std::memcpy(base() + link * B, &n, sizeof n);  // `next` is the header's first field
    }
  }

  // load() and load_entry() are for the operations, which arm the arena
  // first; view() and view_entry() for the diagnostics, which may look at an
  // unarmed one.
  detail::Header load(std::size_t index) const noexcept {
    return coded(load_raw(index), kChunkSalt);
  }
  detail::Header view(std::size_t index) const noexcept {
    return armed() ? load(index) : load_raw(index);
  }
  bool armed() const noexcept {
    return !Policy::checks || head_.size_code != kUnarmed;
  }
  void store(std::size_t index, detail::Header h) noexcept {
    store_raw(index, coded(h, kChunkSalt));
  }

  // Checking policies keep every header inside the blocks (free chunks' and
  // quick entries') XORed with a mask made from the arena's address and the
  // kind of header, the way mimalloc's secure mode encodes its free-list
  // pointers: a use-after-free write of plain values decodes to garbage that
  // the checks on the walk, pop or flush report. The mask of the size half
  // always lies in a range no valid header uses (size codes >= L, quick
  // counts >= 2^15), so all-zero bytes never decode to a valid header, and
  // any value below kChunkSpread (resp. 2^15) written into a size half is
  // caught for certain. Unarmed (the zero state, I11) block 0's header is
  // plain, so an all-zero arena is still valid: the diagnostics read it as
  // such (view()), and the first operation re-stores it under the mask
  // (arm()) before anything else reads a header.
  // One mask per arena and kind, not per block: a walk then pays two XORs
  // per header (small-objects loop, HardenedFirstFit: 371 instructions per
  // operation, 425 with a multiply-mixed mask per block index). The address
  // is not secret from the program, so this finds mistakes, not an attacker
  // who reads the arena's address.
  static constexpr std::uint32_t kChunkSalt = 0;
  static constexpr std::uint32_t kQuickSalt = 0x5BD1E995U;
  static constexpr std::uint32_t kChunkSpread =
      static_cast<std::uint32_t>(std::bit_floor(std::size_t{65536} - L));
  static constexpr std::uint32_t kQuickSpread = std::uint32_t{1} << 15;
  static_assert(L <= 65536 - kChunkSpread && Policy::quick_lists < 65536 - kQuickSpread);
  detail::Header header_mask(std::uint32_t salt) const noexcept {
    const auto m = static_cast<std::uint32_t>(
                       (static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(this)) *
                        0x9E3779B97F4A7C15U) >>
                       32) ^
                   salt;
    const std::uint32_t spread = salt == kChunkSalt ? kChunkSpread : kQuickSpread;
    return detail::Header{static_cast<std::uint16_t>(m),
                          static_cast<std::uint16_t>((m >> 16) | (0xFFFFU & ~(spread - 1)))};
  }
  detail::Header coded(detail::Header h, std::uint32_t salt) const noexcept {
    if constexpr (Policy::checks) {
      const detail::Header m = header_mask(salt);
      h.next = static_cast<std::uint16_t>(h.next ^ m.next);
      h.size_code = static_cast<std::uint16_t>(h.size_code ^ m.size_code);
    }
    (void)salt;
    return h;
  }

  // Carves [start, start + count) out of the chunk [at, end), which `link`
  // points to and whose successor is `next`. The part before `start` keeps the
  // chunk's header; the part after gets a new one.
  // Inlined: called from few places, and a call (with its register saves)
  // costs as much as the work on a short list.
  [[gnu::always_inline]] void* take(Link link, std::size_t at, std::size_t next, std::size_t start,
                                    std::size_t count, std::size_t end) noexcept {
    detail::assume(at <= start && start + count <= end && end <= L);
    std::size_t after = next;
    if (start + count < end) {
      after = start + count;
      store(after, detail::Header{static_cast<std::uint16_t>(next), encode(end - after)});
      detail::poison(base() + after * B + sizeof(detail::Header),
                     (end - after) * B - sizeof(detail::Header));
    }
    // The chunk at `at` keeps its index entry when a prefix of it stays free
    // (its cap is an upper bound, so a shorter chunk needs no update); when
    // its front was taken, its start moves to `after`.
    if constexpr (indexed) {
      if (index_live()) {
        if (start + count < end) {
          if (start == at) {
            index_.move(at, after, end - after);
          } else {
            index_.add(after, end - after);
          }
        } else if (start == at) {
          index_.remove(at);
        }
      }
    }
    const int delta = start + count < end ? (start > at ? 1 : 0) : (start > at ? 0 : -1);
    if (start > at) {
      store(at, detail::Header{static_cast<std::uint16_t>(after), encode(start - at)});
      detail::poison(base() + at * B + sizeof(detail::Header),
                     (start - at) * B - sizeof(detail::Header));
    } else if (link == kHeadLink && after == 0) {
      // I5: the list just became empty. Only when the FIRST chunk is taken
      // whole: taking a later chunk whole just unlinks it (the crate marked
      // the arena full here and lost every earlier chunk).
      head_ = detail::Header{0, kFullMarker};
    } else {
      set_next(link, after);
    }
    if (delta != 0) chunks_changed(delta);
    // I10: the taken range ends an allocation, and a prefix left free ends
    // a chunk; the suffix keeps the chunk's old end bit.
    if (start > at) set_end(start - 1);
    set_end(start + count - 1);
    void* p = base() + start * B;
    detail::unpoison(p, count * B);
    return p;
  }

  // take() for a run at `start` that alignment may have moved past the
  // chunk's front. QuickFit parks that padding, at most quick_lists blocks,
  // on its quick list as a freed entry instead of leaving it a free chunk in
  // front of the list (quick_lists.hpp, "Aligned requests"): otherwise the
  // first chunk is a sliver that no take from the front can use, and every
  // request after it goes to the search. A sorting policy does the same with
  // a rest of 1..quick_lists blocks after the run ("Sorted small chunks"),
  // pushed after the padding.
  [[gnu::always_inline]] void* take_aligned(Link link, std::size_t at, std::size_t next,
                                            std::size_t start, std::size_t count,
                                            std::size_t end) noexcept {
    std::size_t rest = 0;
    if constexpr (kSortSmall) {
      const std::size_t r = end - start - count;
      if (r - 1 < quick_lists) rest = r;  // r in 1..quick_lists
    }
    if constexpr (quick_lists > 0) {
      const std::size_t pad = start - at;
      if (pad != 0 && pad <= quick_lists) {
        take(link, at, next, at, pad + count + rest, end);
        count_taken(pad);  // quick_push counts the padding freed again
        quick_push(at, pad);
        if constexpr (kSortSmall) {
          if (rest != 0) park_rest(start + count, rest);
        }
        return base() + start * B;
      }
    }
    take(link, at, next, start, count + rest, end);
    if constexpr (kSortSmall) {
      if (rest != 0) park_rest(start + count, rest);
    }
    return base() + start * B;
  }
  void park_rest(std::size_t at, std::size_t rest) noexcept {
    count_taken(rest);
    quick_push(at, rest);
  }

  // Returns [at, at + count) to the free list, coalescing on both sides.
  // With a checking policy, `at` may be kBadIndex (already reported), and the
  // range is checked against the free chunks around it before anything is
  // written: overlapping one means a double free.
  // Returns false when a checking policy reported misuse (nothing changed).
  [[gnu::always_inline]] bool release(std::size_t at, std::size_t count) noexcept {
    if constexpr (Policy::checks) {
      if (at == kBadIndex || !head_is_valid()) return false;
    }
    // Every caller passes a range inside the arena (index_for() checked it,
    // or the caller is trusted).
    detail::assume(at < L);
    if (store_full()) {
      detail::poison(base() + at * B, count * B);
      head_ = detail::Header{static_cast<std::uint16_t>(at), kListCode};
      store(at, detail::Header{0, encode(count)});
      set_end(at + count - 1);
      chunks_changed(1);
      return true;
    }
    // Find the last chunk before `at` (prev) and the first after it (next).
    Link prev = kHeadLink;
    std::size_t prev_end = 0;
    std::size_t next = head_.next;
    detail::Header next_h{};
    bool has_next = true;
    if constexpr (indexed) {
      if (index_live()) {
        // No chunk before `at` when the first one starts after it: no search.
        const std::size_t before =
            (!Policy::checks && head_.next > at) ? Index::kNone : index_.before(at);
        if (before != Index::kNone) {
          prev = before;
          next_h = load(before);
          if constexpr (Policy::checks) {
            if (!chunk_is_valid(before, next_h)) return false;
          }
          prev_end = before + decode(next_h.size_code);
          has_next = next_h.next != 0;
          next = next_h.next;
        }
      }
    }
    while (!index_live() && next < at) {
      next_h = load(next);
      if constexpr (Policy::checks) {
        if (!chunk_is_valid(next, next_h)) return false;
      }
      prev = next;
      prev_end = next + decode(next_h.size_code);
      if (next_h.next == 0) {
        has_next = false;
        break;
      }
      next = next_h.next;
    }
    if constexpr (Policy::checks) {
      if (prev_end > at || (has_next && next < at + count)) {
        misuse(Misuse::double_free, "the freed range overlaps a free chunk", block_address(at));
        return false;
      }
    }

    std::size_t len = count;
    std::size_t successor = has_next ? next : 0;
    bool merged_next = false;
    if (has_next && at + count == next) {  // merge with the chunk after
      detail::assume(next < L);
      const detail::Header h = load(next);
      if constexpr (Policy::checks) {
        if (!chunk_is_valid(next, h)) return false;
      }
      len += decode(h.size_code);
      successor = h.next;
      merged_next = true;
    }
    // ASan: the freed blocks, and a swallowed successor's header, become
    // chunk body; store() below unpoisons the one header that survives.
    detail::poison(base() + at * B, count * B);
    if (merged_next) detail::poison(base() + next * B, sizeof(detail::Header));
    // I10: the chunk now ends where the freed range does unless it swallowed
    // the next chunk (whose end bit stays); a chunk before it no longer ends.
    if (merged_next) {
      clear_end(at + count - 1);
    } else {
      set_end(at + count - 1);
    }
    if (prev != kHeadLink && prev_end == at) {  // merge into the chunk before
      clear_end(at - 1);
      store(prev,
            detail::Header{static_cast<std::uint16_t>(successor), encode(prev_end - prev + len)});
      if constexpr (indexed) {
        if (index_live()) {
          if (merged_next) index_.remove(next);
          index_.raise(prev, prev_end - prev + len);
        }
      }
      if (merged_next) chunks_changed(-1);
    } else {
      store(at, detail::Header{static_cast<std::uint16_t>(successor), encode(len)});
      set_next(prev, at);
      if constexpr (indexed) {
        if (index_live()) {
          if (merged_next) {
            index_.move(next, at, len);
          } else {
            index_.add(at, len);
          }
        }
      }
      if (!merged_next) chunks_changed(1);
    }
    return true;
  }

  // The allocation [alloc, alloc + old_count) takes between `min` and `max`
  // blocks from the free chunk that starts right after it, if there is one.
  // Returns how many were taken (0 if fewer than `min` were available;
  // nothing changes then). With a checking policy, kBadIndex when misuse
  // was reported (also nothing changed).
  std::size_t extend(std::size_t alloc, std::size_t old_count, std::size_t min,
                     std::size_t max) noexcept {
    if constexpr (Policy::checks) {
      if (alloc == kBadIndex || !head_is_valid()) return kBadIndex;
    }
    // With Hardened, live_index() proved the allocation live.
    const std::size_t at = alloc + old_count;
    if (store_full() || at >= L) return 0;
    // With the used bits a freed allocation was ruled out above, so the
    // hardened arena can use the index too.
    if constexpr (indexed && (!Policy::checks || kUsedMap)) {
      if constexpr (indexed) {
        if (index_live()) {
          if (!index_.starts_at(at)) return 0;
          const detail::Header h = load(at);
          if constexpr (Policy::checks) {
            if (!chunk_is_valid(at, h)) return kBadIndex;
          }
          const std::size_t len = decode(h.size_code);
          if (len < min) return 0;
          const std::size_t got = len < max ? len : max;
          take(link_before(at), at, h.next, at, got, at + len);
          count_taken(got);
          mark_used(at, got, true);
          clear_end(at - 1);  // the allocation no longer ends there
          return got;
        }
      }
    }
    Link link = kHeadLink;
    std::size_t cur = head_.next;
    detail::Header h = load(cur);
    for (;;) {
      if constexpr (Policy::checks) {
        if (!chunk_is_valid(cur, h)) return kBadIndex;
        // A free chunk inside the allocation: it was freed already.
        if (cur + decode(h.size_code) > alloc && cur < at)
          return misuse(Misuse::double_free, "grow of a freed allocation", block_address(alloc));
      }
      if (cur >= at) break;
      if (h.next == 0) return 0;
      link = cur;
      cur = h.next;
      h = load(cur);
    }
    if (cur != at) return 0;
    const std::size_t len = decode(h.size_code);
    if (len < min) return 0;
    const std::size_t got = len < max ? len : max;
    take(link, at, h.next, at, got, at + len);
    count_taken(got);
    mark_used(at, got, true);
    clear_end(at - 1);  // the allocation no longer ends there
    return got;
  }

  // The blocks. A union so the constexpr constructor can leave them
  // untouched: only block 0's header (the first member) is initialised, to
  // the all-zero "one free chunk of L blocks".
  union Storage {
    detail::Header first_header{0, 0};
    alignas(B < detail::kMaxObjectAlign ? B : detail::kMaxObjectAlign) unsigned char bytes[L * B];
  } storage_;
  detail::Header head_{0, 0};
  // Only with an indexed policy; otherwise empty and of size zero, so the
  // plain arena stays exactly L * B + 4 bytes (rounded to its alignment).
  using Index = std::conditional_t<indexed, detail::ChunkIndex<L>, detail::NoChunkIndex>;
  [[no_unique_address]] Index index_;
  // Only with quick lists (QuickFit); otherwise empty and of size zero.
  [[no_unique_address]] QuickState quick_;
};

}  // namespace stalloc
