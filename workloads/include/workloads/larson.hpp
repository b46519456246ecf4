// larson: the server pattern (after Larson and Krishnan's benchmark),
// multithreaded.
//
// Each thread owns 512 slots of objects of random sizes (8 to 512 bytes,
// uniform). Each step picks a random slot and replaces its object with a new
// one of a new size; one time in ten the old object is not freed by its
// owner but handed to another thread (chosen at random), which frees it the
// next time it looks at its mailbox (at the start of each of its rounds).
// So a share of frees are remote, as when a server's worker threads pass
// requests along. What it stresses: per-thread caches, remote frees, and the
// lock of a shared arena.
//
// The handed objects go through bounded mailboxes (support::Mailbox, 1024
// objects each), batched 16 at a time per destination; when a mailbox is
// full the sender frees the rest itself. Nothing waits for another thread,
// so threads may run different numbers of rounds. The slots are filled in
// prepare() (untimed); one round is 2048 steps per thread, from a
// pre-generated per-thread stream of 4 rounds replayed in a cycle.
//
// Arena hint {65535, 64} (4 MiB): a thread's slots hold about 130 KiB of
// requests (about 150 KiB in 64-byte blocks) plus up to 1024 objects waiting
// in its mailbox, so 8 threads fit with room to fragment.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "workloads/allocator.hpp"
#include "workloads/support/drain_latch.hpp"
#include "workloads/support/mailbox.hpp"
#include "workloads/support/pattern.hpp"
#include "workloads/support/per_thread.hpp"
#include "workloads/support/random.hpp"
#include "workloads/support/request_hash.hpp"
#include "workloads/support/thread_index.hpp"
#include "workloads/workload.hpp"

namespace workloads {

class Larson {
 public:
  static constexpr std::size_t kSlots = 512;
  static constexpr std::size_t kMinSize = 8;
  static constexpr std::size_t kMaxSize = 512;
  static constexpr std::uint32_t kHandPerMille = 100;
  static constexpr std::size_t kStepsPerRound = 2048;
  static constexpr std::size_t kRoundsInStream = 4;
  static constexpr std::size_t kMailboxCapacity = 1024;
  static constexpr std::size_t kBatch = 16;
  static constexpr std::size_t kAlign = 8;

  static constexpr Info info{
      .name = "larson",
      .description =
          "server pattern: threads replace random 8-512 B objects, 10% handed "
          "to another thread to free; 2048 steps/round/thread",
      .arena = ArenaHint{65535, 64},
      .multithreaded = true,
      .uses_seed = true,
      .needs_input = false,
      .exceeds_arena_on_purpose = false,
  };

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  Larson(const Options& options, const Point&)
      : check_(options.check),
        threads_(std::max(1u, options.threads)),
        threads_state_(std::make_unique<support::PerThread<Thread>[]>(threads_)),
        latch_(threads_) {
    support::RequestHash hash;
    hash.add(threads_);
    for (unsigned t = 0; t < threads_; ++t) {
      Thread& th = state(t);
      th.mailbox = std::make_unique<support::Mailbox<Object>>(kMailboxCapacity);
      th.outboxes.assign(threads_, Outbox{});
      th.inbox.resize(kMailboxCapacity);
      th.objects.assign(kSlots, Object{});
      support::Random rng{options.seed, t};
      th.initial_sizes.resize(kSlots);
      for (auto& size : th.initial_sizes) {
        size = static_cast<std::uint32_t>(rng.between(kMinSize, kMaxSize));
        hash.add(size);
      }
      th.stream.resize(kStepsPerRound * kRoundsInStream);
      for (Step& s : th.stream) {
        s.slot = static_cast<std::uint16_t>(rng.below(kSlots));
        s.size = static_cast<std::uint16_t>(rng.between(kMinSize, kMaxSize));
        const bool hand = threads_ > 1 && rng.chance(kHandPerMille);
        // 0: free it here; else hand it to thread (t + to) % threads.
        s.to = hand ? static_cast<std::uint16_t>(1 + rng.below(threads_ - 1)) : 0;
        hash.add(s.slot, (std::uint64_t{s.size} << 16) | s.to);
      }
    }
    checksum_ = hash.value();
  }

  template <Allocator A>
  void prepare(A& a, unsigned thread) {
    Thread& th = state(thread);
    if (th.prepared) return;
    th.prepared = true;
    for (std::size_t slot = 0; slot < kSlots; ++slot) {
      th.calls += allocate(a, th, thread, th.objects[slot], th.initial_sizes[slot]);
    }
  }

  template <Allocator A>
  std::uint64_t run(A& a, unsigned thread) {
    Thread& th = state(thread);
    if (!th.prepared) prepare(a, thread);
    th.calls = 0;
    free_inbox(a, th);
    const Step* step = th.stream.data() + th.position;
    for (std::size_t i = 0; i < kStepsPerRound; ++i, ++step) {
      Object& o = th.objects[step->slot];
      if (o.data != nullptr) {
        if (step->to == 0) {
          free_object(a, th, o);
        } else {
          hand(a, th, (thread + step->to) % threads_, o);
        }
        th.held_bytes -= o.size;
      }
      th.calls += allocate(a, th, thread, o, step->size);
    }
    th.position = (th.position + kStepsPerRound) % th.stream.size();
    for (unsigned to = 0; to < threads_; ++to) flush(a, th, to);
    return th.calls;
  }

