// A global chain: a small SyncStalloc first, the system allocator behind it.
// The program overflows into malloc and comes back; every delete (sized,
// unsized, aligned) must reach the link that made the allocation, and the
// arena must be consistent and empty at exit.
#include <stalloc/global.hpp>

#include <iostream>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "global_check.hpp"

STALLOC_GLOBAL_ALLOCATOR(heap, stalloc::AllocChain<stalloc::SyncStalloc<1024, 8>, stalloc::System>);

namespace {

auto& arena() {
  return heap.first();
}
bool in_arena(const void* p) {
  return arena().owns(p);
}

struct alignas(128) Wide {
  unsigned char bytes[128];
};

// Made before main, destroyed after it: one part in the arena, one in malloc.
struct BeforeMain {
  std::string small = std::string(40, 's');
  std::string big = std::string(50'000, 'b');
  std::map<int, std::string> both;
  BeforeMain() {
    for (int i = 0; i < 8; ++i) both[i] = std::string(static_cast<std::size_t>(30 + i * 3000), 'm');
  }
} before_main;

[[gnu::destructor]] void arena_is_empty_at_exit() {
  GLOBAL_CHECK_CONSISTENT(heap);
  GLOBAL_CHECK(arena().is_empty());
}

void overflow_and_back() {
  // Small objects fill the 8 KiB arena, then spill into malloc.
  std::vector<std::unique_ptr<std::string>> strings;
  strings.reserve(2000);
  std::size_t in_arena_count = 0;
  std::size_t spilled = 0;
  for (int i = 0; i < 2000; ++i) {
    strings.push_back(std::make_unique<std::string>(40, static_cast<char>('a' + i % 26)));
    (in_arena(strings.back()->data()) ? in_arena_count : spilled) += 1;
  }
  GLOBAL_CHECK(in_arena_count > 50 && spilled > 500);
  GLOBAL_CHECK(arena().is_oom() || arena().stats().largest_free_chunk < 6);
  // Free every other one (sized deletes routed to both links)...
  for (std::size_t i = 0; i < strings.size(); i += 2) strings[i].reset();
  GLOBAL_CHECK_CONSISTENT(heap);
  // ...and the arena serves again before malloc does.
  auto again = std::make_unique<std::string>(40, 'q');
  GLOBAL_CHECK(in_arena(again->data()));
  strings.clear();
  again.reset();
}

void growth_leaves_the_arena() {
  // A string that outgrows the arena moves into malloc; its old buffer is
  // freed back into the arena.
  std::string s;
  bool was_in_arena = false;
  for (int i = 0; i < 20000; ++i) {
    s.push_back(static_cast<char>('0' + i % 10));
    was_in_arena = was_in_arena || in_arena(s.data());
  }
  GLOBAL_CHECK(was_in_arena && !in_arena(s.data()));
  for (int i = 0; i < 20000; ++i) GLOBAL_CHECK(s[static_cast<std::size_t>(i)] == '0' + i % 10);
}

void unsized_and_aligned_deletes_on_both_links() {
  int* small = new int[10];  // in the arena; unsized delete[]
  GLOBAL_CHECK(in_arena(small));
  int* big = new int[10000];  // 40 KB: malloc; unsized delete[] goes to free()
  GLOBAL_CHECK(!in_arena(big));
  delete[] small;
  delete[] big;
  Wide* w = new Wide;  // aligned, in the arena
  GLOBAL_CHECK(in_arena(w) && reinterpret_cast<std::uintptr_t>(w) % 128 == 0);
  delete w;
  void* wa = ::operator new (50000, std::align_val_t{4096});  // aligned, from aligned_alloc
  GLOBAL_CHECK(!in_arena(wa) && reinterpret_cast<std::uintptr_t>(wa) % 4096 == 0);
  ::operator delete (wa, std::align_val_t{4096});
}

void maps_and_exceptions() {
  std::map<std::string, std::vector<double>> m;
  for (int i = 0; i < 500; ++i)
    m["entry " + std::to_string(i)].assign(static_cast<std::size_t>(i % 9), 0.5);
  try {
    throw std::runtime_error(std::string(1000, 'e'));
  } catch (const std::runtime_error& e) {
    GLOBAL_CHECK(std::string(e.what()).size() == 1000);
  }
}

}  // namespace

int main() {
  GLOBAL_CHECK(in_arena(before_main.small.data()) && !in_arena(before_main.big.data()));
  const std::size_t free_at_start = arena().stats().free_blocks;
  overflow_and_back();
  growth_leaves_the_arena();
  unsized_and_aligned_deletes_on_both_links();
  maps_and_exceptions();
  GLOBAL_CHECK_CONSISTENT(heap);
  GLOBAL_CHECK(arena().stats().free_blocks == free_at_start);
  std::cout << "global chain test passed" << std::endl;
  return 0;
}
