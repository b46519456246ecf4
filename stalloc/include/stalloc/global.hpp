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
// only), a SyncStalloc, System, or an AllocChain, SizeLimited or ArenaArray
// of those (stalloc::ProgramHeap is one).
//
// Finding the size of an unsized delete: each Stalloc link of a global
// arena becomes a SizedStalloc<L, B> (stalloc/sized_stalloc.hpp), the Stalloc
// plus one bit per block (8 * ceil(L / 64) bytes), which finds the size of a
// live allocation from its address.
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
// What the generated operators do (A is global_arena_t of the declared type):
//   operator new(n[, align][, nothrow]), and the array forms: A::allocate(
//     max(n, 1), alignment), so every call gets a distinct pointer. Full
//     arena: calls the new_handler and retries while one is installed, else
//     throws std::bad_alloc (abort() without exceptions); the nothrow forms
//     return nullptr instead. Cost: the arena's allocate.
//   operator delete(p, n[, align]) (sized): A::deallocate(p, max(n, 1), ...);
//     n is what the runtime passes, the size given to new. Cost: the arena's
//     deallocate.
//   operator delete(p[, align][, nothrow]) (unsized): A::deallocate_unsized;
//     cost: SizedStalloc::deallocate_unsized, O(n / 64 + 1) words for an
//     allocation of n blocks (free() for System).
//   Every delete ignores nullptr. p must come from a new of this program
//   (the replacement owns every allocation of the process).
#pragma once

#include <bit>
#include <cstddef>
#include <new>

#include "stalloc/allocator.hpp"
#include "stalloc/arena_array.hpp"
#include "stalloc/chain.hpp"
#include "stalloc/size_limited.hpp"
#include "stalloc/sized_stalloc.hpp"
#include "stalloc/stalloc.hpp"
#include "stalloc/sync.hpp"
#include "stalloc/system.hpp"
#include "stalloc/thread_cached.hpp"