  template <Allocator A>
  void drain(A& a, unsigned thread) {
    Thread& th = state(thread);
    for (Object& o : th.objects) {
      if (o.data != nullptr) free_object(a, th, o);
      o = Object{};
    }
    for (unsigned to = 0; to < threads_; ++to) flush(a, th, to);
    free_inbox(a, th);
    th.held_bytes = 0;
    th.position = 0;
    th.prepared = false;
    // Threads still running may have posted to mailboxes already drained:
    // the last thread out, when all have stopped, frees what is left.
    if (latch_.arrive()) {
      std::uint64_t in_flight = 0;
      for (unsigned t = 0; t < threads_; ++t) {
        in_flight += state(t).mailbox->peak_bytes();
        free_inbox(a, state(t));
      }
      peak_in_flight_ = std::max(peak_in_flight_, in_flight);
    }
  }

  std::uint64_t corruptions() const { return sum(&Thread::corruptions); }
  std::uint64_t request_checksum() const { return checksum_; }
  std::uint64_t failed_requests() const { return sum(&Thread::failures); }
  // Each thread's own peak (its slots and unsent batches) plus, once drained,
  // each mailbox's peak: an upper bound on the simultaneous peak.
  std::uint64_t peak_requested_bytes() const { return sum(&Thread::peak_bytes) + peak_in_flight_; }

 private:
  struct Step {
    std::uint16_t slot;
    std::uint16_t size;
    std::uint16_t to;
  };
  struct Object {
    void* data = nullptr;
    std::size_t size = 0;
    std::uint64_t id = 0;
  };
  struct Outbox {
    std::array<Object, kBatch> items{};
    std::size_t count = 0;
  };
  struct Thread {
    std::unique_ptr<support::Mailbox<Object>> mailbox;
    std::vector<Outbox> outboxes;  // one per destination thread
    std::vector<Object> inbox;     // take() lands here
    std::vector<Object> objects;
    std::vector<std::uint32_t> initial_sizes;
    std::vector<Step> stream;
    std::size_t position = 0;
    bool prepared = false;
    std::uint64_t next_id = 0;
    std::uint64_t calls = 0;
    std::uint64_t held_bytes = 0;
    std::uint64_t peak_bytes = 0;
    std::uint64_t corruptions = 0;
    std::uint64_t failures = 0;
  };

  Thread& state(unsigned thread) {
    support::check_thread_index(info.name, thread, threads_);
    return threads_state_[thread].value;
  }

  template <Allocator A>
  std::uint64_t allocate(A& a, Thread& th, unsigned thread, Object& o, std::size_t size) {
    o = Object{a.allocate(size, kAlign), size, (std::uint64_t{thread} << 40) | th.next_id++};
    if (o.data == nullptr) {
      ++th.failures;
      return 1;
    }
    if (check_) {
      support::fill_pattern(o.data, 0, size, o.id);
    } else {
      support::touch(o.data, 0, size, o.id);
    }
    th.held_bytes += size;
    th.peak_bytes = std::max(th.peak_bytes, th.held_bytes);
    return 1;
  }

  template <Allocator A>
  void free_object(A& a, Thread& th, Object& o) {
    if (check_ && !support::pattern_intact(o.data, 0, o.size, o.id)) ++th.corruptions;
    a.deallocate(o.data, o.size, kAlign);
    ++th.calls;
    o.data = nullptr;
  }

  // Queues o for thread `to`; sends the batch when it is full. held_bytes
  // still counts it until it is sent.
  template <Allocator A>
  void hand(A& a, Thread& th, unsigned to, Object& o) {
    Outbox& box = th.outboxes[to];
    box.items[box.count++] = o;
    th.held_bytes += o.size;  // the caller subtracts it from the slot
    o.data = nullptr;
    if (box.count == kBatch) flush(a, th, to);
  }

  template <Allocator A>
  void flush(A& a, Thread& th, unsigned to) {
    Outbox& box = th.outboxes[to];
    if (box.count == 0) return;
    const std::size_t sent = state(to).mailbox->post(box.items.data(), box.count);
    for (std::size_t i = 0; i < box.count; ++i) {
      th.held_bytes -= box.items[i].size;
      if (i >= sent) free_object(a, th, box.items[i]);  // their mailbox is full
    }
    box.count = 0;
  }

  template <Allocator A>
  void free_inbox(A& a, Thread& th) {
    const std::size_t n = th.mailbox->take(th.inbox.data(), th.inbox.size());
    for (std::size_t i = 0; i < n; ++i) free_object(a, th, th.inbox[i]);
  }

  std::uint64_t sum(std::uint64_t Thread::*field) const {
    std::uint64_t total = 0;
    for (unsigned t = 0; t < threads_; ++t) total += threads_state_[t].value.*field;
    return total;
  }

  bool check_;
  unsigned threads_;
  std::unique_ptr<support::PerThread<Thread>[]> threads_state_;
  support::DrainLatch latch_;
  std::uint64_t peak_in_flight_ = 0;
  std::uint64_t checksum_ = 0;
};

static_assert(Workload<Larson>);

}  // namespace workloads
