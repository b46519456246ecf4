// fast-vectors: the crate's fast_vectors example as a workload.
//
// A program whose global allocator is a small arena (the crate uses
// UnsafeStalloc<1000, 4>): two vectors of ints, ten pushes each, grown by
// realloc, then the whole heap cleared at once. What it stresses: the
// smallest allocations and in-place growth, and, for allocators that have
// it, release_all(). See support/two_vectors.hpp for the exact requests.
// One round is 512 iterations of the crate's loop.
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/allocator.hpp"
#include "workloads/support/two_vectors.hpp"
#include "workloads/workload.hpp"

namespace workloads {

class FastVectors {
 public:
  // The crate's fixed shape; the seed changes nothing.

  static constexpr Info info{
      .name = "fast-vectors",
      .description =
          "crate example: 2 int vectors x 10 pushes, grown by realloc, then clear(); 512 per round",
      .arena = ArenaHint{1000, 4},
      .multithreaded = false,
      .uses_seed = false,
      .needs_input = false,
      .exceeds_arena_on_purpose = false,
  };

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  FastVectors(const Options& options, const Point&) : vectors_(options) {}

  // release_all() (when the allocator has it) drops every allocation in the
  // arena, as the crate's clear() does: the arena must hold nothing else.
  template <Allocator A>
  std::uint64_t run(A& a, unsigned /*thread*/) {
    return vectors_.run(a);
  }

  // Every iteration throws its vectors away: nothing outlives a round.
  template <Allocator A>
  void drain(A& /*a*/, unsigned /*thread*/) {}

  std::uint64_t corruptions() const { return vectors_.corruptions(); }
  std::uint64_t request_checksum() const { return vectors_.request_checksum(); }
  std::uint64_t failed_requests() const { return vectors_.failed_requests(); }
  std::uint64_t peak_requested_bytes() const { return vectors_.peak_requested_bytes(); }

 private:
  support::TwoVectors vectors_;
};

static_assert(Workload<FastVectors>);

}  // namespace workloads
