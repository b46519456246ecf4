// stalloc::allocator<T, Arena>: a standard Allocator over any arena with the
// byte API (Stalloc, SyncStalloc, UnsafeStalloc, AllocChain, System), so the
// standard containers can live in an arena:
//
//   stalloc::Stalloc<200, 4> heap;
//   std::vector<int, stalloc::allocator<int, decltype(heap)>> v(heap);
//
// It holds a pointer to the arena, never the arena itself: copies (and
// rebound copies, e.g. a list's node allocator) share the arena, and two
// allocators are equal exactly when they use the same arena object.
//
// Propagation: the allocator follows the memory. Copy assignment, move
// assignment and swap carry it along (the propagate_on_container_* traits
// are all true), so memory is always returned to the arena it came from,
// moving a container is O(1) even between arenas, and swapping containers
// on different arenas is well defined. A copy-constructed container uses
// the same arena as its source.
//
// A full arena makes allocate() throw std::bad_alloc; the containers then
// keep their previous contents (their strong guarantee).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>

namespace stalloc {

namespace detail {
// std::bad_alloc, or abort() when the program is built without exceptions.
[[noreturn]] inline void throw_bad_alloc() {
#if defined(__cpp_exceptions)
  throw std::bad_alloc();
#else
  std::abort();
#endif
}
}  // namespace detail

template <class T, class Arena>
class allocator {
 public:
  using value_type = T;
  using arena_type = Arena;
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  using propagate_on_container_copy_assignment = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  using is_always_equal = std::false_type;

  template <class U>
  struct rebind {
    using other = allocator<U, Arena>;
  };

  // Refers to `arena`, which must outlive every allocator and container
  // using it. Implicit, so `std::vector<int, stalloc::allocator<int, H>>
  // v(heap);` works. O(1).
  constexpr allocator(Arena& arena) noexcept
      : arena_(&arena) {}  // NOLINT(google-explicit-constructor)

  // The rebound copy: the same arena. O(1).
  template <class U>
  constexpr allocator(
      const allocator<U, Arena>& other) noexcept  // NOLINT(google-explicit-constructor)
      : arena_(&other.arena()) {}

  // Returns room for n objects of T (n * sizeof(T) bytes aligned to
  // alignof(T)) from the arena. Throws std::bad_array_new_length when
  // n > max_size() and std::bad_alloc when the arena returns nullptr
  // (abort() without exceptions). Cost: the arena's allocate.
  [[nodiscard]] T* allocate(std::size_t n) {
    if (n > max_size()) {
#if defined(__cpp_exceptions)
      throw std::bad_array_new_length();
#else
      std::abort();
#endif
    }
    void* p = arena_->allocate(n * sizeof(T), alignof(T));
    if (p == nullptr) detail::throw_bad_alloc();
    return static_cast<T*>(p);
  }

  // Returns p to the arena. p must come from allocate(n) of an allocator
  // equal to this one, with the same n. Cost: the arena's deallocate.
  void deallocate(T* p, std::size_t n) noexcept {
    arena_->deallocate(p, n * sizeof(T), alignof(T));
  }

  // The largest n whose byte count does not overflow (not what the arena
  // can hold). O(1).
  [[nodiscard]] constexpr std::size_t max_size() const noexcept {
    return std::numeric_limits<std::size_t>::max() / sizeof(T);
  }

  // The arena this allocator uses. O(1).
  [[nodiscard]] constexpr Arena& arena() const noexcept {
    return *arena_;
  }

  // A copy-constructed container uses the same arena: returns *this. O(1).
  allocator select_on_container_copy_construction() const noexcept {
    return *this;
  }

  // Equal exactly when both use the same arena object (memory from one can
  // be freed through the other). O(1).
  template <class U>
  friend constexpr bool operator==(const allocator& a, const allocator<U, Arena>& b) noexcept {
    return &a.arena() == &b.arena();
  }

 private:
  Arena* arena_;
};

}  // namespace stalloc
