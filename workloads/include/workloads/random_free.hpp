// random-free: how an allocator's cost grows with its live set, and the
// first-fit worst case on purpose.
//
// Two sweeps, each point a separate benchmark:
//   live=K   K objects of random sizes (16 to 128 bytes) stay live; each step
//            frees a random one and allocates a replacement of a new random
//            size in its place. K runs 16, 32, ..., 16384 (quick: 16, 1024,
//            16384), so the results show the cost curve as the heap grows and
//            fragments. For an address-ordered first-fit list this is where
//            the walk gets long.
//   holes=H  prepare() allocates 2H objects of 16 bytes at the low end of the
//            empty heap and frees every other one, leaving H one-block holes
//            pinned apart by live neighbours. Then 64 objects of 64 to 256
//            bytes (too large for any hole) are churned the same way, so a
//            first-fit allocator passes all H holes on every allocation and
//            every free. H runs 16, 32, ..., 4096 (quick: 16, 256, 4096).
//
// The fill (and the holes) are made in prepare(), untimed; one round is 2048
// replacement steps (4096 requests). The steps are pre-generated from the
// seed: a stream of 8 rounds, replayed in a cycle.
//
// Arena hint {65535, 32} (2 MiB, the most blocks Stalloc can index): 16384
// objects of 16 to 128 bytes take 1 to 4 blocks, about 1.4 MiB, so first fit
// has about 30% of the heap to fragment into (measured: no failure after a
// million steps at 16384 live). A hole (16 bytes) is one block; the churned
// objects take 2 to 8, so none fits a hole. The fill level at the first
// failure is reported (first_failure_live_bytes) for any arena that fails.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "workloads/allocator.hpp"
#include "workloads/support/pattern.hpp"
#include "workloads/support/random.hpp"
#include "workloads/support/request_hash.hpp"
#include "workloads/workload.hpp"

namespace workloads {

class RandomFree {
 public:
  static constexpr std::size_t kStepsPerRound = 2048;
  static constexpr std::size_t kRoundsInStream = 8;
  static constexpr std::size_t kAlign = 8;
  // live mode
  static constexpr std::size_t kMinSize = 16;
  static constexpr std::size_t kMaxSize = 128;
  static constexpr std::size_t kMinLive = 16;
  static constexpr std::size_t kMaxLive = 16384;
  // holes mode
  static constexpr std::size_t kHoleSize = 16;
  static constexpr std::size_t kChurnLive = 64;
  static constexpr std::size_t kChurnMinSize = 64;
  static constexpr std::size_t kChurnMaxSize = 256;
  static constexpr std::size_t kMinHoles = 16;
  static constexpr std::size_t kMaxHoles = 4096;

  static constexpr Info info{
      .name = "random-free",
      .description =
          "K live objects of 16-128 B, replace a random one per step; sweeps live=16..16384 and "
          "holes=16..4096 (first-fit worst case)",
      .arena = ArenaHint{65535, 32},
      .multithreaded = false,
      .uses_seed = true,
      .needs_input = false,
      .exceeds_arena_on_purpose = false,
  };

  static std::vector<Point> points(const Options& options) {
    std::vector<Point> result;
    if (options.quick) {
      for (std::size_t k : {std::size_t{16}, std::size_t{1024}, kMaxLive})
        result.push_back(Point{"live", k});
      for (std::size_t h : {kMinHoles, std::size_t{256}, kMaxHoles})
        result.push_back(Point{"holes", h});
      return result;
    }
    for (std::size_t k = kMinLive; k <= kMaxLive; k *= 2) result.push_back(Point{"live", k});
    for (std::size_t h = kMinHoles; h <= kMaxHoles; h *= 2) result.push_back(Point{"holes", h});
    return result;
  }

  RandomFree(const Options& options, const Point& point) : pattern_(options.check) {
    if (point.name == "live" && point.value >= 1 && point.value <= kMaxLive) {
      holes_ = 0;
      live_ = point.value;
      min_size_ = kMinSize;
      max_size_ = kMaxSize;
    } else if (point.name == "holes" && point.value <= kMaxHoles) {
      holes_ = point.value;
      live_ = kChurnLive;
      min_size_ = kChurnMinSize;
      max_size_ = kChurnMaxSize;
    } else {
      throw std::invalid_argument("random-free: unknown point '" + point.label() +
                                  "' (expected live=1.." + std::to_string(kMaxLive) +
                                  " or holes=0.." + std::to_string(kMaxHoles) + ")");
    }
    generate(options.seed);
  }

