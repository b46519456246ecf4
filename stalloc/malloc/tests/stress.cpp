// Stress test of libstalloc-malloc.so, run under LD_PRELOAD (ctest
// malloc.stress): 8 threads make random calls of the whole malloc family
// (malloc, calloc, realloc, reallocarray, posix_memalign, aligned_alloc,
// memalign, valloc, pvalloc, malloc_usable_size, free, and new/delete),
// filling every allocation with a pattern and verifying it before each
// realloc and free; calloc's zeroes and every alignment are checked too.
// Meanwhile the main thread forks several times: each child allocates,
// checks and exits 0 (through exit(), so its exit path runs too); the parent
// checks the status. Fails (exit 1) on any mismatch, and when the arenas
// served nothing (the library is not really in use).
//   stalloc_malloc_stress [operations per thread [live slots per thread]]
// With many slots (ctest malloc.stress_one_arena: 4096, one arena of each
// class) the live set outgrows the arenas and part of it comes from glibc.
#include <malloc.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "preload_check.hpp"

namespace {

using malloc_test::fill;
using malloc_test::first_bad;

malloc_test::Library g_lib;
std::atomic<int> g_failures{0};
std::atomic<long> g_owned{0};  // allocations the arenas served
std::atomic<long> g_total{0};

void fail(const char* what, std::size_t a = 0, std::size_t b = 0) {
  std::fprintf(stderr, "FAIL: %s (%zu, %zu)\n", what, a, b);
  g_failures.fetch_add(1);
}

struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

struct Slot {
  void* p = nullptr;
  std::size_t size = 0;
  unsigned seed = 0;
  bool is_new = false;  // from operator new[] (freed with delete[])
};

// Mostly small (the arenas' sizes), some medium, a few large (glibc's).
std::size_t random_size(Rng& r) {
  const std::size_t k = r.below(100);
  if (k < 60) return r.below(257);
  if (k < 90) return 257 + r.below(4096 - 256);
  if (k < 98) return 4097 + r.below(30000);
  return 100000 + r.below(200000);
}

void check_and_release(Slot& s) {
  if (s.p == nullptr) return;
  const std::size_t bad = first_bad(s.p, s.size, s.seed);
  if (bad != s.size) fail("pattern overwritten before free", bad, s.size);
  if (s.is_new) {
    delete[] static_cast<unsigned char*>(s.p);
  } else {
    free(s.p);
  }
  s = Slot{};
}

void record(Slot& s, void* p, std::size_t size, unsigned seed, std::size_t align = 1) {
  if (p == nullptr) return fail("allocation failed", size, align);
  if (reinterpret_cast<std::uintptr_t>(p) % align != 0) fail("misaligned", align, size);
  if (!s.is_new && malloc_usable_size(p) < size) fail("usable size too small", size);
  fill(p, size, seed);
  s.p = p;
  s.size = size;
  s.seed = seed;
  g_total.fetch_add(1, std::memory_order_relaxed);
  if (g_lib.owns(p) != 0) g_owned.fetch_add(1, std::memory_order_relaxed);
}

void worker(unsigned id, long ops, std::size_t slot_count) {
  std::vector<Slot> slots(slot_count);
  Rng r{0x9E3779B97F4A7C15ULL * (id + 1)};
  const long page = sysconf(_SC_PAGESIZE);
  static const std::size_t aligns[] = {8, 16, 32, 64, 128, 256, 1024, 4096, 8192};
  for (long op = 0; op < ops; ++op) {
    Slot& s = slots[r.below(slot_count)];
    const auto seed = static_cast<unsigned>(r.next());
    if (s.p != nullptr && r.below(3) != 0) {
      // realloc / reallocarray keep the common prefix, or free.
      const std::size_t kind = r.below(4);
      if (kind == 0 && !s.is_new) {
        const std::size_t n = random_size(r);
        const std::size_t keep = n < s.size ? n : s.size;
        void* q = realloc(s.p, n == 0 ? 1 : n);
        if (q == nullptr) {
          fail("realloc failed", n);
          continue;
        }
        const std::size_t bad = first_bad(q, keep, s.seed);
        if (bad != keep) fail("realloc lost content", bad, keep);
        s.p = nullptr;
        record(s, q, n == 0 ? 1 : n, seed);
      } else if (kind == 1 && !s.is_new) {
        const std::size_t count = 1 + r.below(64);
        const std::size_t n = count * 8;
        const std::size_t keep = n < s.size ? n : s.size;
        void* q = reallocarray(s.p, count, 8);
        if (q == nullptr) {
          fail("reallocarray failed", n);
          continue;
        }
        const std::size_t bad = first_bad(q, keep, s.seed);
        if (bad != keep) fail("reallocarray lost content", bad, keep);
        s.p = nullptr;
        record(s, q, n, seed);
      } else {
        check_and_release(s);
      }
      continue;
    }
    check_and_release(s);
    const std::size_t n = random_size(r);
    switch (r.below(10)) {
      case 0: {
        const std::size_t count = 1 + r.below(32);
        const std::size_t each = 1 + n / count;
        auto* p = static_cast<unsigned char*>(calloc(count, each));
        if (p == nullptr) {
          fail("calloc failed", count * each);
          break;
        }
        for (std::size_t i = 0; i < count * each; ++i) {
          if (p[i] != 0) {
            fail("calloc memory not zero", i, count * each);
            break;
          }
        }
        record(s, p, count * each, seed);
        break;
      }
      case 1: {
        void* p = nullptr;
        const std::size_t a = aligns[r.below(std::size(aligns))];
        const int rc = posix_memalign(&p, a, n);
        if (rc != 0) {
          fail("posix_memalign failed", a, n);
          break;
        }
        record(s, p, n, seed, a);
        break;
      }
      case 2: {
        const std::size_t a = aligns[r.below(std::size(aligns))];
        record(s, aligned_alloc(a, n), n, seed, a);
        break;
      }
      case 3: {
        const std::size_t a = aligns[r.below(std::size(aligns))];
        record(s, memalign(a, n), n, seed, a);
        break;
      }
      case 4:
        if (r.below(8) == 0) {
          record(s, valloc(n), n, seed, static_cast<std::size_t>(page));
          break;
        }
        [[fallthrough]];
      case 5:
        if (r.below(8) == 0) {
          void* p = pvalloc(n);
          if (p != nullptr && malloc_usable_size(p) < static_cast<std::size_t>(page))
            fail("pvalloc smaller than a page", n);
          record(s, p, n, seed, static_cast<std::size_t>(page));
          break;
        }
        [[fallthrough]];
      case 6: {
        s.is_new = true;
        record(s, new unsigned char[n == 0 ? 1 : n], n == 0 ? 1 : n, seed);
        break;
      }
      default:
        record(s, malloc(n), n, seed, 16);
        break;
    }
  }
  for (Slot& s : slots) check_and_release(s);
}

// In a forked child: the arenas (and glibc) must work, whatever the other
// threads of the parent were doing at the fork.
int child_work(unsigned round) {
  Rng r{round + 12345};
  std::vector<void*> ptrs;
  long owned = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::size_t n = random_size(r);
    void* p = malloc(n);
    if (p == nullptr) return 2;
    fill(p, n, static_cast<unsigned>(i));
    if (first_bad(p, n, static_cast<unsigned>(i)) != n) return 3;
    if (g_lib.owns(p) != 0) ++owned;
    p = realloc(p, n + 100);
    if (p == nullptr || first_bad(p, n, static_cast<unsigned>(i)) != n) return 4;
    ptrs.push_back(p);
  }
  std::string s;
  for (int i = 0; i < 1000; ++i) s += std::to_string(i);
  std::thread t([] {
    void* p = malloc(100);
    free(p);
  });
  t.join();
  for (void* p : ptrs) free(p);
  return owned > 0 ? 0 : 5;
}

}  // namespace

