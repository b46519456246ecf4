// Making an arena the whole program's allocator: every form of operator new
// and operator delete (plain, array, nothrow, sized, std::align_val_t).
//
// In exactly one .cpp file of the program:
//
//   #include <stalloc/global.hpp>
//   STALLOC_GLOBAL_ALLOCATOR(heap, stalloc::SyncStalloc<1000, 4>);
//   STALLOC_GLOBAL_ALLOCATOR(heap, stalloc::AllocChain<stalloc::SyncStalloc<1024, 8>,
//                                                      stalloc::System>);  // overflow to malloc
//
// and, in other files that want to call heap.clear() or heap.is_empty():
//
//   STALLOC_DECLARE_GLOBAL_ALLOCATOR(heap, stalloc::SyncStalloc<1000, 4>);
//
// The arena type may be a Stalloc or UnsafeStalloc (single-threaded programs
// only), a SyncStalloc, System, or an AllocChain of those.
//
// Finding the size of an unsized delete
//   The runtime calls operator delete(void*) without a size in several cases
//   (virtual destructors of incomplete types, the C++ runtime's own frees,
//   code built with -fno-sized-deallocation), but a Stalloc must be told how
//   many blocks it frees. So each Stalloc link of a global arena becomes a
//   SizedStalloc<L, B>: the Stalloc plus one bit per block, set on the LAST
//   block of each live allocation. An unsized delete of p scans forward from
//   p's block to the first set bit; the allocation is the blocks in between.
//   Allocations are contiguous and disjoint, so that bit is always p's own.
//   Cost: allocate sets one bit, a sized delete clears one, an unsized delete
//   scans (L/64 words at worst, one word for anything under 64 blocks).
//
//   Memory overhead, exactly: 8 * ceil(L / 64) bytes per Stalloc link
//   (e.g. 128 bytes for L = 1000, i.e. 3.2% of a Stalloc<1000, 4>;
//   8 KiB for L = 65535), and nothing per allocation.
//   sizeof(SizedStalloc<L, B>) == sizeof(Stalloc<L, B>) + 8 * ceil(L / 64),
//   plus 4 bytes of padding for a 4-aligned arena (FirstFit with B == 4: the
//   bitmap's 64-bit words start on an 8-byte boundary), e.g. 4216 + 128 =
//   4344 bytes for Stalloc<1000, 4> (QuickFit), 4004 + 4 + 128 for FirstFit.
//
// Alignment of plain operator new(n): the largest power of two <= n, capped
// at __STDCPP_DEFAULT_NEW_ALIGNMENT__ (16). No object of size <= n can need
// more, and small blocks then waste no padding (new(4) in 4-byte blocks is one
// block). Aligned new passes its alignment to the arena unchanged.
//
// Lifetime: the arena is a constinit global (constant-initialised, before any
// dynamic initialisation) that is never destroyed, so objects allocated
// before main, or freed after it by other statics' destructors, just work.
//
// Full arena: operator new calls the new_handler if one is installed, else
// throws std::bad_alloc; the nothrow forms return nullptr.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <type_traits>

#include "stalloc/allocator.hpp"
#include "stalloc/chain.hpp"
#include "stalloc/size_limited.hpp"
#include "stalloc/stalloc.hpp"
#include "stalloc/sync.hpp"
#include "stalloc/system.hpp"

namespace stalloc {

// A Stalloc that can find the size of its own allocations (see above).
// Same byte API, plus allocation_size(p) and deallocate_unsized(p, align).
template <std::size_t L, std::size_t B, class Policy = QuickFit>
class SizedStalloc {
 public:
  static constexpr std::size_t block_count = L;
  static constexpr std::size_t block_size = B;
  static constexpr std::size_t capacity = L * B;
  static constexpr std::size_t bitmap_bytes = 8 * ((L + 63) / 64);

  constexpr SizedStalloc() noexcept = default;
  SizedStalloc(const SizedStalloc&) = delete;
  SizedStalloc& operator=(const SizedStalloc&) = delete;

