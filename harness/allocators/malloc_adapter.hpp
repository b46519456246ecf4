// The C allocator interface (malloc, aligned_alloc, realloc, free) behind the
// byte API. One adapter serves `system`, `mimalloc`, `jemalloc` and
// `tcmalloc`: which library answers these calls is decided by the worker
// process's LD_PRELOAD (see harness/README.md, "the malloc trap"), so the
// calls here are plain static calls to malloc, exactly what a program makes.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace harness {

class MallocAdapter {
 public:
  // What malloc guarantees on x86-64 glibc (and what the other three match).
  static constexpr std::size_t kMallocAlign = alignof(std::max_align_t);

  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    if (align <= kMallocAlign) return std::malloc(size);
    return aligned(size, align);
  }
  void deallocate(void* p, std::size_t /*size*/, std::size_t /*align*/) noexcept { std::free(p); }

  // realloc keeps only malloc's alignment, so stricter alignments move by hand.
  // A new size of 0 keeps a valid (minimal) block rather than relying on
  // realloc(p, 0), whose meaning differs between libraries.
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    if (align <= kMallocAlign) return std::realloc(p, new_size == 0 ? 1 : new_size);
    void* q = aligned(new_size, align);
    if (q == nullptr) return nullptr;
    if (p != nullptr) {
      std::memcpy(q, p, old_size < new_size ? old_size : new_size);
      std::free(p);
    }
    return q;
  }

 private:
  // aligned_alloc wants a size that is a multiple of the alignment (C11; some
  // libraries enforce it). Overflow or a bad alignment gives nullptr.
  static void* aligned(std::size_t size, std::size_t align) noexcept {
    if (align == 0 || (align & (align - 1)) != 0) return nullptr;
    const std::size_t rounded = (size + align - 1) & ~(align - 1);
    if (rounded < size) return nullptr;
    return std::aligned_alloc(align, rounded == 0 ? align : rounded);
  }
};

}  // namespace harness
