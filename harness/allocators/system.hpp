// `system`: glibc malloc/free/realloc (the baseline every ratio is measured against).
#pragma once

#include <string_view>

#include "allocators/descriptor.hpp"
#include "allocators/malloc_adapter.hpp"

namespace harness {

struct SystemAllocator {
  static constexpr std::string_view name = "system";
  static constexpr std::string_view description =
      "glibc malloc/free/realloc (the baseline every ratio is measured against)";
  static constexpr Family family = Family::system;
  static constexpr Role role = Role::competitor;
  static constexpr bool thread_safe = true;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  static constexpr MemoryModel memory_model = MemoryModel::whole_process;
  template <workloads::ArenaHint>
  using adapter = GlibcMallocAdapter;
};

}  // namespace harness
