// `jemalloc`: jemalloc (Debian libjemalloc) serving malloc/free/realloc via LD_PRELOAD in its
// worker.
#pragma once

#include <string_view>

#include "allocators/descriptor.hpp"
#include "allocators/malloc_adapter.hpp"

namespace harness {

struct JemallocAllocator {
  static constexpr std::string_view name = "jemalloc";
  static constexpr std::string_view description =
      "jemalloc (Debian libjemalloc) serving malloc/free/realloc via LD_PRELOAD in its worker";
  static constexpr Family family = Family::preloaded;
  static constexpr Role role = Role::competitor;
  static constexpr bool thread_safe = true;
  static constexpr MallocProvider malloc_provider = MallocProvider::jemalloc;
  static constexpr MemoryModel memory_model = MemoryModel::whole_process;
  template <workloads::ArenaHint>
  using adapter = PreloadedMallocAdapter;
};

}  // namespace harness
