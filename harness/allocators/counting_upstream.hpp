// A memory_resource that forwards to new/delete and counts the bytes it holds,
// so the pmr adapters can report exactly what they took from below (their
// "bytes held"). It is only called when a pmr resource refills, never per
// request, so counting costs nothing measurable. An optional cap turns a
// runaway (a bump allocator that never frees) into failed requests instead of
// exhausting the machine.
#pragma once

#include <cstddef>
#include <limits>
#include <memory_resource>
#include <new>

namespace harness {

class CountingUpstream final : public std::pmr::memory_resource {
 public:
  explicit CountingUpstream(std::size_t cap = std::numeric_limits<std::size_t>::max()) noexcept
      : cap_(cap) {}

  [[nodiscard]] std::size_t held_bytes() const noexcept { return held_; }
  [[nodiscard]] std::size_t peak_bytes() const noexcept { return peak_; }

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    if (bytes > cap_ - held_) throw std::bad_alloc();
    void* p = std::pmr::new_delete_resource()->allocate(bytes, align);
    held_ += bytes;
    if (held_ > peak_) peak_ = held_;
    return p;
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
    std::pmr::new_delete_resource()->deallocate(p, bytes, align);
    held_ -= bytes;
  }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  std::size_t cap_;
  std::size_t held_ = 0;
  std::size_t peak_ = 0;
};

}  // namespace harness
