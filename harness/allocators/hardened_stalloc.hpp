// `hardened-stalloc`: the local arena with the Hardened policy (double,
// foreign, misaligned and interior frees, wrong sizes and free-list corruption
// detected and reported), so the cost of checking is measured next to the
// plain arena.
#pragma once

#include <string_view>

#include <stalloc/hardened.hpp>

#include "allocators/descriptor.hpp"
#include "allocators/stalloc_adapter.hpp"

namespace harness {

struct HardenedStallocAllocator {
  static constexpr std::string_view name = "hardened-stalloc";
  static constexpr std::string_view description =
      "Stalloc<L,B,Hardened>: QuickFit with used and end-of-allocation bitmaps and encoded "
      "free-list headers; every pointer, size and list entry validated";
  static constexpr Family family = Family::stalloc;
  static constexpr Role role = Role::subject;
  static constexpr bool thread_safe = false;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  static constexpr MemoryModel memory_model = MemoryModel::fixed_arena;
  template <workloads::ArenaHint H>
  using adapter =
      StallocAdapter<stalloc::Stalloc<H.blocks, H.block_size, stalloc::Hardened>, HeapHome::member>;
};

}  // namespace harness
