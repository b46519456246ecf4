// `stalloc-chain`: stalloc::ProgramHeap (stalloc/program_heap.hpp), the
// configuration the README recommends for a whole program: locked QuickFit
// arenas routed by size (<= 256 B in 32 arenas of 16-byte blocks, <= 4 KiB
// in 4 of 256-byte blocks), glibc malloc for the rest and when they are full. The same
// type on every workload (the workload's arena hint does not apply): this
// row answers "what does Stalloc as my program's allocator do?". It never
// fails for lack of room, so its memory figure is the arenas' high-water mark
// plus what malloc took (arena_plus_fallback), not a fill level.
#pragma once

#include <string_view>

#include <stalloc/program_heap.hpp>

#include "allocators/descriptor.hpp"
#include "allocators/stalloc_adapter.hpp"

namespace harness {

struct StallocChainAllocator {
  static constexpr std::string_view name = "stalloc-chain";
  static constexpr std::string_view description =
      "stalloc::ProgramHeap: locked ChainedQuickFit arenas by size (32 x 1 MiB for <=256 B, "
      "4 x 16 MiB for 257 B-4 KiB), then glibc malloc";
  static constexpr Family family = Family::stalloc;
  static constexpr Role role = Role::subject;
  static constexpr bool thread_safe = true;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  static constexpr MemoryModel memory_model = MemoryModel::arena_plus_fallback;
  template <workloads::ArenaHint>
  using adapter = StallocAdapter<stalloc::ProgramHeap, HeapHome::global>;
};

}  // namespace harness
