// A malloc-backed allocator that checks how a workload uses it.
//
// Every live block is recorded with its size and alignment. It detects frees
// of pointers it never handed out (or already took back), frees and reallocs
// with the wrong size or alignment, writes past the end of a block (a guard
// zone after each block is verified on free) and, after drain(), leaks.
// Thread-safe behind one mutex, so it also serves the multithreaded workloads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <vector>

namespace workloads::testing {

class CheckingAllocator {
 public:
  static constexpr std::size_t kGuardBytes = 16;
  static constexpr unsigned char kGuardByte = 0xA5;

  CheckingAllocator() = default;
  CheckingAllocator(const CheckingAllocator&) = delete;
  CheckingAllocator& operator=(const CheckingAllocator&) = delete;
  ~CheckingAllocator() {
    for (auto& [p, block] : live_) ::operator delete (p, std::align_val_t{block.align});
  }

  void* allocate(std::size_t size, std::size_t align) {
    std::lock_guard lock{mutex_};
    return allocate_locked(size, align);
  }

  void deallocate(void* p, std::size_t size, std::size_t align) {
    std::lock_guard lock{mutex_};
    if (!check_live(p, size, align, "deallocate")) return;
    release_locked(p);
  }

  void* reallocate(void* p, std::size_t old_size, std::size_t new_size, std::size_t align) {
    std::lock_guard lock{mutex_};
    if (!check_live(p, old_size, align, "reallocate")) return nullptr;
    ++reallocations_;
    void* q = allocate_locked(new_size, align);
    if (q == nullptr) return nullptr;
    std::memcpy(q, p, std::min(old_size, new_size));
    release_locked(p);
    return q;
  }

  std::size_t live_blocks() const {
    std::lock_guard lock{mutex_};
    return live_.size();
  }
  std::uint64_t live_bytes() const {
    std::lock_guard lock{mutex_};
    return live_bytes_;
  }
  std::uint64_t allocations() const {
    std::lock_guard lock{mutex_};
    return allocations_;
  }
  std::uint64_t reallocations() const {
    std::lock_guard lock{mutex_};
    return reallocations_;
  }
  // Every misuse seen so far, one line each (empty when the workload was clean).
  std::vector<std::string> errors() const {
    std::lock_guard lock{mutex_};
    return errors_;
  }

 protected:
  // For arenas: forget every live block at once (their memory is freed here).
  void release_all_blocks() {
    std::lock_guard lock{mutex_};
    for (auto& [p, block] : live_) ::operator delete (p, std::align_val_t{block.align});
    live_.clear();
    live_bytes_ = 0;
  }

 private:
  struct Block {
    std::size_t size;
    std::size_t align;
  };

  void* allocate_locked(std::size_t size, std::size_t align) {
    if (align == 0 || (align & (align - 1)) != 0) {
      errors_.push_back("allocate: alignment " + std::to_string(align) + " is not a power of two");
      return nullptr;
    }
    ++allocations_;
    align = std::max(align, alignof(std::max_align_t));
    void* p = ::operator new (size + kGuardBytes, std::align_val_t{align});
    std::memset(static_cast<unsigned char*>(p) + size, kGuardByte, kGuardBytes);
    live_.emplace(p, Block{size, align});
    live_bytes_ += size;
    return p;
  }

  bool check_live(void* p, std::size_t size, std::size_t align, const char* what) {
    const auto it = live_.find(p);
    if (it == live_.end()) {
      errors_.push_back(std::string{what} + ": pointer not allocated here (or already freed)");
      return false;
    }
    if (it->second.size != size) {
      errors_.push_back(std::string{what} + ": size " + std::to_string(size) +
                        " but the block was allocated with " + std::to_string(it->second.size));
    }
    if (std::max(align, alignof(std::max_align_t)) != it->second.align) {
      errors_.push_back(std::string{what} + ": alignment " + std::to_string(align) +
                        " differs from the allocation's");
    }
    const auto* guard = static_cast<const unsigned char*>(p) + it->second.size;
    for (std::size_t i = 0; i < kGuardBytes; ++i) {
      if (guard[i] != kGuardByte) {
        errors_.push_back(std::string{what} + ": the workload wrote past the end of a block of " +
                          std::to_string(it->second.size) + " bytes");
        break;
      }
    }
    return true;
  }

  void release_locked(void* p) {
    const auto it = live_.find(p);
    live_bytes_ -= it->second.size;
    ::operator delete (p, std::align_val_t{it->second.align});
    live_.erase(it);
  }

  mutable std::mutex mutex_;
  std::map<void*, Block> live_;
  std::uint64_t live_bytes_ = 0;
  std::uint64_t allocations_ = 0;
  std::uint64_t reallocations_ = 0;
  std::vector<std::string> errors_;
};

}  // namespace workloads::testing
