// size-mix: a general-purpose program's heap.
//
// Request sizes from a realistic distribution (support::realistic_size: 55%
// 8-64 B, 25% up to 256 B, 12% up to 1 KiB, 6% up to 8 KiB, 2% up to 64 KiB)
// and random lifetimes, counted in allocations: 70% die young (exponential,
// mean 8), 25% live a while (mean 256), 5% are long-lived (mean 4096). So
// the live set (about 280 objects, 250 KiB on average) mixes sizes and ages,
// the way a real program's heap fragments.
//
// The requests are pre-generated from the seed as one stream of 32,768
// allocations and their frees (8,192 in quick mode), which ends with nothing
// live. Each round plays the next 4096 requests and leaves its objects live
// for the next round, wrapping at the end of the stream, so lifetimes cross
// rounds as in a long-running program.
//
// Arena hint {65535, 32} (2 MiB): the measured peak is about 0.5 MiB (exact
// figure: peak_requested_bytes()), leaving first fit room to fragment.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include "workloads/allocator.hpp"
#include "workloads/support/pattern.hpp"
#include "workloads/support/random.hpp"
#include "workloads/support/request_hash.hpp"
#include "workloads/support/size_distributions.hpp"
#include "workloads/workload.hpp"

namespace workloads {

class SizeMix {
 public:
  static constexpr std::size_t kRequestsPerRound = 4096;
  static constexpr std::size_t kAllocationsInStream = 32768;
  static constexpr std::size_t kAllocationsInStreamQuick = 8192;
  static constexpr std::size_t kAlign = 8;

  static constexpr Info info{
      .name = "size-mix",
      .description =
          "realistic sizes (most < 64 B, tail to 64 KiB) with random lifetimes; 4096 "
          "requests/round",
      .arena = ArenaHint{65535, 32},
      .multithreaded = false,
      .uses_seed = true,
      .needs_input = false,
      .exceeds_arena_on_purpose = false,
  };

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  SizeMix(const Options& options, const Point&) : pattern_(options.check) {
    generate(options.seed, options.quick ? kAllocationsInStreamQuick : kAllocationsInStream);
  }

  template <Allocator A>
  std::uint64_t run(A& a, unsigned /*thread*/) {
    std::uint64_t operations = 0;
    for (std::size_t i = 0; i < kRequestsPerRound; ++i) {
      const Request r = stream_[position_];
      position_ = position_ + 1 == stream_.size() ? 0 : position_ + 1;
      Object& o = objects_[r.slot];
      if (r.is_free == 0) {
        o.data = a.allocate(r.size, kAlign);
        o.size = r.size;
        o.id = r.id;
        ++operations;
        if (o.data == nullptr) {
          ++failures_;
          continue;
        }
        pattern_.write(o.data, r.size, r.id);
      } else if (o.data != nullptr) {
        if (!pattern_.intact(o.data, o.size, o.id)) ++corruptions_;
        a.deallocate(o.data, o.size, kAlign);
        o.data = nullptr;
        ++operations;
      }
    }
    return operations;
  }

  template <Allocator A>
  void drain(A& a, unsigned /*thread*/) {
    for (Object& o : objects_) {
      if (o.data == nullptr) continue;
      if (!pattern_.intact(o.data, o.size, o.id)) ++corruptions_;
      a.deallocate(o.data, o.size, kAlign);
      o.data = nullptr;
    }
    position_ = 0;
  }

  std::uint64_t corruptions() const { return corruptions_; }
  std::uint64_t request_checksum() const { return checksum_; }
  std::uint64_t failed_requests() const { return failures_; }
  std::uint64_t peak_requested_bytes() const { return peak_bytes_; }

 private:
  struct Request {
    std::uint32_t slot;
    std::uint32_t size;
    std::uint32_t id;
    std::uint32_t is_free;
  };
  struct Object {
    void* data = nullptr;
    std::size_t size = 0;
    std::uint64_t id = 0;
  };
  struct Lifetime {
    std::uint32_t per_mille;
    double mean;  // in allocations
  };
  static constexpr Lifetime kLifetimes[] = {{700, 8.0}, {250, 256.0}, {50, 4096.0}};

  void generate(std::uint64_t seed, std::size_t allocations) {
    support::Random rng{seed, 0x312E};
    using Death = std::pair<std::uint64_t, std::uint32_t>;  // (allocation index, slot)
    std::priority_queue<Death, std::vector<Death>, std::greater<>> deaths;
    std::vector<std::uint32_t> free_slots;
    std::vector<std::uint32_t> slot_size;
    std::uint32_t slots = 0;
    std::uint64_t live_bytes = 0;

    auto free_slot = [&](std::uint32_t slot) {
      stream_.push_back(Request{slot, slot_size[slot], 0, 1});
      live_bytes -= slot_size[slot];
      free_slots.push_back(slot);
    };

    for (std::uint64_t t = 0; t < allocations; ++t) {
      while (!deaths.empty() && deaths.top().first <= t) {
        free_slot(deaths.top().second);
        deaths.pop();
      }
      std::uint32_t slot;
      if (free_slots.empty()) {
        slot = slots++;
        slot_size.push_back(0);
      } else {
        slot = free_slots.back();
        free_slots.pop_back();
      }
      const auto size = static_cast<std::uint32_t>(support::realistic_size(rng));
      slot_size[slot] = size;
      stream_.push_back(Request{slot, size, static_cast<std::uint32_t>(t), 0});
      live_bytes += size;
      peak_bytes_ = std::max(peak_bytes_, live_bytes);
      deaths.emplace(t + 1 + lifetime(rng), slot);
    }
    while (!deaths.empty()) {
      free_slot(deaths.top().second);
      deaths.pop();
    }
    objects_.assign(slots, Object{});

    support::RequestHash hash;
    for (const Request& r : stream_) hash.add((std::uint64_t{r.slot} << 32) | r.size, r.is_free);
    checksum_ = hash.value();
  }

  static std::uint64_t lifetime(support::Random& rng) {
    std::uint64_t roll = rng.below(1000);
    for (const Lifetime& l : kLifetimes) {
      if (roll < l.per_mille) return static_cast<std::uint64_t>(-l.mean * std::log1p(-rng.unit()));
      roll -= l.per_mille;
    }
    return 0;
  }

  support::Pattern pattern_;
  std::vector<Request> stream_;
  std::vector<Object> objects_;
  std::size_t position_ = 0;
  std::uint64_t peak_bytes_ = 0;
  std::uint64_t checksum_ = 0;
  std::uint64_t corruptions_ = 0;
  std::uint64_t failures_ = 0;
};

static_assert(Workload<SizeMix>);

}  // namespace workloads
