// Fallback chains: "use this small arena, and when it is full, the next one".
//
//   stalloc::AllocChain<A, B>        A first, then B. Holds both links by value
//                                    (or by reference when A or B is a reference
//                                    type), constexpr-constructible when both are.
//   stalloc::Chain<L1, ..., Ln>      AllocChain nested right to left:
//       Chain<Stalloc<128, 4>, Stalloc<1024, 8>, Stalloc<8192, 16>, System>
//   stalloc::chain(a, b, ...)        the same over existing arenas: lvalues are
//                                    linked by reference, rvalues (System{})
//                                    are stored by value.
//
// Routing: allocate tries A, then B. deallocate, grow, shrink and reallocate
// go to the link that owns the pointer, found by address (A.owns(p)); a
// System link owns everything, so it must be last. A grow that A cannot
// serve moves the data into B. Each link does its own locking, so a chain of
// Synchronized arenas is itself thread-safe: a pointer belongs to one caller,
// and moving it between links needs no lock of the chain's own.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "stalloc/stalloc.hpp"

namespace stalloc {

template <class A, class B>
class AllocChain {
 public:
  using first_type = A;
  using second_type = B;

  // Links held by value are built in place, empty (a Stalloc can be neither
  // copied nor moved); constexpr when both links are.
  constexpr AllocChain() noexcept requires std::is_default_constructible_v<A> &&
      std::is_default_constructible_v<B>
  = default;

  // Links held by reference (or copyable links such as System or a nested
  // reference chain): binds or copies a and b. Referenced arenas must
  // outlive the chain.
  template <class A2, class B2>
  constexpr AllocChain(A2&& a, B2&& b) noexcept
      : first_(std::forward<A2>(a)), second_(std::forward<B2>(b)) {}

  // A's allocate, and B's when A returns nullptr; nullptr when both do.
  // Same arguments as Stalloc::allocate. Cost: A's allocate, plus B's when
  // A refuses.
  //   When A has a quick path (stalloc.hpp, "Quick path": a Stalloc with
  //   quick lists, alone or in Synchronized, SizeLimited, ArenaArray), the
  //   chain's allocate and deallocate are that path, inline, and a call to
  //   the full ones (allocate_links, deallocate_links) for the rest: a hit
  //   saves no registers and makes no call. (ProgramHeap, replaying the
  //   recorded sqlite3 through the harness: see program_heap.hpp.)
  [[nodiscard, gnu::always_inline]] void* allocate(
      std::size_t size, std::size_t align) noexcept requires detail::has_quick_path<A> {
    if (void* p = first().try_allocate_quick(size, align)) return p;
    return allocate_links(size, align);
  }
  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    if (void* p = first().allocate(size, align)) return p;
    return second().allocate(size, align);
  }

