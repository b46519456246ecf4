// The one adapter of every Stalloc variant: a heap type (a Stalloc arena, a
// locked or unlocked wrapper of one, or a chain of them in front of malloc)
// and where the adapter keeps it. Each variant's header is a descriptor that
// names its heap type; nothing else differs between them.
//
// The byte API forwards straight to the heap: the class is a template on the
// concrete heap type, so every call in a measured loop is a direct (inlined)
// member call, exactly what a program using the heap writes.
//
// For the instrumented pass the adapter offers arena_offset() over the heap's
// arenas (found by walking the chain's links, memory_model.hpp), and, when
// the heap is one arena, arena_capacity: the members memory models
// fixed_arena and arena_plus_fallback need.
#pragma once

#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include <stalloc/arena_array.hpp>

#include "allocators/memory_model.hpp"
#include "allocators/testing_slowdown.hpp"

namespace harness {

// Where the adapter keeps its heap.
enum class HeapHome {
  // Inside the adapter object: each adapter owns a fresh heap (the "local
  // arena" use of the crate, no global).
  member,
  // One constinit static per heap type, in .bss with its address fixed at
  // link time: the crate's global-allocator use. A new adapter empties it;
  // only one adapter per heap type may be alive at a time (the harness runs
  // one).
  global,
};

namespace stalloc_heap {

// An ArenaArray: N arenas, numbered one after another by arena_offset.
template <class X>
inline constexpr bool kIsArenaArray = false;
template <std::size_t N, class A>
inline constexpr bool kIsArenaArray<stalloc::ArenaArray<N, A>> = true;

// An arena: a Stalloc, or a wrapper that names the Stalloc as arena_type.
template <class X>
constexpr std::size_t capacity_of() noexcept {
  if constexpr (kIsArenaArray<X>) return 0;  // many arenas, not one
  if constexpr (requires { X::capacity; }) {
    return X::capacity;
  } else if constexpr (requires { X::arena_type::capacity; }) {
    return X::arena_type::capacity;
  } else {
    return 0;
  }
}
template <class X>
inline constexpr bool kIsArena = capacity_of<X>() > 0;

// The arenas of a heap, in the order arena_offset numbers them: the heap
// itself when it is an arena, else the arenas of a chain's links (a link
// that is no arena, malloc, has none).
template <class H>
constexpr auto arenas_of(H& h) noexcept {
  if constexpr (kIsArena<H>) {
    return std::tuple<H&>(h);
  } else if constexpr (kIsArenaArray<H>) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::tuple_cat(arenas_of(h.arena(I))...);
    }
    (std::make_index_sequence<H::arena_count>{});
  } else if constexpr (requires {
                         h.first();
                         h.second();
                       }) {
    return std::tuple_cat(arenas_of(h.first()), arenas_of(h.second()));
  } else if constexpr (requires { h.arena(); }) {
    return arenas_of(h.arena());
  } else {
    return std::tuple<>();
  }
}

// Empties every arena of a heap (an ArenaArray as a whole, so that its
// cursor starts again at its first arena too).
template <class H>
void clear_arenas(H& h) noexcept {
  if constexpr (kIsArena<H> || kIsArenaArray<H>) {
    h.clear();
  } else if constexpr (requires {
                         h.first();
                         h.second();
                       }) {
    clear_arenas(h.first());
    clear_arenas(h.second());
  } else if constexpr (requires { h.arena(); }) {
    clear_arenas(h.arena());
  }
}

// Block 0's address; a locked arena's through its lock, which is why the
// adapter of a global (locked) heap takes it once, not per arena_offset.
template <class X>
const void* base_of(X& arena) noexcept {
  if constexpr (requires { arena.block_address(0); }) {
    return arena.block_address(0);
  } else {
    return arena.acquire_locked()->block_address(0);
  }
}

// The heap's storage: a member, or a static of the heap type.
template <class Heap, HeapHome Home>
class Storage;
template <class Heap>
class Storage<Heap, HeapHome::member> {
 protected:
  Heap& heap() noexcept { return heap_; }
  const Heap& heap() const noexcept { return heap_; }

