// `sync-stalloc`: stalloc::SyncStalloc<L,B>, a static (global-style) arena
// shared by every thread of the workload: a cache of freed allocations per
// thread in front of the arena's AdaptiveLock (stalloc/thread_cached.hpp).
#pragma once

#include <string_view>

#include <stalloc/sync.hpp>

#include "allocators/descriptor.hpp"
#include "allocators/stalloc_adapter.hpp"

namespace harness {

struct SyncStallocAllocator {
  static constexpr std::string_view name = "sync-stalloc";
  static constexpr std::string_view description =
      "SyncStalloc<L,B>: one static arena shared by all threads, per-thread caches in front of its "
      "lock";
  static constexpr Family family = Family::stalloc;
  static constexpr Role role = Role::subject;
  static constexpr bool thread_safe = true;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  static constexpr MemoryModel memory_model = MemoryModel::fixed_arena;
  template <workloads::ArenaHint H>
  using adapter = StallocAdapter<stalloc::SyncStalloc<H.blocks, H.block_size>, HeapHome::global>;
};

}  // namespace harness
