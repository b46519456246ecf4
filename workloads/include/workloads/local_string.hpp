// local-string: the crate's local_string example as a workload.
//
// A string built in place in a 50-block allocation of a Stalloc<200, 4>
// (50 x 4 = 200 bytes, byte-aligned): "Hello, " then "world!" appended, the
// string handed to an opaque consumer, then the buffer freed. The allocate/free
// pair of one medium buffer, over and over, with the heap otherwise empty.
// Arena hint {200, 4} as in the crate: one buffer fills the arena exactly, so
// this also checks that a completely full arena is handled. One round is 1024
// strings. The seed changes nothing (the crate's fixed shape).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "workloads/allocator.hpp"
#include "workloads/support/escape.hpp"
#include "workloads/support/pattern.hpp"
#include "workloads/support/request_hash.hpp"
#include "workloads/workload.hpp"

namespace workloads {

class LocalString {
 public:
  static constexpr std::size_t kStringsPerRound = 1024;
  static constexpr std::size_t kBufferSize = 50 * 4;
  static constexpr std::size_t kAlign = 1;
  static constexpr std::string_view kFirst = "Hello, ";
  static constexpr std::string_view kSecond = "world!";

  static constexpr Info info{
      .name = "local-string",
      .description =
          "crate example: \"Hello, world!\" built in a 200 B (50 x 4 B block) buffer; 1024 per "
          "round",
      .arena = ArenaHint{200, 4},
      .multithreaded = false,
      .uses_seed = false,
      .needs_input = false,
      .exceeds_arena_on_purpose = false,
  };

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  LocalString(const Options& options, const Point&) : pattern_(options.check) {
    support::RequestHash hash;
    hash.add(kStringsPerRound, kBufferSize);
    hash.add(kAlign, kFirst.size() + kSecond.size());
    checksum_ = hash.value();
  }

  template <Allocator A>
  std::uint64_t run(A& a, unsigned /*thread*/) {
    std::uint64_t operations = 0;
    constexpr std::size_t kLength = kFirst.size() + kSecond.size();
    for (std::size_t i = 0; i < kStringsPerRound; ++i) {
      auto* buffer = static_cast<char*>(a.allocate(kBufferSize, kAlign));
      ++operations;
      if (buffer == nullptr) {
        ++failures_;
        continue;
      }
      // The unused capacity: patterned in check mode, its last byte touched
      // otherwise (every workload writes at least the first and last byte).
      pattern_.write_range(buffer, kLength, kBufferSize, i);
      std::memcpy(buffer, kFirst.data(), kFirst.size());
      std::memcpy(buffer + kFirst.size(), kSecond.data(), kSecond.size());
      support::escape(buffer);
      if (pattern_.checking()) {
        const bool text_intact =
            std::string_view{buffer, kLength} == std::string_view{"Hello, world!"};
        if (!text_intact || !support::pattern_intact(buffer, kLength, kBufferSize, i))
          ++corruptions_;
      }
      a.deallocate(buffer, kBufferSize, kAlign);
      ++operations;
    }
    return operations;
  }

  template <Allocator A>
  void drain(A& /*a*/, unsigned /*thread*/) {}

  std::uint64_t corruptions() const { return corruptions_; }
  std::uint64_t request_checksum() const { return checksum_; }
  std::uint64_t failed_requests() const { return failures_; }
  std::uint64_t peak_requested_bytes() const { return kBufferSize; }

 private:
  support::Pattern pattern_;
  std::uint64_t checksum_ = 0;
  std::uint64_t corruptions_ = 0;
  std::uint64_t failures_ = 0;
};

static_assert(Workload<LocalString>);

}  // namespace workloads
