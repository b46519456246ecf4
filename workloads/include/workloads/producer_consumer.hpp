// producer-consumer: one thread allocates, another frees (multithreaded).
//
// Threads work in pairs joined by a queue: the even thread of each pair
// allocates objects (16 to 512 bytes, uniform), fills them and sends them in
// batches of 32; the odd thread takes them and frees them after checking
// them. Every free is a remote free: the pattern that defeats allocators
// whose per-thread caches assume the allocating thread frees. With an odd
// thread count the last thread is its own consumer; with one thread, it
// produces a round and then consumes it.
//
// A producer's round makes 1024 objects; a consumer's round frees up to 1024,
// as many as have arrived (it never waits, so it may free none). The queue
// (support::Mailbox) holds 2048 objects; when it is full the producer frees
// the objects that did not fit itself. The sizes come from a pre-generated
// per-producer stream of 4 rounds, replayed in a cycle.
//
// Arena hint {65535, 64} (4 MiB): a full queue is at most 2048 x 512 B =
// 1 MiB of requests (about 540 KiB on average), so 4 threads fit even with
// every queue full, and 8 unless all four queues fill at once.
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

class ProducerConsumer {
 public:
  static constexpr std::size_t kObjectsPerRound = 1024;
  static constexpr std::size_t kRoundsInStream = 4;
  static constexpr std::size_t kMinSize = 16;
  static constexpr std::size_t kMaxSize = 512;
  static constexpr std::size_t kQueueCapacity = 2048;
  static constexpr std::size_t kBatch = 32;
  static constexpr std::size_t kAlign = 8;

  static constexpr Info info{
      .name = "producer-consumer",
      .description =
          "thread pairs: one allocates 16-512 B objects and queues them, the "
          "other frees them; 1024 objects/round",
      .arena = ArenaHint{65535, 64},
      .multithreaded = true,
      .uses_seed = true,
      .needs_input = false,
      .exceeds_arena_on_purpose = false,
  };

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  ProducerConsumer(const Options& options, const Point&)
      : check_(options.check),
        threads_(std::max(1u, options.threads)),
        state_(std::make_unique<support::PerThread<Thread>[]>(threads_)),
        latch_(threads_) {
    support::RequestHash hash;
    hash.add(threads_);
    for (unsigned t = 0; t < threads_; ++t) {
      Thread& th = state(t);
      th.taken.resize(kBatch * 8);
      if (!is_producer(t)) continue;
      th.queue = std::make_unique<support::Mailbox<Object>>(kQueueCapacity);
      support::Random rng{options.seed, t};
      th.sizes.resize(kObjectsPerRound * kRoundsInStream);
      for (auto& size : th.sizes) {
        size = static_cast<std::uint32_t>(rng.between(kMinSize, kMaxSize));
        hash.add(t, size);
      }
    }
    checksum_ = hash.value();
  }

  template <Allocator A>
  std::uint64_t run(A& a, unsigned thread) {
    Thread& th = state(thread);
    th.calls = 0;
    if (is_producer(thread)) produce(a, thread, th);
    if (consumer_of(producer_of(thread)) == thread) consume(a, th, queue_for(thread));
    return th.calls;
  }

  template <Allocator A>
  void drain(A& a, unsigned thread) {
    Thread& th = state(thread);
    if (consumer_of(producer_of(thread)) == thread) consume_all(a, th, queue_for(thread));
    // A producer may still be sending after its consumer drained: the last
    // thread out, when every thread has stopped, empties every queue.
    if (latch_.arrive()) {
      std::uint64_t in_flight = 0;
      for (unsigned t = 0; t < threads_; ++t) {
        if (!is_producer(t)) continue;
        in_flight += state(t).queue->peak_bytes();
        consume_all(a, th, *state(t).queue);
      }
      peak_in_flight_ = std::max(peak_in_flight_, in_flight);
    }
  }

  std::uint64_t corruptions() const { return sum(&Thread::corruptions); }
  std::uint64_t request_checksum() const { return checksum_; }
  std::uint64_t failed_requests() const { return sum(&Thread::failures); }
  // The producers' unsent batches at their most plus, once drained, each
  // queue's peak: an upper bound on the simultaneous peak.
  std::uint64_t peak_requested_bytes() const { return sum(&Thread::peak_bytes) + peak_in_flight_; }

