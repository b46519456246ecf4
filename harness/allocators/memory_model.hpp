// Which memory figure an allocator gets ("held bytes" in the results), as its
// descriptor declares it, and what its adapter must offer for that figure.
//
// The instrumented pass (run_entry.hpp, instrumented_adapter.hpp) switches on
// the declared model only. What each model needs from the adapter is checked
// at compile time (check_memory_model below, called for every registered
// allocator), so a descriptor that declares a model its adapter cannot back
// fails to build with a message naming the missing member, instead of
// silently getting another figure.
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>

namespace harness {

enum class MemoryModel {
  // A fixed arena that fails when full. Held = the arena's high-water mark.
  // Needs: static arena_capacity, static arena_footprint, arena_offset(p).
  fixed_arena,
  // Arenas in front of a fallback (malloc) that takes what they cannot.
  // Held = the arenas' high-water mark plus the fallback's peak.
  // Needs: static arena_footprint, arena_offset(p) (kNotInArena for the fallback's blocks).
  arena_plus_fallback,
  // Takes its memory from an upstream it counts. Held = upstream_peak_bytes().
  // Needs: upstream_peak_bytes().
  upstream_counted,
  // Plain malloc calls: only the process can say. Held = glibc's mallinfo2
  // when glibc serves malloc, else RSS growth. Needs nothing.
  whole_process,
};

constexpr std::string_view memory_model_name(MemoryModel m) noexcept {
  switch (m) {
    case MemoryModel::fixed_arena:
      return "fixed_arena";
    case MemoryModel::arena_plus_fallback:
      return "arena_plus_fallback";
    case MemoryModel::upstream_counted:
      return "upstream_counted";
    case MemoryModel::whole_process:
      return "whole_process";
  }
  return "?";
}

// arena_offset(p)'s answer for a pointer that no arena of the adapter holds.
inline constexpr std::size_t kNotInArena = ~std::size_t{0};

// Compiles only if adapter A offers what model M needs; one static_assert per
// missing member, so the message says which (and the instantiation names A).
template <class A, MemoryModel M>
consteval bool check_memory_model() {
  constexpr bool arena = M == MemoryModel::fixed_arena || M == MemoryModel::arena_plus_fallback;
  static_assert(
      M != MemoryModel::fixed_arena ||
          requires {
            { A::arena_capacity } -> std::convertible_to<std::size_t>;
          },
      "memory_model fixed_arena: the adapter must declare static arena_capacity (bytes)");
  static_assert(
      !arena ||
          requires {
            { A::arena_footprint } -> std::convertible_to<std::size_t>;
          },
      "memory_model fixed_arena / arena_plus_fallback: the adapter must declare static "
      "arena_footprint (sizeof its arena)");
  static_assert(
      !arena ||
          requires(const A& a, const void* p) {
            { a.arena_offset(p) } -> std::same_as<std::size_t>;
          },
      "memory_model fixed_arena / arena_plus_fallback: the adapter must define "
      "std::size_t arena_offset(const void*) const");
  static_assert(
      M != MemoryModel::upstream_counted ||
          requires(const A& a) {
            { a.upstream_peak_bytes() } -> std::same_as<std::size_t>;
          },
      "memory_model upstream_counted: the adapter must define "
      "std::size_t upstream_peak_bytes() const");
  // The other way round: members the declared model would ignore mean the
  // descriptor declares the wrong model (the figure would silently be another).
  static_assert(
      arena || !requires(const A& a, const void* p) { a.arena_offset(p); },
      "the adapter offers arena_offset but its descriptor's memory_model is not "
      "fixed_arena or arena_plus_fallback");
  static_assert(
      M == MemoryModel::fixed_arena || !requires { A::arena_capacity; },
      "the adapter declares arena_capacity (a fixed arena) but its descriptor's "
      "memory_model is not fixed_arena");
  static_assert(
      M == MemoryModel::upstream_counted || !requires(const A& a) { a.upstream_peak_bytes(); },
      "the adapter offers upstream_peak_bytes but its descriptor's memory_model is not "
      "upstream_counted");
  return true;
}

}  // namespace harness
