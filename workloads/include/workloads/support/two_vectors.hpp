// The inner loop shared by fast-vectors and local-alloc, the crate's two
// vector examples: two vectors of 4-byte ints, ten pushes each (interleaved,
// a then b), grown by realloc the way the crate's Vec grows (capacity 4, then
// 8, then 16 elements: 16, 32, 64 bytes), then the whole heap is thrown away:
// one release_all() when the allocator has it (the crate's clear(), or
// dropping a local arena), else one free per vector. run() returns the same
// count either way: a release_all() counts as the frees it replaces.
//
// The shape is fixed, as in the crate: the seed changes nothing, so
// request_checksum() is the same for every seed (uses_seed is false).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "workloads/allocator.hpp"
#include "workloads/support/pattern.hpp"
#include "workloads/support/request_hash.hpp"
#include "workloads/workload.hpp"

namespace workloads::support {

class TwoVectors {
 public:
  static constexpr std::size_t kIterationsPerRound = 512;
  static constexpr std::size_t kPushes = 10;
  static constexpr std::size_t kElementSize = sizeof(std::int32_t);
  static constexpr std::size_t kAlign = alignof(std::int32_t);
  static constexpr std::size_t kMinCapacity = 4;  // the crate's Vec: 4 for 4-byte elements

  explicit TwoVectors(const Options& options) : check_(options.check) {
    RequestHash hash;
    std::size_t capacity = 0;
    for (std::size_t len = 0; len < kPushes; ++len) {
      if (len == capacity) {
        const std::size_t grown = capacity == 0 ? kMinCapacity : 2 * capacity;
        hash.add(capacity * kElementSize, grown * kElementSize);
        capacity = grown;
      }
    }
    hash.add(kIterationsPerRound, kPushes);
    checksum_ = hash.value();
    peak_bytes_ = 2 * capacity * kElementSize;
  }

  template <Allocator A>
  std::uint64_t run(A& a) {
    std::uint64_t operations = 0;
    for (std::size_t iteration = 0; iteration < kIterationsPerRound; ++iteration) {
      std::array<Vector, 2> v{};
      for (std::size_t i = 0; i < kPushes; ++i) {
        for (std::size_t which = 0; which < 2; ++which) {
          operations += push(a, v[which], 2 * iteration + which);
        }
      }
      for (std::size_t which = 0; which < 2; ++which) {
        if (check_ && v[which].data != nullptr) verify(v[which], 2 * iteration + which);
      }
      if constexpr (ReleasesAll<A>) {
        // Counted as the frees it replaces, so that time per operation
        // compares the same work with and without release_all().
        a.release_all();
        for (const Vector& vec : v) operations += vec.data != nullptr ? 1 : 0;
      } else {
        for (Vector& vec : v) {
          if (vec.data == nullptr) continue;
          a.deallocate(vec.data, vec.capacity * kElementSize, kAlign);
          ++operations;
        }
      }
    }
    return operations;
  }

  std::uint64_t corruptions() const { return corruptions_; }
  std::uint64_t request_checksum() const { return checksum_; }
  std::uint64_t failed_requests() const { return failures_; }
  std::uint64_t peak_requested_bytes() const { return peak_bytes_; }

 private:
  struct Vector {
    void* data;
    std::size_t length;
    std::size_t capacity;
    bool stuck;  // an allocation failed: like a program that caught bad_alloc, stop pushing
  };

  std::int32_t value(std::uint64_t id, std::size_t index) const {
    return check_ ? static_cast<std::int32_t>(pattern_word(id, index))
                  : static_cast<std::int32_t>(index);
  }

  void verify(const Vector& v, std::uint64_t id) {
    for (std::size_t i = 0; i < v.length; ++i) {
      std::int32_t stored;
      std::memcpy(&stored, static_cast<const unsigned char*>(v.data) + i * kElementSize,
                  sizeof stored);
      if (stored != value(id, i)) {
        ++corruptions_;
        return;
      }
    }
  }

  // Returns the number of allocator calls made (0 or 1).
  template <Allocator A>
  std::uint64_t push(A& a, Vector& v, std::uint64_t id) {
    if (v.stuck) return 0;
    std::uint64_t calls = 0;
    if (v.length == v.capacity) {
      const std::size_t grown = v.capacity == 0 ? kMinCapacity : 2 * v.capacity;
      void* p = v.data == nullptr
                    ? a.allocate(grown * kElementSize, kAlign)
                    : a.reallocate(v.data, v.capacity * kElementSize, grown * kElementSize, kAlign);
      calls = 1;
      if (p == nullptr) {
        ++failures_;
        v.stuck = true;  // the old buffer (if any) stays valid and is freed later
        return calls;
      }
      v.data = p;
      v.capacity = grown;
      if (check_) verify(v, id);  // the realloc kept the contents
    }
    const std::int32_t x = value(id, v.length);
    auto* slot = static_cast<unsigned char*>(v.data) + v.length * kElementSize;
    if (check_) {
      std::memcpy(slot, &x, sizeof x);
    } else {
      // volatile: the ints are never read back, and an inlined allocator would
      // otherwise let the compiler drop the stores as dead.
      *reinterpret_cast<volatile std::int32_t*>(slot) = x;
    }
    ++v.length;
    return calls;
  }

  bool check_;
  std::uint64_t checksum_ = 0;
  std::uint64_t peak_bytes_ = 0;
  std::uint64_t corruptions_ = 0;
  std::uint64_t failures_ = 0;
};

}  // namespace workloads::support
