// Stalloc: a first-fit allocator whose whole heap lives inside one object.
//
// Stalloc<L, B> holds L blocks of B bytes inline, plus one 4-byte header. It
// makes no system calls, keeps no per-allocation header, and its footprint is
// exactly L*B + 4 bytes, rounded up to its alignment.
//
// Design
//   Free memory is a singly linked list of free chunks (runs of consecutive
//   free blocks), kept in address order. The first block of every free chunk
//   holds that chunk's header:
//       { uint16 next;  uint16 size_code; }
//   `next` is the block index of the following free chunk; 0 ends the list
//   (block 0 can never follow another chunk, so 0 is free to mean "none").
//   `size_code` is the chunk's length in blocks, stored as (L - length), so
//   that a header of all-zero bytes means "one chunk of L blocks". The base
//   header, outside the blocks, has the same shape: `next` names the first
//   free chunk and `size_code` is 0, or kFullMarker when no block is free.
//
//   Because an all-zero object is a valid empty arena, a static Stalloc is
//   constant-initialised into .bss (it adds nothing to the file size) and a
//   local one is constructed by writing its headers only, never its blocks.
//
// Invariants (check_invariants() verifies each one; tests call it after every
// operation):
//   I1  Free chunk starts are strictly increasing along the list.
//   I2  Every chunk lies inside the arena: start + length <= L.
//   I3  Every chunk has length >= 1.
//   I4  No two chunks touch: start + length < next start (else they would have
//       been coalesced).
//   I5  The base header is marked full exactly when the list is empty.
//   I6  (indexed policies only) The ChunkIndex marks exactly the free chunk
//       starts, and its caps are at least the lengths of those chunks.
//
// Policies
//   Stalloc<L, B> (policy Unchecked) trusts its caller, like the original
//   crate. Stalloc<L, B, Hardened> (stalloc/hardened.hpp) validates every
//   pointer and size it is given and the free list it walks, and reports
//   misuse through a replaceable handler instead of corrupting the arena.
//
// AddressSanitizer
//   Built with -fsanitize=address, the arena poisons what the caller must not
//   touch: the bodies of free chunks (all but their 4-byte header), and the
//   rounding slack between the end of a byte-API allocation and the end of its
//   last block. Define STALLOC_NO_ASAN_POISONING to turn this off.
//
// Thread safety: none. Use SyncStalloc (stalloc/sync.hpp) to share one arena.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "stalloc/chunk_index.hpp"

#if !defined(STALLOC_NO_ASAN_POISONING)
#if defined(__SANITIZE_ADDRESS__)
#define STALLOC_ASAN_POISONING 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STALLOC_ASAN_POISONING 1
#endif
#endif
#endif
#if defined(STALLOC_ASAN_POISONING)
#include <sanitizer/asan_interface.h>
#endif

namespace stalloc {

// The free list, summarised. Computed on demand so the footprint stays exact.
struct FreeListStats {
  std::size_t free_blocks = 0;
  std::size_t free_chunks = 0;
  std::size_t largest_free_chunk = 0;
};

// The outcome of check_invariants(): `ok`, or the first broken rule, with the
// block index of the chunk where it was found.
struct InvariantReport {
  bool ok = true;
  const char* what = "ok";
  std::size_t chunk = 0;

