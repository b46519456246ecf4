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
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "workloads/allocator.hpp"
#include "workloads/trace/replay_program.hpp"
#include "workloads/workload.hpp"

namespace workloads {

class TraceReplay {
 public:
  static constexpr Info info{
      "trace",
      "replays a recorded program's allocations (trace:FILE; binary, text or valgrind log), "
      "serialized",
      // Stalloc's largest arena shape with 128-byte blocks: 8 MiB. Traces
      // whose live set is larger get failed requests, counted.
      ArenaHint{65535, 128},
      false,
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
    for (const trace::ReplayOp& op : program_.ops) step(a, op);
    return program_.ops.size();
  }

  template <Allocator A>
  void drain(A& a, unsigned /*thread*/) {
    for (Slot& s : slots_) {
      if (s.ptr) a.deallocate(s.ptr, s.bytes, s.align);
      s = Slot{};
    }
  }

  std::uint64_t corruptions() const { return corruptions_; }
  std::uint64_t request_checksum() const { return program_.checksum; }

  const trace::ReplayProgram& program() const { return program_; }
  std::uint64_t ops_per_round() const { return program_.ops.size(); }
  std::uint64_t failed_requests() const { return failed_; }  // over all rounds
  std::uint64_t skipped_ops() const { return skipped_; }     // over all rounds
  std::uint64_t trace_warnings() const { return program_.dropped_ops + program_.import_warnings; }
  std::uint64_t peak_requested_bytes() const { return program_.peak_bytes; }

 private:
  struct Slot {
    void* ptr = nullptr;
    std::size_t bytes = 0;  // what the allocator was asked for
    std::size_t align = 0;
    std::uint8_t pattern = 0;
  };

  static std::size_t align_of(std::uint8_t code) {
    return code == 0 ? alignof(std::max_align_t) : trace::align_bytes(code);
  }
  // malloc(0) returns a real, unique block: replay it as one byte.
  static std::size_t request(std::uint64_t bytes) {
    return bytes == 0 ? 1 : static_cast<std::size_t>(bytes);
  }

  std::uint8_t pattern_for(std::uint32_t slot) const {
    auto v = static_cast<std::uint8_t>((slot * 0x9E3779B1u + round_ * 0x85EBCA6Bu) >> 24);
    return v == 0 ? 0xA5 : v;  // never 0, so a zeroed block does not pass
  }
  void mark(Slot& s, std::uint32_t slot) {
    s.pattern = pattern_for(slot);
    auto* b = static_cast<unsigned char*>(s.ptr);
    b[0] = s.pattern;
    b[s.bytes - 1] = s.pattern;
  }
  void verify(const Slot& s, std::size_t upto) {
    if (!check_) return;
    const auto* b = static_cast<const unsigned char*>(s.ptr);
    if (b[0] != s.pattern) ++corruptions_;
    if (upto <= s.bytes && b[upto - 1] != s.pattern) ++corruptions_;
  }

  template <Allocator A>
  void step(A& a, const trace::ReplayOp& op) {
    Slot& s = slots_[op.slot];
    switch (op.kind) {
      case trace::OpKind::kAlloc:
      case trace::OpKind::kCalloc: {
        s.bytes = request(op.bytes);
        s.align = align_of(op.align_code);
        s.ptr = a.allocate(s.bytes, s.align);
        if (!s.ptr) {
          ++failed_;
          return;
        }
        if (op.kind == trace::OpKind::kCalloc) std::memset(s.ptr, 0, s.bytes);
        mark(s, op.slot);
        return;
      }
      case trace::OpKind::kFree:
        if (!s.ptr) {
          ++skipped_;
          return;
        }
        verify(s, s.bytes);
        a.deallocate(s.ptr, s.bytes, s.align);
        s.ptr = nullptr;
        return;
      case trace::OpKind::kRealloc: {
        if (!s.ptr) {
          ++skipped_;
          return;
        }
        std::size_t bytes = request(op.bytes);
        // The old last byte survives only if the block did not shrink.
        verify(s, s.bytes);
        void* q = a.reallocate(s.ptr, s.bytes, bytes, s.align);
        if (!q) {
          // The program would have kept the old block under its old id,
          // which the trace never names again: release it now.
          ++failed_;
          a.deallocate(s.ptr, s.bytes, s.align);
          s.ptr = nullptr;
          return;
        }
        std::size_t old = s.bytes;
        s.ptr = q;
        s.bytes = bytes;
        if (check_) {
          const auto* b = static_cast<const unsigned char*>(q);
          if (b[0] != s.pattern) ++corruptions_;
          if (old <= bytes && b[old - 1] != s.pattern) ++corruptions_;
        }
        mark(s, op.slot);
        return;
      }
    }
  }

  bool check_;
  trace::ReplayProgram program_;
  std::vector<Slot> slots_;
  std::uint64_t round_ = 0;
  std::uint64_t corruptions_ = 0, failed_ = 0, skipped_ = 0;
};

static_assert(Workload<TraceReplay>);

}  // namespace workloads
