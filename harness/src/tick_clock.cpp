#include "tick_clock.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

namespace harness {
namespace {

// Only an invariant TSC (constant rate, not stopped in idle states) measures
// time; /proc/cpuinfo says so with both flags.
bool invariant_tsc() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) == 0) {
      return line.find(" constant_tsc") != std::string::npos &&
             line.find(" nonstop_tsc") != std::string::npos;
    }
  }
  return false;
}

}  // namespace

TickClock::TickClock() {
#if HARNESS_HAVE_TSC
  use_tsc_ = invariant_tsc();
  if (use_tsc_) {
    const std::uint64_t ns0 = TickClock::steady_ns();
    const std::uint64_t t0 = __rdtsc();
    while (TickClock::steady_ns() - ns0 < 20'000'000) {
    }
    const std::uint64_t ns1 = TickClock::steady_ns();
    const std::uint64_t t1 = __rdtsc();
    ns_per_tick_ = static_cast<double>(ns1 - ns0) / static_cast<double>(t1 - t0);
  }
#endif
  // Five batches; the quietest one's median and spread: another process
  // taking the CPU only ever adds to a batch.
  std::uint64_t spread = ~std::uint64_t{0};
  overhead_ticks_ = ~std::uint64_t{0};
  std::vector<std::uint64_t> empty(1001);
  for (int batch = 0; batch < 5; ++batch) {
    for (auto& e : empty) {
      const std::uint64_t a = start();
      e = stop() - a;
    }
    std::sort(empty.begin(), empty.end());
    overhead_ticks_ = std::min(overhead_ticks_, empty[empty.size() / 2]);
    spread = std::min(spread, empty[empty.size() * 3 / 4] - empty[empty.size() / 4]);
  }

  // The counter's step: the smallest non-zero difference of back-to-back
  // readings.
  std::uint64_t step = ~std::uint64_t{0};
  for (int i = 0; i < 4000; ++i) {
    const std::uint64_t a = start();
    std::uint64_t b = start();
    while (b == a) b = start();
    step = std::min(step, b - a);
  }
  resolution_ns_ = static_cast<double>(std::max(step, spread)) * ns_per_tick_;
}

}  // namespace harness
