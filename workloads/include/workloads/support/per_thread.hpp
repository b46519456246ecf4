// State that one thread of a multithreaded workload owns, padded to its own
// cache lines so that the workload's bookkeeping never causes false sharing
// (which would blur cache-scratch, the workload that measures exactly that).
#pragma once

#include <cstddef>
#include <new>

namespace workloads::support {

// 128, not 64: adjacent-line prefetch on x86 pulls pairs of 64-byte lines.
inline constexpr std::size_t kFalseSharingRange = 128;

template <class T>
struct alignas(kFalseSharingRange) PerThread {
  T value{};
};

}  // namespace workloads::support
