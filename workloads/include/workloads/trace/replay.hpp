// workloads::TraceReplay: a recorded program's allocations, replayed against
// any allocator. `--workload trace:FILE` (Options::input = FILE).
//
// One run() replays the whole trace once, serialized on one thread in the
// recorded global order (cross-thread frees included), then frees what the
// program left live, so every round starts from an empty allocator. Each
// block gets its first and last byte written (in check mode a per-block
// pattern, verified before every free and realloc); calloc'd blocks are
// zeroed in full, as calloc must. A request the allocator refuses (a full
// fixed arena) is counted in failed_requests(); later frees and reallocs of
// that block are skipped and counted in skipped_ops(); the replay goes on.
// Ops that make no sense (free of an id never allocated, double free) were
// dropped when the trace was loaded and are counted in trace_warnings().
// TraceReplayThreads (replay_threads.hpp) keeps the recorded threads instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "workloads/allocator.hpp"
#include "workloads/trace/replay_program.hpp"
#include "workloads/trace/replay_step.hpp"
#include "workloads/workload.hpp"

namespace workloads {

class TraceReplay {
 public:
  static constexpr Info info{
      .name = "trace",
      .description =
          "replays a recorded program's allocations (trace:FILE; binary, text or valgrind log), "
          "serialized",
      // Stalloc's largest arena shape with 128-byte blocks: 8 MiB. Traces
      // whose live set is larger get failed requests, counted.
      .arena = ArenaHint{65535, 128},
      .multithreaded = false,
      .uses_seed = false,
      .needs_input = true,  // `--workload all` skips it: it needs a file (trace:FILE)
      .exceeds_arena_on_purpose = false,
  };
  // Quick runs replay this many ops of the trace (then free what is live).
  static constexpr std::uint64_t kQuickOps = 100'000;

  static std::vector<Point> points(const Options&) { return {Point{}}; }

  TraceReplay(const Options& o, const Point&) : check_(o.check) {
    if (o.input.empty())
      throw std::invalid_argument("workload 'trace' needs a trace file: --workload trace:FILE");
    program_ = trace::compile_replay(o.input, o.quick ? kQuickOps : 0);
    slots_.resize(program_.slots);
  }

  template <Allocator A>
  std::uint64_t run(A& a, unsigned /*thread*/) {
    ++round_;
    for (const trace::ReplayOp& op : program_.ops)
      trace::replay_step(a, op, slots_[op.slot], round_, check_, counters_);
    return program_.ops.size();
  }

  template <Allocator A>
  void drain(A& a, unsigned /*thread*/) {
    for (trace::ReplaySlot& s : slots_) {
      if (s.ptr) a.deallocate(s.ptr, s.bytes, s.align);
      s = trace::ReplaySlot{};
    }
  }

  std::uint64_t corruptions() const { return counters_.corruptions; }
  std::uint64_t request_checksum() const { return program_.checksum; }

  const trace::ReplayProgram& program() const { return program_; }
  std::uint64_t ops_per_round() const { return program_.ops.size(); }
  std::uint64_t failed_requests() const { return counters_.failed; }  // over all rounds
  std::uint64_t skipped_ops() const { return counters_.skipped; }     // over all rounds
  std::uint64_t trace_warnings() const { return program_.dropped_ops + program_.import_warnings; }
  std::uint64_t peak_requested_bytes() const { return program_.peak_bytes; }

 private:
  bool check_;
  trace::ReplayProgram program_;
  std::vector<trace::ReplaySlot> slots_;
  std::uint64_t round_ = 0;
  trace::ReplayCounters counters_;
};

static_assert(Workload<TraceReplay>);

}  // namespace workloads
