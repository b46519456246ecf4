// Records every request a (single-threaded) workload makes, in order, so
// tests can check the shape the workload claims: sizes, lifetimes, order.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <vector>

namespace workloads::testing {

struct Request {
  enum Kind { kAllocate, kFree, kReallocate } kind;
  void* p;  // the block returned (allocate, reallocate) or freed
  std::size_t size;
  std::size_t align;
};

class RecordingAllocator {
 public:
  void* allocate(std::size_t size, std::size_t align) {
    void* p = std::aligned_alloc(align < 16 ? 16 : align, round_up(size, align < 16 ? 16 : align));
    log.push_back({Request::kAllocate, p, size, align});
    return p;
  }
  void deallocate(void* p, std::size_t size, std::size_t align) {
    log.push_back({Request::kFree, p, size, align});
    std::free(p);
  }
  void* reallocate(void* p, std::size_t, std::size_t new_size, std::size_t align) {
    void* q = std::realloc(p, new_size);
    log.push_back({Request::kReallocate, q, new_size, align});
    return q;
  }

  std::vector<Request> log;

 private:
  static std::size_t round_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }
};

}  // namespace workloads::testing
