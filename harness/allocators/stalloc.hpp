// `stalloc`: a Stalloc arena (default policy QuickFit) owned by the adapter
// and called directly. The arena lives inside the adapter object (the
// harness creates one adapter per run), so every call is a member call on a
// known object: this is the "local arena" use of the crate, with no lock and
// no global.
#pragma once

#include <string_view>

#include <stalloc/stalloc.hpp>

#include "allocators/descriptor.hpp"
#include "allocators/stalloc_adapter.hpp"

namespace harness {

struct StallocAllocator {
  static constexpr std::string_view name = "stalloc";
  static constexpr std::string_view description =
      "Stalloc<L,B> (default QuickFit) arena owned by the caller, called directly (no lock); L,B "
      "from the workload";
  static constexpr Family family = Family::stalloc;
  static constexpr Role role = Role::subject;
  static constexpr bool thread_safe = false;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  static constexpr MemoryModel memory_model = MemoryModel::fixed_arena;
  template <workloads::ArenaHint H>
  using adapter = StallocAdapter<stalloc::Stalloc<H.blocks, H.block_size>, HeapHome::member>;
};

}  // namespace harness