  // Untimed: the pinned holes (holes mode), then the live set.
  template <Allocator A>
  void prepare(A& a, unsigned /*thread*/) {
    if (prepared_) return;
    prepared_ = true;
    // All 2H first, then free every other one: freeing as we went would let
    // the next allocation fill the hole just made.
    pins_.assign(holes_, nullptr);
    std::vector<void*> holes(holes_, nullptr);
    for (std::size_t h = 0; h < holes_; ++h) {
      holes[h] = allocate(a, kHoleSize, kPinIdBase - 1 - h);
      pins_[h] = allocate(a, kHoleSize, kPinIdBase + h);
      if (pins_[h] != nullptr) add_live(kHoleSize);
    }
    for (void* hole : holes)
      if (hole != nullptr) a.deallocate(hole, kHoleSize, kAlign);
    objects_.assign(live_, Object{});
    for (std::size_t slot = 0; slot < live_; ++slot) {
      const std::size_t size = initial_sizes_[slot];
      objects_[slot] = Object{allocate(a, size, next_id_), size, next_id_};
      ++next_id_;
      if (objects_[slot].data != nullptr) add_live(size);
    }
  }

  template <Allocator A>
  std::uint64_t run(A& a, unsigned thread) {
    if (!prepared_) prepare(a, thread);
    std::uint64_t operations = 0;
    const Step* step = stream_.data() + position_;
    for (std::size_t i = 0; i < kStepsPerRound; ++i, ++step) {
      Object& o = objects_[step->slot];
      if (o.data != nullptr) {
        if (!pattern_.intact(o.data, o.size, o.id)) ++corruptions_;
        a.deallocate(o.data, o.size, kAlign);
        live_bytes_ -= o.size;
        ++operations;
      }
      o.size = step->size;
      o.id = next_id_++;
      o.data = a.allocate(o.size, kAlign);
      ++operations;
      if (o.data == nullptr) {
        note_failure();
        continue;
      }
      pattern_.write(o.data, o.size, o.id);
      add_live(o.size);
    }
    position_ = (position_ + kStepsPerRound) % stream_.size();
    return operations;
  }

  template <Allocator A>
  void drain(A& a, unsigned /*thread*/) {
    for (Object& o : objects_) {
      if (o.data == nullptr) continue;
      if (!pattern_.intact(o.data, o.size, o.id)) ++corruptions_;
      a.deallocate(o.data, o.size, kAlign);
    }
    for (std::size_t h = 0; h < pins_.size(); ++h) {
      if (pins_[h] == nullptr) continue;
      if (!pattern_.intact(pins_[h], kHoleSize, kPinIdBase + h)) ++corruptions_;
      a.deallocate(pins_[h], kHoleSize, kAlign);
    }
    objects_.clear();
    pins_.clear();
    live_bytes_ = 0;
    position_ = 0;
    prepared_ = false;
  }

  std::uint64_t corruptions() const { return corruptions_; }
  std::uint64_t request_checksum() const { return checksum_; }
  std::uint64_t failed_requests() const { return failures_; }
  // Measured while running (live and pinned bytes at their most).
  std::uint64_t peak_requested_bytes() const { return peak_bytes_; }
  std::optional<std::uint64_t> first_failure_live_bytes() const { return first_failure_; }

 private:
  static constexpr std::uint64_t kPinIdBase = std::uint64_t{1} << 62;

  struct Step {
    std::uint32_t slot;
    std::uint32_t size;
  };
  struct Object {
    void* data = nullptr;
    std::size_t size = 0;
    std::uint64_t id = 0;
  };

  void generate(std::uint64_t seed) {
    support::Random rng{seed, 0xF4EE + holes_};
    support::RequestHash hash;
    hash.add(holes_, live_);
    initial_sizes_.resize(live_);
    for (auto& size : initial_sizes_) {
      size = static_cast<std::uint32_t>(rng.between(min_size_, max_size_));
      hash.add(size);
    }
    stream_.resize(kStepsPerRound * kRoundsInStream);
    for (Step& s : stream_) {
      s.slot = static_cast<std::uint32_t>(rng.below(live_));
      s.size = static_cast<std::uint32_t>(rng.between(min_size_, max_size_));
      hash.add(s.slot, s.size);
    }
    checksum_ = hash.value();
  }

  template <Allocator A>
  void* allocate(A& a, std::size_t size, std::uint64_t id) {
    void* p = a.allocate(size, kAlign);
    if (p == nullptr) {
      note_failure();
      return nullptr;
    }
    pattern_.write(p, size, id);
    return p;
  }

  void add_live(std::size_t size) {
    live_bytes_ += size;
    peak_bytes_ = std::max(peak_bytes_, live_bytes_);
  }

  void note_failure() {
    ++failures_;
    if (!first_failure_) first_failure_ = live_bytes_;
  }

  support::Pattern pattern_;
  std::size_t holes_ = 0;
  std::size_t live_ = 0;
  std::size_t min_size_ = 0;
  std::size_t max_size_ = 0;
  std::vector<std::uint32_t> initial_sizes_;
  std::vector<Step> stream_;
  std::vector<Object> objects_;
  std::vector<void*> pins_;
  bool prepared_ = false;
  std::size_t position_ = 0;
  std::uint64_t next_id_ = 0;
  std::uint64_t live_bytes_ = 0;
  std::uint64_t peak_bytes_ = 0;
  std::optional<std::uint64_t> first_failure_;
  std::uint64_t checksum_ = 0;
  std::uint64_t corruptions_ = 0;
  std::uint64_t failures_ = 0;
};

static_assert(Workload<RandomFree>);

}  // namespace workloads
