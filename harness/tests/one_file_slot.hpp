// The worker slots of the one-file-plus-one-line test's stalloc-bench
// (harness/tests/CMakeLists.txt): the registries there hold one more
// allocator and one more workload, and only two allocators' measured code is
// compiled, the test-only one and `system` (the reference of every ratio),
// which keeps the extra build to two slot translation units. The other slots
// answer "not here", so their entries fail as an unknown pair would.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "worker_slot.hpp"

namespace harness {

template <std::size_t Slot>
inline constexpr bool kOneFileSlot = [] {
  bool compiled = false;
  AllocatorRegistry::for_each_indexed([&]<class D, std::size_t I>() {
    if constexpr (I == Slot)
      compiled = std::is_same_v<D, TestOnlyAllocator> || std::is_same_v<D, SystemAllocator>;
  });
  return compiled;
}();

template <std::size_t Slot>
bool run_in_one_file_slot(const WorkerRequest& request, nlohmann::json& result) {
  if constexpr (kOneFileSlot<Slot>) {
    return run_in_slot<Slot>(request, result);
  } else {
    return false;
  }
}

}  // namespace harness
