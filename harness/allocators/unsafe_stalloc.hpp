// `unsafe-stalloc`: stalloc::UnsafeStalloc<L,B>, used the way the crate uses
// it as a global allocator: one static, constant-initialised arena (in .bss,
// address fixed at link time), no lock. Single-threaded programs only.
#pragma once

#include <cstddef>
#include <string_view>

#include <stalloc/sync.hpp>

#include "allocators/descriptor.hpp"
#include "allocators/stalloc_arena_probe.hpp"
#include "allocators/testing_slowdown.hpp"

namespace harness {

template <std::size_t L, std::size_t B>
class UnsafeStallocAdapter {
 public:
  using Arena = stalloc::UnsafeStalloc<L, B>;
  static constexpr std::size_t arena_capacity = L * B;
  static constexpr std::size_t arena_footprint = sizeof(Arena);

  // One global arena per shape: a new adapter starts it empty. Only one
  // adapter per shape may be alive at a time (the harness runs one).
  UnsafeStallocAdapter() noexcept { heap_.clear(); }

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
    return stalloc_arena_offset(heap_, heap_.get().block_address(0), p);
  }

 private:
  constinit static inline Arena heap_;
};

struct UnsafeStallocAllocator {
  static constexpr std::string_view name = "unsafe-stalloc";
  static constexpr std::string_view description =
      "UnsafeStalloc<L,B>: one static (global-style) arena in .bss, no lock, single thread only";
  static constexpr bool thread_safe = false;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  template <workloads::ArenaHint H>
  using adapter = UnsafeStallocAdapter<H.blocks, H.block_size>;
};

}  // namespace harness
