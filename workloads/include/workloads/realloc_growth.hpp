// realloc-growth: containers grown element by element through reallocate.
//
// Models code that builds vectors and strings without knowing their final
// size: 8 containers grow at once, appends interleaved at random between
// them, so the block after a growing container is sometimes free (the
// allocator can grow in place) and sometimes taken by a neighbour (it must
// move and copy). Two growth patterns, half the containers each:
//   vector  8-byte elements, capacity 1 element then doubling (libstdc++'s
//           std::vector): blocks of 8, 16, 32, ... bytes, 8-byte aligned.
//   string  pieces of 1 to 24 chars appended; capacity 15 in place (SSO,
//           no allocation), then max(needed, 30), then max(needed, 2 x old),
//           plus the terminator (libstdc++'s std::string): blocks of 31, 61,
//           121, ... bytes, 1-byte aligned.
// Final lengths are log-uniform from 16 bytes to 32 KiB. A container that
// reaches its length is freed and a new one started; one round grows 256
// containers and ends with none live. in_place_growths() and
// moved_growths() count which way each reallocate went.
//
// The elements appended between two growths are written as one range (every
// byte in check mode, the first and last byte and one per page otherwise), so
// the time is the allocator's and the copying it causes, not the pushes.
//
// Arena hint {65535, 16} (1 MiB): at most 8 containers of up to 60 KiB each,
// plus one being moved, is under 560 KiB.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "workloads/allocator.hpp"
#include "workloads/support/pattern.hpp"
#include "workloads/support/random.hpp"
#include "workloads/support/request_hash.hpp"
#include "workloads/workload.hpp"

namespace workloads {

class ReallocGrowth {
 public:
  static constexpr std::size_t kConcurrent = 8;
  static constexpr std::size_t kContainersPerRound = 256;
  static constexpr std::size_t kMinLength = 16;
  static constexpr std::size_t kMaxLength = 32 * 1024;
  static constexpr std::size_t kElementSize = 8;
  static constexpr std::size_t kMaxPiece = 24;
  static constexpr std::size_t kStringInline = 15;  // libstdc++'s SSO capacity

  static constexpr Info info{
      .name = "realloc-growth",
      .description =
          "8 vectors/strings grown element by element via reallocate (doubling), 16 B-32 KiB; "
          "grow in place vs move",
      .arena = ArenaHint{65535, 16},
      .multithreaded = false,
      .uses_seed = true,
      .needs_input = false,
      .exceeds_arena_on_purpose = false,
  };

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  ReallocGrowth(const Options& options, const Point&) : pattern_(options.check) {
    generate(options.seed);
  }

  template <Allocator A>
  std::uint64_t run(A& a, unsigned /*thread*/) {
    std::uint64_t operations = 0;
    for (const Event& e : stream_) {
      Container& c = containers_[e.slot];
      switch (e.kind) {
        case Kind::kCreate:
          c = Container{a.allocate(e.to, e.align), e.to, e.id};
          ++operations;
          if (c.data == nullptr) ++failures_;
          break;
        case Kind::kGrow: {
          if (c.data == nullptr || c.stuck) break;  // it gave up growing earlier
          void* p = a.reallocate(c.data, e.from, e.to, e.align);
          ++operations;
          if (p == nullptr) {  // it keeps its old block and stops growing
            ++failures_;
            c.stuck = true;
            break;
          }
          (p == c.data ? in_place_ : moved_)++;
          c.data = p;
          c.capacity = e.to;
          if (pattern_.checking() && !support::pattern_intact(p, 0, c.length, c.id)) ++corruptions_;
          break;
        }
        case Kind::kWrite:
          if (c.data == nullptr || c.stuck) break;
          pattern_.write_range(c.data, e.from, e.to, c.id);
          c.length = e.to;
          break;
        case Kind::kDestroy:
          if (c.data == nullptr) break;
          if (!pattern_.intact(c.data, c.length, c.id)) ++corruptions_;
          a.deallocate(c.data, c.capacity, e.align);
          ++operations;
          c = Container{};
          break;
      }
    }
    return operations;
  }

  // A round ends with every container freed.
  template <Allocator A>
  void drain(A& /*a*/, unsigned /*thread*/) {}

  std::uint64_t corruptions() const { return corruptions_; }
  std::uint64_t request_checksum() const { return checksum_; }
  std::uint64_t failed_requests() const { return failures_; }
  std::uint64_t peak_requested_bytes() const { return peak_bytes_; }
  std::uint64_t in_place_growths() const { return in_place_; }
  std::uint64_t moved_growths() const { return moved_; }

