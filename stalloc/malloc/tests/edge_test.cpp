// The edge cases of libstalloc-malloc.so, one by one, run under LD_PRELOAD
// (ctest malloc.edge.*): sizes 0 and huge, overflow, alignment rules,
// realloc across the arena/glibc boundary, usable sizes, foreign pointers,
// and the misuse it reports.
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "preload_check.hpp"

extern "C" void* __libc_malloc(std::size_t);

namespace {

using malloc_test::fill;
using malloc_test::first_bad;

const malloc_test::Library& lib() {
  static const malloc_test::Library l = malloc_test::library();
  return l;
}
bool owned(const void* p) {
  return lib().owns(p) != 0;
}
bool aligned(const void* p, std::size_t a) {
  return reinterpret_cast<std::uintptr_t>(p) % a == 0;
}

// Sizes computed at run time, so the compiler cannot fold the calls away or
// warn about them.
volatile std::size_t g_huge = SIZE_MAX;
std::size_t huge() {
  return g_huge;
}

TEST(MallocEdge, LibraryServesSmallRequests) {
  void* p = malloc(24);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(owned(p));
  EXPECT_GE(lib().bytes_in_use(), 32U);
  const std::size_t before = lib().bytes_in_use();
  free(p);
  EXPECT_EQ(lib().bytes_in_use(), before - 32);
  // operator new reaches it through malloc.
  auto q = std::make_unique<int>(7);
  EXPECT_TRUE(owned(q.get()));
}

TEST(MallocEdge, ZeroSizeIsUniqueAndFreeable) {
  void* a = malloc(0);
  void* b = malloc(0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_TRUE(owned(a));
  EXPECT_GE(malloc_usable_size(a), 1U);
  free(a);
  free(b);
  void* c = calloc(0, 8);
  ASSERT_NE(c, nullptr);
  free(c);
  void* d = nullptr;
  ASSERT_EQ(posix_memalign(&d, 64, 0), 0);
  ASSERT_NE(d, nullptr);
  free(d);
}

TEST(MallocEdge, FreeOfNullIsANoOp) {
  free(nullptr);
  EXPECT_EQ(malloc_usable_size(nullptr), 0U);
}

TEST(MallocEdge, CallocOverflowIsEnomem) {
  errno = 0;
  EXPECT_EQ(calloc(huge() / 2 + 2, 2), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(calloc(huge(), huge()), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(MallocEdge, CallocZeroesReusedArenaBlocks) {
  for (std::size_t n : {8U, 100U, 256U, 1000U, 4096U}) {
    void* p = malloc(n);
    ASSERT_TRUE(owned(p)) << n;
    std::memset(p, 0xAB, n);
    free(p);
    auto* z = static_cast<unsigned char*>(calloc(1, n));
    ASSERT_NE(z, nullptr);
    EXPECT_TRUE(owned(z)) << n;
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(z[i], 0) << "size " << n << " byte " << i;
    free(z);
  }
}

TEST(MallocEdge, HugeSizesAreEnomem) {
  for (std::size_t n : {huge(), huge() - 4096, huge() / 2 + 1}) {
    errno = 0;
    EXPECT_EQ(malloc(n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;
    errno = 0;
    EXPECT_EQ(aligned_alloc(64, n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;
    void* p = reinterpret_cast<void*>(1);
    EXPECT_EQ(posix_memalign(&p, 64, n), ENOMEM) << n;
    EXPECT_EQ(p, reinterpret_cast<void*>(1)) << "posix_memalign wrote *memptr on failure";
  }
  errno = 0;
  EXPECT_EQ(pvalloc(huge()), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(valloc(huge()), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(MallocEdge, FailedReallocKeepsTheBlock) {
  for (std::size_t n : {16U, 1000U, 100000U}) {  // small arena, medium arena, glibc
    void* p = malloc(n);
    ASSERT_NE(p, nullptr);
    fill(p, n, 3);
    errno = 0;
    EXPECT_EQ(realloc(p, huge() - 64), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    EXPECT_EQ(first_bad(p, n, 3), n);
    errno = 0;
    EXPECT_EQ(reallocarray(p, huge() / 2, 3), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    EXPECT_EQ(first_bad(p, n, 3), n);
    free(p);
  }
}

TEST(MallocEdge, PosixMemalignRejectsBadAlignments) {
  for (std::size_t a : {0U, 1U, 2U, 3U, 4U, 12U, 24U, 48U, 100U}) {
    void* p = reinterpret_cast<void*>(1);
    EXPECT_EQ(posix_memalign(&p, a, 16), EINVAL) << a;
    EXPECT_EQ(p, reinterpret_cast<void*>(1)) << a;
  }
  for (std::size_t a : {8U, 16U, 32U, 64U, 256U, 4096U, 65536U}) {
    void* p = nullptr;
    ASSERT_EQ(posix_memalign(&p, a, 100), 0) << a;
    EXPECT_TRUE(aligned(p, a)) << a;
    fill(p, 100, 9);
    EXPECT_EQ(first_bad(p, 100, 9), 100U);
    if (a <= 4096) {
      EXPECT_TRUE(owned(p)) << a;  // above: glibc's __libc_memalign
    }
    free(p);
  }
}

TEST(MallocEdge, AlignedAllocRules) {
  for (std::size_t a : {0U, 3U, 24U, 100U}) {
    errno = 0;
    EXPECT_EQ(aligned_alloc(a, 64), nullptr) << a;
    EXPECT_EQ(errno, EINVAL) << a;
  }
  // Any power of two, and a size that is not a multiple of it (C17).
  for (std::size_t a : {1U, 2U, 8U, 64U, 512U, 4096U, 16384U}) {
    void* p = aligned_alloc(a, 100);
    ASSERT_NE(p, nullptr) << a;
    EXPECT_TRUE(aligned(p, a)) << a;
    free(p);
  }
}

TEST(MallocEdge, MemalignRoundsAlignmentUp) {
  void* p = memalign(48, 10);  // glibc rounds 48 up to 64
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(aligned(p, 64));
  free(p);
  p = memalign(0, 10);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(aligned(p, 16));
  free(p);
  errno = 0;
  EXPECT_EQ(memalign(huge(), 10), nullptr);
  EXPECT_EQ(errno, EINVAL);
}

TEST(MallocEdge, VallocAndPvallocArePageAligned) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  void* v = valloc(100);
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(aligned(v, page));
  EXPECT_TRUE(owned(v));  // a page in the 256-byte-block arena
  void* w = pvalloc(1);
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(aligned(w, page));
  EXPECT_GE(malloc_usable_size(w), page);
  void* z = pvalloc(0);
  ASSERT_NE(z, nullptr);
  EXPECT_TRUE(aligned(z, page));
  free(v);
  free(w);
  free(z);
}

TEST(MallocEdge, UsableSizeIsTheRoundedBlockSize) {
  void* a = malloc(17);      // 16-byte blocks: 32
  void* b = malloc(300);     // 256-byte blocks: 512
  void* c = malloc(100000);  // glibc
  ASSERT_TRUE(owned(a));
  ASSERT_TRUE(owned(b));
  ASSERT_FALSE(owned(c));
  EXPECT_EQ(malloc_usable_size(a), 32U);
  EXPECT_EQ(malloc_usable_size(b), 512U);
  EXPECT_GE(malloc_usable_size(c), 100000U);
  // The whole usable size may be written (and survives a realloc).
  std::memset(a, 0x5A, 32);
  std::memset(b, 0x5A, 512);
  free(a);
  free(b);
  free(c);
}

TEST(MallocEdge, ReallocAcrossArenasAndGlibcKeepsContent) {
  // small arena -> medium arena -> glibc -> glibc (shrinking stays) -> free
  void* p = malloc(40);
  ASSERT_TRUE(owned(p));
  fill(p, 40, 1);
  p = realloc(p, 2000);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(owned(p));
  EXPECT_EQ(first_bad(p, 40, 1), 40U);
  fill(p, 2000, 2);
  p = realloc(p, 50000);
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(owned(p));
  EXPECT_EQ(first_bad(p, 2000, 2), 2000U);
  fill(p, 50000, 3);
  p = realloc(p, 100);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(first_bad(p, 100, 3), 100U);
  free(p);

  // glibc -> arena sizes: stays with glibc, content kept.
  void* g = malloc(10000);
  fill(g, 10000, 4);
  g = realloc(g, 8);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(first_bad(g, 8, 4), 8U);
  free(g);

  // Growth within an arena, in place or moved, keeps every byte.
  void* s = malloc(16);
  fill(s, 16, 5);
  for (std::size_t n = 17; n <= 256; n += 15) {
    s = realloc(s, n);
    ASSERT_TRUE(owned(s));
    ASSERT_EQ(first_bad(s, 16, 5), 16U) << n;
  }
  // Shrinking a medium allocation keeps its prefix.
  s = realloc(s, 4096);
  fill(s, 4096, 6);
  s = realloc(s, 10);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(first_bad(s, 10, 6), 10U);
  free(s);
}

TEST(MallocEdge, ReallocNullAndZero) {
  void* p = realloc(nullptr, 100);  // malloc(100)
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(owned(p));
  const std::size_t before = lib().bytes_in_use();
  EXPECT_EQ(realloc(p, 0), nullptr);  // glibc: frees p, returns NULL
  EXPECT_EQ(lib().bytes_in_use(), before - 112);
  void* g = malloc(100000);
  EXPECT_EQ(realloc(g, 0), nullptr);
  void* q = realloc(nullptr, 0);  // malloc(0)
  ASSERT_NE(q, nullptr);
  free(q);
}

TEST(MallocEdge, ReallocarrayOverflowIsEnomem) {
  errno = 0;
  EXPECT_EQ(reallocarray(nullptr, huge(), 2), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  void* p = reallocarray(nullptr, 10, 8);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(owned(p));
  free(p);
}

TEST(MallocEdge, FullArenasOverflowToGlibc) {
  // 38 MB of 32-byte blocks: more than the small arenas hold (32 x 1 MiB),
  // so the last ones come from glibc; every block keeps its content, and
  // each side frees its own.
  std::vector<void*> v(1200000);  // its buffer comes from glibc (9.6 MB)
  const std::size_t before = lib().bytes_in_use();
  std::size_t from_arenas = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i] = malloc(32);
    ASSERT_NE(v[i], nullptr);
    fill(v[i], 32, static_cast<unsigned>(i));
    from_arenas += owned(v[i]) ? 1 : 0;
  }
  EXPECT_GT(from_arenas, 0U);
  EXPECT_LT(from_arenas, v.size());
  EXPECT_EQ(lib().bytes_in_use() - before, from_arenas * 32);
  // A small block glibc served grows and shrinks with glibc.
  v.back() = realloc(v.back(), 64);
  ASSERT_NE(v.back(), nullptr);
  EXPECT_EQ(first_bad(v.back(), 32, static_cast<unsigned>(v.size() - 1)), 32U);
  fill(v.back(), 32, static_cast<unsigned>(v.size() - 1));
  for (std::size_t i = 0; i < v.size(); ++i) {
    ASSERT_EQ(first_bad(v[i], 32, static_cast<unsigned>(i)), 32U) << i;
    free(v[i]);
  }
  EXPECT_EQ(lib().bytes_in_use(), before);
  // And the arenas serve again, at the latest once this thread's 64 requests
  // that skip full arenas are over.
  std::vector<void*> again;
  for (int i = 0; i < 65; ++i) again.push_back(malloc(32));
  EXPECT_TRUE(owned(again.back()));
  for (void* p : again) free(p);
}

TEST(MallocEdge, ForeignPointerGoesToGlibc) {
  // A block glibc made behind our back: our free and malloc_usable_size hand
  // it to glibc, which frees it (it would abort on a bad pointer).
  void* p = __libc_malloc(50);
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(owned(p));
  EXPECT_GE(malloc_usable_size(p), 50U);
  free(p);
  // glibc's heap is still sound.
  std::vector<void*> v;
  for (int i = 0; i < 1000; ++i) v.push_back(__libc_malloc(50));
  for (void* q : v) free(q);
}

TEST(MallocEdge, ManyThreadsOfStrings) {
  std::vector<std::string> strings;
  for (int i = 0; i < 100000; ++i) strings.push_back(std::to_string(i) + std::string(i % 300, 'x'));
  std::size_t total = 0;
  for (const auto& s : strings) total += s.size();
  EXPECT_GT(total, 0U);
}

using MallocEdgeDeathTest = ::testing::Test;

TEST(MallocEdgeDeathTest, InteriorPointerFreeIsReported) {
  EXPECT_DEATH(
      {
        auto* p = static_cast<char*>(malloc(64));
        free(p + 16);  // a block start inside the allocation
      },
      "not a live allocation");
  EXPECT_DEATH(
      {
        auto* p = static_cast<char*>(malloc(64));
        free(p + 3);  // not even a block start
      },
      "not a live allocation");
}

TEST(MallocEdgeDeathTest, DoubleFreeIsReported) {
  EXPECT_DEATH(
      {
        void* p = malloc(64);
        void* guard = malloc(64);  // keeps p's blocks from merging away
        free(p);
        free(p);
        free(guard);
      },
      "double free");
}

TEST(MallocEdgeDeathTest, ReallocOfAFreedPointerIsReported) {
  EXPECT_DEATH(
      {
        void* p = malloc(300);
        free(p);
        void* q = realloc(p, 400);
        free(q);
      },
      "realloc\\(\\) of a pointer inside an arena");
}

// Also run by ctest with STALLOC_MALLOC_ARENAS=0 and 1 (malloc.edge.arenas_env_*).
TEST(MallocEnvironment, ArenasFromEnvironment) {
  const char* env = getenv("STALLOC_MALLOC_ARENAS");
  const std::size_t n = env == nullptr ? 32 : std::strtoul(env, nullptr, 10);  // the default
  EXPECT_EQ(lib().active_arenas(), n);
  void* p = malloc(24);
  EXPECT_EQ(owned(p), n != 0);
  free(p);
}

}  // namespace
