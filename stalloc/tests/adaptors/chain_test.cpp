// AllocChain, Chain<...>, chain(...) and the System link: routing by address,
// spilling over, growing out of a link, and coming back.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "arenas.hpp"
#include "stalloc/allocator.hpp"
#include "stalloc/program_heap.hpp"
#include "stalloc/size_limited.hpp"

namespace adaptor_tests {
namespace {

using Small = stalloc::Stalloc<128, 4>;
using Medium = stalloc::Stalloc<1024, 8>;
using Large = stalloc::Stalloc<8192, 16>;
using ThreeLevels = stalloc::Chain<Small, Medium, Large, stalloc::System>;

static_assert(
    std::is_same_v<
        ThreeLevels,
        stalloc::AllocChain<
            Small, stalloc::AllocChain<Medium, stalloc::AllocChain<Large, stalloc::System>>>>);
static_assert(std::is_same_v<stalloc::Chain<Small>, Small>);

// A chain held by value can be a constinit global.
constinit stalloc::AllocChain<stalloc::SyncStalloc<64, 8>, stalloc::System> global_chain;

void fill(void* p, std::size_t n, unsigned char seed) {
  auto* bytes = static_cast<unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<unsigned char>(seed + i * 13);
}
bool holds(const void* p, std::size_t n, unsigned char seed) {
  const auto* bytes = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) {
    if (bytes[i] != static_cast<unsigned char>(seed + i * 13)) return false;
  }
  return true;
}

TEST(Chain, AllocatesFromTheFirstLinkThatHasRoom) {
  auto chain = make_arena<ThreeLevels>();
  auto& small = chain->first();
  auto& medium = chain->second().first();
  auto& large = chain->second().second().first();

  void* a = chain->allocate(100, 4);
  EXPECT_TRUE(small.owns(a));
  void* b = chain->allocate(small.capacity, 4);  // no longer fits in small
  EXPECT_TRUE(medium.owns(b));
  void* c = chain->allocate(medium.capacity, 8);
  EXPECT_TRUE(large.owns(c));
  void* d = chain->allocate(large.capacity + 1, 16);  // only the system can
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(small.owns(d) || medium.owns(d) || large.owns(d));
  fill(d, large.capacity + 1, 7);

  chain->deallocate(a, 100, 4);
  chain->deallocate(b, small.capacity, 4);
  chain->deallocate(c, medium.capacity, 8);
  EXPECT_TRUE(holds(d, large.capacity + 1, 7));
  chain->deallocate(d, large.capacity + 1, 16);  // routed to free()
  EXPECT_TRUE(small.is_empty() && medium.is_empty() && large.is_empty());
  EXPECT_TRUE(chain->check_invariants().ok);
}

TEST(Chain, GrowthThatOutgrowsALinkMovesTheDataOn) {
  auto chain = make_arena<ThreeLevels>();
  auto& small = chain->first();
  auto& medium = chain->second().first();
  std::size_t size = 16;
  void* p = chain->allocate(size, 4);
  fill(p, size, 42);
  bool left_small = false;
  while (size < 300'000) {
    const std::size_t bigger = size * 2;
    void* q = chain->grow(p, size, bigger, 4);
    ASSERT_NE(q, nullptr);
    ASSERT_TRUE(holds(q, size, 42)) << "lost data growing " << size << " -> " << bigger;
    if (small.owns(p) && !small.owns(q)) {
      left_small = true;
      EXPECT_TRUE(small.is_empty()) << "the old allocation was not freed in the first link";
    }
    fill(q, bigger, 42);
    p = q;
    size = bigger;
    EXPECT_TRUE(chain->check_invariants().ok);
  }
  EXPECT_TRUE(left_small);
  EXPECT_TRUE(medium.is_empty());  // passed through and left again
  // And back down: shrinking stays in the link that owns it (the system).
  void* q = chain->shrink(p, size, 10, 4);
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(holds(q, 10, 42));
  chain->deallocate(q, 10, 4);
  EXPECT_TRUE(small.is_empty() && medium.is_empty() && chain->second().second().first().is_empty());
}

TEST(Chain, GrowInPlaceInsideTheFirstLink) {
  auto chain = make_arena<ThreeLevels>();
  void* p = chain->allocate(8, 4);
  void* q = chain->reallocate(p, 8, 64, 4);
  EXPECT_EQ(p, q);  // the blocks after it were free
  chain->deallocate(q, 64, 4);
  EXPECT_TRUE(chain->first().is_empty());
}

TEST(Chain, FullWhenEveryLinkIsFull) {
  stalloc::Chain<stalloc::Stalloc<4, 4>, stalloc::Stalloc<4, 8>> chain;
  void* a = chain.allocate(16, 4);
  void* b = chain.allocate(32, 8);
  EXPECT_TRUE(chain.first().owns(a));
  EXPECT_TRUE(chain.second().owns(b));
  EXPECT_TRUE(chain.is_oom());
  EXPECT_EQ(chain.allocate(1, 1), nullptr);
  // A failed grow leaves the allocation where it was.
  EXPECT_EQ(chain.grow(a, 16, 20, 4), nullptr);
  chain.deallocate(a, 16, 4);
  chain.deallocate(b, 32, 8);
  EXPECT_TRUE(chain.is_empty());
  chain.clear();
  EXPECT_TRUE(chain.is_empty());
}

TEST(Chain, HelperLinksExistingArenasByReference) {
  Small small;
  auto medium = make_arena<Medium>();
  auto chain = stalloc::chain(small, *medium, stalloc::System{});
  static_assert(
      std::is_same_v<decltype(chain),
                     stalloc::AllocChain<Small&, stalloc::AllocChain<Medium&, stalloc::System>>>);
  void* a = chain.allocate(64, 4);
  void* b = chain.allocate(1000, 8);
  EXPECT_TRUE(small.owns(a));
  EXPECT_TRUE(medium->owns(b));
  // Containers take the chain like any other arena.
  {
    std::vector<int, stalloc::allocator<int, decltype(chain)>> v(chain);
    for (int i = 0; i < 10'000; ++i) v.push_back(i);  // walks through all three links
    EXPECT_FALSE(small.owns(v.data()) || medium->owns(v.data()));
    EXPECT_EQ(v[9999], 9999);
  }
  chain.deallocate(a, 64, 4);
  chain.deallocate(b, 1000, 8);
  EXPECT_TRUE(small.is_empty());
  EXPECT_TRUE(medium->is_empty());
}

TEST(Chain, ConstinitGlobalChainWorks) {
  void* p = global_chain.allocate(64 * 8, 8);
  EXPECT_TRUE(global_chain.first().owns(p));
  void* q = global_chain.allocate(8, 8);  // first link full: goes to malloc
  EXPECT_FALSE(global_chain.first().owns(q));
  global_chain.deallocate(q, 8, 8);
  global_chain.deallocate(p, 64 * 8, 8);
  EXPECT_TRUE(global_chain.first().is_empty());
}

TEST(Chain, ZeroSizeRequestsNeverReachFree) {
  stalloc::Chain<stalloc::Stalloc<4, 4>, stalloc::System> chain;
  void* p = chain.allocate(0, 8);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 8, 0u);
  chain.deallocate(p, 0, 8);  // would crash if it reached free()
  void* q = chain.grow(p, 0, 12, 4);
  EXPECT_TRUE(chain.first().owns(q));
  chain.deallocate(q, 12, 4);
  EXPECT_TRUE(chain.first().is_empty());
}

// SizeLimited routes by size: [MinBytes, MaxBytes] to its arena, the rest on.
TEST(SizeLimited, RoutesRequestsByTheirSize) {
  stalloc::Chain<stalloc::SizeLimited<64, stalloc::Stalloc<64, 8>>,
                 stalloc::SizeLimited<1024, stalloc::Stalloc<64, 64>, 65>, stalloc::System>
      chain;
  void* small = chain.allocate(64, 8);
  void* medium = chain.allocate(65, 8);
  void* large = chain.allocate(1025, 8);
  EXPECT_TRUE(chain.first().owns(small));
  EXPECT_TRUE(chain.second().first().owns(medium));
  EXPECT_FALSE(chain.first().owns(large));
  EXPECT_FALSE(chain.second().first().owns(large));
  // Growing past the first link's limit moves the data to the link that
  // takes the new size; the old place is freed.
  fill(small, 64, 7);
  void* grown = chain.grow(small, 64, 200, 8);
  EXPECT_TRUE(chain.second().first().owns(grown));
  EXPECT_TRUE(holds(grown, 64, 7));
  EXPECT_TRUE(chain.first().is_empty());
  chain.deallocate(grown, 200, 8);
  chain.deallocate(medium, 65, 8);
  chain.deallocate(large, 1025, 8);
  EXPECT_TRUE(chain.second().first().is_empty());
}

// With the first link full, a small request goes past the second link (below
// its MinBytes) to the last one, instead of taking a block 8 times its size.
TEST(SizeLimited, SmallRequestsSkipALinkOfLargeBlocks) {
  stalloc::Chain<stalloc::SizeLimited<8, stalloc::Stalloc<2, 8>>,
                 stalloc::SizeLimited<512, stalloc::Stalloc<8, 64>, 9>, stalloc::System>
      chain;
  void* a = chain.allocate(8, 8);
  void* b = chain.allocate(8, 8);
  void* c = chain.allocate(8, 8);  // the first link is full
  EXPECT_TRUE(chain.first().owns(a) && chain.first().owns(b));
  EXPECT_FALSE(chain.second().first().owns(c));
  EXPECT_TRUE(chain.second().first().is_empty());
  for (void* p : {a, b, c}) chain.deallocate(p, 8, 8);
  EXPECT_TRUE(chain.first().is_empty());
}

// The recommended whole-program heap: small requests in the 16-byte blocks,
// medium ones in the 256-byte blocks, the rest in malloc; every pointer freed
// where it came from.
TEST(ProgramHeap, RoutesEachSizeToItsArena) {
  static stalloc::ProgramHeap heap;  // 96 MiB: static, in .bss
  auto& small = heap.first();
  auto& medium = heap.second().first();
  std::vector<std::pair<void*, std::size_t>> live;
  for (std::size_t size : {1u, 16u, 256u, 257u, 4096u, 4097u, 100000u}) {
    void* p = heap.allocate(size, 16);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u);
    EXPECT_EQ(small.owns(p), size <= 256) << size;
    EXPECT_EQ(medium.owns(p), size > 256 && size <= 4096) << size;
    live.emplace_back(p, size);
  }
  for (auto [p, size] : live) heap.deallocate(p, size, 16);
  EXPECT_TRUE(small.is_empty());
  EXPECT_TRUE(medium.is_empty());
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUnderAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kUnderAddressSanitizer = true;
#else
constexpr bool kUnderAddressSanitizer = false;
#endif
#else
constexpr bool kUnderAddressSanitizer = false;
#endif

TEST(System, AlignedAndReallocatedMemory) {
  stalloc::System sys;
  for (std::size_t align : {1u, 8u, 16u, 64u, 4096u}) {
    void* p = sys.allocate(100, align);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % align, 0u);
    fill(p, 100, 3);
    void* q = sys.grow(p, 100, 5000, align);
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(q) % align, 0u);
    EXPECT_TRUE(holds(q, 100, 3));
    void* r = sys.shrink(q, 5000, 50, align);
    EXPECT_TRUE(holds(r, 50, 3));
    sys.deallocate(r, 50, align);
  }
  EXPECT_EQ(sys.allocate(8, 3), nullptr);  // not a power of two
  // Sizes that are not a multiple of the alignment (no rounding up), and
  // sizes no allocator can give: nullptr, not a wrapped-around small block.
  for (std::size_t size : {1u, 65u, 100'000u}) {
    void* p = sys.allocate(size, 64);
    ASSERT_NE(p, nullptr) << size;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 64, 0u);
    fill(p, size, 5);
    EXPECT_TRUE(holds(p, size, 5));
    sys.deallocate(p, size, 64);
  }
  // (AddressSanitizer's allocator aborts on an impossible size instead of
  // returning nullptr, unless told allocator_may_return_null=1.)
  if (!kUnderAddressSanitizer) {
    volatile std::size_t huge = SIZE_MAX;  // opaque, so GCC does not warn at compile time
    EXPECT_EQ(sys.allocate(huge, 64), nullptr);
    EXPECT_EQ(sys.allocate(huge - 10, 4096), nullptr);
  }
  EXPECT_TRUE(sys.owns(&sys));
  EXPECT_FALSE(sys.is_oom());
}

}  // namespace
}  // namespace adaptor_tests