  // Same contract as Stalloc::allocate, through the byte API (its quick-list
  // fast path, and under ASan its poisoning of the rounding slack, so a
  // 1-byte overflow past operator new(5) is caught).
  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    void* p = arena_.allocate(size, align);
    if (p != nullptr && size != 0)
      mark_last(arena_.block_index(p) + detail::blocks_for<B>(size) - 1);
    return p;
  }

  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    if (size == 0) return;
    const std::size_t last = arena_.block_index(p) + detail::blocks_for<B>(size) - 1;
    if constexpr (Policy::checks) {
      // The end mark is exactly where the caller's size says: catches a
      // wrong size and most double frees before the arena is touched.
      if (!is_start_of_block(p)) return;
      if (last >= L || !is_marked(last)) {
        return report(Misuse::bad_size, "sized delete: no allocation ends where this size says", p);
      }
    }
    unmark_last(last);
    arena_.deallocate(p, size, align);
  }

  void deallocate_unsized(void* p, std::size_t /*align*/) noexcept {
    if constexpr (Policy::checks) {
      if (!is_start_of_block(p)) return;
    }
    const std::size_t first = arena_.block_index(p);
    const std::size_t last = find_last(first);
    if constexpr (Policy::checks) {
      // A freed pointer would find the end mark of a later allocation.
      if (last == kNone || overlaps_free_chunk(first, last)) {
        return report(Misuse::double_free, "unsized delete of a pointer that is not live", p);
      }
    }
    unmark_last(last);
    arena_.deallocate_blocks(p, last - first + 1);
  }

  // The allocation's size in bytes, rounded up to whole blocks.
  // 0 for a pointer that is not live (checked policies only; unchecked ones
  // must only be asked about live allocations).
  [[nodiscard]] std::size_t allocation_size(const void* p) const noexcept {
    const std::size_t first = arena_.block_index(p);
    const std::size_t last = find_last(first);
    if (last == kNone) return 0;
    return (last - first + 1) * B;
  }

  [[nodiscard]] void* grow(void* p, std::size_t old_size, std::size_t new_size,
                           std::size_t align) noexcept {
    return remark(p, old_size, arena_.grow(p, old_size, new_size, align), new_size);
  }
  [[nodiscard]] void* shrink(void* p, std::size_t old_size, std::size_t new_size,
                             std::size_t align) noexcept {
    return remark(p, old_size, arena_.shrink(p, old_size, new_size, align), new_size);
  }
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    return new_size >= old_size ? grow(p, old_size, new_size, align)
                                : shrink(p, old_size, new_size, align);
  }

  [[nodiscard]] bool owns(const void* p) const noexcept { return arena_.owns(p); }
  void clear() noexcept {
    arena_.clear();
    for (auto& word : last_block_) word = 0;
  }
  [[nodiscard]] bool is_oom() const noexcept { return arena_.is_oom(); }
  [[nodiscard]] bool is_empty() const noexcept { return arena_.is_empty(); }
  [[nodiscard]] FreeListStats stats() const noexcept { return arena_.stats(); }

  // The Stalloc's invariants, plus: no free block carries an end bit (which
  // a sized delete with a wrong size would leave behind).
  [[nodiscard]] InvariantReport check_invariants() const noexcept {
    InvariantReport r = arena_.check_invariants();
    if (!r) return r;
    arena_.for_each_free_chunk([&](std::size_t start, std::size_t len) {
      for (std::size_t i = start; r && i < start + len; ++i) {
        if (is_marked(i)) r = {false, "a free block is marked as the end of an allocation", start};
      }
    });
    return r;
  }

  [[nodiscard]] Stalloc<L, B, Policy>& arena() noexcept { return arena_; }
  [[nodiscard]] const Stalloc<L, B, Policy>& arena() const noexcept { return arena_; }

 private:
  static constexpr std::size_t kWords = (L + 63) / 64;

  bool is_marked(std::size_t i) const noexcept { return (last_block_[i / 64] >> (i % 64)) & 1U; }
  void mark_last(std::size_t i) noexcept { last_block_[i / 64] |= std::uint64_t{1} << (i % 64); }
  void unmark_last(std::size_t i) noexcept {
    last_block_[i / 64] &= ~(std::uint64_t{1} << (i % 64));
  }

  static constexpr std::size_t kNone = ~std::size_t{0};

  // The first marked block at or after `first`. A pointer this arena never
  // handed out (or already freed) may find none: that is heap corruption in
  // the caller. Checked policies report it (kNone); unchecked ones stop the
  // program rather than free a wrong range.
  std::size_t find_last(std::size_t first) const noexcept {
    std::size_t w = first / 64;
    std::uint64_t bits = last_block_[w] >> (first % 64);
    if (bits != 0) return first + static_cast<std::size_t>(std::countr_zero(bits));
    for (++w; w < kWords; ++w) {
      if (last_block_[w] != 0) {
        return w * 64 + static_cast<std::size_t>(std::countr_zero(last_block_[w]));
      }
    }
    if constexpr (Policy::checks) return kNone;
    std::fputs("stalloc: unsized delete of a pointer that is not a live allocation\n", stderr);
    std::abort();
  }

  // Checked policies only: p is a block start inside this arena.
  bool is_start_of_block(const void* p) const noexcept {
    if (!arena_.owns(p)) {
      report(Misuse::foreign_pointer, "delete of a pointer outside the arena", p);
      return false;
    }
    const auto offset =
        static_cast<std::size_t>(static_cast<const unsigned char*>(p) -
                                 static_cast<const unsigned char*>(arena_.block_address(0)));
    if (offset % B != 0) {
      report(Misuse::misaligned_pointer, "delete of a pointer that is not at a block start", p);
      return false;
    }
    return true;
  }

  // Free blocks are those of the free list and those waiting on quick lists.
  bool overlaps_free_chunk(std::size_t first, std::size_t last) const noexcept {
    bool overlap = false;
    const auto check = [&](std::size_t start, std::size_t len) {
      if (start <= last && first < start + len) overlap = true;
    };
    arena_.for_each_free_chunk(check);
    arena_.for_each_quick_entry(check);
    return overlap;
  }

  void report(Misuse kind, const char* what, const void* p) const noexcept {
    Policy::report(MisuseReport{kind, what, &arena_, p});
  }

  // After grow/shrink: move the end bit from the old allocation to the new.
  void* remark(void* old_p, std::size_t old_size, void* new_p, std::size_t new_size) noexcept {
    if (new_p == nullptr) return nullptr;  // failed: the old allocation is untouched
    if (old_size != 0) unmark_last(arena_.block_index(old_p) + detail::blocks_for<B>(old_size) - 1);
    if (new_size != 0) mark_last(arena_.block_index(new_p) + detail::blocks_for<B>(new_size) - 1);
    return new_p;
  }

  Stalloc<L, B, Policy> arena_;
  std::uint64_t last_block_[kWords] = {};  // bit i: block i ends a live allocation
};

