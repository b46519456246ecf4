// The only thing a workload knows about an allocator.
//
// Workloads are written against this concept and nothing else: they never see
// stalloc/ or harness/. The harness adapts every real allocator (Stalloc
// variants, glibc, mimalloc, ...) to it, with static dispatch, so a measured
// loop contains no virtual or indirect call that the allocator itself does
// not make.
#pragma once

#include <concepts>
#include <cstddef>

namespace workloads {

// Sizes are passed on every call, as Stalloc (a sized-free allocator) needs
// them; malloc-style allocators ignore them. `align` is a power of two.
template <class A>
concept Allocator = requires(A& a, void* p, std::size_t size, std::size_t align) {
  // nullptr when the request cannot be served (a fixed arena is full).
  { a.allocate(size, align) } -> std::same_as<void*>;
  // p came from this allocator with exactly this size and alignment.
  { a.deallocate(p, size, align) } -> std::same_as<void>;
  // Like realloc: nullptr on failure, and then p stays valid and unchanged.
  { a.reallocate(p, size, size, align) } -> std::same_as<void*>;
};

// Optional: drop every live allocation at once (an arena's clear()). Workloads
// that model "build, use, throw the whole heap away" use it when present.
template <class A>
concept ReleasesAll = Allocator<A> && requires(A& a) {
  { a.release_all() } -> std::same_as<void>;
};

}  // namespace workloads