  explicit operator bool() const noexcept { return ok; }
};

// What a checking policy detected (see stalloc/hardened.hpp).
enum class Misuse {
  double_free,         // the freed range overlaps a free chunk
  foreign_pointer,     // the pointer does not point into this arena
  misaligned_pointer,  // the pointer is inside the arena but not at a block start
  bad_size,            // zero blocks, or a range that runs past the arena's end
  corrupt_free_list,   // a free-list header breaks an invariant
};

struct MisuseReport {
  Misuse kind;
  const char* what;     // one line, for humans
  const void* arena;    // the Stalloc object
  const void* pointer;  // the caller's pointer, or the corrupt header's address
};

// The default policy: no checks, no cost. A policy is a class with
//   static constexpr bool checks;                       // validate at all?
//   static void report(const MisuseReport&) noexcept;   // called on misuse
// After report() returns, the operation is abandoned: nothing is changed and
// allocations return nullptr.
struct Unchecked {
  static constexpr bool checks = false;
  static void report(const MisuseReport&) noexcept {}
};

// A policy may also declare `static constexpr bool indexed = true;`: the arena
// then keeps a ChunkIndex (stalloc/chunk_index.hpp) beside its blocks, so first
// fit and free stop walking the free list (see stalloc/indexed.hpp).
template <class Policy>
inline constexpr bool policy_is_indexed = requires {
  requires Policy::indexed;
};

namespace detail {

// GCC and Clang refuse alignas() above 2^28. For B = 2^29 the object is only
// 2^28-aligned; byte-API requests for more than that are refused unless the
// object happens to sit at a suitably aligned address.
inline constexpr std::size_t kMaxObjectAlign = std::size_t{1} << 28;

// x is a power of two. Not std::has_single_bit: on the x86-64 baseline (no
// POPCNT) that is a call to libgcc's __popcountdi2, about 20 instructions, on
// every allocation with a run-time alignment.
constexpr bool is_power_of_two(std::size_t x) noexcept {
  return x != 0 && (x & (x - 1)) == 0;
}

// Tells the optimiser that a precondition holds. Used where the unchecked
// policies trust their caller (a freed pointer came from this arena):
// without it GCC 12 follows impossible paths into the chunk index and warns
// about out-of-bounds subscripts (-Warray-bounds).
inline void assume(bool condition) noexcept {
#if defined(__GNUC__)
  if (!condition) __builtin_unreachable();
#else
  (void)condition;
#endif
}

struct Header {
  std::uint16_t next;
  std::uint16_t size_code;
};
static_assert(sizeof(Header) == 4);

// AddressSanitizer hooks; empty (and free) in every other build.
inline void poison(const void* p, std::size_t n) noexcept {
#if defined(STALLOC_ASAN_POISONING)
  if (n != 0) ASAN_POISON_MEMORY_REGION(p, n);
#else
  (void)p;
  (void)n;
#endif
}
inline void unpoison(const void* p, std::size_t n) noexcept {
#if defined(STALLOC_ASAN_POISONING)
  if (n != 0) ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
  (void)p;
  (void)n;
#endif
}

// The arena's alignment: B (capped, see kMaxObjectAlign), or more when a
// policy adds a member that needs it (the Indexed policy's 64-bit words with
// B = 4). An alignas weaker than a member's own alignment is ill-formed, and
// clang rejects it.
template <std::size_t L, std::size_t B, class Policy>
constexpr std::size_t arena_alignment() noexcept {
  constexpr std::size_t blocks = B < kMaxObjectAlign ? B : kMaxObjectAlign;
  if constexpr (policy_is_indexed<Policy>) {
    return blocks > alignof(ChunkIndex<L>) ? blocks : alignof(ChunkIndex<L>);
  } else {
    return blocks;
  }
}

}  // namespace detail

template <std::size_t L, std::size_t B, class Policy = Unchecked>
class alignas(detail::arena_alignment<L, B, Policy>()) Stalloc {
  static_assert(B >= 4 && B <= (std::size_t{1} << 29) && std::has_single_bit(B),
                "stalloc::Stalloc<L, B>: the block size B must be a power of two from 4 to 2^29 "
                "(a free block must hold the 4-byte chunk header)");
  static_assert(L >= 1 && L <= 65535,
                "stalloc::Stalloc<L, B>: the block count L must be in 1..65535 "
                "(block indices are 16-bit)");

 public:
  static constexpr std::size_t block_count = L;
  static constexpr std::size_t block_size = B;
  static constexpr std::size_t capacity = L * B;  // usable bytes
  using policy = Policy;
  static constexpr bool indexed = policy_is_indexed<Policy>;

  // Touches only the headers (block 0's and the base header): a local arena
  // costs nothing to create, and a static one is all-zero bytes, so it lives
  // in .bss.
  constexpr Stalloc() noexcept {}

  // Allocations point into the object, so it can be neither copied nor moved.
  Stalloc(const Stalloc&) = delete;
  Stalloc& operator=(const Stalloc&) = delete;

#if defined(STALLOC_ASAN_POISONING)
  // The memory may be reused for anything once the arena is gone, so it must
  // not stay poisoned.
  ~Stalloc() {
    detail::unpoison(base(), capacity);
  }
#endif

