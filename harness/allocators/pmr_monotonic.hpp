// `pmr-monotonic`: std::pmr::monotonic_buffer_resource, a bump pointer that
// never frees: the lower bound for the cost of an allocation, not a usable
// general allocator.
//
// Bounding its memory: a benchmark calls the workload's run() thousands of
// times, and a resource that never frees would grow without end. So the
// adapter counts live allocations and calls release() whenever the count
// returns to zero (the workload's live set emptied: nothing can point into
// the buffers any more). release() rewinds to the adapter's own initial
// buffer without calling upstream, so this keeps the bump pointer's cost
// honest. A workload whose live set never empties still grows; past
// kUpstreamCap bytes taken from upstream, requests fail (returned nullptr,
// counted as failed requests) instead of exhausting the machine.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <memory_resource>
#include <new>
#include <stdexcept>
#include <string_view>

#include "allocators/counting_upstream.hpp"
#include "allocators/descriptor.hpp"

namespace harness {

class PmrMonotonicAdapter {
 public:
  static constexpr std::size_t kInitialBuffer = std::size_t{1} << 20;
  static constexpr std::size_t kUpstreamCap = std::size_t{1} << 30;

  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    try {
      void* p = bump_.allocate(size == 0 ? 1 : size, align);
      ++live_;
      return p;
    } catch (const std::bad_alloc&) {
      return nullptr;
    } catch (const std::length_error&) {
      return nullptr;
    }
  }
  void deallocate(void* p, std::size_t /*size*/, std::size_t /*align*/) noexcept {
    if (p != nullptr && --live_ == 0) bump_.release();
  }
  // Bump pointers cannot grow in place through the pmr interface: allocate and copy.
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    void* q = allocate(new_size, align);
    if (q == nullptr || p == nullptr) return q;
    std::memcpy(q, p, old_size < new_size ? old_size : new_size);
    --live_;  // the old block is dead; its memory is reclaimed at the next release()
    return q;
  }
  void release_all() noexcept {
    live_ = 0;
    bump_.release();
  }

  // The initial buffer counts as held: it is the bump pointer's memory too.
  [[nodiscard]] std::size_t upstream_peak_bytes() const noexcept {
    return kInitialBuffer + upstream_.peak_bytes();
  }

 private:
  std::unique_ptr<std::byte[]> initial_{new std::byte[kInitialBuffer]};
  CountingUpstream upstream_{kUpstreamCap};
  std::pmr::monotonic_buffer_resource bump_{initial_.get(), kInitialBuffer, &upstream_};
  std::size_t live_ = 0;
};

struct PmrMonotonicAllocator {
  static constexpr std::string_view name = "pmr-monotonic";
  static constexpr std::string_view description =
      "std::pmr::monotonic_buffer_resource bump pointer (lower bound; released when live count "
      "hits 0)";
  static constexpr Family family = Family::pmr;
  static constexpr Role role = Role::bound;
  static constexpr bool thread_safe = false;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  static constexpr MemoryModel memory_model = MemoryModel::upstream_counted;
  template <workloads::ArenaHint>
  using adapter = PmrMonotonicAdapter;
};

}  // namespace harness
