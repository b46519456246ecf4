// small-objects: the job Stalloc was made for.
//
// Models a parser or an interpreter: objects of 8 to 64 bytes (AST nodes,
// cons cells, boxed values, short strings), a small live set that rises and
// falls, and mostly last-in first-out lifetimes (a nested expression is freed
// before the one that contains it), with one free in ten taking a random live
// object instead, as values escape their scope.
//
// One round is a fixed stream of kRequestsPerRound requests that starts and
// ends with nothing live. The stream is generated from the seed in the
// constructor; run() only reads it.
//
// The same generator with every free taken from the top of the stack is the
// stack-order workload (stack_order.hpp); the Shape parameter names the
// workload and sets the share of last-in first-out frees.
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

struct SmallObjectsShape {
  // Peak live set is at most 256 x 64 B = 16 KiB (in practice about 5 KiB);
  // the 64 KiB arena leaves room for any first-fit fragmentation.
  static constexpr Info info{
      .name = "small-objects",
      .description =
          "8-64 B objects, small mostly-LIFO live set (parser/interpreter); 4096 requests/round",
      .arena = ArenaHint{8192, 8},
      .multithreaded = false,
      .uses_seed = true,
      .needs_input = false,
      .exceeds_arena_on_purpose = false,
  };
  static constexpr std::uint32_t kLifoPerMille = 900;
};

template <class Shape>
class BasicSmallObjects {
 public:
  static constexpr std::size_t kRequestsPerRound = 4096;  // allocations + frees
  static constexpr std::size_t kTargetLive = 48;          // the walk drifts around it
  static constexpr std::size_t kMaxLive = 256;            // hard cap of the live set
  static constexpr std::size_t kAlign = 8;
  static constexpr std::uint32_t kLifoPerMille = Shape::kLifoPerMille;
  static constexpr Info info = Shape::info;

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  BasicSmallObjects(const Options& options, const Point&) : pattern_(options.check) {
    generate(options.seed);
  }

  template <Allocator A>
  std::uint64_t run(A& a, unsigned /*thread*/) {
    std::uint64_t skipped_frees = 0;
    const std::size_t n = stream_.size();
    for (std::size_t i = 0; i < n; ++i) {
      const Request r = stream_[i];
      if (r.is_free == 0) {
        void* p = a.allocate(r.size, kAlign);
        slots_[r.slot] = p;
        live_sizes_[r.slot] = r.size;
        if (p == nullptr) {
          ++failures_;
          continue;
        }
        pattern_.write(p, r.size, ids_[i]);
      } else {
        void* p = slots_[r.slot];
        if (p == nullptr) {  // its allocation failed: nothing to free
          ++skipped_frees;
          continue;
        }
        if (!pattern_.intact(p, r.size, ids_[i])) ++corruptions_;
        a.deallocate(p, r.size, kAlign);
        slots_[r.slot] = nullptr;
      }
    }
    return n - skipped_frees;
  }

  // A round always ends empty, so this frees nothing unless a round was cut
  // short; it is here so every workload can be drained the same way.
  template <Allocator A>
  void drain(A& a, unsigned /*thread*/) {
    for (std::size_t slot = 0; slot < kMaxLive; ++slot) {
      if (slots_[slot] == nullptr) continue;
      a.deallocate(slots_[slot], live_sizes_[slot], kAlign);
      slots_[slot] = nullptr;
    }
  }

  std::uint64_t corruptions() const { return corruptions_; }
  std::uint64_t request_checksum() const { return checksum_; }
  std::uint64_t failed_requests() const { return failures_; }
  std::uint64_t peak_requested_bytes() const { return peak_bytes_; }
  std::size_t requests_per_round() const { return stream_.size(); }

 private:
  struct Request {
    std::uint16_t slot;
    std::uint8_t size;
    std::uint8_t is_free;
  };

  void generate(std::uint64_t seed) {
    support::Random rng{seed, 0x5A11};
    std::vector<std::uint16_t> live;  // slots, oldest first: the back is the top of the stack
    std::vector<std::uint16_t> free_slots;
    for (std::size_t s = kMaxLive; s-- > 0;) free_slots.push_back(static_cast<std::uint16_t>(s));
    std::array<std::uint32_t, kMaxLive> slot_id{};
    std::array<std::size_t, kMaxLive> slot_sizes{};
    std::uint64_t live_bytes = 0;
    std::size_t allocations = 0;

    auto free_at = [&](std::size_t position) {
      const std::uint16_t slot = live[position];
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(position));
      stream_.push_back(Request{slot, static_cast<std::uint8_t>(slot_sizes[slot]), 1});
      ids_.push_back(slot_id[slot]);
      live_bytes -= slot_sizes[slot];
      free_slots.push_back(slot);
    };

    // Every allocation is paired with one free, so the stream holds exactly
    // kRequestsPerRound requests once kRequestsPerRound / 2 allocations are made.
    while (allocations < kRequestsPerRound / 2) {
      const bool allocate = live.empty() || (live.size() < kMaxLive &&
                                             rng.chance(live.size() < kTargetLive ? 550 : 450));
      if (allocate) {
        const std::uint16_t slot = free_slots.back();
        free_slots.pop_back();
        const std::size_t size = support::small_object_size(rng);
        slot_sizes[slot] = size;
        slot_id[slot] = static_cast<std::uint32_t>(stream_.size());
        stream_.push_back(Request{slot, static_cast<std::uint8_t>(size), 0});
        ids_.push_back(slot_id[slot]);
        live.push_back(slot);
        ++allocations;
        live_bytes += size;
        peak_bytes_ = std::max(peak_bytes_, live_bytes);
      } else if (rng.chance(kLifoPerMille)) {
        free_at(live.size() - 1);
      } else {
        free_at(static_cast<std::size_t>(rng.below(live.size())));
      }
    }
    while (!live.empty()) free_at(live.size() - 1);

    support::RequestHash hash;
    for (const Request& r : stream_) hash.add(r.slot, (std::uint64_t{r.size} << 8) | r.is_free);
    checksum_ = hash.value();
  }

  support::Pattern pattern_;
  std::vector<Request> stream_;
  std::vector<std::uint32_t> ids_;  // per request: the id of its object (for the pattern)
  std::array<void*, kMaxLive> slots_{};
  std::array<std::uint8_t, kMaxLive> live_sizes_{};  // size of what each slot holds (drain)
  std::uint64_t corruptions_ = 0;
  std::uint64_t failures_ = 0;
  std::uint64_t peak_bytes_ = 0;
  std::uint64_t checksum_ = 0;
};

using SmallObjects = BasicSmallObjects<SmallObjectsShape>;
static_assert(Workload<SmallObjects>);

}  // namespace workloads
