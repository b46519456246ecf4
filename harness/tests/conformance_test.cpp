// Every allocator adapter of the registry passes the same conformance test:
// alignment, realloc keeps contents, null pointers, large sizes, failure =
// nullptr. The binary also runs under LD_PRELOAD of mimalloc, jemalloc and
// tcmalloc (see CMakeLists.txt), where HARNESS_TEST_PRELOADED names the
// library and the malloc-family adapters must be served by it.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "allocators/registry.hpp"
#include "instrumented_adapter.hpp"
#include "malloc_provider.hpp"

namespace {

using harness::AllocatorRegistry;

// Room for every test below in the arena allocators: 64 KiB of 16 B blocks.
constexpr workloads::ArenaHint kArena{4096, 16};

template <class List>
struct ToGtest;
template <class... Ts>
struct ToGtest<harness::TypeList<Ts...>> {
  using type = ::testing::Types<Ts...>;
};

template <class D>
class Conformance : public ::testing::Test {
 protected:
  using Adapter = typename D::template adapter<kArena>;
  // Arena adapters may be globals: one alive at a time, so each test owns one.
  std::unique_ptr<Adapter> a = std::make_unique<Adapter>();
};

struct DescriptorName {
  template <class D>
  static std::string GetName(int) {
    std::string n(D::name);
    for (char& c : n)
      if (c == '-') c = '_';
    return n;
  }
};

TYPED_TEST_SUITE(Conformance, typename ToGtest<AllocatorRegistry>::type, DescriptorName);

void fill(void* p, std::size_t n, unsigned char seed) {
  auto* b = static_cast<unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(seed + i * 7);
}
bool intact(const void* p, std::size_t n, unsigned char seed) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i)
    if (b[i] != static_cast<unsigned char>(seed + i * 7)) return false;
  return true;
}

TYPED_TEST(Conformance, AlignmentIsHonoured) {
  for (std::size_t align : {1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096}) {
    for (std::size_t size : {1, 7, 16, 100, 1000}) {
      void* p = this->a->allocate(size, align);
      ASSERT_NE(p, nullptr) << "size " << size << " align " << align;
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % align, 0u)
          << "size " << size << " align " << align;
      fill(p, size, static_cast<unsigned char>(size));
      EXPECT_TRUE(intact(p, size, static_cast<unsigned char>(size)));
      this->a->deallocate(p, size, align);
    }
  }
}

TYPED_TEST(Conformance, LiveBlocksDoNotOverlap) {
  constexpr std::size_t kCount = 100, kSize = 40;
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < kCount; ++i) {
    void* p = this->a->allocate(kSize, 8);
    ASSERT_NE(p, nullptr);
    fill(p, kSize, static_cast<unsigned char>(i));
    blocks.push_back(p);
  }
  for (std::size_t i = 0; i < kCount; ++i)
    EXPECT_TRUE(intact(blocks[i], kSize, static_cast<unsigned char>(i))) << "block " << i;
  for (std::size_t i = 0; i < kCount; i += 2) this->a->deallocate(blocks[i], kSize, 8);
  for (std::size_t i = 1; i < kCount; i += 2)
    EXPECT_TRUE(intact(blocks[i], kSize, static_cast<unsigned char>(i))) << "block " << i;
  for (std::size_t i = 1; i < kCount; i += 2) this->a->deallocate(blocks[i], kSize, 8);
}

TYPED_TEST(Conformance, ReallocKeepsContents) {
  for (std::size_t align : {8, 64}) {
    void* p = this->a->allocate(24, align);
    ASSERT_NE(p, nullptr);
    fill(p, 24, 3);
    void* q = this->a->reallocate(p, 24, 2000, align);
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(q) % align, 0u);
    EXPECT_TRUE(intact(q, 24, 3)) << "grow lost the contents";
    fill(q, 2000, 5);
    void* r = this->a->reallocate(q, 2000, 10, align);
    ASSERT_NE(r, nullptr);
    EXPECT_TRUE(intact(r, 10, 5)) << "shrink lost the contents";
    this->a->deallocate(r, 10, align);
  }
}

TYPED_TEST(Conformance, NullPointers) {
  this->a->deallocate(nullptr, 16, 8);               // like free(nullptr): nothing happens
  void* p = this->a->reallocate(nullptr, 0, 32, 8);  // like realloc(nullptr, n): allocates
  ASSERT_NE(p, nullptr);
  fill(p, 32, 1);
  EXPECT_TRUE(intact(p, 32, 1));
  this->a->deallocate(p, 32, 8);
}

TYPED_TEST(Conformance, ZeroSize) {
  void* p = this->a->allocate(0, 8);
  this->a->deallocate(p, 0, 8);  // whatever allocate(0) returned can be given back
  void* q = this->a->allocate(8, 8);
  ASSERT_NE(q, nullptr);
  this->a->deallocate(q, 8, 8);
}

// Reading a block after a *failed* realloc is the contract under test; GCC
// cannot know the realloc failed.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuse-after-free"
TYPED_TEST(Conformance, ImpossibleSizesFailWithNullptr) {
  constexpr std::size_t kHuge = std::numeric_limits<std::size_t>::max() / 2;
  EXPECT_EQ(this->a->allocate(kHuge, 8), nullptr);
  EXPECT_EQ(this->a->allocate(std::numeric_limits<std::size_t>::max() - 8, 64), nullptr);
  void* p = this->a->allocate(16, 8);
  ASSERT_NE(p, nullptr);
  fill(p, 16, 9);
  EXPECT_EQ(this->a->reallocate(p, 16, kHuge, 8), nullptr);
  EXPECT_TRUE(intact(p, 16, 9)) << "a failed realloc must leave the block valid";
  this->a->deallocate(p, 16, 8);
}
#pragma GCC diagnostic pop