  // The deallocate of the link that owns p (A if A.owns(p), else B). p and
  // size must be as that link requires (from this chain, the size it was
  // made or last resized with). Cost: A's owns (O(1) for an arena), plus
  // that link's deallocate; with A's quick path, as allocate.
  [[gnu::always_inline]] void deallocate(
      void* p, std::size_t size, std::size_t align) noexcept requires detail::has_quick_path<A> {
    if (first().owns(p) && first().try_deallocate_quick(p, size, align)) return;
    deallocate_links(p, size, align);
  }
  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    if (first().owns(p)) {
      first().deallocate(p, size, align);
    } else {
      second().deallocate(p, size, align);
    }
  }

  // The chain's own quick path is A's, so that a chain can be the first
  // link of another.
  [[nodiscard, gnu::always_inline]] void* try_allocate_quick(
      std::size_t size, std::size_t align) noexcept requires detail::has_quick_path<A> {
    return first().try_allocate_quick(size, align);
  }
  [[gnu::always_inline]] bool try_deallocate_quick(
      void* p, std::size_t size, std::size_t align) noexcept requires detail::has_quick_path<A> {
    return first().owns(p) && first().try_deallocate_quick(p, size, align);
  }

  // The deallocate_unsized of the link that owns p; only when every link has
  // one (SizedStalloc, System). p must be live in this chain. Cost: A's
  // owns, plus that link's deallocate_unsized.
  void deallocate_unsized(void* p, std::size_t align) noexcept requires
      requires(std::remove_reference_t<A>& a, std::remove_reference_t<B>& b, void* q,
               std::size_t n) {
    a.deallocate_unsized(q, n);
    b.deallocate_unsized(q, n);
  }
  {
    if (first().owns(p)) {
      first().deallocate_unsized(p, align);
    } else {
      second().deallocate_unsized(p, align);
    }
  }

  // Grows the allocation at p to new_size bytes in the link that owns it;
  // when A cannot, moves it into B (allocate in B, copy old_size bytes,
  // free in A). old_size 0 allocates. Returns the new address, or nullptr
  // with p untouched. p and old_size must be as for deallocate. Cost: the
  // owning link's grow, plus on a move B's allocate, the copy and A's
  // deallocate.
  [[nodiscard]] void* grow(void* p, std::size_t old_size, std::size_t new_size,
                           std::size_t align) noexcept {
    if (old_size == 0) return allocate(new_size, align);
    if (!first().owns(p)) return second().grow(p, old_size, new_size, align);
    if (void* q = first().grow(p, old_size, new_size, align)) return q;
    return move_to_second(p, old_size, new_size, align);
  }

  // Shrinks the allocation at p to new_size bytes in the owning link; when
  // A must move it (a stricter `align`) and cannot, moves it into B.
  // Returns the new address, or nullptr with p untouched; old_size 0
  // returns p. Preconditions and cost as for grow.
  [[nodiscard]] void* shrink(void* p, std::size_t old_size, std::size_t new_size,
                             std::size_t align) noexcept {
    if (old_size == 0) return p;
    if (!first().owns(p)) return second().shrink(p, old_size, new_size, align);
    if (void* q = first().shrink(p, old_size, new_size, align)) return q;
    // Only a move forced by a stricter alignment fails in A: try B.
    return move_to_second(p, old_size, new_size, align);
  }

  // grow or shrink, whichever the sizes call for.
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    return new_size >= old_size ? grow(p, old_size, new_size, align)
                                : shrink(p, old_size, new_size, align);
  }

  // Whether a link owns p (true for any p when a link is System). O(1) for
  // arenas.
  [[nodiscard]] bool owns(const void* p) const noexcept {
    return first().owns(p) || second().owns(p);
  }

  // Whether every link is full (never, with System last). Cost: the links'
  // is_oom, O(1) each for arenas.
  [[nodiscard]] bool is_oom() noexcept { return first().is_oom() && second().is_oom(); }

  // is_empty: no allocation is live in any link. clear: forgets every
  // allocation of every link (pointers handed out must not be used again).
  // Only when every link offers them (System does not). Cost: the links'.
  [[nodiscard]] bool is_empty() noexcept requires
      requires(std::remove_reference_t<A>& a, std::remove_reference_t<B>& b) {
    a.is_empty();
    b.is_empty();
  }
  { return first().is_empty() && second().is_empty(); }
  void clear() noexcept requires
      requires(std::remove_reference_t<A>& a, std::remove_reference_t<B>& b) {
    a.clear();
    b.clear();
  }
  {
    first().clear();
    second().clear();
  }

  // The first broken invariant of A, else of B, else ok. Cost: the links'
  // check_invariants (a walk of each arena).
  [[nodiscard]] InvariantReport check_invariants() noexcept {
    InvariantReport r = first().check_invariants();
    if (!r) return r;
    return second().check_invariants();
  }

  // The links themselves (for their own functions, e.g. stats()). O(1).
  std::remove_reference_t<A>& first() noexcept { return first_; }
  const std::remove_reference_t<A>& first() const noexcept { return first_; }
  std::remove_reference_t<B>& second() noexcept { return second_; }
  const std::remove_reference_t<B>& second() const noexcept { return second_; }

 private:
  // The full calls behind the quick path: out of line, so that the quick
  // path inlined into a caller needs no saved registers.
  [[gnu::noinline]] void* allocate_links(std::size_t size, std::size_t align) noexcept {
    if (void* p = first().allocate(size, align)) return p;
    return second().allocate(size, align);
  }
  [[gnu::noinline]] void deallocate_links(void* p, std::size_t size, std::size_t align) noexcept {
    if (first().owns(p)) {
      first().deallocate(p, size, align);
    } else {
      second().deallocate(p, size, align);
    }
  }

  // The rare path (a link overflowed): kept out of line so the fast paths
  // stay small when chains nest.
  [[gnu::noinline]] void* move_to_second(void* p, std::size_t old_size, std::size_t new_size,
                                         std::size_t align) noexcept {
    void* q = second().allocate(new_size, align);
    if (q == nullptr) return nullptr;
    detail::copy_contents(q, p, old_size < new_size ? old_size : new_size);
    first().deallocate(p, old_size, align);
    return q;
  }

  A first_;
  B second_;
};

template <class A, class B>
AllocChain(A&&, B&&) -> AllocChain<A, B>;

namespace detail {
template <class... Links>
struct NestedChain;
template <class Last>
struct NestedChain<Last> {
  using type = Last;
};
template <class First, class... Rest>
struct NestedChain<First, Rest...> {
  using type = AllocChain<First, typename NestedChain<Rest...>::type>;
};
}  // namespace detail

// Chain<L1, L2, ..., Ln> = AllocChain<L1, AllocChain<L2, ... Ln>>.
template <class... Links>
requires(sizeof...(Links) >= 1) using Chain = typename detail::NestedChain<Links...>::type;

namespace detail {
// How chain() stores an argument: an lvalue by reference, anything else
// (System{}, a sub-chain built by chain()) by value.
template <class T>
using link_t = std::conditional_t<std::is_lvalue_reference_v<T>, T, std::remove_cvref_t<T>>;

template <class Last>
constexpr link_t<Last> chain_tail(Last&& last) noexcept {
  return std::forward<Last>(last);
}
template <class First, class Second, class... Rest>
constexpr auto chain_tail(First&& first, Second&& second, Rest&&... rest) noexcept {
  using Tail = decltype(chain_tail(std::forward<Second>(second), std::forward<Rest>(rest)...));
  return AllocChain<link_t<First>, Tail>(
      std::forward<First>(first),
      chain_tail(std::forward<Second>(second), std::forward<Rest>(rest)...));
}
}  // namespace detail

// chain(a, b, c...): returns a chain over existing arenas, a first. An
// lvalue argument is linked by reference (the arena stays where it is and
// must outlive the chain); an rvalue, such as System{}, is stored by value.
// No run-time cost beyond binding the lvalues and moving the rvalues.
//   stalloc::Stalloc<128, 4> small;  stalloc::Stalloc<1024, 8> medium;
//   auto heap = stalloc::chain(small, medium, stalloc::System{});
template <class First, class Second, class... Rest>
constexpr auto chain(First&& first, Second&& second, Rest&&... rest) noexcept {
  return detail::chain_tail(std::forward<First>(first), std::forward<Second>(second),
                            std::forward<Rest>(rest)...);
}

}  // namespace stalloc
