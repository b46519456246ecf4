// The clock of the instrumented pass: the time-stamp counter where the CPU
// has an invariant one (a few nanoseconds per reading, so sampling individual
// allocator calls is cheap), else std::chrono::steady_clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HARNESS_HAVE_TSC 1
#else
#define HARNESS_HAVE_TSC 0
#endif

namespace harness {

class TickClock {
 public:
  // Calibrates against steady_clock (about 20 ms) when the TSC is used.
  TickClock();

  // Read before and after the measured call. The fences keep the call from
  // being reordered across the readings.
  // Inline: the readings bracket the call as tightly as possible.
  [[nodiscard]] std::uint64_t start() const noexcept {
#if HARNESS_HAVE_TSC
    if (use_tsc_) {
      _mm_lfence();
      const std::uint64_t t = __rdtsc();
      _mm_lfence();
      return t;
    }
#endif
    return steady_ns();
  }
  [[nodiscard]] std::uint64_t stop() const noexcept {
#if HARNESS_HAVE_TSC
    if (use_tsc_) {
      unsigned aux;
      const std::uint64_t t = __rdtscp(&aux);
      _mm_lfence();
      return t;
    }
#endif
    return steady_ns();
  }

  static std::uint64_t steady_ns() noexcept {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
  }

  [[nodiscard]] double ns_per_tick() const noexcept {
    return ns_per_tick_;
  }
  [[nodiscard]] std::string_view name() const noexcept {
    return use_tsc_ ? "rdtsc" : "steady_clock";
  }
  // Median cost of an empty start()/stop() pair, in ns and in ticks.
  [[nodiscard]] double overhead_ns() const noexcept {
    return static_cast<double>(overhead_ticks_) * ns_per_tick_;
  }
  [[nodiscard]] std::uint64_t overhead_ticks() const noexcept {
    return overhead_ticks_;
  }
  // The smallest duration a timed region can tell from zero, in ns: the
  // larger of the counter's step (a VM's TSC may advance 10 ns at a time)
  // and the spread (interquartile range) of the empty region's cost, which
  // is what subtracting its median leaves uncertain.
  [[nodiscard]] double resolution_ns() const noexcept {
    return resolution_ns_;
  }

 private:
  bool use_tsc_ = false;
  double ns_per_tick_ = 1.0;
  std::uint64_t overhead_ticks_ = 0;
  double resolution_ns_ = 1.0;
};

}  // namespace harness