 private:
  enum class Kind : std::uint8_t { kCreate, kGrow, kWrite, kDestroy };
  struct Event {
    Kind kind;
    std::uint8_t slot;
    std::uint8_t align;
    std::uint32_t id;
    std::uint32_t from;  // kGrow: old capacity; kWrite: first byte written
    std::uint32_t to;    // kCreate/kGrow: new capacity; kWrite: end of the range
  };
  struct Container {
    void* data = nullptr;
    std::size_t capacity = 0;
    std::uint64_t id = 0;
    std::size_t length = 0;
    bool stuck = false;
  };
  // The generator's view of a container: lengths and capacities only.
  struct Plan {
    bool active = false;
    bool is_string = false;
    std::uint32_t id = 0;
    std::size_t target = 0;
    std::size_t length = 0;
    std::size_t written = 0;   // length already covered by a kWrite
    std::size_t capacity = 0;  // allocated bytes (0: none yet)
  };

  void generate(std::uint64_t seed) {
    support::Random rng{seed, 0x6E0};
    std::array<Plan, kConcurrent> plans{};
    std::size_t started = 0;
    std::size_t live_bytes = 0;
    const double log_min = std::log(static_cast<double>(kMinLength));
    const double log_max = std::log(static_cast<double>(kMaxLength));

    auto flush_writes = [&](std::uint8_t slot, Plan& p) {
      if (p.length > p.written && p.capacity > 0) {
        stream_.push_back(Event{Kind::kWrite, slot, 1, p.id, static_cast<std::uint32_t>(p.written),
                                static_cast<std::uint32_t>(p.length)});
        p.written = p.length;
      }
    };
    auto align_of = [](const Plan& p) -> std::uint8_t { return p.is_string ? 1 : 8; };

    for (;;) {
      // Start new containers while the round wants more.
      for (std::size_t s = 0; s < kConcurrent; ++s) {
        if (plans[s].active || started == kContainersPerRound) continue;
        Plan& p = plans[s];
        p = Plan{};
        p.active = true;
        p.is_string = rng.chance(500);
        p.id = static_cast<std::uint32_t>(started++);
        p.target = static_cast<std::size_t>(std::exp(log_min + (log_max - log_min) * rng.unit()));
      }
      std::vector<std::uint8_t> active;
      for (std::size_t s = 0; s < kConcurrent; ++s)
        if (plans[s].active) active.push_back(static_cast<std::uint8_t>(s));
      if (active.empty()) break;

      // One append to a random growing container.
      const std::uint8_t slot = active[rng.below(active.size())];
      Plan& p = plans[slot];
      const std::size_t piece = p.is_string ? rng.between(1, kMaxPiece) : kElementSize;
      const std::size_t needed = p.length + piece;
      const std::size_t usable =
          p.is_string ? (p.capacity == 0 ? kStringInline : p.capacity - 1) : p.capacity;
      if (needed > usable) {
        std::size_t grown;
        if (p.is_string) {
          const std::size_t old_chars = usable;
          const std::size_t chars =
              std::max(needed, p.capacity == 0 ? 2 * kStringInline : 2 * old_chars);
          grown = chars + 1;
        } else {
          grown = p.capacity == 0 ? kElementSize : std::max(needed, 2 * p.capacity);
        }
        // (A string leaving its inline buffer copies its chars to the heap:
        // they are written by the first kWrite after the kCreate.)
        flush_writes(slot, p);
        stream_.push_back(Event{p.capacity == 0 ? Kind::kCreate : Kind::kGrow, slot, align_of(p),
                                p.id, static_cast<std::uint32_t>(p.capacity),
                                static_cast<std::uint32_t>(grown)});
        live_bytes += grown - p.capacity;
        peak_bytes_ = std::max<std::uint64_t>(peak_bytes_, live_bytes);
        p.capacity = grown;
      }
      p.length = needed;
      if (p.length >= p.target) {
        if (p.capacity > 0) {  // (a short string never left its inline buffer)
          flush_writes(slot, p);
          stream_.push_back(Event{Kind::kDestroy, slot, align_of(p), p.id, 0,
                                  static_cast<std::uint32_t>(p.capacity)});
          live_bytes -= p.capacity;
        }
        p.active = false;
      }
    }

    support::RequestHash hash;
    for (const Event& e : stream_) {
      hash.add((std::uint64_t{static_cast<std::uint8_t>(e.kind)} << 16) |
                   (std::uint64_t{e.slot} << 8) | e.align,
               (std::uint64_t{e.from} << 32) | e.to);
    }
    checksum_ = hash.value();
  }

  support::Pattern pattern_;
  std::vector<Event> stream_;
  std::array<Container, kConcurrent> containers_{};
  std::uint64_t peak_bytes_ = 0;
  std::uint64_t checksum_ = 0;
  std::uint64_t corruptions_ = 0;
  std::uint64_t failures_ = 0;
  std::uint64_t in_place_ = 0;
  std::uint64_t moved_ = 0;
};

static_assert(Workload<ReallocGrowth>);

}  // namespace workloads