// global_arena_t<T>: the arena type a global allocator declared as T really
// uses: T with every Stalloc link replaced by a SizedStalloc.
template <class T>
struct global_arena {
  static_assert(sizeof(T) == 0,
                "STALLOC_GLOBAL_ALLOCATOR: the arena must be a Stalloc, UnsafeStalloc, "
                "SyncStalloc, System, a SizeLimited of those, or an AllocChain of those (links "
                "held by value)");
};
template <class T>
using global_arena_t = typename global_arena<T>::type;

template <std::size_t L, std::size_t B, class Policy>
struct global_arena<Stalloc<L, B, Policy>> {
  using type = SizedStalloc<L, B, Policy>;
};
template <std::size_t L, std::size_t B, class Policy>
struct global_arena<SizedStalloc<L, B, Policy>> {
  using type = SizedStalloc<L, B, Policy>;
};
template <>
struct global_arena<System> {
  using type = System;
};
template <class A, class Lock>
struct global_arena<Synchronized<A, Lock>> {
  using type = Synchronized<global_arena_t<A>, Lock>;
};
template <class A>
struct global_arena<Unsynchronized<A>> {
  using type = Unsynchronized<global_arena_t<A>>;
};
template <std::size_t MaxBytes, class A, std::size_t MinBytes>
struct global_arena<SizeLimited<MaxBytes, A, MinBytes>> {
  using type = SizeLimited<MaxBytes, global_arena_t<A>, MinBytes>;
};
template <class A, class B>
struct global_arena<AllocChain<A, B>> {
  using type = AllocChain<global_arena_t<A>, global_arena_t<B>>;
};

