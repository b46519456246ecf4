// Does the adapter cost anything? The `system` adapter (MallocAdapter) against
// the same calls to malloc/free written by hand, in the same loop shape as a
// workload: a batch of allocations of varying sizes, each touched, then freed.
// Both loops must compile to the same calls; the two times should agree
// within noise (run it: build/harness/adapter_overhead).
#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>

#include "allocators/malloc_adapter.hpp"
#include "allocators/registry.hpp"

namespace {

constexpr std::size_t kBatch = 64;

std::size_t size_of(std::size_t i) {
  return 8 + (i * 13) % 57;
}  // 8..64 bytes

void BM_direct_malloc(benchmark::State& state) {
  std::array<void*, kBatch> p{};
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      p[i] = std::malloc(size_of(i));
      static_cast<char*>(p[i])[0] = 1;
    }
    for (std::size_t i = kBatch; i-- > 0;) std::free(p[i]);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch * 2));
}

template <class A>
void BM_through_adapter(benchmark::State& state) {
  A a;
  std::array<void*, kBatch> p{};
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      p[i] = a.allocate(size_of(i), 8);
      static_cast<char*>(p[i])[0] = 1;
    }
    for (std::size_t i = kBatch; i-- > 0;) a.deallocate(p[i], size_of(i), 8);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch * 2));
}

using SystemAdapter = harness::SystemAllocator::adapter<harness::kProbeArena>;

BENCHMARK(BM_direct_malloc)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_through_adapter<SystemAdapter>)
    ->Name("BM_system_adapter")
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

}  // namespace

BENCHMARK_MAIN();