  // ---- Block API --------------------------------------------------------
  // Sizes and alignments are counted in blocks. `align` is a power of two;
  // the returned address is a multiple of align * B.

  // First fit: the lowest-addressed free chunk that can hold `count` blocks at
  // the requested alignment. Spare blocks before and after the chosen range
  // stay free. Returns nullptr, changing nothing, when no chunk fits or the
  // arguments are invalid (count 0 or > L, align not a power of two).
  [[nodiscard]] void* allocate_blocks(std::size_t count, std::size_t align) noexcept {
    if (count - 1 >= L || !valid_block_align(align)) return nullptr;
    if (head_.size_code == kFullMarker) return nullptr;
    if constexpr (Policy::checks) {
      if (!head_is_valid()) return nullptr;
    }

    if constexpr (indexed) {
      // Aligned requests (rare) take the walk below, which is always right.
      if (align == 1) {
        const std::size_t at =
            index_.first_fit(count, [this](std::size_t s) { return length_at(s); });
        if (at == Index::kNone) return nullptr;
        const detail::Header h = load(at);
        return take(link_before(at), at, h.next, at, count, at + decode(h.size_code));
      }
    }

    Link link = kHeadLink;
    std::size_t at = head_.next;
    for (;;) {
      const detail::Header h = load(at);
      if constexpr (Policy::checks) {
        if (!chunk_is_valid(at, h)) return nullptr;
      }
      const std::size_t end = at + decode(h.size_code);
      const std::size_t start = align == 1 ? at : align_up_index(at, align);
      if (start + count <= end) return take(link, at, h.next, start, count, end);
      if (h.next == 0) return nullptr;
      link = at;
      at = h.next;
    }
  }

  // Sized free: `count` must be the block count the allocation was made with
  // (or has since been grown or shrunk to). Coalesces with free neighbours.
  void deallocate_blocks(void* p, std::size_t count) noexcept {
    release(index_for(p, count), count);
  }

  // Returns the tail [new_count, old_count) to the free list. Never moves.
  // new_count must be in 1..old_count.
  void shrink_in_place(void* p, std::size_t old_count, std::size_t new_count) noexcept {
    if (new_count >= old_count) return;
    const std::size_t at = index_for(p, old_count);
    if constexpr (Policy::checks) {
      if (at == kBadIndex) return;
    }
    release(at + new_count, old_count - new_count);
  }

  // Succeeds only when the free chunk that starts right after the allocation
  // holds at least new_count - old_count blocks; otherwise changes nothing.
  [[nodiscard]] bool grow_in_place(void* p, std::size_t old_count, std::size_t new_count) noexcept {
    if (new_count <= old_count) return true;
    const std::size_t want = new_count - old_count;
    return extend(index_for(p, old_count), old_count, want, want) == want;  // kBadIndex != want
  }

  // Grows as far as the following free chunk allows, up to new_count.
  // Returns the allocation's new block count, between old_count and new_count.
  std::size_t grow_up_to(void* p, std::size_t old_count, std::size_t new_count) noexcept {
    if (new_count <= old_count) return old_count;
    const std::size_t got = extend(index_for(p, old_count), old_count, 1, new_count - old_count);
    if constexpr (Policy::checks) {
      if (got == kBadIndex) return old_count;
    }
    return old_count + got;
  }

  // Forgets every allocation at once.
  void clear() noexcept {
    detail::poison(base(), capacity);
    if constexpr (indexed) index_.reset();
    head_ = detail::Header{0, 0};
    store(0, detail::Header{0, encode(L)});
  }

  [[nodiscard]] bool is_oom() const noexcept {
    return head_.size_code == kFullMarker;
  }

  // The free list is the single chunk [0, L). (The crate answered true as
  // soon as block 0 was free; this looks at the chunk's length too.)
  [[nodiscard]] bool is_empty() const noexcept {
    return head_.size_code != kFullMarker && head_.next == 0 && load(0).size_code == encode(L);
  }

  [[nodiscard]] bool owns(const void* p) const noexcept {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    const auto b = reinterpret_cast<std::uintptr_t>(base());
    return a - b < capacity;
  }

  // ---- Byte API ---------------------------------------------------------
  // Sizes in bytes; `align` is a power of two in bytes. Sizes round up to
  // whole blocks, alignments below B round up to B.

