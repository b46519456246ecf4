// stalloc::System: the C library's allocator (malloc, posix_memalign, realloc,
// free) behind the same byte API as Stalloc, so it can be the last link of an
// AllocChain ("when every arena is full, ask the system").
//
// It holds no state, so it is constexpr-constructible and free to copy.
// owns() answers true for every pointer: a chain routes a pointer to the first
// link that owns it, and whatever no arena owns must have come from here.
//
// Size-0 requests behave as in Stalloc: a non-null pointer aligned to `align`
// that must not be dereferenced and that deallocate(p, 0, align) ignores. This
// keeps a chain's routing uniform (no link ever frees another link's
// size-0 pointer).
//
// There is no clear() and no is_empty(): malloc cannot forget or count its
// allocations, so a chain that ends in System offers neither.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

// posix_memalign (POSIX.1-2001) is in <stdlib.h> of every POSIX C library.
#if defined(__unix__) || defined(__APPLE__)
#include <stdlib.h>
#endif

#include "stalloc/stalloc.hpp"

namespace stalloc {

class System {
 public:
  // Stateless: free to construct, copy and destroy.
  constexpr System() noexcept = default;

  // Alignments up to this come from plain malloc (glibc guarantees 16 on
  // x86-64, which is also what operator new assumes).
  static constexpr std::size_t malloc_alignment = __STDCPP_DEFAULT_NEW_ALIGNMENT__;

  // Returns `size` bytes aligned to `align`: malloc up to malloc_alignment,
  // posix_memalign above (std::aligned_alloc where there is no POSIX C
  // library). size 0 returns a non-null pointer that must not be
  // dereferenced. nullptr when `align` is not a power of two or malloc
  // fails. Cost: one malloc/posix_memalign.
  //
  // posix_memalign takes the caller's size as it is, so the C library sees
  // exactly the requests a program calling it directly would make.
  // aligned_alloc does not everywhere: C11 asks for a size that is a
  // multiple of the alignment (C17 dropped the rule, but AddressSanitizer
  // still aborts on it; fuzz_chain found that at once), and rounding up is
  // not free on glibc: requests of 64 KiB to 4 MiB rounded to 64 bytes (as
  // this did until 58e4ccb) sent the `large` workload's stream (seed 42)
  // into glibc's trim-and-regrow cycle, the heap's top given back with brk
  // and faulted in again (720 brk calls against 32), 32 us per call for
  // `stalloc-chain` against 0.73 us for `system` with the same requests
  // unrounded. Which streams cycle is glibc's chaos, not rounding's (with
  // seeds 1 and 3 `system` cycles too); unrounded, a chain cycles exactly
  // when malloc would. (Debian's mimalloc 2.0.9, when preloaded, also
  // misaligns aligned_alloc(256, 256); its posix_memalign is right.)
  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) const noexcept {
    // detail::is_power_of_two, spelled out: calling it changes how GCC 12
    // compiles the chains that inline this (ProgramHeap's fallback), which
    // would move measured figures for no gain.
    if (align == 0 || (align & (align - 1)) != 0) return nullptr;
    if (size == 0) return dangling(align);
    if (align <= malloc_alignment) return std::malloc(size);
#if defined(__unix__) || defined(__APPLE__)
    // align > malloc_alignment >= sizeof(void*): posix_memalign's rule holds.
    void* p = nullptr;
    return ::posix_memalign(&p, align, size) == 0 ? p : nullptr;
#else
    const std::size_t rounded = (size + align - 1) & ~(align - 1);
    if (rounded < size) return nullptr;  // overflow
    return std::aligned_alloc(align, rounded);
#endif
  }

  // free(p). p must come from this System with this size; size 0 is a
  // no-op (the pointer from allocate(0, ...)). Cost: one free.
  void deallocate(void* p, std::size_t size, std::size_t /*align*/) const noexcept {
    if (size != 0) std::free(p);
  }

  // free(p), for the global replacement's unsized delete (System never
  // needs the size). p must come from this System's allocate with a size
  // above 0. Cost: one free.
  void deallocate_unsized(void* p, std::size_t /*align*/) const noexcept {
    std::free(p);
  }

  // grow and shrink: reallocate, below (malloc decides whether to move).
  [[nodiscard]] void* grow(void* p, std::size_t old_size, std::size_t new_size,
                           std::size_t align) const noexcept {
    return reallocate(p, old_size, new_size, align);
  }
  [[nodiscard]] void* shrink(void* p, std::size_t old_size, std::size_t new_size,
                             std::size_t align) const noexcept {
    return reallocate(p, old_size, new_size, align);
  }

  // Resizes the allocation at p (old_size bytes, from this System with
  // `align`) to new_size bytes: realloc when the alignment allows it
  // (realloc only keeps malloc's own alignment), else allocate, copy, free.
  // old_size 0 allocates; new_size 0 frees and returns the size-0 pointer.
  // Returns the new address, or nullptr with p untouched (a failed shrink
  // returns p itself, still big enough). Cost: one realloc, or an allocate,
  // a copy of min(old_size, new_size) bytes and a free.
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) const noexcept {
    if (old_size == 0) return allocate(new_size, align);
    if (new_size == 0) {
      deallocate(p, old_size, align);
      return dangling(align);
    }
    if (align <= malloc_alignment) {
      void* q = std::realloc(p, new_size);
      // A failed shrink leaves p valid and big enough: keep using it.
      if (q == nullptr && new_size <= old_size) return p;
      return q;
    }
    void* q = allocate(new_size, align);
    if (q == nullptr) return nullptr;
    std::memcpy(q, p, old_size < new_size ? old_size : new_size);
    std::free(p);
    return q;
  }

  // true for every p: a chain routes to System whatever no arena before it
  // owns (so System must be the last link). O(1).
  [[nodiscard]] constexpr bool owns(const void* /*p*/) const noexcept {
    return true;
  }
  // false: malloc gives no cheap way to know it is exhausted. O(1).
  [[nodiscard]] constexpr bool is_oom() const noexcept {
    return false;
  }
  // Always ok: System keeps no state of its own. O(1).
  [[nodiscard]] constexpr InvariantReport check_invariants() const noexcept {
    return {};
  }

 private:
  static void* dangling(std::size_t align) noexcept {
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(align));
  }
};

}  // namespace stalloc
