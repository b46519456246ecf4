// The whole program's allocations go through one arena (the global
// replacement), including iostreams, strings, maps, exceptions, threads, and
// unsized, array, nothrow and aligned forms; objects made before main are
// freed after it; and when the program ends the arena is consistent and empty.
// Built twice: with a SyncStalloc (and threads), and with an UnsafeStalloc.
#include <stalloc/global.hpp>

#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "global_check.hpp"

#if defined(GLOBAL_TEST_UNSAFE)
STALLOC_GLOBAL_ALLOCATOR(heap, stalloc::UnsafeStalloc<32768, 16>);
#else
STALLOC_GLOBAL_ALLOCATOR(heap, stalloc::SyncStalloc<32768, 16>);
#endif

namespace {

constexpr std::size_t kBlocks = 32768;
constexpr std::size_t kCapacity = kBlocks * 16;

// Built before main (dynamic initialisation), destroyed after it.
struct BeforeMain {
  std::map<std::string, std::vector<int>> table;
  std::unique_ptr<std::string> note;
  BeforeMain() {
    for (int i = 0; i < 20; ++i) table["key number " + std::to_string(i)] = std::vector<int>(i, i);
    note = std::make_unique<std::string>("allocated before main, freed after it");
  }
} before_main;

struct alignas(64) Wide {
  unsigned char bytes[64];
};

struct Base {
  virtual ~Base() = default;
  virtual int value() const = 0;
};
struct Derived : Base {
  std::string payload = std::string(100, 'd');
  int value() const override { return static_cast<int>(payload.size()); }
};

// Exit-time check: runs from the ELF destructor list, after every static
// destructor (including before_main's).
[[gnu::destructor]] void arena_is_empty_at_exit() {
  GLOBAL_CHECK_CONSISTENT(heap);
  if (!heap.is_empty()) {
    std::fprintf(stderr, "arena not empty at exit: only %zu of %zu blocks free\n",
                 heap.stats().free_blocks, kBlocks);
    ::_exit(1);
  }
}

void iostreams_and_strings() {
  std::ostringstream out;
  out << "pi is about " << 3.14159 << " and a long tail " << std::string(300, 'x');
  const std::string text = out.str();
  GLOBAL_CHECK(text.size() > 300 && heap.owns(text.data()));
  std::istringstream in("17 4.5 words and more words");
  int i = 0;
  double d = 0;
  std::string word;
  in >> i >> d >> word;
  GLOBAL_CHECK(i == 17 && d == 4.5 && word == "words");
  std::cout << "iostreams: " << text.substr(0, 20) << "...\n";
}

void containers() {
  std::map<int, std::string> m;
  std::unordered_map<std::string, int> u;
  for (int i = 0; i < 2000; ++i) {
    m[i] = std::string(static_cast<std::size_t>(i % 50 + 20), static_cast<char>('a' + i % 26));
    u[m[i]] += i;
  }
  GLOBAL_CHECK(m.size() == 2000 && u.size() == 650);  // lcm(50, 26) distinct strings
  std::vector<std::unique_ptr<int>> boxes;
  for (int i = 0; i < 1000; ++i) boxes.push_back(std::make_unique<int>(i));
  GLOBAL_CHECK(heap.owns(boxes[500].get()) && *boxes[500] == 500);
  auto shared = std::make_shared<std::vector<int>>(100, 3);
  std::function<int()> f = [shared, big = std::string(200, 'f')] { return (*shared)[5]; };
  GLOBAL_CHECK(f() == 3);
}

void exceptions() {
  bool caught = false;
  try {
    throw std::runtime_error("a message long enough to be allocated: " + std::string(100, 'e'));
  } catch (const std::exception& e) {
    caught = std::string(e.what()).size() > 100;
  }
  GLOBAL_CHECK(caught);
}

void forms_of_new_and_delete() {
  // Arrays of trivially destructible types are freed by the unsized
  // operator delete[](void*): the arena must find the size itself.
  int* ints = new int[37];
  GLOBAL_CHECK(heap.owns(ints));
  delete[] ints;
  // Unsized plain delete, called directly as the runtime does.
  void* raw = ::operator new(123);
  ::operator delete(raw);
  // Sized delete through a virtual destructor.
  Base* b = new Derived;
  GLOBAL_CHECK(b->value() == 100);
  delete b;
  // Over-aligned: operator new(size, align_val_t) and its deletes.
  Wide* w = new Wide;
  GLOBAL_CHECK(reinterpret_cast<std::uintptr_t>(w) % 64 == 0 && heap.owns(w));
  delete w;  // sized + aligned
  Wide* ws = new Wide[5];
  GLOBAL_CHECK(reinterpret_cast<std::uintptr_t>(ws) % 64 == 0);
  delete[] ws;
  void* aligned = ::operator new (100, std::align_val_t{256});
  GLOBAL_CHECK(reinterpret_cast<std::uintptr_t>(aligned) % 256 == 0);
  ::operator delete (aligned, std::align_val_t{256});  // unsized + aligned
  // nothrow forms.
  int* fine = new (std::nothrow) int(5);
  GLOBAL_CHECK(fine != nullptr && *fine == 5);
  delete fine;
  char* too_big = new (std::nothrow) char[kCapacity + 1];
  GLOBAL_CHECK(too_big == nullptr);
  void* too_big_aligned = ::operator new (kCapacity, std::align_val_t{64}, std::nothrow);
  GLOBAL_CHECK(too_big_aligned == nullptr);
  // Zero-size new gives distinct pointers.
  void* z1 = ::operator new(0);
  void* z2 = ::operator new(0);
  GLOBAL_CHECK(z1 != z2);
  ::operator delete (z1, std::size_t{0});
  ::operator delete(z2);
}

void full_arena() {
  bool threw = false;
  try {
    std::vector<char> huge(kCapacity + 1);
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  GLOBAL_CHECK(threw);
  // Fill the arena with small objects until it refuses, then free them all.
  std::vector<void*> pieces;
  pieces.reserve(12000);  // 512 KiB / 48 B, rounded up
  while (void* p = ::operator new(48, std::nothrow)) pieces.push_back(p);
  GLOBAL_CHECK(heap.is_oom() || heap.stats().largest_free_chunk < 3);
  threw = false;
  try {
    (void)new std::string(100, 'x');
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  GLOBAL_CHECK(threw);
  // A new_handler that frees memory lets the retry succeed.
  static void* reserve;
  reserve = pieces.back();
  pieces.pop_back();
  std::set_new_handler([] {
    ::operator delete(reserve, 48);
    std::set_new_handler(nullptr);
  });
  void* rescued = ::operator new(40);
  GLOBAL_CHECK(heap.owns(rescued));
  ::operator delete(rescued, 40);
  for (void* p : pieces) ::operator delete(p, 48);
  GLOBAL_CHECK_CONSISTENT(heap);
}

void threads() {
#if !defined(GLOBAL_TEST_UNSAFE)
  std::atomic<long> total{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&total, t] {
      for (int i = 0; i < 2000; ++i) {
        auto s = std::make_unique<std::string>(static_cast<std::size_t>(20 + (i + t) % 60), 'z');
        std::vector<int> v(static_cast<std::size_t>(i % 17), t);
        total += static_cast<long>(s->size() + v.size());
      }
    });
  }
  for (auto& w : workers) w.join();
  GLOBAL_CHECK(total.load() > 0);
#endif
}

}  // namespace

int main() {
  GLOBAL_CHECK(heap.owns(before_main.note.get()));
  GLOBAL_CHECK(!before_main.table.empty());
  const std::size_t free_at_start = heap.stats().free_blocks;

  iostreams_and_strings();
  containers();
  exceptions();
  forms_of_new_and_delete();
  full_arena();
  threads();

  GLOBAL_CHECK_CONSISTENT(heap);
  // Everything main allocated is back (iostreams keep nothing in the arena).
  GLOBAL_CHECK(heap.stats().free_blocks == free_at_start);
  std::cout << "global arena test passed" << std::endl;
  return 0;
}
