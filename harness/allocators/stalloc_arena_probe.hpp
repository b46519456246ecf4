// Where a pointer sits inside a Stalloc-like arena, for the instrumented
// pass's arena high-water mark. `base` is the arena's block 0 (taken once, so
// a locked arena is not locked again to ask).
#pragma once

#include <cstddef>

#include "allocators/descriptor.hpp"

namespace harness {

template <class Arena>
std::size_t stalloc_arena_offset(const Arena& arena, const void* base, const void* p) noexcept {
  if (!arena.owns(p)) return kNotInArena;
  return static_cast<std::size_t>(static_cast<const unsigned char*>(p) -
                                  static_cast<const unsigned char*>(base));
}

}  // namespace harness
