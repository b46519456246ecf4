// `stalloc-firstfit`: the same local arena with the FirstFit policy, the
// crate's exact algorithm (first fit over the address-ordered free list,
// coalescing on every free) and exact footprint L*B + 4. The row that shows
// what the default design (`stalloc`, QuickFit) changed.
#pragma once

#include <string_view>

#include <stalloc/stalloc.hpp>

#include "allocators/descriptor.hpp"
#include "allocators/stalloc_adapter.hpp"

namespace harness {

struct StallocFirstFitAllocator {
  static constexpr std::string_view name = "stalloc-firstfit";
  static constexpr std::string_view description =
      "Stalloc<L,B,FirstFit>: the crate's exact first fit over the address-ordered free list";
  static constexpr Family family = Family::stalloc;
  static constexpr Role role = Role::subject;
  static constexpr bool thread_safe = false;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  static constexpr MemoryModel memory_model = MemoryModel::fixed_arena;
  template <workloads::ArenaHint H>
  using adapter =
      StallocAdapter<stalloc::Stalloc<H.blocks, H.block_size, stalloc::FirstFit>, HeapHome::member>;
};

}  // namespace harness