 private:
  struct Object {
    void* data = nullptr;
    std::size_t size = 0;
    std::uint64_t id = 0;
  };
  struct Thread {
    std::unique_ptr<support::Mailbox<Object>> queue;  // producers own their pair's queue
    std::vector<std::uint32_t> sizes;
    std::vector<Object> taken;
    std::array<Object, kBatch> batch{};
    std::size_t batched = 0;
    std::size_t position = 0;
    std::uint64_t next_id = 0;
    std::uint64_t calls = 0;
    std::uint64_t peak_bytes = 0;
    std::uint64_t corruptions = 0;
    std::uint64_t failures = 0;
  };

  // Pairs (0,1), (2,3), ...; an unpaired last thread consumes for itself.
  static bool is_producer(unsigned t) { return t % 2 == 0; }
  static unsigned producer_of(unsigned t) { return t - t % 2; }
  unsigned consumer_of(unsigned producer) const {
    return producer + 1 < threads_ ? producer + 1 : producer;
  }
  support::Mailbox<Object>& queue_for(unsigned t) { return *state(producer_of(t)).queue; }
  Thread& state(unsigned thread) {
    support::check_thread_index(info.name, thread, threads_);
    return state_[thread].value;
  }

  template <Allocator A>
  void produce(A& a, unsigned thread, Thread& th) {
    std::uint64_t batch_bytes = 0;
    for (std::size_t i = 0; i < kObjectsPerRound; ++i) {
      const std::size_t size = th.sizes[th.position + i];
      Object o{a.allocate(size, kAlign), size, (std::uint64_t{thread} << 40) | th.next_id++};
      ++th.calls;
      if (o.data == nullptr) {
        ++th.failures;
        continue;
      }
      if (check_) {
        support::fill_pattern(o.data, 0, size, o.id);
      } else {
        support::touch(o.data, 0, size, o.id);
      }
      th.batch[th.batched++] = o;
      batch_bytes += size;
      th.peak_bytes = std::max(th.peak_bytes, batch_bytes);
      if (th.batched == kBatch) {
        send(a, th);
        batch_bytes = 0;
      }
    }
    send(a, th);
    th.position = (th.position + kObjectsPerRound) % th.sizes.size();
  }

  template <Allocator A>
  void send(A& a, Thread& th) {
    const std::size_t sent = th.queue->post(th.batch.data(), th.batched);
    for (std::size_t i = sent; i < th.batched; ++i) free_object(a, th, th.batch[i]);  // queue full
    th.batched = 0;
  }

  // Frees up to a round's worth of what has arrived; never waits.
  template <Allocator A>
  void consume(A& a, Thread& th, support::Mailbox<Object>& queue) {
    std::size_t done = 0;
    while (done < kObjectsPerRound) {
      const std::size_t n =
          queue.take(th.taken.data(), std::min(th.taken.size(), kObjectsPerRound - done));
      if (n == 0) break;
      for (std::size_t i = 0; i < n; ++i) free_object(a, th, th.taken[i]);
      done += n;
    }
  }

  template <Allocator A>
  void consume_all(A& a, Thread& th, support::Mailbox<Object>& queue) {
    while (std::size_t n = queue.take(th.taken.data(), th.taken.size())) {
      for (std::size_t i = 0; i < n; ++i) free_object(a, th, th.taken[i]);
    }
  }

  template <Allocator A>
  void free_object(A& a, Thread& th, const Object& o) {
    if (check_ && !support::pattern_intact(o.data, 0, o.size, o.id)) ++th.corruptions;
    a.deallocate(o.data, o.size, kAlign);
    ++th.calls;
  }

  std::uint64_t sum(std::uint64_t Thread::*field) const {
    std::uint64_t total = 0;
    for (unsigned t = 0; t < threads_; ++t) total += state_[t].value.*field;
    return total;
  }

  bool check_;
  unsigned threads_;
  std::unique_ptr<support::PerThread<Thread>[]> state_;
  support::DrainLatch latch_;
  std::uint64_t peak_in_flight_ = 0;
  std::uint64_t checksum_ = 0;
};

static_assert(Workload<ProducerConsumer>);

}  // namespace workloads
