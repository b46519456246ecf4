// large: big buffers, 64 KiB to 4 MiB.
//
// Models image, file and network buffers: 4 live buffers of log-uniform
// sizes from 64 KiB to 4 MiB; each step frees a random one and allocates a
// replacement of a new size, then uses it (one byte written per 4 KiB page,
// so fresh pages are faulted in as a real program would). What it stresses:
// the large-allocation path: mmap thresholds and page faults for malloc-style
// allocators, the fallback link for Stalloc chains, first fit over a few big
// chunks for a plain arena. The live set is filled in prepare() (untimed);
// one round is 64 steps (128 requests), from a pre-generated stream of 8
// rounds replayed in a cycle.
//
// Arena hint {65535, 512} (32 MiB): at most 4 x 4 MiB = 16 MiB live.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "workloads/allocator.hpp"
#include "workloads/support/pattern.hpp"
#include "workloads/support/random.hpp"
#include "workloads/support/request_hash.hpp"
#include "workloads/support/size_distributions.hpp"
#include "workloads/workload.hpp"

namespace workloads {

class Large {
 public:
  static constexpr std::size_t kLive = 4;
  static constexpr std::size_t kMinSize = 64 * 1024;
  static constexpr std::size_t kMaxSize = 4 * 1024 * 1024;
  static constexpr std::size_t kStepsPerRound = 64;
  static constexpr std::size_t kRoundsInStream = 8;
  static constexpr std::size_t kAlign = 64;  // cache-line aligned, as buffers for SIMD code are

  static constexpr Info info{
      .name = "large",
      .description =
          "4 live buffers of 64 KiB-4 MiB, replace a random one per step, "
          "touch every page; 128 requests/round",
      .arena = ArenaHint{65535, 512},
      .multithreaded = false,
      .uses_seed = true,
      .needs_input = false,
      .exceeds_arena_on_purpose = false,
  };

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  Large(const Options& options, const Point&) : pattern_(options.check) {
    support::Random rng{options.seed, 0x1A7E};
    support::RequestHash hash;
    for (auto& size : initial_sizes_) {
      size = support::log_uniform_size(rng, kMinSize, kMaxSize);
      hash.add(size);
    }
    stream_.resize(kStepsPerRound * kRoundsInStream);
    for (Step& s : stream_) {
      s.slot = static_cast<std::uint32_t>(rng.below(kLive));
      s.size = static_cast<std::uint32_t>(support::log_uniform_size(rng, kMinSize, kMaxSize));
      hash.add(s.slot, s.size);
    }
    checksum_ = hash.value();
  }

  template <Allocator A>
  void prepare(A& a, unsigned /*thread*/) {
    if (prepared_) return;
    prepared_ = true;
    for (std::size_t slot = 0; slot < kLive; ++slot)
      replace(a, objects_[slot], initial_sizes_[slot]);
  }

  template <Allocator A>
  std::uint64_t run(A& a, unsigned thread) {
    if (!prepared_) prepare(a, thread);
    std::uint64_t operations = 0;
    for (std::size_t i = 0; i < kStepsPerRound; ++i) {
      const Step s = stream_[position_ + i];
      operations += replace(a, objects_[s.slot], s.size);
    }
    position_ = (position_ + kStepsPerRound) % stream_.size();
    return operations;
  }

  template <Allocator A>
  void drain(A& a, unsigned /*thread*/) {
    for (Object& o : objects_) release(a, o);
    live_bytes_ = 0;
    position_ = 0;
    prepared_ = false;
  }

  std::uint64_t corruptions() const { return corruptions_; }
  std::uint64_t request_checksum() const { return checksum_; }
  std::uint64_t failed_requests() const { return failures_; }
  // Measured while running.
  std::uint64_t peak_requested_bytes() const { return peak_bytes_; }

 private:
  struct Step {
    std::uint32_t slot;
    std::uint32_t size;
  };
  struct Object {
    void* data = nullptr;
    std::size_t size = 0;
    std::uint64_t id = 0;
  };

  // Frees what the slot holds, allocates `size` bytes in its place; returns
  // the allocator calls made.
  template <Allocator A>
  std::uint64_t replace(A& a, Object& o, std::size_t size) {
    std::uint64_t operations = release(a, o);
    o = Object{a.allocate(size, kAlign), size, next_id_++};
    ++operations;
    if (o.data == nullptr) {
      ++failures_;
      return operations;
    }
    pattern_.write(o.data, size, o.id);
    live_bytes_ += size;
    peak_bytes_ = std::max(peak_bytes_, live_bytes_);
    return operations;
  }

  template <Allocator A>
  std::uint64_t release(A& a, Object& o) {
    if (o.data == nullptr) return 0;
    if (!pattern_.intact(o.data, o.size, o.id)) ++corruptions_;
    a.deallocate(o.data, o.size, kAlign);
    live_bytes_ -= o.size;
    o.data = nullptr;
    return 1;
  }

  support::Pattern pattern_;
  std::array<std::size_t, kLive> initial_sizes_{};
  std::vector<Step> stream_;
  std::array<Object, kLive> objects_{};
  bool prepared_ = false;
  std::size_t position_ = 0;
  std::uint64_t next_id_ = 0;
  std::uint64_t live_bytes_ = 0;
  std::uint64_t peak_bytes_ = 0;
  std::uint64_t checksum_ = 0;
  std::uint64_t corruptions_ = 0;
  std::uint64_t failures_ = 0;
};

static_assert(Workload<Large>);

}  // namespace workloads