 private:
  Heap heap_;
};
template <class Heap>
class Storage<Heap, HeapHome::global> {
 protected:
  static Heap& heap() noexcept { return heap_; }

 private:
  constinit static inline Heap heap_;
};

// arena_capacity exists only for a heap that is one fixed arena (fixed_arena).
template <class Heap, bool = kIsArena<Heap>>
struct FixedCapacity {};
template <class Heap>
struct FixedCapacity<Heap, true> {
  static constexpr std::size_t arena_capacity = capacity_of<Heap>();
};

}  // namespace stalloc_heap

template <class Heap, HeapHome Home>
class StallocAdapter : private stalloc_heap::Storage<Heap, Home>,
                       public stalloc_heap::FixedCapacity<Heap> {
  using Storage = stalloc_heap::Storage<Heap, Home>;
  using Storage::heap;
  using Arenas = decltype(stalloc_heap::arenas_of(std::declval<Heap&>()));
  static constexpr std::size_t kArenas = std::tuple_size_v<Arenas>;
  static_assert(kArenas > 0, "a Stalloc heap has at least one arena");

 public:
  using heap_type = Heap;
  static constexpr std::size_t arena_footprint = sizeof(Heap);

  // A global heap starts empty for each adapter, and its arenas' block 0 is
  // taken once (a locked arena is not locked again by every arena_offset);
  // a member heap already is empty, and keeps the adapter exactly its size.
  StallocAdapter() noexcept {
    if constexpr (Home == HeapHome::global) {
      stalloc_heap::clear_arenas(heap());
      auto arenas = stalloc_heap::arenas_of(heap());
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((bases_[I] = stalloc_heap::base_of(std::get<I>(arenas))), ...);
      }
      (std::make_index_sequence<kArenas>{});
    }
  }
  StallocAdapter(const StallocAdapter&) = delete;
  StallocAdapter& operator=(const StallocAdapter&) = delete;

  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    testing_slowdown();  // nothing unless a slowed test build (testing_slowdown.hpp)
    return heap().allocate(size, align);
  }
  // A null pointer (a failed request the caller frees anyway) is ignored, as
  // free(nullptr) is; Stalloc itself would take it for a block index.
  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    if (p != nullptr) heap().deallocate(p, size, align);
  }
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    if (p == nullptr) return heap().allocate(new_size, align);
    return heap().reallocate(p, old_size, new_size, align);
  }
  // Forget every allocation; only a heap that is one arena can (malloc cannot).
  void release_all() noexcept requires stalloc_heap::kIsArena<Heap> { heap().clear(); }

  // The arenas read as one: the first arena's offsets, then the next one's
  // after the first one's capacity, ...; kNotInArena for a block that no
  // arena holds (a chain's malloc served it).
  [[nodiscard]] std::size_t arena_offset(const void* p) const noexcept {
    auto arenas = stalloc_heap::arenas_of(heap());
    std::size_t result = kNotInArena;
    std::size_t start = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (void)((in_arena(std::get<I>(arenas), this->template base<I>(), p, start, result)) || ...);
    }
    (std::make_index_sequence<kArenas>{});
    return result;
  }

 private:
  template <class X>
  static bool in_arena(const X& arena, const void* base, const void* p, std::size_t& start,
                       std::size_t& result) noexcept {
    if (arena.owns(p)) {
      result = start + static_cast<std::size_t>(static_cast<const unsigned char*>(p) -
                                                static_cast<const unsigned char*>(base));
      return true;
    }
    start += stalloc_heap::capacity_of<X>();
    return false;
  }

  template <std::size_t I>
  const void* base() const noexcept {
    if constexpr (Home == HeapHome::global) {
      return bases_[I];
    } else {
      return stalloc_heap::base_of(std::get<I>(stalloc_heap::arenas_of(heap())));
    }
  }

  // Only a global heap's bases are kept: a member heap is the whole adapter,
  // as a local arena in a program is (no field next to it in the loops).
  struct NoBases {};
  [[no_unique_address]] std::conditional_t<Home == HeapHome::global,
                                           std::array<const void*, kArenas>, NoBases>
      bases_{};
};

}  // namespace harness
