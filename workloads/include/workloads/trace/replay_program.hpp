// A trace compiled for replay: ops refer to dense slots instead of ids, bad
// ops are dropped (and counted), and frees of everything the program left
// live are appended, so that one pass over the program leaves the allocator
// empty and the next pass can start over.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "workloads/trace/checker.hpp"
#include "workloads/trace/open.hpp"

namespace workloads::trace {

// What a replay may cost, so that a small file (a 41-byte text trace asking
// for a 1 GiB calloc, a 180 KB .zst expanding to 800 M ops) cannot make the
// harness take gigabytes. A trace beyond a limit is refused at load with
// TraceError (the harness and stalloc-trace exit 2). Set with
// `stalloc-bench --max-live SIZE` or the environment (which the harness's
// workers inherit): STALLOC_TRACE_MAX_LIVE, STALLOC_TRACE_MAX_OPS.
struct ReplayLimits {
  // Requested bytes live at once; a single request counts in full. The
  // shipped traces peak at 15 MiB.
  static constexpr std::uint64_t kDefaultMaxLiveBytes = std::uint64_t{256} << 20;
  // Ops held in memory (24 bytes each: 1.5 GiB). The shipped traces have
  // at most 2.8 M.
  static constexpr std::uint64_t kDefaultMaxOps = std::uint64_t{64} << 20;

  std::uint64_t max_live_bytes = kDefaultMaxLiveBytes;
  std::uint64_t max_ops = kDefaultMaxOps;

  static ReplayLimits from_environment();
};

// "1048576", "64K", "256M", "2G", "1T" (binary multiples); nullopt if not a
// positive size that fits 64 bits.
inline std::optional<std::uint64_t> parse_byte_size(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p == s.data()) return std::nullopt;
  std::string_view unit(p, static_cast<std::size_t>(s.data() + s.size() - p));
  unsigned shift = 0;
  if (unit == "K" || unit == "k" || unit == "KiB")
    shift = 10;
  else if (unit == "M" || unit == "MiB")
    shift = 20;
  else if (unit == "G" || unit == "GiB")
    shift = 30;
  else if (unit == "T" || unit == "TiB")
    shift = 40;
  else if (!unit.empty())
    return std::nullopt;
  if (v == 0 || v > (~std::uint64_t{0} >> shift)) return std::nullopt;
  return v << shift;
}

inline ReplayLimits ReplayLimits::from_environment() {
  ReplayLimits l;
  auto read = [](const char* name, std::uint64_t& into) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return;
    const auto parsed = parse_byte_size(v);
    if (!parsed)
      throw TraceError(std::string(name) + "=" + v + ": not a positive size (e.g. 512M, 2G)");
    into = *parsed;
  };
  read("STALLOC_TRACE_MAX_LIVE", l.max_live_bytes);
  read("STALLOC_TRACE_MAX_OPS", l.max_ops);
  return l;
}

struct ReplayOp {
  std::uint64_t bytes;  // requested bytes (calloc: count * size)
  std::uint32_t slot;   // realloc resizes its block in place in the slot table
  std::uint32_t thread;
  OpKind kind;
  std::uint8_t align_code;
};

struct ReplayProgram {
  std::string source;  // the file, for messages
  Header header;
  Format format = Format::kBinary;
  std::vector<ReplayOp> ops;
  std::uint32_t slots = 0;        // peak number of live blocks
  std::uint32_t threads = 0;      // recorded threads
  std::uint64_t trace_ops = 0;    // ops read from the file
  std::uint64_t dropped_ops = 0;  // bad ids: counted warnings, skipped
  std::uint64_t import_warnings = 0;
  std::uint64_t leaked_blocks = 0;  // live at the end of the trace (freed by the appended ops)
  std::uint64_t peak_bytes = 0;     // peak requested bytes live
  std::uint64_t checksum = 0;       // FNV-1a of the op stream (kinds, sizes, slots)
  bool truncated = false;           // `max_ops` cut the trace short
  std::uint64_t announced_ops = 0;  // the header's op count (0: not known before the end)
};

