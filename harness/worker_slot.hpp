// The measured code of one allocator: run_entry<W, D> for every workload W
// and the allocator D at index Slot of the AllocatorRegistry, in a
// translation unit of its own (build/harness/generated/worker_slot_N.cpp,
// written by harness/CMakeLists.txt; declared in worker_slots.hpp there).
//
// Why one translation unit per allocator: the compiler's inlining and code
// placement decisions are made per unit, against budgets that grow with the
// unit. With the pairs spread over four units by workload, adding one
// 60-line allocator adapter moved stack-order / sync-stalloc from 71.9 to
// 82.4 instructions per operation, and giving sync-stalloc thread caches moved
// small-objects / stalloc from 42.8 to 56.8, with Stalloc itself unchanged
// (the same loop compiled alone: 37,246,892 instructions before and after).
// Alone in its unit, an allocator's loops depend only on its own code and
// the workloads' (ctest harness.slot_isolation: slot 0 compiled with one more
// allocator in the registry is the same machine code, so its instruction
// counts cannot move).
//
// Adding an allocator needs no file here while the registry has at most
// STALLOC_BENCH_ALLOCATOR_SLOTS entries (the static_assert says when to raise
// it in harness/CMakeLists.txt).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>

#include "allocators/registry.hpp"
#include "malloc_provider.hpp"
#include "run_entry.hpp"
#include "worker.hpp"
#include "workload_registry.hpp"

namespace harness {

static_assert(AllocatorRegistry::size <= STALLOC_BENCH_ALLOCATOR_SLOTS,
              "more allocators than worker slots: raise STALLOC_BENCH_ALLOCATOR_SLOTS in "
              "harness/CMakeLists.txt");

// Refuses to measure an allocator whose malloc is not what it claims to be
// (the malloc trap): better no number than a wrong one.
nlohmann::json verified_provider(MallocProvider expected, const std::string& allocator);

// Runs the request if its allocator is the one at index Slot; false otherwise.
template <std::size_t Slot>
bool run_in_slot(const WorkerRequest& request, nlohmann::json& result) {
  bool found = false;
  AllocatorRegistry::for_each_indexed([&]<class D, std::size_t I>() {
    if constexpr (I == Slot) {
      if (D::name != request.allocator) return;
      WorkloadRegistry::for_each([&]<class W>() {
        if (found || W::info.name != request.workload) return;
        found = true;
        nlohmann::json provider = verified_provider(D::malloc_provider, request.allocator);
        result = run_entry<W, D>(request);
        result["malloc_provider"] = std::move(provider);
      });
    }
  });
  return found;
}

}  // namespace harness
