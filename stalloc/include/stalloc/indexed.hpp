// Indexed mode: first fit and free in near-constant time on a fragmented heap.
//
//   stalloc::IndexedStalloc<L, B>   ==   stalloc::Stalloc<L, B, stalloc::Indexed>
//
// The plain Stalloc walks its address-ordered free list to find a first fit
// and a free's neighbours, so each operation costs O(free chunks): with
// thousands of holes, microseconds. This policy adds a ChunkIndex (a bitmap
// of chunk starts with a 64-way summary and upper bounds on chunk lengths;
// see stalloc/chunk_index.hpp) next to the blocks. Placement is unchanged
// (still the lowest-addressed chunk that fits) and so is the in-block free
// list; only the search is faster. Requests aligned to more than one block
// still walk the list.
//
// Cost: 10 * ceil(L / 64) + 10 * ceil(L / 4096) bytes more than the plain
// arena (plus rounding to B): 10,400 bytes for L = 65535, 1,300 for L = 8192.
// Construction zeroes the index (a static one is all-zero, in .bss).
#pragma once

#include "stalloc/stalloc.hpp"

namespace stalloc {

struct Indexed {
  static constexpr bool checks = false;
  static constexpr bool indexed = true;
  static constexpr std::size_t quick_lists = 0;
  static constexpr std::size_t flush_threshold = 1;
  static constexpr bool sorts_small_chunks = false;
  static void report(const MisuseReport&) noexcept {}
};

template <std::size_t L, std::size_t B>
using IndexedStalloc = Stalloc<L, B, Indexed>;

}  // namespace stalloc
