// The multithreaded workloads hand objects between threads as they claim to,
// and survive thread counts and orders the harness may produce.
#include <gtest/gtest.h>

#include <latch>
#include <stdexcept>
#include <thread>

#include "checking_allocator.hpp"
#include "test_driver.hpp"
#include "thread_attributing_allocator.hpp"
#include "workloads/cache_scratch.hpp"
#include "workloads/larson.hpp"
#include "workloads/producer_consumer.hpp"
#include "workloads/threaded.hpp"

namespace {

using workloads::Options;
using workloads::testing::run_workload;
using workloads::testing::ThreadAttributingAllocator;

Options with_threads(unsigned threads) {
  Options o;
  o.check = true;
  o.quick = true;
  o.threads = threads;
  return o;
}

TEST(Larson, SomeFreesAreRemoteOnlyWithSeveralThreads) {
  for (unsigned threads : {1u, 3u}) {
    SCOPED_TRACE(threads);
    const Options options = with_threads(threads);
    workloads::Larson w{options, {}};
    ThreadAttributingAllocator a;
    run_workload(w, a, options, 3);
    EXPECT_EQ(w.corruptions(), 0u);
    EXPECT_EQ(a.checker().live_blocks(), 0u);
    if (threads == 1) {
      EXPECT_EQ(a.remote_frees(), 0u);
    } else {
      // About one step in ten hands its object over.
      EXPECT_GT(a.remote_frees(), a.frees() / 40);
      EXPECT_LT(a.remote_frees(), a.frees() / 2);
    }
  }
}

TEST(ProducerConsumer, TheConsumerFreesWhatTheProducerAllocated) {
  // One producer round, then one consumer round, each on its own thread.
  const Options options = with_threads(2);
  workloads::ProducerConsumer w{options, {}};
  ThreadAttributingAllocator a;
  std::uint64_t produced = 0, consumed = 0;
  // The producer's thread stays alive until the consumer is done, so the
  // consumer's thread cannot reuse its id.
  std::latch produced_all{1}, consumed_all{1};
  std::thread producer{[&] {
    produced = w.run(a, 0);
    produced_all.count_down();
    consumed_all.wait();
  }};
  produced_all.wait();
  std::thread{[&] { consumed = w.run(a, 1); }}.join();
  consumed_all.count_down();
  producer.join();
  EXPECT_EQ(produced, workloads::ProducerConsumer::kObjectsPerRound);
  EXPECT_EQ(consumed, workloads::ProducerConsumer::kObjectsPerRound);
  EXPECT_EQ(a.remote_frees(), workloads::ProducerConsumer::kObjectsPerRound);
  EXPECT_EQ(a.checker().live_blocks(), 0u);
  std::thread{[&] { w.drain(a, 0); }}.join();
  std::thread{[&] { w.drain(a, 1); }}.join();
  EXPECT_EQ(w.corruptions(), 0u);
}

// A consumer with nothing to take returns at once (no waiting), and what the
// producer sent later is freed by the drain.
TEST(ProducerConsumer, AConsumerNeverWaits) {
  const Options options = with_threads(2);
  workloads::ProducerConsumer w{options, {}};
  workloads::testing::CheckingAllocator a;
  EXPECT_EQ(w.run(a, 1), 0u);
  w.run(a, 0);
  w.run(a, 0);
  w.run(a, 0);  // the third round overflows the queue: the producer frees the rest
  EXPECT_EQ(a.live_blocks(), workloads::ProducerConsumer::kQueueCapacity);
  w.drain(a, 0);
  w.drain(a, 1);
  EXPECT_EQ(a.live_blocks(), 0u);
  EXPECT_TRUE(a.errors().empty());
}

TEST(ProducerConsumer, OddThreadCountsPairUpAndTheLastConsumesForItself) {
  for (unsigned threads : {1u, 3u, 5u}) {
    SCOPED_TRACE(threads);
    const Options options = with_threads(threads);
    workloads::ProducerConsumer w{options, {}};
    workloads::testing::CheckingAllocator a;
    const auto result = run_workload(w, a, options, 2);
    EXPECT_GT(result.operations, 0u);
    EXPECT_EQ(w.corruptions(), 0u);
    EXPECT_EQ(a.live_blocks(), 0u);
    EXPECT_TRUE(a.errors().empty());
  }
}

TEST(CacheScratch, HandedObjectsAreFreedByTheThreadsTheyWereHandedTo) {
  const Options options = with_threads(3);
  workloads::CacheScratch w{options, {}};
  ThreadAttributingAllocator a;
  run_workload(w, a, options, 2);
  // One thread made all three; two of them went to other threads.
  EXPECT_EQ(a.remote_frees(), 2u);
  EXPECT_EQ(w.corruptions(), 0u);
  EXPECT_EQ(a.checker().live_blocks(), 0u);
}

// The harness may drain, prepare and run the same workload object again.
TEST(Multithreaded, RunAgainAfterDrain) {
  const Options options = with_threads(2);
  workloads::Larson larson{options, {}};
  workloads::CacheScratch scratch{options, {}};
  workloads::testing::CheckingAllocator a;
  for (int again = 0; again < 2; ++again) {
    run_workload(larson, a, options, 2);
    run_workload(scratch, a, options, 2);
    EXPECT_EQ(a.live_blocks(), 0u);
  }
  EXPECT_EQ(larson.corruptions() + scratch.corruptions(), 0u);
  EXPECT_TRUE(a.errors().empty());
}

}  // namespace

namespace {

template <class W>
void expect_out_of_range_thread_rejected() {
  const Options options = with_threads(2);
  W w{options, W::points(options).front()};
  workloads::testing::CheckingAllocator a;
  EXPECT_THROW(w.run(a, 2), std::out_of_range) << W::info.name;
  for (unsigned t = 0; t < 2; ++t) w.drain(a, t);
  EXPECT_EQ(a.live_blocks(), 0u) << W::info.name;
}

TEST(Multithreaded, AThreadIndexBeyondOptionsThreadsIsAnError) {
  expect_out_of_range_thread_rejected<workloads::Threaded>();
  expect_out_of_range_thread_rejected<workloads::Larson>();
  expect_out_of_range_thread_rejected<workloads::ProducerConsumer>();
  expect_out_of_range_thread_rejected<workloads::CacheScratch>();
}

}  // namespace
