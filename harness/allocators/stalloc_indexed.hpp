// `stalloc-indexed`: the same local arena with the Indexed policy, whose
// ChunkIndex lets first fit and free skip the free-list walk (issue 9's answer
// to fragmentation). Same placements as `stalloc`; costs
// 10*ceil(L/64) + 10*ceil(L/4096) bytes more.
#pragma once

#include <string_view>

#include <stalloc/indexed.hpp>

#include "allocators/descriptor.hpp"
#include "allocators/stalloc_adapter.hpp"

namespace harness {

struct StallocIndexedAllocator {
  static constexpr std::string_view name = "stalloc-indexed";
  static constexpr std::string_view description =
      "Stalloc<L,B,Indexed>: local arena plus a chunk-start bitmap index (no free-list walks)";
  static constexpr Family family = Family::stalloc;
  static constexpr Role role = Role::subject;
  static constexpr bool thread_safe = false;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  static constexpr MemoryModel memory_model = MemoryModel::fixed_arena;
  template <workloads::ArenaHint H>
  using adapter =
      StallocAdapter<stalloc::Stalloc<H.blocks, H.block_size, stalloc::Indexed>, HeapHome::member>;
};

}  // namespace harness