int main(int argc, char** argv) {
  g_lib = malloc_test::library();
  const long ops = argc > 1 ? std::atol(argv[1]) : 60000;
  const std::size_t slot_count = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 256;
  const std::size_t before = g_lib.bytes_in_use();

  std::vector<std::thread> threads;
  for (unsigned i = 0; i < 8; ++i) threads.emplace_back(worker, i, ops, slot_count);

  int forks = 0;
  for (unsigned round = 0; round < 6; ++round) {
    usleep(20000);
    const pid_t pid = fork();
    if (pid < 0) {
      fail("fork failed");
      break;
    }
    if (pid == 0) std::exit(child_work(round));
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) {
      fail("waitpid failed");
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fail("forked child failed: status", static_cast<std::size_t>(status));
    }
    ++forks;
  }
  for (auto& t : threads) t.join();

  const std::size_t after = g_lib.bytes_in_use();
  std::printf(
      "stress: 8 threads x %ld operations on %zu slots, %d forks; %ld of %ld allocations from "
      "the arenas; "
      "arena bytes in use %zu before, %zu after\n",
      ops, slot_count, forks, g_owned.load(), g_total.load(), before, after);
  if (g_owned.load() == 0) fail("the arenas served nothing: is the library really preloaded?");
  if (slot_count <= 256 && g_owned.load() * 2 < g_total.load())
    fail("most allocations were not served by the arenas");
  if (g_failures.load() != 0) {
    std::fprintf(stderr, "%d failures\n", g_failures.load());
    return 1;
  }
  std::printf("stress ok\n");
  return 0;
}
