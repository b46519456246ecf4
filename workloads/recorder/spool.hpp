// Per-thread record buffers and the spool file they are flushed to.
//
// Each recording thread appends to its own buffer; a full buffer is one
// write() of a chunk (header + records) to the spool, opened O_APPEND so
// chunks of different threads never interleave. A record is
//   varint(seq - previous seq in the chunk), then the op in the trace's
//   binary encoding (trace::BinaryOpEncoder, restarted in every chunk)
// where seq is the op's place in the global order and a block's id is the
// seq of the op that created it. The merge (merge.hpp) decodes them with
// trace::BinaryOpDecoder.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "workloads/trace/binary_format.hpp"

namespace recorder {

inline constexpr std::size_t kBufferBytes = 256 * 1024;
inline constexpr std::uint64_t kChunkMagic = 0x4b4e484343525453ull;  // "STRCCHNK"

struct ChunkHeader {
  std::uint64_t magic;
  std::uint64_t first_seq;
  std::uint32_t count;
  std::uint32_t bytes;
  std::uint32_t thread;
  std::uint32_t pad;
};

// Opens the spool at `path` (absolute) for this process, on a high
// descriptor number out of the program's way. False if it cannot.
bool spool_open(const char* path);
// Our descriptor for the spool, after checking (device and inode) that the
// program has not closed it or put another file on its number; if it has,
// the spool is reopened by path on a new descriptor. -1 if the spool is gone.
int spool_fd();
// Closes the spool descriptor if it is still ours, and deletes the file.
void spool_remove();

// Appends one op (seq: its global number) to the calling thread's buffer,
// flushing it when full. Called with the recursion guard held.
void spool_append(std::uint64_t seq, const workloads::trace::Op& op);

// Writes every thread's pending records to the spool, once recording has
// stopped (g_state != kRecording). Async-signal-safe and bounded: it never
// waits on a buffer whose flush the calling thread itself interrupted.
void spool_flush_all();
// A thread that was interrupted in its own flush and now waits for another
// thread's finalize hands its buffer over: the finisher writes it.
void spool_abandon_own_flush();

// Thread numbers in use so far (a number is reused once its thread exits).
std::uint32_t spool_thread_count();

}  // namespace recorder
