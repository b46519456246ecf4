// stalloc::resource<Arena>: a std::pmr::memory_resource over any arena with
// the byte API, so the pmr containers can live in an arena:
//
//   stalloc::Stalloc<1024, 8> heap;
//   stalloc::resource res(heap);
//   std::pmr::vector<int> v{&res};
//
// The resource refers to the arena (which must outlive it); it adds one
// virtual call per allocation, the price of pmr's type erasure. Two
// resources are equal only when they are the same object, as pmr requires
// for memory to be freed through either. A full arena throws std::bad_alloc.
#pragma once

#include <cstddef>
#include <memory_resource>
#include <new>

namespace stalloc {

template <class Arena>
class resource final : public std::pmr::memory_resource {
 public:
  // Refers to `arena`, which must outlive the resource and everything
  // allocated through it. Neither copyable nor movable (pmr containers hold
  // its address). O(1).
  explicit resource(Arena& arena) noexcept : arena_(&arena) {}
  resource(const resource&) = delete;
  resource& operator=(const resource&) = delete;

  // The arena this resource uses. O(1).
  [[nodiscard]] Arena& arena() const noexcept { return *arena_; }

 private:
  // What memory_resource::allocate(bytes, alignment) does: the arena's
  // allocate, or std::bad_alloc when it returns nullptr. Cost: the arena's
  // allocate plus one virtual call.
  void* do_allocate(std::size_t bytes, std::size_t alignment) override {
    void* p = arena_->allocate(bytes, alignment);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  // memory_resource::deallocate: the arena's deallocate. p and bytes must
  // be as given to allocate. Cost: the arena's deallocate plus one virtual
  // call.
  void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override {
    arena_->deallocate(p, bytes, alignment);
  }
  // memory_resource::is_equal: only the same object. O(1).
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  Arena* arena_;
};

template <class Arena>
resource(Arena&) -> resource<Arena>;

}  // namespace stalloc
