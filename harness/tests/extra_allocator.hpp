// A test-only allocator appended to the registry by the slot isolation test
// and the one-file-plus-one-line test (harness/tests/CMakeLists.txt): glibc's
// malloc with a call counter, code that no other allocator has. Never part of
// a normal build.
#pragma once

#include <cstddef>
#include <string_view>

#include "allocators/descriptor.hpp"
#include "allocators/malloc_adapter.hpp"

namespace harness {

class CountingMallocAdapter {
 public:
  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    ++calls_;
    return malloc_.allocate(size, align);
  }
  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    ++calls_;
    malloc_.deallocate(p, size, align);
  }
  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    ++calls_;
    return malloc_.reallocate(p, old_size, new_size, align);
  }

 private:
  GlibcMallocAdapter malloc_;
  unsigned long calls_ = 0;
};

struct TestOnlyAllocator {
  static constexpr std::string_view name = "test-only-counting-malloc";
  static constexpr std::string_view description = "malloc with a call counter (tests only)";
  static constexpr Family family = Family::other;
  static constexpr Role role = Role::competitor;
  static constexpr bool thread_safe = false;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  static constexpr MemoryModel memory_model = MemoryModel::whole_process;
  template <workloads::ArenaHint>
  using adapter = CountingMallocAdapter;
};

}  // namespace harness
