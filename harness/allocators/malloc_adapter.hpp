// The C allocator interface (malloc, posix_memalign, realloc, free) behind
// the byte API. One adapter serves `system`, `mimalloc`, `jemalloc` and
// `tcmalloc`: which library answers these calls is decided by the worker
// process's LD_PRELOAD (see harness/README.md, "the malloc trap"), so the
// calls here are plain static calls to malloc, exactly what a program makes.
//
// kMallocAlign is the alignment plain malloc guarantees for every size:
// glibc 16 on x86-64; mimalloc, jemalloc and tcmalloc only 8 for requests
// under 16 bytes (measured: malloc(7) is 8-aligned in all three), so stricter
// requests go to posix_memalign. Not aligned_alloc: Debian's mimalloc 2.0.9
// returns misaligned blocks from aligned_alloc(256, 256) (128-aligned) and
// aligned_alloc(1024, 1024) (the conformance test caught it), while its
// posix_memalign is right.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace harness {

template <std::size_t kMallocAlign>
class MallocAdapter {
 public:
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
  static void* aligned(std::size_t size, std::size_t align) noexcept {
    if (align < sizeof(void*)) align = sizeof(void*);  // posix_memalign's minimum
    void* p = nullptr;
    return ::posix_memalign(&p, align, size == 0 ? 1 : size) == 0 ? p : nullptr;
  }
};

// glibc's malloc: 16-byte alignment for every size (x86-64).
using GlibcMallocAdapter = MallocAdapter<16>;
// mimalloc, jemalloc, tcmalloc: 8 bytes for the smallest size classes.
using PreloadedMallocAdapter = MallocAdapter<8>;

}  // namespace harness
