// SyncStalloc and UnsafeStalloc: the byte API, the lock guard, constinit.
// (ThreadCachedStalloc: thread_cached_test.cpp.)
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <type_traits>

#include "arenas.hpp"

namespace adaptor_tests {
namespace {

constinit stalloc::SyncStalloc<1000, 4> sync_global;
constinit stalloc::SyncStalloc<1000, 4, std::mutex> mutex_global;
constinit stalloc::UnsafeStalloc<1000, 4> unsafe_global;

// With a second thread started, so that the lock (and SyncStalloc's caches)
// are in use (alone they are skipped: only_thread_test.cpp).
template <class Arena>
class WrapperTest : public ::testing::Test {
 protected:
  void SetUp() override { make_process_multithreaded(); }
};
using Wrappers =
    ::testing::Types<stalloc::SyncStalloc<64, 8>, stalloc::SyncStalloc<64, 8, stalloc::SpinLock>,
                     stalloc::SyncStalloc<64, 8, std::mutex>, stalloc::UnsafeStalloc<64, 8>>;
TYPED_TEST_SUITE(WrapperTest, Wrappers);

TYPED_TEST(WrapperTest, SameBehaviourAsTheStallocInside) {
  TypeParam arena;
  stalloc::Stalloc<64, 8> reference;
  void* a = arena.allocate(20, 8);
  void* b = arena.allocate(100, 16);
  void* ra = reference.allocate(20, 8);
  void* rb = reference.allocate(100, 16);
  // Same offsets from the arena start: same first-fit decisions.
  auto offset = [](auto& ar, void* p) {
    return static_cast<unsigned char*>(p) -
           static_cast<unsigned char*>(const_cast<void*>(ar.block_address(0)));
  };
  EXPECT_EQ(offset(arena.acquire_locked().get(), a), offset(reference, ra));
  EXPECT_EQ(offset(arena.acquire_locked().get(), b), offset(reference, rb));
  EXPECT_TRUE(arena.owns(a));
  EXPECT_FALSE(arena.owns(&reference));
  a = arena.grow(a, 20, 40, 8);
  ASSERT_NE(a, nullptr);
  a = arena.shrink(a, 40, 8, 8);
  a = arena.reallocate(a, 8, 24, 8);
  EXPECT_EQ(arena.allocate(64 * 8, 8), nullptr);
  EXPECT_FALSE(arena.is_empty());
  EXPECT_TRUE(arena.check_invariants().ok);
  arena.deallocate(a, 24, 8);
  arena.deallocate(b, 100, 16);
  EXPECT_TRUE(arena.is_empty());
  void* all = arena.allocate(64 * 8, 8);
  EXPECT_NE(all, nullptr);
  EXPECT_TRUE(arena.is_oom());
  arena.clear();
  EXPECT_TRUE(arena.is_empty());
  EXPECT_EQ(arena.stats().free_blocks, 64u);
}

TYPED_TEST(WrapperTest, GuardGivesTheUnderlyingStalloc) {
  TypeParam arena;
  {
    auto locked = arena.acquire_locked();
    static_assert(std::is_same_v<decltype(locked.get()), stalloc::Stalloc<64, 8>&>);
    void* p = locked->allocate_blocks(4, 1);
    EXPECT_TRUE(locked->grow_in_place(p, 4, 8));
    locked->deallocate_blocks(p, 8);
    EXPECT_TRUE((*locked).is_empty());
  }
  EXPECT_TRUE(arena.is_empty());  // would deadlock if the guard had leaked the lock
}

TEST(SyncStalloc, GuardExcludesOtherThreads) {
  stalloc::SyncStalloc<64, 8> arena;
  std::atomic<bool> holder_done{false};
  std::atomic<bool> other_got_in{false};
  auto locked = arena.acquire_locked();
  std::thread other([&] {
    void* p = arena.allocate(8, 8);  // blocks until the guard is gone
    other_got_in = true;
    EXPECT_TRUE(holder_done.load());
    arena.deallocate(p, 8, 8);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(other_got_in.load());
  holder_done = true;
  { auto moved = std::move(locked); }  // moving the guard moves the lock; this releases it
  other.join();
  EXPECT_TRUE(other_got_in.load());
  EXPECT_TRUE(arena.is_empty());
}

TEST(SyncStalloc, ConstinitGlobalsWorkAndHaveTheExactFootprint) {
  void* p = sync_global.allocate(40, 4);
  void* q = mutex_global.allocate(40, 4);
  void* r = unsafe_global.allocate(40, 4);
  EXPECT_TRUE(sync_global.owns(p) && mutex_global.owns(q) && unsafe_global.owns(r));
  sync_global.deallocate(p, 40, 4);
  mutex_global.deallocate(q, 40, 4);
  unsafe_global.deallocate(r, 40, 4);
  EXPECT_TRUE(sync_global.is_empty() && mutex_global.is_empty() && unsafe_global.is_empty());
  static_assert(sizeof(stalloc::UnsafeStalloc<1000, 4>) == sizeof(stalloc::Stalloc<1000, 4>));
  // The default lock costs four 32-bit words, the spinlock one byte, each
  // padded to the wrapper's alignment.
  static_assert(sizeof(stalloc::AdaptiveLock) == 16);
  static_assert(sizeof(stalloc::SpinLock) == 1);
  constexpr auto padded = [](std::size_t bytes, std::size_t align) {
    return (bytes + align - 1) / align * align;
  };
  // SyncStalloc is ThreadCached (thread_cached.hpp): the arena and its lock
  // to a cache line, then 4 shards of two cache lines each.
  using Sync = stalloc::SyncStalloc<1000, 4>;
  using Spin = stalloc::SyncStalloc<1000, 4, stalloc::SpinLock>;
  static_assert(alignof(Sync) == 64 && alignof(Spin) == 64);
  static_assert(sizeof(Sync) == padded(sizeof(stalloc::Stalloc<1000, 4>) + 16, 64) + 4 * 128);
  static_assert(sizeof(Spin) == padded(sizeof(stalloc::Stalloc<1000, 4>) + 1, 64) + 4 * 128);
  // Synchronized, the lock alone, adds only the lock.
  using Locked = stalloc::Synchronized<stalloc::Stalloc<1000, 4>>;
  static_assert(sizeof(Locked) == padded(sizeof(stalloc::Stalloc<1000, 4>) + 16, alignof(Locked)));
}

}  // namespace
}  // namespace adaptor_tests
