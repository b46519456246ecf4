// `stalloc-chain`: stalloc::ProgramHeap (stalloc/program_heap.hpp), the
// configuration the README recommends for a whole program: locked QuickFit
// arenas routed by size (<= 256 B in 16-byte blocks, <= 4 KiB in 256-byte
// blocks), glibc malloc for the rest and when an arena is full. The same
// type on every workload (the workload's arena hint does not apply): this
// row answers "what does Stalloc as my program's allocator do?".
#pragma once

#include <cstddef>
#include <string_view>

#include <stalloc/program_heap.hpp>

#include "allocators/descriptor.hpp"
#include "allocators/stalloc_arena_probe.hpp"
#include "allocators/testing_slowdown.hpp"

namespace harness {

class StallocChainAdapter {
 public:
  using Heap = stalloc::ProgramHeap;
  // Not a fixed arena for fill-level purposes (it never fails for lack of
  // room), but its arena parts have a high-water mark; see arena_offset.
  static constexpr std::size_t arena_footprint = sizeof(Heap);

  // One global heap: a new adapter starts its arenas empty. Only one adapter
  // may be alive at a time (the harness runs one).
  StallocChainAdapter() noexcept {
    small().clear();
    medium().clear();
    small_base_ = small().acquire_locked()->block_address(0);
    medium_base_ = medium().acquire_locked()->block_address(0);
  }

  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    testing_slowdown();  // nothing unless a slowed test build (testing_slowdown.hpp)
    return heap_.allocate(size, align);
  }
  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    if (p != nullptr) heap_.deallocate(p, size, align);
  }
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    if (p == nullptr) return heap_.allocate(new_size, align);
    return heap_.reallocate(p, old_size, new_size, align);
  }

  // The arenas read as one: the small arena's offsets, then the medium
  // arena's after the small one's capacity; kNotInArena for blocks that
  // malloc served.
  [[nodiscard]] std::size_t arena_offset(const void* p) const noexcept {
    const std::size_t in_small = stalloc_arena_offset(small(), small_base_, p);
    if (in_small != kNotInArena) return in_small;
    const std::size_t in_medium = stalloc_arena_offset(medium(), medium_base_, p);
    if (in_medium != kNotInArena) return kSmallCapacity + in_medium;
    return kNotInArena;
  }

 private:
  using Small = Heap::first_type::arena_type;
  using Medium = Heap::second_type::first_type::arena_type;
  static constexpr std::size_t kSmallCapacity = Small::arena_type::capacity;

  static Small& small() noexcept { return heap_.first().arena(); }
  static Medium& medium() noexcept { return heap_.second().first().arena(); }

  constinit static inline Heap heap_;
  const void* small_base_ = nullptr;
  const void* medium_base_ = nullptr;
};

struct StallocChainAllocator {
  static constexpr std::string_view name = "stalloc-chain";
  static constexpr std::string_view description =
      "stalloc::ProgramHeap: locked ChainedQuickFit arenas by size (<=256 B, 257 B-4 KiB), then "
      "glibc malloc";
  static constexpr bool thread_safe = true;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  template <workloads::ArenaHint>
  using adapter = StallocChainAdapter;
};

}  // namespace harness
