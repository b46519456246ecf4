// `mimalloc`: mimalloc (Debian libmimalloc) serving malloc/free/realloc via LD_PRELOAD in its
// worker.
#pragma once

#include <string_view>

#include "allocators/descriptor.hpp"
#include "allocators/malloc_adapter.hpp"

namespace harness {

struct MimallocAllocator {
  static constexpr std::string_view name = "mimalloc";
  static constexpr std::string_view description =
      "mimalloc (Debian libmimalloc) serving malloc/free/realloc via LD_PRELOAD in its worker";
  static constexpr Family family = Family::preloaded;
  static constexpr Role role = Role::competitor;
  static constexpr bool thread_safe = true;
  static constexpr MallocProvider malloc_provider = MallocProvider::mimalloc;
  static constexpr MemoryModel memory_model = MemoryModel::whole_process;
  template <workloads::ArenaHint>
  using adapter = PreloadedMallocAdapter;
};

}  // namespace harness
