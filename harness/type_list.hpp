// A compile-time list of types, and a loop over it.
//
// The registries (allocators/registry.hpp, workload_registry.hpp) are type
// lists, so the harness instantiates one measured loop per (workload,
// allocator) pair at compile time and never dispatches through a virtual call
// or a function pointer inside it.
#pragma once

#include <cstddef>

namespace harness {

template <class... Ts>
struct TypeList {
  static constexpr std::size_t size = sizeof...(Ts);

  // Calls f.template operator()<T>() for each T in order.
  template <class F>
  static constexpr void for_each(F&& f) {
    (f.template operator()<Ts>(), ...);
  }

  // Calls f.template operator()<T>() for each T until it returns true; returns
  // whether any did.
  template <class F>
  static constexpr bool any_of(F&& f) {
    return (f.template operator()<Ts>() || ...);
  }
};

}  // namespace harness
