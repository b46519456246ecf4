// Latency percentiles from the instrumented pass's timed samples.
//
// A timed region costs the timer's own overhead (two fenced counter reads,
// about 20 ns on this project's VM) on top of the call, which would dominate
// an 8 ns allocation. So the median cost of an empty region (TickClock,
// calibrated at start-up) is subtracted from every sample, and a percentile
// smaller than the timer's resolution (its step or the overhead's spread) is
// reported as below resolution, not as a number: it cannot be told from zero.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "statistics.hpp"
#include "tick_clock.hpp"

namespace harness {

inline nlohmann::json latency_summary(std::vector<std::uint64_t> ticks, const TickClock& clock) {
  nlohmann::json j;
  j["count"] = ticks.size();
  j["resolution_ns"] = clock.resolution_ns();
  j["below_resolution"] = nlohmann::json::array();
  const char* names[] = {"p50_ns", "p99_ns", "p999_ns", "max_ns"};
  if (ticks.empty()) {
    for (const char* n : names) j[n] = nullptr;
    return j;
  }
  const std::uint64_t overhead = clock.overhead_ticks();
  for (std::uint64_t& t : ticks) t = t > overhead ? t - overhead : 0;
  const double ns[] = {
      static_cast<double>(percentile(ticks, 0.50)) * clock.ns_per_tick(),
      static_cast<double>(percentile(ticks, 0.99)) * clock.ns_per_tick(),
      static_cast<double>(percentile(ticks, 0.999)) * clock.ns_per_tick(),
      static_cast<double>(*std::max_element(ticks.begin(), ticks.end())) * clock.ns_per_tick()};
  for (int i = 0; i < 4; ++i) {
    if (ns[i] < clock.resolution_ns()) {
      j[names[i]] = nullptr;
      j["below_resolution"].push_back(names[i]);
    } else {
      j[names[i]] = ns[i];
    }
  }
  return j;
}

}  // namespace harness
