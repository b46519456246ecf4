// SizeLimited<MaxBytes, Arena, MinBytes = 0>: an arena that refuses requests
// larger than MaxBytes (and smaller than MinBytes), so that a chain can route
// requests by size:
//
//   stalloc::Chain<stalloc::SizeLimited<256, stalloc::SyncStalloc<65535, 16>>,
//                  stalloc::SizeLimited<4096, stalloc::SyncStalloc<65535, 256>, 257>,
//                  stalloc::System>
//
// Why: in a chain, the first arena takes every request it has room for. A
// few large requests then fill an arena of small blocks (and split its free
// space), and small requests in an arena of large blocks waste most of each
// block. Routing by size keeps each arena's block size matched to its
// requests (see stalloc/program_heap.hpp for the measured choice). The lower
// bound matters once the arena of small blocks is full: without it, small
// requests would spill into the arena of large blocks (a 32-byte object in a
// 256-byte block), and fill it with waste.
//
// allocate refuses (nullptr, nothing changed) a size outside
// [MinBytes, MaxBytes], grow a size above MaxBytes; every other call is
// forwarded unchanged, so frees, shrinks and queries work for any pointer the
// arena owns.
#pragma once

#include <cstddef>

#include "stalloc/stalloc.hpp"

namespace stalloc {

template <std::size_t MaxBytes, class Arena, std::size_t MinBytes = 0>
class SizeLimited {
  static_assert(MinBytes <= MaxBytes, "stalloc::SizeLimited: MinBytes above MaxBytes");

 public:
  using arena_type = Arena;
  static constexpr std::size_t max_bytes = MaxBytes;
  static constexpr std::size_t min_bytes = MinBytes;

  // An empty arena; constexpr when the arena's constructor is.
  constexpr SizeLimited() noexcept = default;
  SizeLimited(const SizeLimited&) = delete;
  SizeLimited& operator=(const SizeLimited&) = delete;

  // nullptr, changing nothing, when size is outside [MinBytes, MaxBytes];
  // else the arena's allocate (its results, its cost; two compares more).
  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    if (size > MaxBytes || size < MinBytes) return nullptr;
    return arena_.allocate(size, align);
  }
  // The arena's deallocate, for any allocation it made (whatever its size
  // now). Same preconditions and cost.
  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    arena_.deallocate(p, size, align);
  }
  // The arena's quick path (stalloc.hpp, "Quick path"), a miss for a size
  // allocate would refuse.
  [[nodiscard, gnu::always_inline]] void* try_allocate_quick(
      std::size_t size, std::size_t align) noexcept requires detail::has_quick_path<Arena> {
    if (size > MaxBytes || size < MinBytes) return nullptr;
    return arena_.try_allocate_quick(size, align);
  }
  [[gnu::always_inline]] bool try_deallocate_quick(
      void* p, std::size_t size,
      std::size_t align) noexcept requires detail::has_quick_path<Arena> {
    return arena_.try_deallocate_quick(p, size, align);
  }
  // nullptr, changing nothing, when new_size > MaxBytes (so a chain moves
  // the data on); else the arena's grow (its results, preconditions, cost).
  [[nodiscard]] void* grow(void* p, std::size_t old_size, std::size_t new_size,
                           std::size_t align) noexcept {
    if (new_size > MaxBytes) return nullptr;
    return arena_.grow(p, old_size, new_size, align);
  }
  // The arena's shrink (no bound applies: the allocation gets smaller).
  [[nodiscard]] void* shrink(void* p, std::size_t old_size, std::size_t new_size,
                             std::size_t align) noexcept {
    return arena_.shrink(p, old_size, new_size, align);
  }
  // grow or shrink, whichever the sizes call for.
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    return new_size >= old_size ? grow(p, old_size, new_size, align)
                                : shrink(p, old_size, new_size, align);
  }
  // The arena's own, forwarded unchanged (same results, preconditions and
  // cost); the first two only for size-tracking arenas (SizedStalloc).
  void deallocate_unsized(void* p, std::size_t align) noexcept requires
      requires(Arena& a, void* q, std::size_t n) {
    a.deallocate_unsized(q, n);
  }
  { arena_.deallocate_unsized(p, align); }
  [[nodiscard]] std::size_t allocation_size(const void* p) noexcept requires
      requires(Arena& a, const void* q) {
    a.allocation_size(q);
  }
  { return arena_.allocation_size(p); }
  [[nodiscard]] bool owns(const void* p) const noexcept { return arena_.owns(p); }
  void clear() noexcept { arena_.clear(); }
  [[nodiscard]] bool is_oom() noexcept { return arena_.is_oom(); }
  [[nodiscard]] bool is_empty() noexcept { return arena_.is_empty(); }
  [[nodiscard]] InvariantReport check_invariants() noexcept { return arena_.check_invariants(); }

  // The arena inside. O(1).
  Arena& arena() noexcept { return arena_; }
  const Arena& arena() const noexcept { return arena_; }

 private:
  Arena arena_;
};

}  // namespace stalloc
