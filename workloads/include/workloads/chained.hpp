// chained: the crate's chained example as a workload.
//
// A program whose global allocator is a SyncStalloc<1024, 8> chained to the
// system allocator: a stream of small strings ("hello!", 6 bytes, made and
// dropped at once) with, every 10,000 strings, a 100,000-byte string of 'x'
// that is kept. The big strings can never fit the 8 KiB arena, so they
// exercise a chain's fallback (and its routing of frees by address); plain
// Stalloc reports them as failed requests, which is the point here.
//
// One round is the crate's 10,000 iterations: 20,000 small requests plus one
// big string. The crate keeps every big string to the end (10,000 of them,
// 1 GB); this workload keeps the last 100 (10 MB; 8 in quick mode) and frees
// the oldest when it makes a new one, so memory stays bounded however many
// rounds the harness runs. The crate's vector holding the big strings is the
// workload's own bookkeeping here, not an allocation. The seed changes nothing.
#pragma once

#include <algorithm>
#include <array>
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

class Chained {
 public:
  static constexpr std::size_t kSmallPerRound = 10'000;
  static constexpr std::string_view kSmall = "hello!";
  static constexpr std::size_t kBigSize = 100'000;
  static constexpr std::size_t kBigKept = 100;
  static constexpr std::size_t kBigKeptQuick = 8;
  static constexpr std::size_t kAlign = 1;

  static constexpr Info info{
      .name = "chained",
      .description =
          "crate example: 10,000 6 B strings + one kept 100 KB string per round (a chain's "
          "fallback)",
      .arena = ArenaHint{1024, 8},
      .multithreaded = false,
      .uses_seed = false,
      .needs_input = false,
      .exceeds_arena_on_purpose = true,  // the big strings need the fallback
  };

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  Chained(const Options& options, const Point&)
      : pattern_(options.check), kept_limit_(options.quick ? kBigKeptQuick : kBigKept) {
    support::RequestHash hash;
    hash.add(kSmallPerRound, kSmall.size());
    hash.add(kBigSize, kept_limit_);
    checksum_ = hash.value();
  }

  template <Allocator A>
  std::uint64_t run(A& a, unsigned /*thread*/) {
    std::uint64_t operations = 0;
    for (std::size_t i = 0; i < kSmallPerRound; ++i) {
      auto* s = static_cast<char*>(a.allocate(kSmall.size(), kAlign));
      ++operations;
      if (s == nullptr) {
        ++failures_;
      } else {
        std::memcpy(s, kSmall.data(), kSmall.size());
        support::escape(s);
        if (pattern_.checking() && std::string_view{s, kSmall.size()} != kSmall) ++corruptions_;
        a.deallocate(s, kSmall.size(), kAlign);
        ++operations;
      }
      if (i == 0) operations += make_big_string(a);
    }
    return operations;
  }

  template <Allocator A>
  void drain(A& a, unsigned /*thread*/) {
    for (std::size_t k = 0; k < kept_count_; ++k) free_big(a, (kept_first_ + k) % kBigKept);
    kept_first_ = 0;
    kept_count_ = 0;
  }

  std::uint64_t corruptions() const { return corruptions_; }
  std::uint64_t request_checksum() const { return checksum_; }
  std::uint64_t failed_requests() const { return failures_; }
  // Measured: the kept big strings plus the one small string, at their most.
  std::uint64_t peak_requested_bytes() const { return peak_bytes_; }

 private:
  struct Big {
    void* data;
    std::uint64_t id;
  };

  template <Allocator A>
  std::uint64_t make_big_string(A& a) {
    std::uint64_t operations = 0;
    if (kept_count_ == kept_limit_) {
      free_big(a, kept_first_);
      kept_first_ = (kept_first_ + 1) % kBigKept;
      --kept_count_;
      ++operations;
    }
    void* p = a.allocate(kBigSize, kAlign);
    ++operations;
    if (p == nullptr) {
      ++failures_;
      return operations;
    }
    const std::uint64_t id = next_big_id_++;
    if (pattern_.checking()) {
      support::fill_pattern(p, 0, kBigSize, id);
    } else {
      std::memset(p, 'x', kBigSize);  // the crate's "x".repeat(100_000)
      support::escape(p);
    }
    kept_[(kept_first_ + kept_count_) % kBigKept] = Big{p, id};
    ++kept_count_;
    peak_bytes_ = std::max<std::uint64_t>(peak_bytes_, kept_count_ * kBigSize + kSmall.size());
    return operations;
  }

  template <Allocator A>
  void free_big(A& a, std::size_t index) {
    const Big big = kept_[index];
    if (pattern_.checking() && !support::pattern_intact(big.data, 0, kBigSize, big.id))
      ++corruptions_;
    a.deallocate(big.data, kBigSize, kAlign);
  }

  support::Pattern pattern_;
  std::size_t kept_limit_;
  std::array<Big, kBigKept> kept_{};  // a ring: the oldest at kept_first_
  std::size_t kept_first_ = 0;
  std::size_t kept_count_ = 0;
  std::uint64_t next_big_id_ = 0;
  std::uint64_t checksum_ = 0;
  std::uint64_t peak_bytes_ = kSmall.size();
  std::uint64_t corruptions_ = 0;
  std::uint64_t failures_ = 0;
};

static_assert(Workload<Chained>);

}  // namespace workloads