  // size 0 returns a non-null pointer aligned to `align` that touches no
  // block and must not be dereferenced. nullptr when the arena cannot serve
  // the request or `align` is not a power of two.
  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
#if defined(STALLOC_TESTING_SLOWDOWN_SPINS) && STALLOC_TESTING_SLOWDOWN_SPINS > 0
    // A deliberately slowed build, only for proving that the regression
    // check catches a slowdown (CMake option of the same name; never set in a
    // normal build). A fixed loop, so callgrind counts it too.
    for (int spin = 0; spin < STALLOC_TESTING_SLOWDOWN_SPINS; ++spin) asm volatile("");
#endif
    if (size == 0) return dangling(align);
    if (size > capacity || !object_can_align(align)) return nullptr;
    void* p = allocate_blocks(blocks_for(size), align_in_blocks(align));
    if (p != nullptr) expose(p, size);
    return p;
  }

  // size 0 is a no-op (the pointer came from allocate(0, ...)).
  void deallocate(void* p, std::size_t size, std::size_t /*align*/) noexcept {
    if (size == 0) return;
    const std::size_t count = blocks_for(size);
    release(index_for(p, count), count);
  }

  // new_size >= old_size. In place when the next chunk allows (and p already
  // meets `align`), else allocate, copy, free. nullptr on failure, and then
  // the old allocation stays valid and the arena unchanged.
  [[nodiscard]] void* grow(void* p, std::size_t old_size, std::size_t new_size,
                           std::size_t align) noexcept {
    if (old_size == 0) return allocate(new_size, align);
    if (new_size > capacity || !detail::is_power_of_two(align)) return nullptr;
    const std::size_t old_count = blocks_for(old_size);
    const std::size_t new_count = blocks_for(new_size);
    const std::size_t at = index_for(p, old_count);
    if constexpr (Policy::checks) {
      if (at == kBadIndex) return nullptr;
    }
    const bool aligned = (reinterpret_cast<std::uintptr_t>(p) & (align - 1)) == 0;
    if (aligned) {
      if (new_count <= old_count) {
        expose(p, new_size);
        return p;
      }
      const std::size_t want = new_count - old_count;
      const std::size_t got = extend(at, old_count, want, want);
      if (got == want) {
        expose(p, new_size);
        return p;
      }
      if constexpr (Policy::checks) {
        if (got == kBadIndex) return nullptr;  // p was freed already (reported)
      }
    }
    void* q = allocate(new_size, align);
    if (q == nullptr) return nullptr;
    std::memcpy(q, p, old_size < new_size ? old_size : new_size);
    deallocate(p, old_size, align);
    return q;
  }

  // new_size <= old_size. In place unless `align` is stricter than p's own
  // alignment; new_size 0 frees and returns the zero-size pointer. nullptr
  // when `align` is not a power of two or a forced move finds no room (the
  // old allocation then stays valid).
  [[nodiscard]] void* shrink(void* p, std::size_t old_size, std::size_t new_size,
                             std::size_t align) noexcept {
    if (!detail::is_power_of_two(align)) return nullptr;
    if constexpr (Policy::checks) {
      if (old_size != 0 && index_for(p, blocks_for(old_size)) == kBadIndex) return nullptr;
    }
    if (new_size == 0) {
      deallocate(p, old_size, align);
      return dangling(align);
    }
    if ((reinterpret_cast<std::uintptr_t>(p) & (align - 1)) != 0) {
      void* q = allocate(new_size, align);
      if (q == nullptr) return nullptr;
      std::memcpy(q, p, new_size < old_size ? new_size : old_size);
      deallocate(p, old_size, align);
      return q;
    }
    const std::size_t old_count = blocks_for(old_size);
    const std::size_t new_count = blocks_for(new_size);
    if (new_count < old_count) shrink_in_place(p, old_count, new_count);
    expose(p, new_size);
    return p;
  }

