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
  std::vector<std::uint64_t> empty(1001);
  for (auto& e : empty) {
    const std::uint64_t a = start();
    e = stop() - a;
  }
  std::nth_element(empty.begin(), empty.begin() + 500, empty.end());
  overhead_ns_ = static_cast<double>(empty[500]) * ns_per_tick_;
}

}  // namespace harness
