#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <vector>

#include "workloads/support/pattern.hpp"
#include "workloads/support/random.hpp"
#include "workloads/support/request_hash.hpp"

namespace ws = workloads::support;

TEST(Random, SameSeedSameSequenceDifferentStreamsDiffer) {
  ws::Random a{7}, b{7}, c{7, 1}, d{8};
  std::vector<std::uint64_t> va, vb, vc, vd;
  for (int i = 0; i < 100; ++i) {
    va.push_back(a.next());
    vb.push_back(b.next());
    vc.push_back(c.next());
    vd.push_back(d.next());
  }
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
  EXPECT_NE(va, vd);
}

TEST(Random, BelowStaysInRangeAndCoversIt) {
  ws::Random rng{1};
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    const auto v = rng.below(10);
    ASSERT_LT(v, 10u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 10u);
  for (int i = 0; i < 1000; ++i) {
    const auto v = rng.between(5, 7);
    ASSERT_GE(v, 5u);
    ASSERT_LE(v, 7u);
  }
}

TEST(Pattern, DetectsAOneByteChangeAnywhere) {
  std::vector<unsigned char> buffer(1000);
  ws::fill_pattern(buffer.data(), 0, buffer.size(), 99);
  EXPECT_TRUE(ws::pattern_intact(buffer.data(), 0, buffer.size(), 99));
  EXPECT_FALSE(ws::pattern_intact(buffer.data(), 0, buffer.size(), 98));
  for (std::size_t i : {0u, 7u, 8u, 500u, 999u}) {
    buffer[i] ^= 1;
    EXPECT_FALSE(ws::pattern_intact(buffer.data(), 0, buffer.size(), 99)) << i;
    buffer[i] ^= 1;
  }
}

TEST(Pattern, GrowingKeepsThePrefixValid) {
  std::vector<unsigned char> buffer(300);
  ws::fill_pattern(buffer.data(), 0, 13, 5);
  ws::fill_pattern(buffer.data(), 13, 300, 5);
  std::vector<unsigned char> whole(300);
  ws::fill_pattern(whole.data(), 0, 300, 5);
  EXPECT_EQ(buffer, whole);
}

TEST(RequestHash, OrderAndContentMatter) {
  ws::RequestHash a, b, c;
  a.add(1, 2);
  b.add(2, 1);
  c.add(1, 2);
  EXPECT_NE(a.value(), b.value());
  EXPECT_EQ(a.value(), c.value());
}
