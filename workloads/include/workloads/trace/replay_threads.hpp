// workloads::TraceReplayThreads: replays a trace keeping its recorded
// threads. `--workload trace-threads:FILE --threads N`.
//
// The harness calls run(a, t) from Options::threads threads at once (a
// multithreaded workload). Recorded thread r is replayed by harness thread
// r % N, so N = the recorded thread count (stalloc-trace stats shows it)
// gives one replay thread per recorded thread; fewer fold several recorded
// threads onto one. Each harness thread replays its ops in recorded order
// and an op waits until the previous op on the same block, whichever thread
// made it, is done: cross-thread frees happen after their allocation, as
// they did in the program. That wait is part of the measured time, as it
// was part of the program's.
//
// Deadlock-free: every thread works in increasing global order, so the
// earliest op not yet done can always run. It does require every harness
// thread to call run() the same number of times (Google Benchmark does);
// a replay that waits more than kStallSeconds aborts with a message rather
// than hang.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "workloads/allocator.hpp"
#include "workloads/trace/replay_program.hpp"
#include "workloads/trace/replay_step.hpp"
#include "workloads/workload.hpp"

namespace workloads {

class TraceReplayThreads {
 public:
  static constexpr Info info{
      .name = "trace-threads",
      .description =
          "replays a recorded trace keeping its threads (trace-threads:FILE; --threads = recorded "
          "thread count)",
      .arena = ArenaHint{65535, 128},
      .multithreaded = true,
      .uses_seed = false,
      .needs_input = true,  // `--workload all` skips it: it needs a file (trace-threads:FILE)
      .exceeds_arena_on_purpose = false,
  };
  static constexpr std::uint64_t kQuickOps = 100'000;
  static constexpr int kStallSeconds = 60;

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  TraceReplayThreads(const Options& o, const Point&)
      : check_(o.check), threads_(o.threads == 0 ? 1 : o.threads) {
    if (o.input.empty())
      throw std::invalid_argument(
          "workload 'trace-threads' needs a trace file: --workload trace-threads:FILE");
    program_ = trace::compile_replay(o.input, o.quick ? kQuickOps : 0);
    slots_ = std::make_unique<Slot[]>(program_.slots);
    // An op's turn on its block: how many ops on that block come before it.
    std::vector<std::uint32_t> seen(program_.slots, 0);
    turn_.resize(program_.ops.size());
    mine_.resize(threads_);
    for (std::size_t i = 0; i < program_.ops.size(); ++i) {
      const trace::ReplayOp& op = program_.ops[i];
      turn_[i] = seen[op.slot]++;
      mine_[op.thread % threads_].push_back(static_cast<std::uint32_t>(i));
    }
    ops_on_slot_ = std::move(seen);
    per_thread_ = std::make_unique<PerThread[]>(threads_);
  }

  template <Allocator A>
  std::uint64_t run(A& a, unsigned thread) {
    PerThread& me = per_thread_[thread % threads_];
    std::uint64_t round = me.rounds++;
    for (std::uint32_t i : mine_[thread % threads_]) {
      const trace::ReplayOp& op = program_.ops[i];
      Slot& s = slots_[op.slot];
      std::uint64_t want = round * ops_on_slot_[op.slot] + turn_[i];
      wait_for(s.done, want);
      trace::replay_step(a, op, s.block, round + 1, check_, me.counters);
      s.done.store(want + 1, std::memory_order_release);
    }
    return mine_[thread % threads_].size();
  }

  // Frees what a run left (nothing after complete rounds). Safe to call from
  // one thread or from all of them.
  template <Allocator A>
  void drain(A& a, unsigned /*thread*/) {
    std::lock_guard lock(drain_mu_);
    for (std::uint32_t i = 0; i < program_.slots; ++i) {
      trace::ReplaySlot& b = slots_[i].block;
      if (b.ptr) a.deallocate(b.ptr, b.bytes, b.align);
      b.ptr = nullptr;
    }
  }

  std::uint64_t corruptions() const { return sum(&trace::ReplayCounters::corruptions); }
  std::uint64_t request_checksum() const { return program_.checksum; }

  const trace::ReplayProgram& program() const { return program_; }
  std::uint64_t ops_per_round() const { return program_.ops.size(); }
  std::uint64_t failed_requests() const { return sum(&trace::ReplayCounters::failed); }
  std::uint64_t skipped_ops() const { return sum(&trace::ReplayCounters::skipped); }
  std::uint64_t trace_warnings() const { return program_.dropped_ops + program_.import_warnings; }
  std::uint64_t peak_requested_bytes() const { return program_.peak_bytes; }

 private:
  struct Slot {
    std::atomic<std::uint64_t> done{0};  // ops on this block completed, over all rounds
    trace::ReplaySlot block;
  };
  struct alignas(64) PerThread {
    std::uint64_t rounds = 0;
    trace::ReplayCounters counters;
  };

  static void wait_for(const std::atomic<std::uint64_t>& done, std::uint64_t want) {
    if (done.load(std::memory_order_acquire) == want) return;
    for (int spin = 0; spin < 256; ++spin)
      if (done.load(std::memory_order_acquire) == want) return;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kStallSeconds);
    for (unsigned n = 0; done.load(std::memory_order_acquire) != want; ++n) {
      std::this_thread::yield();
      if (n % 4096 == 0 && std::chrono::steady_clock::now() > deadline) {
        std::fprintf(
            stderr,
            "trace-threads: replay stalled for %d s waiting for another thread; every thread must "
            "call run() equally often\n",
            kStallSeconds);
        std::abort();
      }
    }
  }

  std::uint64_t sum(std::uint64_t trace::ReplayCounters::*field) const {
    std::uint64_t total = 0;
    for (unsigned t = 0; t < threads_; ++t) total += per_thread_[t].counters.*field;
    return total;
  }

  bool check_;
  unsigned threads_;
  trace::ReplayProgram program_;
  std::unique_ptr<Slot[]> slots_;
  std::vector<std::uint32_t> turn_;               // per op
  std::vector<std::uint32_t> ops_on_slot_;        // per slot, per round
  std::vector<std::vector<std::uint32_t>> mine_;  // op indices per harness thread
  std::unique_ptr<PerThread[]> per_thread_;
  std::mutex drain_mu_;
};

static_assert(Workload<TraceReplayThreads>);

}  // namespace workloads
