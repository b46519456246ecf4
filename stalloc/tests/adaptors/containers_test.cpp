// The standard containers on stalloc::allocator, over every kind of arena:
// growth, copy, move, swap on the same and on different arenas, and a full
// arena (std::bad_alloc, container unchanged, arena still consistent).
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <list>
#include <map>
#include <new>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "arenas.hpp"
#include "stalloc/allocator.hpp"

namespace adaptor_tests {
namespace {

template <class T, class Arena>
using Alloc = stalloc::allocator<T, Arena>;

// A container kind: how to build one on an arena, add the i-th element, and
// read back what it holds (as ints, so every kind compares the same way).
template <class Arena>
struct VectorKind {
  using Container = std::vector<int, Alloc<int, Arena>>;
  static void add(Container& c, int i) { c.push_back(i * 7); }
  static int expected(int i) { return i * 7; }
  static std::vector<int> contents(const Container& c) { return {c.begin(), c.end()}; }
};

template <class Arena>
struct StringKind {
  using Container = std::basic_string<char, std::char_traits<char>, Alloc<char, Arena>>;
  static void add(Container& c, int i) { c.push_back(static_cast<char>('a' + i % 26)); }
  static int expected(int i) { return 'a' + i % 26; }
  static std::vector<int> contents(const Container& c) { return {c.begin(), c.end()}; }
};

template <class Arena>
struct ListKind {
  using Container = std::list<int, Alloc<int, Arena>>;
  static void add(Container& c, int i) { c.push_back(i * 3 + 1); }
  static int expected(int i) { return i * 3 + 1; }
  static std::vector<int> contents(const Container& c) { return {c.begin(), c.end()}; }
};

template <class Arena>
struct DequeKind {
  using Container = std::deque<int, Alloc<int, Arena>>;
  static void add(Container& c, int i) { c.push_back(i - 1000); }
  static int expected(int i) { return i - 1000; }
  static std::vector<int> contents(const Container& c) { return {c.begin(), c.end()}; }
};

// Maps hold key -> key * 5; contents() lists the values in key order.
template <class Arena>
struct MapKind {
  using Container = std::map<int, int, std::less<int>, Alloc<std::pair<const int, int>, Arena>>;
  static void add(Container& c, int i) { c.emplace(i, i * 5); }
  static int expected(int i) { return i * 5; }
  static std::vector<int> contents(const Container& c) {
    std::vector<int> out;
    for (const auto& [k, v] : c) out.push_back(v);
    return out;
  }
};

template <class Arena>
struct UnorderedMapKind {
  using Container = std::unordered_map<int, int, std::hash<int>, std::equal_to<int>,
                                       Alloc<std::pair<const int, int>, Arena>>;
  static void add(Container& c, int i) { c.emplace(i, i * 5); }
  static int expected(int i) { return i * 5; }
  static std::vector<int> contents(const Container& c) {
    std::vector<std::pair<int, int>> sorted(c.begin(), c.end());
    std::sort(sorted.begin(), sorted.end());
    std::vector<int> out;
    for (const auto& [k, v] : sorted) out.push_back(v);
    return out;
  }
};

template <class A, template <class> class K>
struct Case {
  using Arena = A;
  using Kind = K<A>;
};

template <class C>
class ContainerTest : public ::testing::Test {
 protected:
  using Arena = typename C::Arena;
  using Kind = typename C::Kind;
  using Container = typename Kind::Container;

  static std::vector<int> expected(int n) {
    std::vector<int> out;
    for (int i = 0; i < n; ++i) out.push_back(Kind::expected(i));
    return out;
  }
  static Container filled(Arena& arena, int n) {
    Container c{Alloc<typename Container::value_type, Arena>(arena)};
    for (int i = 0; i < n; ++i) Kind::add(c, i);
    return c;
  }
  static Arena* arena_of(const Container& c) { return &c.get_allocator().arena(); }

