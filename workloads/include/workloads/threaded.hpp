// threaded: the crate's threaded example as a workload (multithreaded).
//
// Threads sharing one tiny locked arena (the crate: 6 threads, one
// SyncStalloc<6, 4>, i.e. 24 bytes): each thread boxes an int (4 bytes),
// hands it to an opaque consumer and drops it, 1000 times per round. At most
// one box per thread is live, so the arena never fills with up to 6 threads.
// What it stresses: the allocator's locking under contention, nothing else.
//
// Run it with --threads 6 for the crate's shape. The crate repeats its 6000
// boxes 5000 times with a fresh arena each time; here the harness decides how
// many rounds to run. With more than 6 threads the {6, 4} arena is too small
// by design and requests fail (counted). The seed changes nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "workloads/allocator.hpp"
#include "workloads/support/escape.hpp"
#include "workloads/support/pattern.hpp"
#include "workloads/support/per_thread.hpp"
#include "workloads/support/request_hash.hpp"
#include "workloads/support/thread_index.hpp"
#include "workloads/workload.hpp"

namespace workloads {

class Threaded {
 public:
  static constexpr std::size_t kBoxesPerRound = 1000;
  static constexpr std::size_t kBoxSize = sizeof(std::int32_t);
  static constexpr std::size_t kAlign = alignof(std::int32_t);
  static constexpr std::int32_t kValue = 3;  // the crate boxes a 3

  static constexpr Info info{
      .name = "threaded",
      .description =
          "crate example: threads box an int and drop it, 1000 per round, in one 6x4 B arena",
      .arena = ArenaHint{6, 4},
      .multithreaded = true,
      .uses_seed = false,
      .needs_input = false,
      .exceeds_arena_on_purpose = false,  // up to 6 threads
  };

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  Threaded(const Options& options, const Point&)
      : check_(options.check),
        threads_(options.threads == 0 ? 1 : options.threads),
        state_(std::make_unique<support::PerThread<State>[]>(threads_)) {
    support::RequestHash hash;
    hash.add(kBoxesPerRound, kBoxSize);
    checksum_ = hash.value();
  }

  template <Allocator A>
  std::uint64_t run(A& a, unsigned thread) {
    support::check_thread_index(info.name, thread, threads_);
    State& s = state_[thread].value;
    std::uint64_t operations = 0;
    for (std::size_t i = 0; i < kBoxesPerRound; ++i) {
      void* box = a.allocate(kBoxSize, kAlign);
      ++operations;
      if (box == nullptr) {
        ++s.failures;
        continue;
      }
      // In check mode each box holds a value unique to (thread, box), so a
      // box handed to two threads at once is caught.
      const auto value =
          check_ ? static_cast<std::int32_t>(support::pattern_word(thread, s.boxes++)) : kValue;
      std::memcpy(box, &value, sizeof value);
      support::escape(box);
      if (check_) {
        std::int32_t stored;
        std::memcpy(&stored, box, sizeof stored);
        if (stored != value) ++s.corruptions;
      }
      a.deallocate(box, kBoxSize, kAlign);
      ++operations;
    }
    return operations;
  }

  // A box never outlives its iteration.
  template <Allocator A>
  void drain(A& /*a*/, unsigned /*thread*/) {}

  std::uint64_t corruptions() const { return sum(&State::corruptions); }
  std::uint64_t request_checksum() const { return checksum_; }
  std::uint64_t failed_requests() const { return sum(&State::failures); }
  std::uint64_t peak_requested_bytes() const { return threads_ * kBoxSize; }

 private:
  struct State {
    std::uint64_t boxes = 0;
    std::uint64_t corruptions = 0;
    std::uint64_t failures = 0;
  };

  std::uint64_t sum(std::uint64_t State::*field) const {
    std::uint64_t total = 0;
    for (unsigned t = 0; t < threads_; ++t) total += state_[t].value.*field;
    return total;
  }

  bool check_;
  unsigned threads_;
  std::unique_ptr<support::PerThread<State>[]> state_;
  std::uint64_t checksum_ = 0;
};

static_assert(Workload<Threaded>);

}  // namespace workloads
