// The instantiation of run_entry<W, D> for every (workload, allocator) pair,
// split into kWorkerShards translation units (src/worker_shard_N.cpp) by
// workload index, so the heaviest part of the build compiles in parallel.
// Adding a workload needs no new file here: it lands in shard index % N.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>

#include "allocators/registry.hpp"
#include "malloc_provider.hpp"
#include "run_entry.hpp"
#include "worker.hpp"
#include "workload_registry.hpp"

namespace harness {

inline constexpr std::size_t kWorkerShards = 4;

// Refuses to measure an allocator whose malloc is not what it claims to be
// (the malloc trap): better no number than a wrong one.
nlohmann::json verified_provider(MallocProvider expected, const std::string& allocator);

// Runs the request if its workload belongs to this shard; false otherwise.
template <std::size_t Shard>
bool run_in_shard(const WorkerRequest& request, nlohmann::json& result) {
  bool found = false;
  WorkloadRegistry::for_each_indexed([&]<class W, std::size_t I>() {
    if constexpr (I % kWorkerShards == Shard) {
      if (found || W::info.name != request.workload) return;
      AllocatorRegistry::for_each([&]<class D>() {
        if (found || D::name != request.allocator) return;
        found = true;
        nlohmann::json provider = verified_provider(D::malloc_provider, request.allocator);
        result = run_entry<W, D>(request);
        result["malloc_provider"] = std::move(provider);
      });
    }
  });
  return found;
}

extern template bool run_in_shard<0>(const WorkerRequest&, nlohmann::json&);
extern template bool run_in_shard<1>(const WorkerRequest&, nlohmann::json&);
extern template bool run_in_shard<2>(const WorkerRequest&, nlohmann::json&);
extern template bool run_in_shard<3>(const WorkerRequest&, nlohmann::json&);

}  // namespace harness
