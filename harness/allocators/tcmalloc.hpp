// `tcmalloc`: gperftools tcmalloc (minimal) serving malloc/free/realloc via LD_PRELOAD in its
// worker.
#pragma once

#include <string_view>

#include "allocators/descriptor.hpp"
#include "allocators/malloc_adapter.hpp"

namespace harness {

struct TcmallocAllocator {
  static constexpr std::string_view name = "tcmalloc";
  static constexpr std::string_view description =
      "gperftools tcmalloc (minimal) serving malloc/free/realloc via LD_PRELOAD in its worker";
  static constexpr Family family = Family::preloaded;
  static constexpr Role role = Role::competitor;
  static constexpr bool thread_safe = true;
  static constexpr MallocProvider malloc_provider = MallocProvider::tcmalloc;
  static constexpr MemoryModel memory_model = MemoryModel::whole_process;
  template <workloads::ArenaHint>
  using adapter = PreloadedMallocAdapter;
};

}  // namespace harness
