// local-alloc: the crate's local_alloc example as a workload.
//
// A fresh Stalloc<200, 4> per iteration, used through the allocator API by
// two vectors of ints (ten pushes each), then dropped with the vectors still
// in it. The requests are those of fast-vectors (support/two_vectors.hpp);
// what differs is the heap: a local 800-byte arena created and thrown away
// every iteration. Dropping it is release_all() for allocators that have it
// (for Stalloc, re-initialising its header costs what constructing a fresh
// one does); the others free both vectors. One round is 512 iterations.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/allocator.hpp"
#include "workloads/support/two_vectors.hpp"
#include "workloads/workload.hpp"

namespace workloads {

class LocalAlloc {
 public:
  static constexpr Info info{
      .name = "local-alloc",
      .description =
          "crate example: fresh 200x4 B arena per iteration, 2 int vectors x 10 pushes; 512 per "
          "round",
      .arena = ArenaHint{200, 4},
      .multithreaded = false,
      .uses_seed = false,
      .needs_input = false,
      .exceeds_arena_on_purpose = false,
  };

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  LocalAlloc(const Options& options, const Point&) : vectors_(options) {}

  template <Allocator A>
  std::uint64_t run(A& a, unsigned /*thread*/) {
    return vectors_.run(a);
  }

  template <Allocator A>
  void drain(A& /*a*/, unsigned /*thread*/) {}

  std::uint64_t corruptions() const { return vectors_.corruptions(); }
  std::uint64_t request_checksum() const { return vectors_.request_checksum(); }
  std::uint64_t failed_requests() const { return vectors_.failed_requests(); }
  std::uint64_t peak_requested_bytes() const { return vectors_.peak_requested_bytes(); }

 private:
  support::TwoVectors vectors_;
};

static_assert(Workload<LocalAlloc>);

}  // namespace workloads
