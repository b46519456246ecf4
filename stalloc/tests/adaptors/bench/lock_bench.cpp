// Which lock should SyncStalloc use? std::mutex against stalloc::SpinLock
// (test-and-test-and-set, pause backoff, then yield), and a spinlock that
// never yields, to show why the yield matters when threads outnumber cores.
// Uncontended (1 thread) and contended (2..8 threads on one arena).
//
//   build-*/stalloc/tests/adaptors/stalloc_lock_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true --benchmark_min_time=0.3
#include <benchmark/benchmark.h>

#include <atomic>
#include <mutex>

#include "stalloc/sync.hpp"

namespace {

// The lock SyncStalloc would be without the yield: spins on pause forever.
class PureSpinLock {
 public:
  constexpr PureSpinLock() noexcept = default;
  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) stalloc::detail::cpu_relax();
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

template <class Arena>
Arena shared_arena;  // zero-initialised static: one per arena type

// One small allocate + deallocate per iteration, touching the memory.
template <class Arena>
void AllocFree(benchmark::State& state) {
  Arena& arena = shared_arena<Arena>;
  for (auto _ : state) {
    auto* p = static_cast<unsigned char*>(arena.allocate(8, 8));
    benchmark::DoNotOptimize(p);
    p[0] = 1;
    arena.deallocate(p, 8, 8);
  }
  state.SetItemsProcessed(state.iterations());
}

// Several operations per lock, as acquire_locked() allows.
template <class Arena>
void AllocFreeBatchedUnderOneLock(benchmark::State& state) {
  Arena& arena = shared_arena<Arena>;
  for (auto _ : state) {
    auto locked = arena.acquire_locked();
    void* a = locked->allocate(8, 8);
    void* b = locked->allocate(16, 8);
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(b);
    locked->deallocate(b, 16, 8);
    locked->deallocate(a, 8, 8);
  }
  state.SetItemsProcessed(state.iterations() * 2);
}

using Unsafe = stalloc::UnsafeStalloc<4096, 8>;
using Spin = stalloc::SyncStalloc<4096, 8, stalloc::SpinLock>;
using Mutex = stalloc::SyncStalloc<4096, 8, std::mutex>;
using PureSpin = stalloc::SyncStalloc<4096, 8, PureSpinLock>;

BENCHMARK(AllocFree<Unsafe>)->Name("alloc_free/unsafe");
BENCHMARK(AllocFree<Spin>)->Name("alloc_free/spinlock")->ThreadRange(1, 8)->UseRealTime();
BENCHMARK(AllocFree<Mutex>)->Name("alloc_free/mutex")->ThreadRange(1, 8)->UseRealTime();
BENCHMARK(AllocFree<PureSpin>)->Name("alloc_free/pure_spin")->ThreadRange(1, 8)->UseRealTime();
BENCHMARK(AllocFreeBatchedUnderOneLock<Spin>)
    ->Name("batched/spinlock")
    ->ThreadRange(1, 8)
    ->UseRealTime();
BENCHMARK(AllocFreeBatchedUnderOneLock<Mutex>)
    ->Name("batched/mutex")
    ->ThreadRange(1, 8)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