TYPED_TEST(Conformance, LargeSizes) {
  // Big for an arena (its whole capacity), ordinary for malloc.
  constexpr std::size_t kBig = 32 * 1024;
  void* p = this->a->allocate(kBig, 16);
  ASSERT_NE(p, nullptr);
  fill(p, kBig, 11);
  EXPECT_TRUE(intact(p, kBig, 11));
  this->a->deallocate(p, kBig, 16);
}

TYPED_TEST(Conformance, FixedArenaFailsWithNullptrAndRecovers) {
  using A = typename TestFixture::Adapter;
  if constexpr (TypeParam::memory_model != harness::MemoryModel::fixed_arena) {
    GTEST_SKIP() << "not a fixed arena";
  } else {
    std::vector<void*> blocks;
    for (std::size_t i = 0; i < A::arena_capacity / 64 + 10; ++i) {
      void* p = this->a->allocate(64, 8);
      if (p == nullptr) break;
      blocks.push_back(p);
    }
    EXPECT_EQ(blocks.size(), A::arena_capacity / 64) << "fills exactly, then fails";
    EXPECT_EQ(this->a->allocate(64, 8), nullptr);
    for (void* p : blocks) this->a->deallocate(p, 64, 8);
    void* p = this->a->allocate(64, 8);
    EXPECT_NE(p, nullptr) << "usable again once emptied";
    this->a->deallocate(p, 64, 8);
  }
}

TYPED_TEST(Conformance, MallocIsServedByTheExpectedLibrary) {
  const harness::MallocProvider p = TypeParam::malloc_provider;
  const char* preloaded = std::getenv("HARNESS_TEST_PRELOADED");
  const std::string expected_here = preloaded != nullptr ? preloaded : "glibc";
  if (std::string(harness::provider_name(p)) != expected_here)
    GTEST_SKIP() << TypeParam::name << " needs " << harness::provider_name(p) << " preloaded";
  const harness::MallocIdentity id = harness::identify_malloc(p);
  EXPECT_TRUE(id.verified) << id.library << ": " << id.check;
}

// The instrumented pass's bookkeeping, against an arena whose answers are known.
TEST(InstrumentedAdapter, CountsRequestedBytesFailuresAndFill) {
  using A = harness::StallocAllocator::adapter<workloads::ArenaHint{64, 16}>;  // 1 KiB
  auto a = std::make_unique<A>();
  const harness::TickClock clock;
  harness::InstrumentedAdapter<A, harness::StallocAllocator::memory_model> ia(
      *a, clock, 1, 1, harness::HeldProbe::none);
  ia.bind_thread(0);
  void* p = ia.allocate(100, 8);
  void* q = ia.allocate(200, 8);
  ASSERT_NE(p, nullptr);
  ASSERT_NE(q, nullptr);
  ia.deallocate(p, 100, 8);
  EXPECT_EQ(ia.requested_live_bytes(), 200u);
  EXPECT_EQ(ia.requested_peak_bytes(), 300u);
  EXPECT_GE(ia.arena_high_water(), 300u);
  EXPECT_EQ(ia.failed_requests(), 0u);
  EXPECT_FALSE(ia.fill_at_first_failure().has_value());
  EXPECT_EQ(ia.allocate(2000, 8), nullptr);  // more than the arena
  EXPECT_EQ(ia.failed_requests(), 1u);
  ASSERT_TRUE(ia.fill_at_first_failure().has_value());
  EXPECT_DOUBLE_EQ(*ia.fill_at_first_failure(), 200.0 / 1024.0);
  q = ia.reallocate(q, 200, 400, 8);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(ia.requested_live_bytes(), 400u);
  ia.deallocate(q, 400, 8);
  EXPECT_EQ(ia.requested_live_bytes(), 0u);
  EXPECT_EQ(ia.calls(), 6u);
  // Sampling every call: every kind has its samples.
  EXPECT_EQ(ia.samples(harness::OpKind::allocate).size(), 3u);
  EXPECT_EQ(ia.samples(harness::OpKind::free).size(), 2u);
  EXPECT_EQ(ia.samples(harness::OpKind::realloc).size(), 1u);
}

TEST(SampleBuffer, StaysUniformPastCapacity) {
  harness::SampleBuffer s;
  const std::uint64_t n = 4 * harness::SampleBuffer::kCapacity;
  for (std::uint64_t i = 0; i < n; ++i) s.add(i);
  EXPECT_EQ(s.size(), harness::SampleBuffer::kCapacity);
  EXPECT_EQ(s.seen(), n);
  std::vector<std::uint64_t> v;
  s.append_to(v);
  // A uniform sample of 0..n-1 has about a quarter of its values in each quarter.
  std::size_t last_quarter = 0;
  for (std::uint64_t x : v) last_quarter += x >= 3 * n / 4;
  EXPECT_NEAR(static_cast<double>(last_quarter) / static_cast<double>(v.size()), 0.25, 0.03);
}

}  // namespace