  // grow or shrink, whichever the sizes call for.
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    return new_size >= old_size ? grow(p, old_size, new_size, align)
                                : shrink(p, old_size, new_size, align);
  }

  // ---- Diagnostics ------------------------------------------------------

  // Calls f(start_block, length_in_blocks) for each free chunk, in address
  // order. Stops early at anything out of range, so a corrupt list cannot
  // make it loop or read outside the arena.
  template <class F>
  void for_each_free_chunk(F&& f) const {
    if (is_oom()) return;
    std::size_t at = head_.next;
    std::size_t visited = 0;
    while (at < L && visited++ < L) {
      const detail::Header h = load(at);
      f(at, decode(h.size_code));
      if (h.next == 0) break;
      at = h.next;
    }
  }

  [[nodiscard]] FreeListStats stats() const noexcept {
    FreeListStats s;
    for_each_free_chunk([&](std::size_t, std::size_t len) {
      s.free_blocks += len;
      ++s.free_chunks;
      if (len > s.largest_free_chunk) s.largest_free_chunk = len;
    });
    return s;
  }

  // Walks the free list and reports the first broken invariant (I1..I5).
  [[nodiscard]] InvariantReport check_invariants() const noexcept {
    if (head_.size_code != 0 && head_.size_code != kFullMarker)
      return {false, "base header holds neither 0 nor the full marker", 0};
    if (is_oom()) return index_matches(0);
    std::size_t at = head_.next;
    std::size_t visited = 0;
    for (;;) {
      if (at >= L) return {false, "free chunk index out of range", at};
      if (++visited > L) return {false, "free list longer than the arena (cycle)", at};
      const detail::Header h = load(at);
      // Valid codes are 0..L-1 (lengths L..1); anything else is a zero or
      // negative length.
      if (h.size_code >= L) return {false, "free chunk length is zero or out of range", at};
      const std::size_t len = decode(h.size_code);
      if (at + len > L) return {false, "free chunk runs past the end of the arena", at};
      if constexpr (indexed) {
        if (!index_.starts_at(at)) return {false, "index does not mark a free chunk's start", at};
        if (!index_.bounds(at, len)) return {false, "index cap is below a free chunk's length", at};
      }
      if (h.next == 0) return index_matches(visited);
      if (h.next <= at) return {false, "free chunk indices not strictly increasing", at};
      if (at + len == h.next) return {false, "two free chunks touch (not coalesced)", at};
      if (at + len > h.next) return {false, "free chunks overlap", at};
      at = h.next;
    }
  }

  // Address of block `index`; for tests and diagnostics.
  [[nodiscard]] const void* block_address(std::size_t index) const noexcept {
    return base() + index * B;
  }
  [[nodiscard]] std::size_t block_index(const void* p) const noexcept {
    return static_cast<std::size_t>(static_cast<const unsigned char*>(p) - base()) >> kShift;
  }

 private:
  static constexpr std::uint16_t kFullMarker = 0xFFFF;
  static constexpr unsigned kShift = std::countr_zero(B);
  // Largest block alignment accepted; keeps index arithmetic far from overflow.
  static constexpr std::size_t kMaxBlockAlign = std::size_t{1} << 32;
  // A Link names the header whose `next` field points at the current chunk:
  // a block index, or kHeadLink for the base header.
  using Link = std::size_t;
  static constexpr Link kHeadLink = ~std::size_t{0};
  // index_for()'s answer, with a checking policy, for a pointer it reported.
  static constexpr std::size_t kBadIndex = ~std::size_t{0};

  // Length <-> size_code. For L == 65535 the code of length L is 0 and the
  // code of length 1 is 65534, so kFullMarker (65535) never occurs in a chunk.
  static constexpr std::uint16_t encode(std::size_t len) noexcept {
    return static_cast<std::uint16_t>(L - len);
  }
  static constexpr std::size_t decode(std::uint16_t code) noexcept {
    return L - static_cast<std::size_t>(code);
  }

  // Rounds up without overflowing, even for sizes near SIZE_MAX.
  static constexpr std::size_t blocks_for(std::size_t bytes) noexcept {
    return (bytes >> kShift) + ((bytes & (B - 1)) != 0 ? 1 : 0);
  }
  static constexpr bool valid_block_align(std::size_t align) noexcept {
    return detail::is_power_of_two(align) && align <= kMaxBlockAlign;
  }
  // Byte alignment -> block alignment; 0 (invalid) when not a power of two.
  static constexpr std::size_t align_in_blocks(std::size_t align) noexcept {
    if (!detail::is_power_of_two(align)) return 0;
    return align <= B ? 1 : align >> kShift;
  }
  // Block alignment is computed from block indices, which is only right when
  // the object is B-aligned; that fails only for B = 2^29 (see kMaxObjectAlign).
  bool object_can_align(std::size_t align) const noexcept {
    if constexpr (B > detail::kMaxObjectAlign) {
      const auto a = reinterpret_cast<std::uintptr_t>(base());
      if (align > detail::kMaxObjectAlign && (a & (B - 1)) != 0) return false;
    }
    (void)align;
    return true;
  }
  static void* dangling(std::size_t align) noexcept {
    return detail::is_power_of_two(align) ? reinterpret_cast<void*>(align) : nullptr;
  }

  unsigned char* base() noexcept {
    return storage_.bytes;
  }
  const unsigned char* base() const noexcept {
    return storage_.bytes;
  }

  // ASan: the caller may touch [p, p + size); the rest of its last block is
  // rounding slack and stays poisoned.
  void expose(void* p, std::size_t size) noexcept {
#if defined(STALLOC_ASAN_POISONING)
    if (!owns(p)) return;  // a pointer a checking policy has just reported
    auto* bytes = static_cast<unsigned char*>(p);
    detail::unpoison(bytes, size);
    detail::poison(bytes + size, blocks_for(size) * B - size);
#else
    (void)p;
    (void)size;
#endif
  }

  // The block index of an allocation start that covers `count` blocks. With a
  // checking policy, a pointer that cannot be one is reported and kBadIndex
  // returned; the callers then do nothing.
  std::size_t index_for(const void* p, std::size_t count) const noexcept {
    if constexpr (Policy::checks) {
      if (!owns(p)) return misuse(Misuse::foreign_pointer, "pointer not from this arena", p);
      const auto offset = static_cast<std::size_t>(static_cast<const unsigned char*>(p) - base());
      if ((offset & (B - 1)) != 0)
        return misuse(Misuse::misaligned_pointer, "pointer not at a block boundary", p);
      const std::size_t at = offset >> kShift;
      if (count == 0 || count > L - at)
        return misuse(Misuse::bad_size, "size is zero or runs past the end of the arena", p);
      return at;
    } else {
      (void)count;
      return block_index(p);
    }
  }

  std::size_t misuse(Misuse kind, const char* what, const void* p) const noexcept {
    Policy::report(MisuseReport{kind, what, this, p});
    return kBadIndex;
  }

  // Checking policies only: the base header, and one chunk header on the
  // walk, against I1..I4 (reported, so no walk goes astray).
  bool head_is_valid() const noexcept {
    if ((head_.size_code == 0 && head_.next < L) || head_.size_code == kFullMarker) return true;
    misuse(Misuse::corrupt_free_list, "free list corrupt: bad base header", this);
    return false;
  }
  bool chunk_is_valid(std::size_t at, detail::Header h) const noexcept {
    const std::size_t end = at + decode(h.size_code);
    if (at < L && h.size_code < L && end <= L && (h.next == 0 || (h.next > end && h.next < L)))
      return true;
    misuse(Misuse::corrupt_free_list, "free list corrupt: chunk header breaks an invariant",
           at < L ? block_address(at) : this);
    return false;
  }

  // The index of the first block whose address is a multiple of align * B.
  std::size_t align_up_index(std::size_t at, std::size_t align) const noexcept {
    const std::size_t phase = (reinterpret_cast<std::uintptr_t>(base()) >> kShift) & (align - 1);
    return ((at + phase + align - 1) & ~(align - 1)) - phase;
  }

  // I6 (indexed policies): the index marks exactly the free chunk starts.
  InvariantReport index_matches(std::size_t chunks) const noexcept {
    if constexpr (indexed) {
      if (index_.marked() != chunks)
        return {false, "index marks a block where no free chunk starts", 0};
    }
    (void)chunks;
    return {};
  }

  std::size_t length_at(std::size_t index) const noexcept {
    return decode(load(index).size_code);
  }
  // The link to the chunk at `at`: the free chunk just before it, or the head.
  Link link_before(std::size_t at) const noexcept {
    if constexpr (indexed) {
      const std::size_t before = index_.before(at);
      return before == Index::kNone ? kHeadLink : before;
    } else {
      (void)at;
      return kHeadLink;
    }
  }

