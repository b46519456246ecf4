// `stalloc-chain`: AllocChain<SyncStalloc<L,B>, System>, the crate's
// "chained" setup: a static locked arena first, glibc malloc when it is full
// (or a request is larger than it). Thread-safe, as each link locks itself.
#pragma once

#include <cstddef>
#include <string_view>

#include <stalloc/chain.hpp>
#include <stalloc/sync.hpp>
#include <stalloc/system.hpp>

#include "allocators/descriptor.hpp"
#include "allocators/stalloc_arena_probe.hpp"

namespace harness {

template <std::size_t L, std::size_t B>
class StallocChainAdapter {
 public:
  using Arena = stalloc::SyncStalloc<L, B>;
  using ChainType = stalloc::AllocChain<Arena, stalloc::System>;
  // Not a fixed arena for fill-level purposes (it never fails for lack of
  // room), but its arena part has a high-water mark; see arena_offset.
  static constexpr std::size_t arena_footprint = sizeof(Arena);
  static constexpr std::size_t arena_part_capacity = L * B;

  // One global chain per shape: a new adapter starts its arena empty. Only
  // one adapter per shape may be alive at a time (the harness runs one).
  StallocChainAdapter() noexcept {
    chain_.first().clear();
    base_ = chain_.first().acquire_locked()->block_address(0);
  }

  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    return chain_.allocate(size, align);
  }
  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    if (p != nullptr) chain_.deallocate(p, size, align);
  }
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    if (p == nullptr) return chain_.allocate(new_size, align);
    return chain_.reallocate(p, old_size, new_size, align);
  }

  // kNotInArena for blocks that the System link served.
  [[nodiscard]] std::size_t arena_offset(const void* p) const noexcept {
    return stalloc_arena_offset(chain_.first(), base_, p);
  }

 private:
  constinit static inline ChainType chain_;
  const void* base_ = nullptr;
};

struct StallocChainAllocator {
  static constexpr std::string_view name = "stalloc-chain";
  static constexpr std::string_view description =
      "AllocChain<SyncStalloc<L,B>, System>: static locked arena first, glibc malloc when full";
  static constexpr bool thread_safe = true;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  template <workloads::ArenaHint H>
  using adapter = StallocChainAdapter<H.blocks, H.block_size>;
};

}  // namespace harness
