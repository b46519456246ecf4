// cache-scratch: does the allocator make threads share cache lines?
// (multithreaded; after the cache-scratch test of Berger et al.'s Hoard work)
//
// Setup: one thread allocates one small object per thread, back to back, so
// they sit on the same cache lines, and hands object t to thread t, which
// frees it at the start of its first round. Then each thread, on its own,
// repeatedly allocates a small object (8 to 32 bytes), writes every byte of
// it 100 times, and frees it. An allocator that gives a freed block back to
// whichever thread frees it (passive false sharing) or carves neighbouring
// blocks for different threads (active false sharing) puts different
// threads' objects on one cache line, and the writes then bounce the line
// between cores: the time per request grows with the thread count instead
// of staying flat. One round is 64 objects per thread (128 requests).
//
// The sizes come from a pre-generated per-thread stream; the writes are
// plain byte increments through a volatile pointer, so the compiler keeps
// every one. Arena hint {1024, 8}: each thread holds one object at a time.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "workloads/allocator.hpp"
#include "workloads/support/drain_latch.hpp"
#include "workloads/support/pattern.hpp"
#include "workloads/support/per_thread.hpp"
#include "workloads/support/random.hpp"
#include "workloads/support/request_hash.hpp"
#include "workloads/support/thread_index.hpp"
#include "workloads/workload.hpp"

namespace workloads {

class CacheScratch {
 public:
  static constexpr std::size_t kObjectsPerRound = 64;
  static constexpr std::size_t kRoundsInStream = 16;
  static constexpr std::size_t kWritesPerByte = 100;
  static constexpr std::size_t kMinSize = 8;
  static constexpr std::size_t kMaxSize = 32;
  static constexpr std::size_t kHandedSize = 8;
  static constexpr std::size_t kAlign = 8;

  static constexpr Info info{
      .name = "cache-scratch",
      .description =
          "false sharing: threads allocate 8-32 B objects and write each byte "
          "100 times; 64 objects/round/thread",
      .arena = ArenaHint{1024, 8},
      .multithreaded = true,
      .uses_seed = true,
      .needs_input = false,
      .exceeds_arena_on_purpose = false,
  };

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  CacheScratch(const Options& options, const Point&)
      : check_(options.check),
        threads_(std::max(1u, options.threads)),
        state_(std::make_unique<support::PerThread<Thread>[]>(threads_)),
        latch_(threads_) {
    support::RequestHash hash;
    hash.add(threads_);
    for (unsigned t = 0; t < threads_; ++t) {
      support::Random rng{options.seed, t};
      Thread& th = state(t);
      th.sizes.resize(kObjectsPerRound * kRoundsInStream);
      for (auto& size : th.sizes) {
        size = static_cast<std::uint8_t>(8 * rng.between(kMinSize / 8, kMaxSize / 8));
        hash.add(t, size);
      }
    }
    checksum_ = hash.value();
  }

  // The handed-out objects are made by whichever thread gets here first.
  template <Allocator A>
  void prepare(A& a, unsigned /*thread*/) {
    if (set_up_.load(std::memory_order_acquire)) return;
    std::lock_guard lock{setup_mutex_};
    if (set_up_.load(std::memory_order_relaxed)) return;
    for (unsigned t = 0; t < threads_; ++t) {
      Thread& th = state(t);
      th.handed = a.allocate(kHandedSize, kAlign);
      if (th.handed == nullptr) {
        ++th.failures;
        continue;
      }
      write(th.handed, kHandedSize, handed_id(t), 1);
    }
    set_up_.store(true, std::memory_order_release);
  }

  template <Allocator A>
  std::uint64_t run(A& a, unsigned thread) {
    prepare(a, thread);
    Thread& th = state(thread);
    std::uint64_t calls = free_handed(a, th, thread);
    for (std::size_t i = 0; i < kObjectsPerRound; ++i) {
      const std::size_t size = th.sizes[th.position + i];
      void* p = a.allocate(size, kAlign);
      ++calls;
      if (p == nullptr) {
        ++th.failures;
        continue;
      }
      const std::uint64_t id = (std::uint64_t{thread} << 40) | th.next_id++;
      write(p, size, id, kWritesPerByte);
      if (check_ && !intact(p, size, id, kWritesPerByte)) ++th.corruptions;
      a.deallocate(p, size, kAlign);
      ++calls;
    }
    th.position = (th.position + kObjectsPerRound) % th.sizes.size();
    return calls;
  }

  template <Allocator A>
  void drain(A& a, unsigned thread) {
    free_handed(a, state(thread), thread);  // a thread that never ran
    if (latch_.arrive()) set_up_.store(false, std::memory_order_release);
  }

  std::uint64_t corruptions() const { return sum(&Thread::corruptions); }
  std::uint64_t request_checksum() const { return checksum_; }
  std::uint64_t failed_requests() const { return sum(&Thread::failures); }
  std::uint64_t peak_requested_bytes() const {
    return threads_ * (kHandedSize + kMaxSize);  // a handed object and its own, per thread
  }

 private:
  struct Thread {
    std::vector<std::uint8_t> sizes;
    void* handed = nullptr;
    std::size_t position = 0;
    std::uint64_t next_id = 0;
    std::uint64_t corruptions = 0;
    std::uint64_t failures = 0;
  };

  static constexpr std::uint64_t handed_id(unsigned t) { return (std::uint64_t{1} << 62) | t; }

  // Byte i ends up as pattern_byte(id, i) + passes - 1 (mod 256), whatever the
  // mode: the first pass stores the pattern, each later pass increments.
  static void write(void* p, std::size_t size, std::uint64_t id, std::size_t passes) {
    support::fill_pattern(p, 0, size, id);  // read back by the increments: not dead
    auto* bytes = static_cast<volatile unsigned char*>(p);
    for (std::size_t pass = 1; pass < passes; ++pass) {
      for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<unsigned char>(bytes[i] + 1);
    }
  }

  static bool intact(const void* p, std::size_t size, std::uint64_t id, std::size_t passes) {
    const auto* bytes = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < size; ++i) {
      if (bytes[i] != static_cast<unsigned char>(support::pattern_byte(id, i) + passes - 1))
        return false;
    }
    return true;
  }

  template <Allocator A>
  std::uint64_t free_handed(A& a, Thread& th, unsigned thread) {
    if (th.handed == nullptr) return 0;
    if (check_ && !intact(th.handed, kHandedSize, handed_id(thread), 1)) ++th.corruptions;
    a.deallocate(th.handed, kHandedSize, kAlign);
    th.handed = nullptr;
    return 1;
  }

  std::uint64_t sum(std::uint64_t Thread::*field) const {
    std::uint64_t total = 0;
    for (unsigned t = 0; t < threads_; ++t) total += state_[t].value.*field;
    return total;
  }

  Thread& state(unsigned thread) {
    support::check_thread_index(info.name, thread, threads_);
    return state_[thread].value;
  }

  bool check_;
  unsigned threads_;
  std::unique_ptr<support::PerThread<Thread>[]> state_;
  support::DrainLatch latch_;
  std::mutex setup_mutex_;
  std::atomic<bool> set_up_{false};
  std::uint64_t checksum_ = 0;
};

static_assert(Workload<CacheScratch>);

}  // namespace workloads
