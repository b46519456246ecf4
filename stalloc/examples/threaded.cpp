// threaded: six threads share one SyncStalloc<6, 4> (24 bytes: one block per
// thread), each allocating and freeing 1000 boxed ints; a fresh arena and six
// fresh threads for each of 5000 rounds. The sum of every boxed value is
// checked.
//
// The default side boxes with std::make_unique (glibc malloc, which gives
// each thread its own cache, so it never contends). Thread start-up is the
// same on both sides and is a large share of the time.
#include <stalloc/sync.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <thread>
#include <vector>

#include "example_support.hpp"

namespace {

constexpr unsigned kThreads = 6;
constexpr std::uint64_t kBoxesPerThread = 1000;
using Arena = stalloc::SyncStalloc<kThreads, 4>;

// An int in the arena, freed when the box goes.
class Box {
 public:
  Box(Arena& arena, int value) : arena_(&arena) {
    void* p = arena.allocate(sizeof(int), alignof(int));
    if (p == nullptr) {
      std::fputs("threaded: the arena ran out (it holds one box per thread)\n", stderr);
      std::abort();
    }
    value_ = ::new (p) int(value);
  }
  Box(const Box&) = delete;
  Box& operator=(const Box&) = delete;
  ~Box() { arena_->deallocate(value_, sizeof(int), alignof(int)); }
  int& operator*() const noexcept { return *value_; }
  int* get() const noexcept { return value_; }

 private:
  Arena* arena_;
  int* value_;
};

template <class MakeBoxAndRead>
std::uint64_t rounds(std::uint64_t count, MakeBoxAndRead make_box_and_read) {
  std::uint64_t total = 0;
  for (std::uint64_t round = 0; round < count; ++round) {
    Arena arena;
    std::atomic<std::uint64_t> sum{0};
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (unsigned t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::uint64_t local = 0;
        for (std::uint64_t i = 0; i < kBoxesPerThread; ++i) {
          local += make_box_and_read(arena, static_cast<int>(t * kBoxesPerThread + i));
        }
        sum += local;
      });
    }
    for (auto& thread : threads) thread.join();
    if (!arena.is_empty()) return 0;
    total += sum.load();
  }
  return total;
}

std::uint64_t with_stalloc(std::uint64_t count) {
  return rounds(count, [](Arena& arena, int value) -> std::uint64_t {
    Box box(arena, value);
    examples::keep(box.get());
    return static_cast<std::uint64_t>(*box);
  });
}

std::uint64_t with_default(std::uint64_t count) {
  return rounds(count, [](Arena&, int value) -> std::uint64_t {
    auto box = std::make_unique<int>(value);
    examples::keep(box.get());
    return static_cast<std::uint64_t>(*box);
  });
}

}  // namespace

int main(int argc, char** argv) {
  const examples::Options options = examples::parse_options(argc, argv);
  const std::uint64_t n = options.short_run ? 50 : 5000;
  // Each round boxes every value 0 .. 6*1000-1 once.
  constexpr std::uint64_t kValues = kThreads * kBoxesPerThread;
  const std::uint64_t per_round = kValues * (kValues - 1) / 2;
  return examples::run_side_by_side(
      "threaded", options, n, n * per_round, [&] { return with_stalloc(n); },
      [&] { return with_default(n); });
}