namespace detail {

// Holds the global arena and never destroys it: a static destructor that ran
// before another static's destructor freed into the arena would be a
// use-after-destruction. (Stalloc is trivially destructible except in ASan
// builds, where its destructor unpoisons the blocks.)
template <class T>
union Immortal {
  constexpr Immortal() noexcept : value() {}
  ~Immortal() {}
  T value;
};

inline constexpr std::size_t kDefaultNewAlign = __STDCPP_DEFAULT_NEW_ALIGNMENT__;

// See "Alignment of plain operator new(n)" above.
constexpr std::size_t natural_alignment(std::size_t n) noexcept {
  const std::size_t floor = n == 0 ? 1 : std::bit_floor(n);  // new(0) allocates 1 byte
  return floor < kDefaultNewAlign ? floor : kDefaultNewAlign;
}

// The out-of-line part of operator new: the arena said no.
template <class Arena>
[[gnu::noinline]] void* global_new_retry(Arena& arena, std::size_t n, std::size_t align) {
  for (;;) {
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw_bad_alloc();
    handler();
    if (void* p = arena.allocate(n, align)) return p;
  }
}

template <class Arena>
inline void* global_new(Arena& arena, std::size_t n, std::size_t align) {
  if (n == 0) n = 1;  // every new-expression gets a distinct pointer
  if (void* p = arena.allocate(n, align)) [[likely]]
    return p;
  return global_new_retry(arena, n, align);
}

template <class Arena>
inline void* global_new_nothrow(Arena& arena, std::size_t n, std::size_t align) noexcept {
  if (n == 0) n = 1;
  if (void* p = arena.allocate(n, align)) [[likely]]
    return p;
#if defined(__cpp_exceptions)
  try {
    return global_new_retry(arena, n, align);
  } catch (...) {
    return nullptr;
  }
#else
  return nullptr;
#endif
}

template <class Arena>
inline void global_delete_sized(Arena& arena, void* p, std::size_t n, std::size_t align) noexcept {
  if (p == nullptr) return;
  arena.deallocate(p, n == 0 ? 1 : n, align);
}

template <class Arena>
inline void global_delete_unsized(Arena& arena, void* p, std::size_t align) noexcept {
  if (p == nullptr) return;
  arena.deallocate_unsized(p, align);
}

}  // namespace detail
}  // namespace stalloc

// Declares the global arena `name` for use in other translation units.
#define STALLOC_DECLARE_GLOBAL_ALLOCATOR(name, ...) \
  extern ::stalloc::global_arena_t<__VA_ARGS__>& name

