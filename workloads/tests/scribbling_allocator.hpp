// A broken allocator for testing the testers: every 16th request, it flips a
// byte in the middle of a block it handed out earlier and has not taken back.
// A workload in check mode must report corruption.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "checking_allocator.hpp"

namespace workloads::testing {

class ScribblingAllocator {
 public:
  void* allocate(std::size_t size, std::size_t align) {
    std::lock_guard lock{mutex_};
    maybe_scribble();
    void* p = inner_.allocate(size, align);
    if (p != nullptr) live_[p] = size;
    return p;
  }

  void deallocate(void* p, std::size_t size, std::size_t align) {
    std::lock_guard lock{mutex_};
    live_.erase(p);
    inner_.deallocate(p, size, align);
  }

  void* reallocate(void* p, std::size_t old_size, std::size_t new_size, std::size_t align) {
    std::lock_guard lock{mutex_};
    maybe_scribble();
    void* q = inner_.reallocate(p, old_size, new_size, align);
    if (q != nullptr) {
      live_.erase(p);
      live_[q] = new_size;
    }
    return q;
  }

  std::uint64_t scribbles() const {
    std::lock_guard lock{mutex_};
    return scribbles_;
  }

 private:
  void maybe_scribble() {
    if (++requests_ % 16 != 0 || live_.empty()) return;
    auto& [p, size] = *live_.begin();
    static_cast<unsigned char*>(p)[size / 2] ^= 0x5A;
    ++scribbles_;
  }

  mutable std::mutex mutex_;
  CheckingAllocator inner_;
  std::unordered_map<void*, std::size_t> live_;
  std::uint64_t requests_ = 0;
  std::uint64_t scribbles_ = 0;
};

}  // namespace workloads::testing
