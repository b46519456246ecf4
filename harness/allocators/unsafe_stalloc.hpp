// `unsafe-stalloc`: stalloc::UnsafeStalloc<L,B>, used the way the crate uses
// it as a global allocator: one static, constant-initialised arena (in .bss,
// address fixed at link time), no lock. Single-threaded programs only.
#pragma once

#include <string_view>

#include <stalloc/sync.hpp>

#include "allocators/descriptor.hpp"
#include "allocators/stalloc_adapter.hpp"

namespace harness {

struct UnsafeStallocAllocator {
  static constexpr std::string_view name = "unsafe-stalloc";
  static constexpr std::string_view description =
      "UnsafeStalloc<L,B>: one static (global-style) arena in .bss, no lock, single thread only";
  static constexpr Family family = Family::stalloc;
  static constexpr Role role = Role::subject;
  static constexpr bool thread_safe = false;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  static constexpr MemoryModel memory_model = MemoryModel::fixed_arena;
  template <workloads::ArenaHint H>
  using adapter = StallocAdapter<stalloc::UnsafeStalloc<H.blocks, H.block_size>, HeapHome::global>;
};

}  // namespace harness