#if defined(STALLOC_ASAN_POISONING)
  // Diagnostics and checked walks follow a corrupt list wherever it points,
  // maybe into poisoned memory: that must be reported as a broken invariant
  // or as misuse, not as an ASan error in the allocator itself.
  __attribute__((no_sanitize("address"))) detail::Header load(std::size_t index) const noexcept {
    unsigned char raw[sizeof(detail::Header)];
    const unsigned char* src = base() + index * B;
    for (std::size_t i = 0; i < sizeof raw; ++i) raw[i] = src[i];
    detail::Header h;
    std::memcpy(&h, raw, sizeof h);
    return h;
  }
#else
  detail::Header load(std::size_t index) const noexcept {
    detail::Header h;
    std::memcpy(&h, base() + index * B, sizeof h);
    return h;
  }
#endif
  // Writes the header of a free chunk; under ASan a chunk's header is the only
  // part of it that is not poisoned.
  void store(std::size_t index, detail::Header h) noexcept {
    detail::unpoison(base() + index * B, sizeof h);
#if defined(__GNUC__) && !defined(__clang__)
    // GCC 12 takes the union's initialised member (block 0's header) for the
    // destination object and flags writes to later blocks; they are in bounds.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
    std::memcpy(base() + index * B, &h, sizeof h);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  }
  void set_next(Link link, std::size_t next) noexcept {
    const auto n = static_cast<std::uint16_t>(next);
    if (link == kHeadLink) {
      head_.next = n;
    } else {
      std::memcpy(base() + link * B, &n, sizeof n);  // `next` is the header's first field
    }
  }

  // Carves [start, start + count) out of the chunk [at, end), which `link`
  // points to and whose successor is `next`. The part before `start` keeps the
  // chunk's header; the part after gets a new one.
  void* take(Link link, std::size_t at, std::size_t next, std::size_t start, std::size_t count,
             std::size_t end) noexcept {
    std::size_t after = next;
    if (start + count < end) {
      after = start + count;
      store(after, detail::Header{static_cast<std::uint16_t>(next), encode(end - after)});
      if constexpr (indexed) index_.add(after, end - after);
      detail::poison(base() + after * B + sizeof(detail::Header),
                     (end - after) * B - sizeof(detail::Header));
    }
    // The chunk at `at` keeps its index entry when a prefix of it stays free
    // (its cap is an upper bound, so a shorter chunk needs no update).
    if constexpr (indexed) {
      if (start == at) index_.remove(at);
    }
    if (start > at) {
      store(at, detail::Header{static_cast<std::uint16_t>(after), encode(start - at)});
      detail::poison(base() + at * B + sizeof(detail::Header),
                     (start - at) * B - sizeof(detail::Header));
    } else if (link == kHeadLink && after == 0) {
      // I5: the list just became empty. Only when the FIRST chunk is taken
      // whole: taking a later chunk whole just unlinks it (the crate marked
      // the arena full here and lost every earlier chunk).
      head_ = detail::Header{0, kFullMarker};
    } else {
      set_next(link, after);
    }
    void* p = base() + start * B;
    detail::unpoison(p, count * B);
    return p;
  }

  // Returns [at, at + count) to the free list, coalescing on both sides.
  // With a checking policy, `at` may be kBadIndex (already reported), and the
  // range is checked against the free chunks around it before anything is
  // written: overlapping one means a double free.
  void release(std::size_t at, std::size_t count) noexcept {
    if constexpr (Policy::checks) {
      if (at == kBadIndex || !head_is_valid()) return;
    } else {
      detail::assume(at < L);
    }
    if (is_oom()) {
      detail::poison(base() + at * B, count * B);
      head_ = detail::Header{static_cast<std::uint16_t>(at), 0};
      store(at, detail::Header{0, encode(count)});
      if constexpr (indexed) index_.add(at, count);
      return;
    }
    // Find the last chunk before `at` (prev) and the first after it (next).
    Link prev = kHeadLink;
    std::size_t prev_end = 0;
    std::size_t next = head_.next;
    detail::Header next_h{};
    bool has_next = true;
    if constexpr (indexed) {
      const std::size_t before = index_.before(at);
      if (before != Index::kNone) {
        prev = before;
        next_h = load(before);
        prev_end = before + decode(next_h.size_code);
        has_next = next_h.next != 0;
        next = next_h.next;
      }
    }
    while (!indexed && next < at) {
      next_h = load(next);
      if constexpr (Policy::checks) {
        if (!chunk_is_valid(next, next_h)) return;
      }
      prev = next;
      prev_end = next + decode(next_h.size_code);
      if (next_h.next == 0) {
        has_next = false;
        break;
      }
      next = next_h.next;
    }
    if constexpr (Policy::checks) {
      if (prev_end > at || (has_next && next < at + count)) {
        misuse(Misuse::double_free, "the freed range overlaps a free chunk", block_address(at));
        return;
      }
    }

    std::size_t len = count;
    std::size_t successor = has_next ? next : 0;
    bool merged_next = false;
    if (has_next && at + count == next) {  // merge with the chunk after
      const detail::Header h = load(next);
      len += decode(h.size_code);
      successor = h.next;
      merged_next = true;
    }
    // ASan: the freed blocks, and a swallowed successor's header, become
    // chunk body; store() below unpoisons the one header that survives.
    detail::poison(base() + at * B, count * B);
    if (merged_next) detail::poison(base() + next * B, sizeof(detail::Header));
    if constexpr (indexed) {
      if (merged_next) index_.remove(next);
    }
    if (prev != kHeadLink && prev_end == at) {  // merge into the chunk before
      store(prev,
            detail::Header{static_cast<std::uint16_t>(successor), encode(prev_end - prev + len)});
      if constexpr (indexed) index_.raise(prev, prev_end - prev + len);
    } else {
      store(at, detail::Header{static_cast<std::uint16_t>(successor), encode(len)});
      set_next(prev, at);
      if constexpr (indexed) index_.add(at, len);
    }
  }

  // The allocation [alloc, alloc + old_count) takes between `min` and `max`
  // blocks from the free chunk that starts right after it, if there is one.
  // Returns how many were taken (0 if fewer than `min` were available;
  // nothing changes then). With a checking policy, kBadIndex when misuse
  // was reported (also nothing changed).
  std::size_t extend(std::size_t alloc, std::size_t old_count, std::size_t min,
                     std::size_t max) noexcept {
    if constexpr (Policy::checks) {
      if (alloc == kBadIndex || !head_is_valid()) return kBadIndex;
    }
    const std::size_t at = alloc + old_count;
    if (is_oom() || at >= L) return 0;
    if constexpr (indexed && !Policy::checks) {
      if (!index_.starts_at(at)) return 0;
      const detail::Header h = load(at);
      const std::size_t len = decode(h.size_code);
      if (len < min) return 0;
      const std::size_t got = len < max ? len : max;
      take(link_before(at), at, h.next, at, got, at + len);
      return got;
    }
    Link link = kHeadLink;
    std::size_t cur = head_.next;
    detail::Header h = load(cur);
    for (;;) {
      if constexpr (Policy::checks) {
        if (!chunk_is_valid(cur, h)) return kBadIndex;
        // A free chunk inside the allocation: it was freed already.
        if (cur + decode(h.size_code) > alloc && cur < at)
          return misuse(Misuse::double_free, "grow of a freed allocation", block_address(alloc));
      }
      if (cur >= at) break;
      if (h.next == 0) return 0;
      link = cur;
      cur = h.next;
      h = load(cur);
    }
    if (cur != at) return 0;
    const std::size_t len = decode(h.size_code);
    if (len < min) return 0;
    const std::size_t got = len < max ? len : max;
    take(link, at, h.next, at, got, at + len);
    return got;
  }

  // The blocks. A union so the constexpr constructor can leave them
  // untouched: only block 0's header (the first member) is initialised, to
  // the all-zero "one free chunk of L blocks".
  union Storage {
    detail::Header first_header{0, 0};
    alignas(B < detail::kMaxObjectAlign ? B : detail::kMaxObjectAlign) unsigned char bytes[L * B];
  } storage_;
  detail::Header head_{0, 0};
  // Only with an indexed policy; otherwise empty and of size zero, so the
  // plain arena stays exactly L * B + 4 bytes (rounded to its alignment).
  using Index = std::conditional_t<indexed, detail::ChunkIndex<L>, detail::NoChunkIndex>;
  [[no_unique_address]] Index index_;
};

}  // namespace stalloc
