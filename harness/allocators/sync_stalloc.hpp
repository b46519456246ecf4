// `sync-stalloc`: stalloc::SyncStalloc<L,B>, a static (global-style) arena
// behind the library's AdaptiveLock (spin, then futex sleep), shared by every
// thread of the workload.
#pragma once

#include <cstddef>
#include <string_view>

#include <stalloc/sync.hpp>

#include "allocators/descriptor.hpp"
#include "allocators/stalloc_arena_probe.hpp"
#include "allocators/testing_slowdown.hpp"

namespace harness {

template <std::size_t L, std::size_t B>
class SyncStallocAdapter {
 public:
  using Arena = stalloc::SyncStalloc<L, B>;
  static constexpr std::size_t arena_capacity = L * B;
  static constexpr std::size_t arena_footprint = sizeof(Arena);

  // One global arena per shape: a new adapter starts it empty. Only one
  // adapter per shape may be alive at a time (the harness runs one).
  SyncStallocAdapter() noexcept {
    heap_.clear();
    base_ = heap_.acquire_locked()->block_address(0);
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
  void release_all() noexcept { heap_.clear(); }

  [[nodiscard]] std::size_t arena_offset(const void* p) const noexcept {
    return stalloc_arena_offset(heap_, base_, p);
  }

 private:
  constinit static inline Arena heap_;
  const void* base_ = nullptr;
};

struct SyncStallocAllocator {
  static constexpr std::string_view name = "sync-stalloc";
  static constexpr std::string_view description =
      "SyncStalloc<L,B>: one static arena behind an AdaptiveLock (spin, then sleep), shared by all "
      "threads";
  static constexpr bool thread_safe = true;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  template <workloads::ArenaHint H>
  using adapter = SyncStallocAdapter<H.blocks, H.block_size>;
};

}  // namespace harness
