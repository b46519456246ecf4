// An allocator with a fixed budget, like a full arena: any request that would
// take the live total over `cap` bytes returns nullptr. Backed by a
// CheckingAllocator, so a workload that mishandles a failure (frees the null
// object, loses track of the survivors) is caught as well.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "checking_allocator.hpp"

namespace workloads::testing {

class CappedAllocator {
 public:
  explicit CappedAllocator(std::uint64_t cap) : cap_(cap) {}

  void* allocate(std::size_t size, std::size_t align) {
    std::lock_guard lock{mutex_};
    if (live_ + size > cap_) return refuse();
    void* p = inner_.allocate(size, align);
    if (p != nullptr) live_ += size;
    return p;
  }

  void deallocate(void* p, std::size_t size, std::size_t align) {
    std::lock_guard lock{mutex_};
    inner_.deallocate(p, size, align);
    live_ -= size;
  }

  void* reallocate(void* p, std::size_t old_size, std::size_t new_size, std::size_t align) {
    std::lock_guard lock{mutex_};
    if (new_size > old_size && live_ + (new_size - old_size) > cap_) return refuse();
    void* q = inner_.reallocate(p, old_size, new_size, align);
    if (q != nullptr) live_ = live_ - old_size + new_size;
    return q;
  }

  std::uint64_t refusals() const {
    std::lock_guard lock{mutex_};
    return refusals_;
  }
  const CheckingAllocator& checker() const { return inner_; }

 private:
  void* refuse() {
    ++refusals_;
    return nullptr;
  }

  mutable std::mutex mutex_;
  CheckingAllocator inner_;
  std::uint64_t cap_;
  std::uint64_t live_ = 0;
  std::uint64_t refusals_ = 0;
};

}  // namespace workloads::testing
