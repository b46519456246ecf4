// The arenas every adaptor test runs on, and what a test may ask of each.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <thread>

#include "stalloc/arena_array.hpp"
#include "stalloc/chain.hpp"
#include "stalloc/stalloc.hpp"
#include "stalloc/sync.hpp"
#include "stalloc/system.hpp"

namespace adaptor_tests {

using PlainArena = stalloc::Stalloc<4096, 8>;
using UnsafeArena = stalloc::UnsafeStalloc<4096, 8>;
using SpinArena = stalloc::SyncStalloc<4096, 8>;
using MutexArena = stalloc::SyncStalloc<4096, 8, std::mutex>;
// A small first link that spills into a second arena: exercises routing.
using ArenaChain = stalloc::Chain<stalloc::Stalloc<64, 8>, stalloc::Stalloc<4096, 16>>;
using SystemChain = stalloc::Chain<stalloc::Stalloc<64, 8>, stalloc::System>;
using SystemArena = stalloc::System;
// Four small arenas filled in turn: containers that outgrow one arena.
using ArenaArrayOfFour = stalloc::ArenaArray<4, stalloc::Stalloc<2048, 8>>;

// Synchronized and ThreadCached skip their lock, and ThreadCached its
// caches, while the process has one thread (sync.hpp). Tests of the lock and
// the caches start and join a thread first, so they test them whether run in
// a process of their own (ctest) or after other tests.
inline void make_process_multithreaded() {
  std::thread([] {}).join();
  ASSERT_FALSE(stalloc::detail::is_only_thread());
}

// A fixed-size arena can run out and can tell whether it is empty; a chain
// that ends in System can do neither.
template <class Arena>
concept Bounded = requires(Arena& a) {
  a.is_empty();
};

// Arenas are neither copyable nor movable: tests keep them on the heap.
template <class Arena>
std::unique_ptr<Arena> make_arena() {
  return std::make_unique<Arena>();
}

template <class Arena>
void expect_consistent(Arena& arena) {
  const stalloc::InvariantReport r = arena.check_invariants();
  EXPECT_TRUE(r.ok) << r.what << " at chunk " << r.chunk;
}

template <class Arena>
void expect_empty(Arena& arena) {
  expect_consistent(arena);
  if constexpr (Bounded<Arena>) {
    EXPECT_TRUE(arena.is_empty());
  }
}

}  // namespace adaptor_tests
