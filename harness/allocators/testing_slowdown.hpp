// TESTING ONLY: a deliberately slowed build of stalloc-bench, to prove that
// the regression check (scripts/check-regression, ci-perf-check) catches a
// slowdown (docs/regression-check.md, "The deliberately slowed build").
//
//   cmake -S . -B build-slow -DSTALLOC_TESTING_SLOWDOWN_SPINS=8
//
// defines STALLOC_TESTING_SLOWDOWN_SPINS on the harness's targets only
// (harness/CMakeLists.txt), never on the library: the installed stalloc and
// its headers know nothing of it. The Stalloc adapters call
// testing_slowdown() at the start of every allocate; in a normal build it is
// empty and compiles to nothing, so the measured code is unchanged.
#pragma once

namespace harness {

#if defined(STALLOC_TESTING_SLOWDOWN_SPINS)
inline constexpr int kTestingSlowdownSpins = STALLOC_TESTING_SLOWDOWN_SPINS;
#else
inline constexpr int kTestingSlowdownSpins = 0;
#endif

// A fixed number of loop iterations: a fixed cost per call, so callgrind's
// instruction counts see it as well as the timings. The count is hidden from
// the optimiser: with a constant count GCC unrolls the loop into empty asm
// statements, which are no code at all (the knob's earlier form, a constant
// loop in Stalloc::allocate, added nothing for small counts for that reason).
[[gnu::always_inline]] inline void testing_slowdown() noexcept {
  if constexpr (kTestingSlowdownSpins > 0) {
    int spins = kTestingSlowdownSpins;
    asm volatile("" : "+r"(spins));
    for (int spin = 0; spin < spins; ++spin) asm volatile("");
  }
}

}  // namespace harness
