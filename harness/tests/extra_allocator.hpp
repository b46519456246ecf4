// A test-only allocator appended to the registry by the slot isolation test
// (harness/tests/CMakeLists.txt): malloc with a call counter, code that no
// other allocator has. Never part of a normal build.
#pragma once

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "allocators/descriptor.hpp"

namespace harness {

class CountingMallocAdapter {
 public:
  [[nodiscard]] void* allocate(std::size_t size, std::size_t /*align*/) noexcept {
    ++calls_;
    return std::malloc(size == 0 ? 1 : size);
  }
  void deallocate(void* p, std::size_t /*size*/, std::size_t /*align*/) noexcept {
    ++calls_;
    std::free(p);
  }
  [[nodiscard]] void* reallocate(void* p, std::size_t /*old_size*/, std::size_t new_size,
                                 std::size_t /*align*/) noexcept {
    ++calls_;
    return std::realloc(p, new_size == 0 ? 1 : new_size);
  }

 private:
  unsigned long calls_ = 0;
};

struct TestOnlyAllocator {
  static constexpr std::string_view name = "test-only-counting-malloc";
  static constexpr std::string_view description = "malloc with a call counter (tests only)";
  static constexpr bool thread_safe = false;
  static constexpr MallocProvider malloc_provider = MallocProvider::glibc;
  template <workloads::ArenaHint>
  using adapter = CountingMallocAdapter;
};

}  // namespace harness