// Defines the global arena `name` (a reference to a never-destroyed
// global_arena_t<...>) and every
// replaceable operator new / operator delete over it. Use in exactly one
// translation unit, at namespace scope outside any namespace.
#define STALLOC_GLOBAL_ALLOCATOR(name, ...)                                                      \
  constinit ::stalloc::detail::Immortal<::stalloc::global_arena_t<__VA_ARGS__>>                  \
      stalloc_global_storage_##name;                                                             \
  constinit ::stalloc::global_arena_t<__VA_ARGS__>& name = stalloc_global_storage_##name.value;  \
  void* operator new(std::size_t n) {                                                            \
    return ::stalloc::detail::global_new(name, n, ::stalloc::detail::natural_alignment(n));      \
  }                                                                                              \
  void* operator new[](std::size_t n) {                                                          \
    return ::stalloc::detail::global_new(name, n, ::stalloc::detail::natural_alignment(n));      \
  }                                                                                              \
  void* operator new(std::size_t n, const std::nothrow_t&) noexcept {                            \
    return ::stalloc::detail::global_new_nothrow(name, n,                                        \
                                                 ::stalloc::detail::natural_alignment(n));       \
  }                                                                                              \
  void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {                          \
    return ::stalloc::detail::global_new_nothrow(name, n,                                        \
                                                 ::stalloc::detail::natural_alignment(n));       \
  }                                                                                              \
  void* operator new(std::size_t n, std::align_val_t a) {                                        \
    return ::stalloc::detail::global_new(name, n, static_cast<std::size_t>(a));                  \
  }                                                                                              \
  void* operator new[](std::size_t n, std::align_val_t a) {                                      \
    return ::stalloc::detail::global_new(name, n, static_cast<std::size_t>(a));                  \
  }                                                                                              \
  void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {        \
    return ::stalloc::detail::global_new_nothrow(name, n, static_cast<std::size_t>(a));          \
  }                                                                                              \
  void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {      \
    return ::stalloc::detail::global_new_nothrow(name, n, static_cast<std::size_t>(a));          \
  }                                                                                              \
  void operator delete(void* p) noexcept {                                                       \
    ::stalloc::detail::global_delete_unsized(name, p, ::stalloc::detail::kDefaultNewAlign);      \
  }                                                                                              \
  void operator delete[](void* p) noexcept {                                                     \
    ::stalloc::detail::global_delete_unsized(name, p, ::stalloc::detail::kDefaultNewAlign);      \
  }                                                                                              \
  void operator delete(void* p, const std::nothrow_t&) noexcept {                                \
    ::stalloc::detail::global_delete_unsized(name, p, ::stalloc::detail::kDefaultNewAlign);      \
  }                                                                                              \
  void operator delete[](void* p, const std::nothrow_t&) noexcept {                              \
    ::stalloc::detail::global_delete_unsized(name, p, ::stalloc::detail::kDefaultNewAlign);      \
  }                                                                                              \
  void operator delete(void* p, std::size_t n) noexcept {                                        \
    ::stalloc::detail::global_delete_sized(name, p, n, ::stalloc::detail::natural_alignment(n)); \
  }                                                                                              \
  void operator delete[](void* p, std::size_t n) noexcept {                                      \
    ::stalloc::detail::global_delete_sized(name, p, n, ::stalloc::detail::natural_alignment(n)); \
  }                                                                                              \
  void operator delete(void* p, std::align_val_t a) noexcept {                                   \
    ::stalloc::detail::global_delete_unsized(name, p, static_cast<std::size_t>(a));              \
  }                                                                                              \
  void operator delete[](void* p, std::align_val_t a) noexcept {                                 \
    ::stalloc::detail::global_delete_unsized(name, p, static_cast<std::size_t>(a));              \
  }                                                                                              \
  void operator delete(void* p, std::align_val_t a, const std::nothrow_t&) noexcept {            \
    ::stalloc::detail::global_delete_unsized(name, p, static_cast<std::size_t>(a));              \
  }                                                                                              \
  void operator delete[](void* p, std::align_val_t a, const std::nothrow_t&) noexcept {          \
    ::stalloc::detail::global_delete_unsized(name, p, static_cast<std::size_t>(a));              \
  }                                                                                              \
  void operator delete(void* p, std::size_t n, std::align_val_t a) noexcept {                    \
    ::stalloc::detail::global_delete_sized(name, p, n, static_cast<std::size_t>(a));             \
  }                                                                                              \
  void operator delete[](void* p, std::size_t n, std::align_val_t a) noexcept {                  \
    ::stalloc::detail::global_delete_sized(name, p, n, static_cast<std::size_t>(a));             \
  }                                                                                              \
  static_assert(true, "")
