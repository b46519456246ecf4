// operator<< for Stalloc: a one-line dump of the free list, for logs and test
// failure messages. Separate from stalloc.hpp so the core pulls in no iostream.
//
//   Stalloc<8, 4>: 3/8 blocks free in 2 chunks (largest 2): [1+2] [6+1]
//   Stalloc<8, 4>: full
//
// Each [start+length] is one free chunk, in block units, in address order.
// Broken invariants are appended, so a corrupt arena still prints something
// useful: "... INVALID: two free chunks touch (not coalesced) at block 3".
#pragma once

#include <cstddef>
#include <ostream>

#include "stalloc/stalloc.hpp"

namespace stalloc {

// Writes the line above to os and returns os. Changes nothing in the arena.
// O(free chunks + quick entries), plus check_invariants() (a walk of the
// lists; O(L / 64) more with quick lists).
template <std::size_t L, std::size_t B, class Policy>
std::ostream& operator<<(std::ostream& os, const Stalloc<L, B, Policy>& arena) {
  os << "Stalloc<" << L << ", " << B << ">: ";
  if (arena.is_oom()) {
    os << "full";
  } else {
    const FreeListStats s = arena.stats();
    os << s.free_blocks << '/' << L << " blocks free in " << s.free_chunks
       << (s.free_chunks == 1 ? " chunk" : " chunks") << " (largest " << s.largest_free_chunk
       << "):";
    arena.for_each_free_chunk([&](std::size_t start, std::size_t length) {
      os << " [" << start << '+' << length << ']';
    });
  }
  if (const InvariantReport r = arena.check_invariants(); !r)
    os << " INVALID: " << r.what << " at block " << r.chunk;
  return os;
}

}  // namespace stalloc
