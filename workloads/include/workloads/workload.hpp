// What a workload is, as the harness sees it.
//
// A workload is a class W that models one allocation pattern. The harness
// creates it (untimed), then calls W::run repeatedly while timing, then
// W::drain once (untimed) to free what is still live. It is written against
// workloads::Allocator only.
//
//   struct MyWorkload {
//     static constexpr workloads::Info info{.name = ..., .description = ..., .arena = ...,
//         .multithreaded = ..., .uses_seed = ..., .needs_input = ...,
//         .exceeds_arena_on_purpose = ...};  // every field, no defaults
//     static std::vector<workloads::Point> points(const workloads::Options&);
//     MyWorkload(const workloads::Options&, const workloads::Point&);
//     template <workloads::Allocator A> std::uint64_t run(A&, unsigned thread);
//     template <workloads::Allocator A> void drain(A&, unsigned thread);
//     std::uint64_t corruptions() const;
//   };
//
// Rules every workload keeps:
//   - Deterministic for a given Options::seed: the same seed gives the same
//     sequence of requests (request_checksum() exposes it for tests).
//   - Writes to every byte range it is given (at least the first and last
//     byte, usually a pattern), so no allocator wins by handing out memory
//     nobody touches.
//   - In check mode, verifies the pattern before every free and counts each
//     mismatch in corruptions().
//   - A nullptr from allocate or reallocate is a failed request, not a crash:
//     the workload skips that object (and never frees it) and goes on.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "workloads/allocator.hpp"

namespace workloads {

struct Options {
  std::uint64_t seed = 42;
  bool quick = false;    // CI-sized: finishes in well under a second per allocator
  bool check = false;    // fill patterns and verify them before every free
  unsigned threads = 1;  // for multithreaded workloads; others ignore it
  std::string input;     // the ARG of `--workload NAME:ARG` (trace:FILE), else empty
};

// One point of a workload's parameter sweep (for example the live-set size of
// random-free). Workloads without a sweep have a single point with an empty
// name. Each point is a separate benchmark and a separate result entry.
struct Point {
  std::string name;  // "live", "holes", ... (empty when there is no sweep)
  std::size_t value = 0;
  std::string label() const {
    return name.empty() ? std::string{} : name + "=" + std::to_string(value);
  }
};

// The fixed-arena shape this workload needs: enough blocks of a suitable size
// to hold its peak live set. The harness instantiates Stalloc<blocks,
// block_size> from it (compile time), so it is a constant of the workload.
struct ArenaHint {
  std::size_t blocks;
  std::size_t block_size;
};

// A yes/no trait that every workload states: it has no default, so an Info
// that leaves one out does not compile (declared, never assumed).
class Declared {
 public:
  constexpr Declared(bool value) noexcept : value_(value) {}  // implicit: `.uses_seed = true`
  constexpr operator bool() const noexcept { return value_; }

 private:
  bool value_;
};

// What the harness and the tests know about a workload: all of it declared
// here, none of it probed from other members.
struct Info {
  std::string_view name;         // command-line name, e.g. "small-objects"
  std::string_view description;  // one line, for --list
  ArenaHint arena;
  Declared multithreaded;  // run() is called from Options::threads threads at once
  Declared uses_seed;      // Options::seed changes the requests (else a fixed shape)
  Declared needs_input;    // runs only as NAME:ARG (Options::input); `all` skips it
  // Its live set outgrows `arena` by design (a chain's fallback is the
  // point): fixed arenas fail some of its requests, and the tests expect so.
  Declared exceeds_arena_on_purpose;
};

template <class W>
concept Workload = requires(W& w, const W& cw, const Options& o, const Point& p) {
  { W::info } -> std::convertible_to<Info>;
  { W::info.multithreaded } -> std::convertible_to<bool>;
  { W::info.uses_seed } -> std::convertible_to<bool>;
  { W::info.needs_input } -> std::convertible_to<bool>;
  { W::info.exceeds_arena_on_purpose } -> std::convertible_to<bool>;
  { W::points(o) } -> std::same_as<std::vector<Point>>;
  requires std::constructible_from<W, const Options&, const Point&>;
  { cw.corruptions() } -> std::same_as<std::uint64_t>;
  { cw.request_checksum() } -> std::same_as<std::uint64_t>;
};

}  // namespace workloads
