// Records which thread allocated each live block and counts the frees made by
// another thread (remote frees), to check that the multithreaded workloads
// really hand objects between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

#include "checking_allocator.hpp"

namespace workloads::testing {

class ThreadAttributingAllocator {
 public:
  void* allocate(std::size_t size, std::size_t align) {
    void* p = inner_.allocate(size, align);
    std::lock_guard lock{mutex_};
    if (p != nullptr) owner_[p] = std::this_thread::get_id();
    return p;
  }

  void deallocate(void* p, std::size_t size, std::size_t align) {
    {
      std::lock_guard lock{mutex_};
      const auto it = owner_.find(p);
      if (it != owner_.end()) {
        if (it->second != std::this_thread::get_id()) ++remote_frees_;
        ++frees_;
        owner_.erase(it);
      }
    }
    inner_.deallocate(p, size, align);
  }

  void* reallocate(void* p, std::size_t old_size, std::size_t new_size, std::size_t align) {
    void* q = inner_.reallocate(p, old_size, new_size, align);
    std::lock_guard lock{mutex_};
    if (q != nullptr) {
      owner_.erase(p);
      owner_[q] = std::this_thread::get_id();
    }
    return q;
  }

  std::uint64_t remote_frees() const {
    std::lock_guard lock{mutex_};
    return remote_frees_;
  }
  std::uint64_t frees() const {
    std::lock_guard lock{mutex_};
    return frees_;
  }
  const CheckingAllocator& checker() const { return inner_; }

 private:
  CheckingAllocator inner_;
  mutable std::mutex mutex_;
  std::map<void*, std::thread::id> owner_;
  std::uint64_t remote_frees_ = 0;
  std::uint64_t frees_ = 0;
};

}  // namespace workloads::testing
