// One replayed op against an allocator: shared by the serialized replay
// (TraceReplay) and the one that keeps the recorded threads
// (TraceReplayThreads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "workloads/allocator.hpp"
#include "workloads/trace/replay_program.hpp"

namespace workloads::trace {

// A replayed block: what the allocator was asked for, and the byte pattern
// written at its first and last byte.
struct ReplaySlot {
  void* ptr = nullptr;
  std::size_t bytes = 0;
  std::size_t align = 0;
  std::uint8_t pattern = 0;
};

struct ReplayCounters {
  std::uint64_t corruptions = 0;  // pattern mismatches seen before a free or realloc
  std::uint64_t failed = 0;       // requests the allocator refused (nullptr)
  std::uint64_t skipped = 0;      // frees and reallocs of blocks whose allocation failed
};

inline std::size_t replay_align(std::uint8_t code) {
  return code == 0 ? alignof(std::max_align_t) : align_bytes(code);
}
// malloc(0) returns a real, unique block: replay it as one byte.
inline std::size_t replay_bytes(std::uint64_t bytes) {
  return bytes == 0 ? 1 : static_cast<std::size_t>(bytes);
}

inline std::uint8_t replay_pattern(std::uint32_t slot, std::uint64_t round) {
  auto v = static_cast<std::uint8_t>(
      (slot * 0x9E3779B1u + static_cast<std::uint32_t>(round) * 0x85EBCA6Bu) >> 24);
  return v == 0 ? 0xA5 : v;  // never 0, so a zeroed block does not pass
}

inline void replay_mark(ReplaySlot& s, std::uint32_t slot, std::uint64_t round) {
  s.pattern = replay_pattern(slot, round);
  auto* b = static_cast<unsigned char*>(s.ptr);
  b[0] = s.pattern;
  b[s.bytes - 1] = s.pattern;
}

// Checks the first byte, and the byte at `last` (the old last byte) when it
// is still inside the block.
inline void replay_verify(const ReplaySlot& s, std::size_t last, ReplayCounters& c) {
  const auto* b = static_cast<const unsigned char*>(s.ptr);
  if (b[0] != s.pattern) ++c.corruptions;
  if (last < s.bytes && b[last] != s.pattern) ++c.corruptions;
}

template <Allocator A>
void replay_step(A& a, const ReplayOp& op, ReplaySlot& s, std::uint64_t round, bool check,
                 ReplayCounters& c) {
  switch (op.kind) {
    case OpKind::kAlloc:
    case OpKind::kCalloc:
      s.bytes = replay_bytes(op.bytes);
      s.align = replay_align(op.align_code);
      s.ptr = a.allocate(s.bytes, s.align);
      if (!s.ptr) {
        ++c.failed;
        return;
      }
      if (op.kind == OpKind::kCalloc) std::memset(s.ptr, 0, s.bytes);
      replay_mark(s, op.slot, round);
      return;
    case OpKind::kFree:
      if (!s.ptr) {
        ++c.skipped;
        return;
      }
      if (check) replay_verify(s, s.bytes - 1, c);
      a.deallocate(s.ptr, s.bytes, s.align);
      s.ptr = nullptr;
      return;
    case OpKind::kRealloc: {
      if (!s.ptr) {
        ++c.skipped;
        return;
      }
      if (check) replay_verify(s, s.bytes - 1, c);
      std::size_t bytes = replay_bytes(op.bytes);
      void* q = a.reallocate(s.ptr, s.bytes, bytes, s.align);
      if (!q) {
        // The program would have kept the old block under its old id, which
        // the trace never names again: release it now.
        ++c.failed;
        a.deallocate(s.ptr, s.bytes, s.align);
        s.ptr = nullptr;
        return;
      }
      std::size_t old_last = s.bytes - 1;
      s.ptr = q;
      s.bytes = bytes;
      if (check) replay_verify(s, old_last, c);  // realloc keeps the contents
      replay_mark(s, op.slot, round);
      return;
    }
  }
}

}  // namespace workloads::trace