  std::unique_ptr<Arena> one = make_arena<Arena>();
  std::unique_ptr<Arena> two = make_arena<Arena>();
};

#define STALLOC_KIND_CASES(Arena)                                                                  \
  Case<Arena, VectorKind>, Case<Arena, StringKind>, Case<Arena, ListKind>, Case<Arena, DequeKind>, \
      Case<Arena, MapKind>, Case<Arena, UnorderedMapKind>

using AllCases =
    ::testing::Types<STALLOC_KIND_CASES(PlainArena), STALLOC_KIND_CASES(UnsafeArena),
                     STALLOC_KIND_CASES(SpinArena), STALLOC_KIND_CASES(MutexArena),
                     STALLOC_KIND_CASES(ArenaChain), STALLOC_KIND_CASES(SystemChain),
                     STALLOC_KIND_CASES(SystemArena), STALLOC_KIND_CASES(ArenaArrayOfFour)>;

// Readable test names: <arena>_<container>.
struct CaseNames {
  template <class C>
  static std::string GetName(int i) {
    static const char* const kKinds[] = {"vector", "string", "list",
                                         "deque",  "map",    "unordered_map"};
    static const char* const kArenas[] = {
        "Stalloc",         "UnsafeStalloc", "SyncStalloc_spin", "SyncStalloc_mutex",
        "ChainOfStallocs", "ChainToSystem", "System",           "ArenaArray"};
    return std::string(kArenas[i / 6]) + "_" + kKinds[i % 6];
  }
};

TYPED_TEST_SUITE(ContainerTest, AllCases, CaseNames);

TYPED_TEST(ContainerTest, GrowsAndFreesEverything) {
  {
    auto c = this->filled(*this->one, 600);
    EXPECT_EQ(TypeParam::Kind::contents(c), this->expected(600));
    EXPECT_EQ(this->arena_of(c), this->one.get());
    expect_consistent(*this->one);
  }
  expect_empty(*this->one);
}

TYPED_TEST(ContainerTest, CopyUsesTheSameArenaAndIsIndependent) {
  {
    auto original = this->filled(*this->one, 200);
    auto copy = original;
    EXPECT_EQ(this->arena_of(copy), this->one.get());
    EXPECT_TRUE(copy.get_allocator() == original.get_allocator());
    TypeParam::Kind::add(copy, 200);
    EXPECT_EQ(TypeParam::Kind::contents(original), this->expected(200));
    EXPECT_EQ(TypeParam::Kind::contents(copy), this->expected(201));
    expect_consistent(*this->one);
  }
  expect_empty(*this->one);
}

TYPED_TEST(ContainerTest, MoveKeepsTheArena) {
  {
    auto source = this->filled(*this->one, 300);
    auto target = std::move(source);
    EXPECT_EQ(TypeParam::Kind::contents(target), this->expected(300));
    EXPECT_EQ(this->arena_of(target), this->one.get());
  }
  expect_empty(*this->one);
}

TYPED_TEST(ContainerTest, SwapOnTheSameArena) {
  {
    auto a = this->filled(*this->one, 50);
    auto b = this->filled(*this->one, 120);
    a.swap(b);
    EXPECT_EQ(TypeParam::Kind::contents(a), this->expected(120));
    EXPECT_EQ(TypeParam::Kind::contents(b), this->expected(50));
    expect_consistent(*this->one);
  }
  expect_empty(*this->one);
}

TYPED_TEST(ContainerTest, SwapBetweenArenasCarriesTheAllocators) {
  {
    auto a = this->filled(*this->one, 70);
    auto b = this->filled(*this->two, 130);
    a.swap(b);
    EXPECT_EQ(TypeParam::Kind::contents(a), this->expected(130));
    EXPECT_EQ(TypeParam::Kind::contents(b), this->expected(70));
    EXPECT_EQ(this->arena_of(a), this->two.get());
    EXPECT_EQ(this->arena_of(b), this->one.get());
    // Growing after the swap allocates from the arena the memory came from.
    TypeParam::Kind::add(a, 130);
    TypeParam::Kind::add(b, 70);
    EXPECT_EQ(TypeParam::Kind::contents(a), this->expected(131));
    expect_consistent(*this->one);
    expect_consistent(*this->two);
  }
  expect_empty(*this->one);
  expect_empty(*this->two);
}

TYPED_TEST(ContainerTest, MoveAssignBetweenArenasAdoptsTheSourceArena) {
  {
    auto target = this->filled(*this->one, 40);
    auto source = this->filled(*this->two, 90);
    target = std::move(source);
    EXPECT_EQ(TypeParam::Kind::contents(target), this->expected(90));
    EXPECT_EQ(this->arena_of(target), this->two.get());
    // The target's old memory went back to its own arena.
    if constexpr (Bounded<typename TypeParam::Arena>) {
      EXPECT_TRUE(this->one->is_empty());
    }
  }
  expect_empty(*this->one);
  expect_empty(*this->two);
}

TYPED_TEST(ContainerTest, CopyAssignBetweenArenasAdoptsTheSourceArena) {
  {
    auto target = this->filled(*this->one, 40);
    const auto source = this->filled(*this->two, 90);
    target = source;
    EXPECT_EQ(TypeParam::Kind::contents(target), this->expected(90));
    EXPECT_EQ(TypeParam::Kind::contents(source), this->expected(90));
    EXPECT_EQ(this->arena_of(target), this->two.get());
    expect_consistent(*this->one);
    expect_consistent(*this->two);
  }
  expect_empty(*this->one);
  expect_empty(*this->two);
}

// Only arenas that can run out: a chain ending in System never does.
template <class C>
class FullArenaTest : public ContainerTest<C> {};

using BoundedCases =
    ::testing::Types<STALLOC_KIND_CASES(PlainArena), STALLOC_KIND_CASES(UnsafeArena),
                     STALLOC_KIND_CASES(SpinArena), STALLOC_KIND_CASES(MutexArena),
                     STALLOC_KIND_CASES(ArenaChain)>;
TYPED_TEST_SUITE(FullArenaTest, BoundedCases, CaseNames);

TYPED_TEST(FullArenaTest, ThrowsBadAllocAndLeavesTheContainerUnchanged) {
  {
    auto c = this->filled(*this->one, 0);
    int added = 0;
    bool threw = false;
    for (; added < 1'000'000; ++added) {
      try {
        TypeParam::Kind::add(c, added);
      } catch (const std::bad_alloc&) {
        threw = true;
        break;
      }
    }
    ASSERT_TRUE(threw) << "the arena never ran out";
    EXPECT_GT(added, 0);
    EXPECT_EQ(TypeParam::Kind::contents(c), this->expected(added));
    expect_consistent(*this->one);
    // Still usable after the failure: removing and re-adding works.
    c.clear();
    TypeParam::Kind::add(c, 0);
    EXPECT_EQ(TypeParam::Kind::contents(c), this->expected(1));
  }
  expect_empty(*this->one);
}

TEST(Allocator, EqualityIsArenaIdentityAndSurvivesRebind) {
  auto one = make_arena<PlainArena>();
  auto two = make_arena<PlainArena>();
  const Alloc<int, PlainArena> a(*one);
  const Alloc<int, PlainArena> b(*one);
  const Alloc<int, PlainArena> c(*two);
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_TRUE(a != c);
  const Alloc<double, PlainArena> rebound(a);
  EXPECT_TRUE(rebound == a);
  EXPECT_EQ(&rebound.arena(), one.get());
  using Traits = std::allocator_traits<Alloc<int, PlainArena>>;
  static_assert(std::is_same_v<Traits::rebind_alloc<long>, Alloc<long, PlainArena>>);
  static_assert(Traits::propagate_on_container_swap::value);
  static_assert(!Traits::is_always_equal::value);
}

TEST(Allocator, HonoursOverAlignedTypes) {
  struct alignas(64) Wide {
    char bytes[64];
  };
  auto arena = make_arena<PlainArena>();
  std::vector<Wide, Alloc<Wide, PlainArena>> v(*arena);
  for (int i = 0; i < 20; ++i) {
    v.emplace_back();
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(v.data()) % 64, 0u);
  }
}

TEST(Allocator, OversizedRequestThrowsBadArrayNewLength) {
  auto arena = make_arena<PlainArena>();
  Alloc<std::uint64_t, PlainArena> alloc(*arena);
  EXPECT_THROW((void)alloc.allocate(std::numeric_limits<std::size_t>::max() / 4),
               std::bad_array_new_length);
  EXPECT_THROW((void)alloc.allocate(PlainArena::capacity), std::bad_alloc);
  EXPECT_TRUE(arena->is_empty());
}

}  // namespace
}  // namespace adaptor_tests
