// A test-only workload appended to the workload registry by the one-file test
// (harness/tests/CMakeLists.txt, STALLOC_BENCH_TEST_WORKLOAD_HEADER): 64
// objects of 16-256 B (sizes from the seed), freed in reverse order, per
// round. It exists to prove that a workload is one file plus one line: never
// part of a normal build.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <workloads/allocator.hpp>
#include <workloads/support/pattern.hpp>
#include <workloads/support/random.hpp>
#include <workloads/support/request_hash.hpp>
#include <workloads/workload.hpp>

namespace workloads {

class TestOnlyWorkload {
 public:
  static constexpr std::size_t kObjects = 64;
  static constexpr std::size_t kAlign = 16;

  static constexpr Info info{
      .name = "test-only-reverse",
      .description = "64 objects of 16-256 B freed in reverse order (tests only)",
      .arena = ArenaHint{2048, 16},  // 32 KiB: twice the largest live set
      .multithreaded = false,
      .uses_seed = true,
      .needs_input = false,
      .exceeds_arena_on_purpose = false,
  };

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  TestOnlyWorkload(const Options& options, const Point&) : pattern_(options.check) {
    support::Random rng{options.seed, 0x7E57};
    support::RequestHash hash;
    for (std::size_t& size : sizes_) {
      size = rng.between(16, 256);
      hash.add(size, kAlign);
      peak_ += size;
    }
    checksum_ = hash.value();
  }

  template <Allocator A>
  std::uint64_t run(A& a, unsigned /*thread*/) {
    std::array<void*, kObjects> live{};
    std::uint64_t operations = 0;
    for (std::size_t i = 0; i < kObjects; ++i) {
      live[i] = a.allocate(sizes_[i], kAlign);
      ++operations;
      if (live[i] == nullptr) {
        ++failures_;
        continue;
      }
      pattern_.write(live[i], sizes_[i], i);
    }
    for (std::size_t i = kObjects; i-- > 0;) {
      if (live[i] == nullptr) continue;
      if (!pattern_.intact(live[i], sizes_[i], i)) ++corruptions_;
      a.deallocate(live[i], sizes_[i], kAlign);
      ++operations;
    }
    return operations;
  }

  template <Allocator A>
  void drain(A& /*a*/, unsigned /*thread*/) {}

  std::uint64_t corruptions() const { return corruptions_; }
  std::uint64_t request_checksum() const { return checksum_; }
  std::uint64_t failed_requests() const { return failures_; }
  std::uint64_t peak_requested_bytes() const { return peak_; }

 private:
  support::Pattern pattern_;
  std::array<std::size_t, kObjects> sizes_{};
  std::uint64_t checksum_ = 0;
  std::uint64_t corruptions_ = 0;
  std::uint64_t failures_ = 0;
  std::uint64_t peak_ = 0;
};

static_assert(Workload<TestOnlyWorkload>);

}  // namespace workloads
