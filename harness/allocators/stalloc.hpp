// `stalloc`: a Stalloc arena owned by the adapter and called directly.
//
// The arena lives inside the adapter object (the harness creates one adapter
// per run), so every call is a member call on a known object: this is the
// "local arena" use of the crate, with no lock and no global.
#pragma once

#include <cstddef>
#include <string_view>

#include <stalloc/stalloc.hpp>

#include "allocators/descriptor.hpp"
#include "allocators/stalloc_arena_probe.hpp"
#include "allocators/testing_slowdown.hpp"

namespace harness {

// Policy: stalloc::QuickFit (the default design), FirstFit (the crate's),
// Indexed or Hardened.
template <std::size_t L, std::size_t B, class Policy = stalloc::QuickFit>
class StallocAdapter {
 public:
  using Arena = stalloc::Stalloc<L, B, Policy>;
  static constexpr std::size_t arena_capacity = Arena::capacity;
  static constexpr std::size_t arena_footprint = sizeof(Arena);

  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    testing_slowdown();  // nothing unless a slowed test build (testing_slowdown.hpp)
    return arena_.allocate(size, align);
  }
  // A null pointer (a failed request the caller frees anyway) is ignored, as
  // free(nullptr) is; Stalloc itself would take it for a block index.
  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    if (p != nullptr) arena_.deallocate(p, size, align);
  }
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    if (p == nullptr) return arena_.allocate(new_size, align);
    return arena_.reallocate(p, old_size, new_size, align);
  }
  void release_all() noexcept { arena_.clear(); }

  [[nodiscard]] std::size_t arena_offset(const void* p) const noexcept {
    return stalloc_arena_offset(arena_, arena_.block_address(0), p);
  }

 private:
  Arena arena_;
};

struct StallocAllocator {
  static constexpr std::string_view name = "stalloc";
  static constexpr std::string_view description =
      "Stalloc<L,B> (default QuickFit) arena owned by the caller, called directly (no lock); L,B "
      "from the workload";
  static constexpr bool thread_safe = false;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  template <workloads::ArenaHint H>
  using adapter = StallocAdapter<H.blocks, H.block_size>;
};

}  // namespace harness
