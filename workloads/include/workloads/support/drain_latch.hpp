// Tells the last of n threads calling drain() that it is the last.
//
// Multithreaded workloads hand objects between threads, so when one thread
// drains, others may still be running and may still post to its mailbox.
// Each thread drains what it can see; the last one to arrive (when every
// thread has finished running) sweeps every mailbox. The latch then resets,
// so the workload can be prepared and run again.
#pragma once

#include <atomic>

namespace workloads::support {

class DrainLatch {
 public:
  explicit DrainLatch(unsigned threads) : threads_(threads) {}

  // True for exactly one caller out of every `threads` calls: the last.
  bool arrive() {
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 != threads_) return false;
    arrived_.store(0, std::memory_order_relaxed);
    return true;
  }

 private:
  unsigned threads_;
  std::atomic<unsigned> arrived_{0};
};

}  // namespace workloads::support
