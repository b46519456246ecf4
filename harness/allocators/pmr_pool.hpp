// `pmr-pool`: std::pmr::unsynchronized_pool_resource (size-class pools, no
// lock) over new/delete.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory_resource>
#include <new>
#include <stdexcept>
#include <string_view>

#include "allocators/counting_upstream.hpp"
#include "allocators/descriptor.hpp"

namespace harness {

class PmrPoolAdapter {
 public:
  // The pool rejects size 0 requests in some implementations; 1 byte is the
  // smallest real request.
  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    try {
      return pool_.allocate(size == 0 ? 1 : size, align);
    } catch (const std::bad_alloc&) {
      return nullptr;
    } catch (const std::length_error&) {
      return nullptr;
    }
  }
  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    if (p != nullptr) pool_.deallocate(p, size == 0 ? 1 : size, align);
  }
  // No realloc in pmr: allocate, copy, free, as a std::vector would.
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    void* q = allocate(new_size, align);
    if (q == nullptr || p == nullptr) return q;
    std::memcpy(q, p, old_size < new_size ? old_size : new_size);
    deallocate(p, old_size, align);
    return q;
  }
  void release_all() noexcept { pool_.release(); }

  [[nodiscard]] std::size_t upstream_peak_bytes() const noexcept { return upstream_.peak_bytes(); }

 private:
  CountingUpstream upstream_;
  std::pmr::unsynchronized_pool_resource pool_{&upstream_};
};

struct PmrPoolAllocator {
  static constexpr std::string_view name = "pmr-pool";
  static constexpr std::string_view description =
      "std::pmr::unsynchronized_pool_resource over new/delete (no lock)";
  static constexpr Family family = Family::pmr;
  static constexpr Role role = Role::competitor;
  static constexpr bool thread_safe = false;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  static constexpr MemoryModel memory_model = MemoryModel::upstream_counted;
  template <workloads::ArenaHint>
  using adapter = PmrPoolAdapter;
};

}  // namespace harness