namespace stalloc {

// global_arena_t<T>: the arena type a global allocator declared as T really
// uses: T with every Stalloc link replaced by a SizedStalloc. T must be
// built from Stalloc, SizedStalloc, System, Synchronized, Unsynchronized,
// SizeLimited and AllocChain (links held by value); anything else fails to
// compile with the message below. Compile time only.
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
template <class A, class Lock, std::size_t Shards>
struct global_arena<ThreadCached<A, Lock, Shards>> {
  using type = ThreadCached<global_arena_t<A>, Lock, Shards>;
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
template <std::size_t N, class A>
struct global_arena<ArenaArray<N, A>> {
  using type = ArenaArray<N, global_arena_t<A>>;
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

// Plain operator new(n): global_new at natural_alignment(n), with n >= 16
// (most requests) given its own copy at the constant 16, so that the
// arena's alignment tests fold away in it. Stalloc<1000, 4> under
// stalloc/examples/fast_vectors --short (callgrind, whole stalloc side):
// 20.3 -> 17.9 million instructions when this was added.
template <class Arena>
inline void* global_new_natural(Arena& arena, std::size_t n) {
  if (n >= kDefaultNewAlign) [[likely]]
    return global_new(arena, n, kDefaultNewAlign);
  return global_new(arena, n, natural_alignment(n));
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

// Plain sized delete: global_delete_sized at natural_alignment(n), with
// n >= 16 given the constant, as global_new_natural does. The deletes of the
// arenas here ignore the alignment, but GCC computed natural_alignment (a
// bsr, a shift and a compare) on every delete before the quick push.
template <class Arena>
inline void global_delete_sized_natural(Arena& arena, void* p, std::size_t n) noexcept {
  if (n >= kDefaultNewAlign) [[likely]] {
    global_delete_sized(arena, p, n, kDefaultNewAlign);
  } else {
    global_delete_sized(arena, p, n, natural_alignment(n));
  }
}

template <class Arena>
inline void global_delete_unsized(Arena& arena, void* p, std::size_t align) noexcept {
  if (p == nullptr) return;
  arena.deallocate_unsized(p, align);
}

}  // namespace detail
}  // namespace stalloc

// Declares `name`, the global arena that STALLOC_GLOBAL_ALLOCATOR(name, T)
// defines in another translation unit, so that file can call its functions
// (heap.clear(), heap.is_empty()). T must be spelled as in the definition.
#define STALLOC_DECLARE_GLOBAL_ALLOCATOR(name, ...) \
  extern ::stalloc::global_arena_t<__VA_ARGS__>& name

// Defines the global arena `name` (a reference to a never-destroyed,
// constant-initialised global_arena_t<T>) and every replaceable operator
// new / operator delete over it (what they do: the top of this file). Use
// in exactly one translation unit of the program, at namespace scope
// outside any namespace. No run-time cost before the first new.
#define STALLOC_GLOBAL_ALLOCATOR(name, ...)                                                     \
  constinit ::stalloc::detail::Immortal<::stalloc::global_arena_t<__VA_ARGS__>>                 \
      stalloc_global_storage_##name;                                                            \
  constinit ::stalloc::global_arena_t<__VA_ARGS__>& name = stalloc_global_storage_##name.value; \
  void* operator new(std::size_t n) {                                                           \
    return ::stalloc::detail::global_new_natural(name, n);                                      \
  }                                                                                             \
  void* operator new[](std::size_t n) {                                                         \
    return ::stalloc::detail::global_new_natural(name, n);                                      \
  }                                                                                             \
  void* operator new(std::size_t n, const std::nothrow_t&) noexcept {                           \
    return ::stalloc::detail::global_new_nothrow(name, n,                                       \
                                                 ::stalloc::detail::natural_alignment(n));      \
  }                                                                                             \
  void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {                         \
    return ::stalloc::detail::global_new_nothrow(name, n,                                       \
                                                 ::stalloc::detail::natural_alignment(n));      \
  }                                                                                             \
  void* operator new(std::size_t n, std::align_val_t a) {                                       \
    return ::stalloc::detail::global_new(name, n, static_cast<std::size_t>(a));                 \
  }                                                                                             \
  void* operator new[](std::size_t n, std::align_val_t a) {                                     \
    return ::stalloc::detail::global_new(name, n, static_cast<std::size_t>(a));                 \
  }                                                                                             \
  void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {       \
    return ::stalloc::detail::global_new_nothrow(name, n, static_cast<std::size_t>(a));         \
  }                                                                                             \
  void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {     \
    return ::stalloc::detail::global_new_nothrow(name, n, static_cast<std::size_t>(a));         \
  }                                                                                             \
  void operator delete(void* p) noexcept {                                                      \
    ::stalloc::detail::global_delete_unsized(name, p, ::stalloc::detail::kDefaultNewAlign);     \
  }                                                                                             \
  void operator delete[](void* p) noexcept {                                                    \
    ::stalloc::detail::global_delete_unsized(name, p, ::stalloc::detail::kDefaultNewAlign);     \
  }                                                                                             \
  void operator delete(void* p, const std::nothrow_t&) noexcept {                               \
    ::stalloc::detail::global_delete_unsized(name, p, ::stalloc::detail::kDefaultNewAlign);     \
  }                                                                                             \
  void operator delete[](void* p, const std::nothrow_t&) noexcept {                             \
    ::stalloc::detail::global_delete_unsized(name, p, ::stalloc::detail::kDefaultNewAlign);     \
  }                                                                                             \
  void operator delete(void* p, std::size_t n) noexcept {                                       \
    ::stalloc::detail::global_delete_sized_natural(name, p, n);                                 \
  }                                                                                             \
  void operator delete[](void* p, std::size_t n) noexcept {                                     \
    ::stalloc::detail::global_delete_sized_natural(name, p, n);                                 \
  }                                                                                             \
  void operator delete(void* p, std::align_val_t a) noexcept {                                  \
    ::stalloc::detail::global_delete_unsized(name, p, static_cast<std::size_t>(a));             \
  }                                                                                             \
  void operator delete[](void* p, std::align_val_t a) noexcept {                                \
    ::stalloc::detail::global_delete_unsized(name, p, static_cast<std::size_t>(a));             \
  }                                                                                             \
  void operator delete(void* p, std::align_val_t a, const std::nothrow_t&) noexcept {           \
    ::stalloc::detail::global_delete_unsized(name, p, static_cast<std::size_t>(a));             \
  }                                                                                             \
  void operator delete[](void* p, std::align_val_t a, const std::nothrow_t&) noexcept {         \
    ::stalloc::detail::global_delete_unsized(name, p, static_cast<std::size_t>(a));             \
  }                                                                                             \
  void operator delete(void* p, std::size_t n, std::align_val_t a) noexcept {                   \
    ::stalloc::detail::global_delete_sized(name, p, n, static_cast<std::size_t>(a));            \
  }                                                                                             \
  void operator delete[](void* p, std::size_t n, std::align_val_t a) noexcept {                 \
    ::stalloc::detail::global_delete_sized(name, p, n, static_cast<std::size_t>(a));            \
  }                                                                                             \
  static_assert(true, "")
