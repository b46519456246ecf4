// Small helpers shared by the library's tests.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "stalloc/ostream.hpp"
#include "stalloc/stalloc.hpp"

namespace stalloc_test {

using Chunks = std::vector<std::pair<std::size_t, std::size_t>>;

// The free list as (start, length) pairs, in address order.
template <class Arena>
Chunks free_chunks(const Arena& a) {
  Chunks out;
  a.for_each_free_chunk([&](std::size_t s, std::size_t n) { out.emplace_back(s, n); });
  return out;
}

template <class Arena>
std::string dump(const Arena& a) {
  std::ostringstream os;
  os << a;
  return os.str();
}

// Everything observable about the arena's free list, for "unchanged" checks.
template <class Arena>
struct Snapshot {
  Chunks chunks;
  Chunks quick;  // (start, count) of each allocation waiting on a quick list
  bool oom;
  bool empty;
  explicit Snapshot(const Arena& a) : chunks(free_chunks(a)), oom(a.is_oom()), empty(a.is_empty()) {
    a.for_each_quick_entry([&](std::size_t s, std::size_t k) { quick.emplace_back(s, k); });
  }
  bool operator==(const Snapshot&) const = default;
};

template <class Arena>
::testing::AssertionResult valid(const Arena& a) {
  const auto r = a.check_invariants();
  if (r) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << r.what << " at block " << r.chunk << "; " << a;
}

// Index of the block a pointer starts at.
template <class Arena>
std::size_t at(const Arena& a, const void* p) {
  return a.block_index(p);
}

// The pattern is written out of line and behind a compiler barrier: the
// optimiser may otherwise drop it as a dead store (the arena's lifetime starts
// at the placement new) and the test would compare against stale memory.
[[gnu::noinline]] inline void fill_pattern(unsigned char* bytes, std::size_t n,
                                           unsigned char value) {
  std::memset(bytes, value, n);
  asm volatile("" : : "r"(bytes) : "memory");
}
template <class Arena>
[[gnu::noinline]] Arena* construct_at(void* raw) {
  return new (raw) Arena();
}

}  // namespace stalloc_test
