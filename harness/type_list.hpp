// A compile-time list of types, and a loop over it.
//
// The registries (allocators/registry.hpp, workload_registry.hpp) are type
// lists, so the harness instantiates one measured loop per (workload,
// allocator) pair at compile time and never dispatches through a virtual call
// or a function pointer inside it.
#pragma once

#include <cstddef>
#include <utility>

namespace harness {

template <class... Ts>
struct TypeList {
  static constexpr std::size_t size = sizeof...(Ts);

  // Calls f.template operator()<T>() for each T in order.
  template <class F>
  static constexpr void for_each(F&& f) {
    (f.template operator()<Ts>(), ...);
  }

  // Calls f.template operator()<T, I>() for each T, I its index in the list.
  template <class F>
  static constexpr void for_each_indexed(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (f.template operator()<Ts, I>(), ...);
    }
    (std::index_sequence_for<Ts...>{});
  }
};

}  // namespace harness

namespace harness {

// TypeList<Ts...> from std::tuple<Ts...> (the workloads' own list) and the
// concatenation of lists.
template <class Tuple>
struct FromTupleImpl;
template <template <class...> class Tuple, class... Ts>
struct FromTupleImpl<Tuple<Ts...>> {
  using type = TypeList<Ts...>;
};
template <class Tuple>
using FromTuple = typename FromTupleImpl<Tuple>::type;

template <class... Lists>
struct ConcatImpl;
template <class... As>
struct ConcatImpl<TypeList<As...>> {
  using type = TypeList<As...>;
};
template <class... As, class... Bs, class... Rest>
struct ConcatImpl<TypeList<As...>, TypeList<Bs...>, Rest...> {
  using type = typename ConcatImpl<TypeList<As..., Bs...>, Rest...>::type;
};
template <class... Lists>
using Concat = typename ConcatImpl<Lists...>::type;

}  // namespace harness
