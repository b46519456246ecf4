// stalloc::resource: the pmr containers over an arena.
#include <gtest/gtest.h>

#include <map>
#include <memory_resource>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "arenas.hpp"
#include "stalloc/resource.hpp"

namespace adaptor_tests {
namespace {

template <class Arena>
class PmrTest : public ::testing::Test {
 protected:
  std::unique_ptr<Arena> arena = make_arena<Arena>();
};

using PmrArenas = ::testing::Types<PlainArena, SpinArena, ArenaChain, SystemChain>;
TYPED_TEST_SUITE(PmrTest, PmrArenas);

TYPED_TEST(PmrTest, ContainersAllocateFromTheArena) {
  stalloc::resource res(*this->arena);
  {
    std::pmr::vector<int> v{&res};
    for (int i = 0; i < 500; ++i) v.push_back(i);
    EXPECT_TRUE(this->arena->owns(v.data()));
    std::pmr::map<int, std::pmr::string> m{&res};
    for (int i = 0; i < 50; ++i)
      m.emplace(i, std::pmr::string(40, static_cast<char>('a' + i % 26)));
    // Uses-allocator construction: the strings live in the arena too.
    EXPECT_EQ(m.at(3).get_allocator().resource(), &res);
    EXPECT_TRUE(this->arena->owns(m.at(3).data()));
    EXPECT_EQ(std::string_view(m.at(49)), std::string(40, 'x'));
    for (int i = 0; i < 500; ++i) ASSERT_EQ(v[static_cast<std::size_t>(i)], i);
    expect_consistent(*this->arena);
  }
  expect_empty(*this->arena);
}

TEST(Pmr, EqualityIsIdentity) {
  auto arena = make_arena<PlainArena>();
  stalloc::resource a(*arena);
  stalloc::resource b(*arena);
  EXPECT_TRUE(a.is_equal(a));
  EXPECT_FALSE(a.is_equal(b));  // same arena, but pmr compares resources
  EXPECT_FALSE(a.is_equal(*std::pmr::new_delete_resource()));
  EXPECT_EQ(&a.arena(), arena.get());
}

TEST(Pmr, FullArenaThrowsBadAlloc) {
  stalloc::Stalloc<64, 8> arena;
  stalloc::resource res(arena);
  std::pmr::vector<std::uint64_t> v{&res};
  EXPECT_THROW(v.reserve(65), std::bad_alloc);
  EXPECT_TRUE(v.empty());
  v.reserve(64);  // exactly the whole arena
  EXPECT_TRUE(arena.is_oom());
  EXPECT_THROW(v.reserve(65), std::bad_alloc);
  EXPECT_EQ(v.capacity(), 64u);
  EXPECT_TRUE(arena.check_invariants().ok);
}

TEST(Pmr, HonoursAlignment) {
  auto arena = make_arena<PlainArena>();
  stalloc::resource res(*arena);
  for (std::size_t align : {1u, 8u, 16u, 64u, 256u}) {
    void* p = res.allocate(24, align);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % align, 0u) << align;
    res.deallocate(p, 24, align);
  }
  EXPECT_TRUE(arena->is_empty());
}

}  // namespace
}  // namespace adaptor_tests
