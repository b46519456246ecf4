// Allocators for the trace tests, written against workloads::Allocator.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <utility>

namespace trace_tests {

// malloc-backed, and strict: every free and realloc must name a live block
// with the size and alignment it was allocated with; errors() counts
// violations, live_blocks() what is still allocated.
class CheckingMalloc {
 public:
  void* allocate(std::size_t size, std::size_t align) {
    if (size == 0 || align == 0 || (align & (align - 1)) != 0) ++errors_;
    std::size_t a = std::max<std::size_t>(align, sizeof(void*));
    void* p = std::aligned_alloc(a, (size + a - 1) / a * a);
    if (!p) return nullptr;
    if (reinterpret_cast<std::uintptr_t>(p) % align != 0) ++errors_;
    live_[p] = {size, align};
    live_bytes_ += size;
    peak_bytes_ = std::max(peak_bytes_, live_bytes_);
    ++allocations_;
    return p;
  }
  void deallocate(void* p, std::size_t size, std::size_t align) {
    auto it = live_.find(p);
    if (it == live_.end() || it->second != std::pair{size, align}) {
      ++errors_;
      return;
    }
    live_bytes_ -= size;
    live_.erase(it);
    std::free(p);
  }
  void* reallocate(void* p, std::size_t old_size, std::size_t new_size, std::size_t align) {
    auto it = live_.find(p);
    if (it == live_.end() || it->second != std::pair{old_size, align}) {
      ++errors_;
      return nullptr;
    }
    void* q = allocate(new_size, align);
    if (!q) return nullptr;
    if (copy_on_realloc_) std::memcpy(q, p, std::min(old_size, new_size));
    deallocate(p, old_size, align);
    return q;
  }

  std::uint64_t errors() const { return errors_; }
  std::size_t live_blocks() const { return live_.size(); }
  std::size_t live_bytes() const { return live_bytes_; }
  std::size_t peak_bytes() const { return peak_bytes_; }
  std::uint64_t allocations() const { return allocations_; }
  // A deliberately broken realloc (contents lost), to prove check mode sees it.
  void break_realloc() { copy_on_realloc_ = false; }

 private:
  std::unordered_map<void*, std::pair<std::size_t, std::size_t>> live_;
  std::size_t live_bytes_ = 0, peak_bytes_ = 0;
  std::uint64_t errors_ = 0, allocations_ = 0;
  bool copy_on_realloc_ = true;
};

// A fixed arena in miniature: refuses any request that would take the live
// bytes over `capacity`, like a full Stalloc.
class CappedAllocator {
 public:
  explicit CappedAllocator(std::size_t capacity) : capacity_(capacity) {}
  void* allocate(std::size_t size, std::size_t align) {
    if (inner_.live_bytes() + size > capacity_) return nullptr;
    return inner_.allocate(size, align);
  }
  void deallocate(void* p, std::size_t size, std::size_t align) {
    inner_.deallocate(p, size, align);
  }
  void* reallocate(void* p, std::size_t old_size, std::size_t new_size, std::size_t align) {
    if (inner_.live_bytes() + new_size > capacity_) return nullptr;  // p stays valid
    return inner_.reallocate(p, old_size, new_size, align);
  }
  const CheckingMalloc& inner() const { return inner_; }

 private:
  std::size_t capacity_;
  CheckingMalloc inner_;
};

}  // namespace trace_tests