// Reads `path` (any format) into a ReplayProgram. `max_ops` (0: all) keeps
// only a prefix, for quick runs. Throws TraceError on malformed files and on
// traces beyond `limits`.
inline ReplayProgram compile_replay(const std::string& path, std::uint64_t max_ops = 0,
                                    const ReplayLimits& limits = ReplayLimits::from_environment()) {
  ReplayProgram prog;
  prog.source = path;
  TraceFile file = TraceFile::open(path);
  prog.format = file.format();
  Reader& reader = file.reader();

  std::unordered_map<std::uint64_t, std::uint32_t> slot_of;  // live id -> slot
  std::vector<std::uint32_t> free_slots;
  std::vector<std::uint64_t> slot_bytes;
  std::vector<std::uint32_t> slot_thread;
  std::vector<char> slot_live;
  std::uint64_t live_bytes = 0;
  auto note_live = [&] {
    if (live_bytes > limits.max_live_bytes)
      throw TraceError(reader.where() + ": the program would have " + std::to_string(live_bytes) +
                       " bytes live, over the replay limit of " +
                       std::to_string(limits.max_live_bytes) +
                       " (raise it with --max-live SIZE or STALLOC_TRACE_MAX_LIVE)");
    if (live_bytes > prog.peak_bytes) prog.peak_bytes = live_bytes;
  };
  auto take_slot = [&](std::uint32_t thread, std::uint64_t bytes) {
    std::uint32_t s;
    if (!free_slots.empty()) {
      s = free_slots.back();
      free_slots.pop_back();
    } else {
      if (slot_bytes.size() >= 0xffffffffu) throw TraceError(path + ": more than 2^32 live blocks");
      s = static_cast<std::uint32_t>(slot_bytes.size());
      slot_bytes.push_back(0);
      slot_thread.push_back(0);
      slot_live.push_back(0);
    }
    slot_bytes[s] = bytes;
    slot_thread[s] = thread;
    slot_live[s] = 1;
    live_bytes += bytes;
    note_live();
    return s;
  };
  auto emit = [&](OpKind kind, std::uint32_t slot, std::uint32_t thread, std::uint64_t bytes,
                  std::uint8_t align) {
    prog.ops.push_back(ReplayOp{bytes, slot, thread, kind, align});
    for (std::uint64_t v : {std::uint64_t(kind), bytes, std::uint64_t(slot), std::uint64_t(thread),
                            std::uint64_t(align)}) {
      prog.checksum ^= v;
      prog.checksum *= 0x100000001b3ull;
    }
  };
  prog.checksum = 0xcbf29ce484222325ull;
  prog.announced_ops = reader.header().op_count;

  Op op;
  while (reader.next(op)) {
    if (max_ops && prog.trace_ops == max_ops) {
      prog.truncated = true;
      break;
    }
    if (++prog.trace_ops > limits.max_ops)
      throw TraceError(reader.where() + ": more than " + std::to_string(limits.max_ops) +
                       " ops, over the replay limit (raise it with STALLOC_TRACE_MAX_OPS)");
    prog.threads = std::max(prog.threads, op.thread + 1);
    switch (op.kind) {
      case OpKind::kAlloc:
      case OpKind::kCalloc: {
        if (auto it = slot_of.find(op.id); it != slot_of.end()) {
          // A reused live id: the old block stays live (freed at the end).
          ++prog.dropped_ops;
          slot_of.erase(it);
        }
        std::uint32_t s = take_slot(op.thread, op.bytes());
        slot_of[op.id] = s;
        emit(op.kind, s, op.thread, op.bytes(), op.align_code);
        break;
      }
      case OpKind::kFree: {
        auto it = slot_of.find(op.id);
        if (it == slot_of.end()) {  // never allocated, or a double free
          ++prog.dropped_ops;
          break;
        }
        std::uint32_t s = it->second;
        slot_of.erase(it);
        emit(OpKind::kFree, s, op.thread, slot_bytes[s], 0);
        live_bytes -= slot_bytes[s];
        slot_live[s] = 0;
        free_slots.push_back(s);
        break;
      }
      case OpKind::kRealloc: {
        auto it = slot_of.find(op.old_id);
        if (it == slot_of.end()) {  // realloc of a block we never saw: a malloc
          ++prog.dropped_ops;
          std::uint32_t s = take_slot(op.thread, op.size);
          slot_of[op.id] = s;
          emit(OpKind::kAlloc, s, op.thread, op.size, op.align_code);
          break;
        }
        std::uint32_t s = it->second;
        slot_of.erase(it);
        slot_of[op.id] = s;
        live_bytes = live_bytes - slot_bytes[s] + op.size;
        note_live();
        slot_bytes[s] = op.size;
        slot_thread[s] = op.thread;
        emit(OpKind::kRealloc, s, op.thread, op.size, op.align_code);
        break;
      }
    }
  }
  prog.header = reader.header();
  prog.import_warnings = reader.warnings();
  for (std::uint32_t s = 0; s < slot_live.size(); ++s) {
    if (!slot_live[s]) continue;
    ++prog.leaked_blocks;
    emit(OpKind::kFree, s, slot_thread[s], slot_bytes[s], 0);
  }
  prog.slots = static_cast<std::uint32_t>(slot_bytes.size());
  // A round of nothing cannot be timed: say so now, not as a division by zero later.
  if (prog.ops.empty()) throw TraceError(path + ": the trace has no operations to replay");
  if (prog.threads == 0) prog.threads = 1;
  return prog;
}

}  // namespace workloads::trace
