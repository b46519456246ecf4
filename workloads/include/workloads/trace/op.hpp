// The trace model: a header and a sequence of allocation operations.
//
// Every format (binary, text, valgrind log) is read into and written from
// these types, so the formats differ only in spelling. The layout on disk is
// described in workloads/TRACES.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace workloads::trace {

inline constexpr std::uint64_t kFormatVersion = 1;

// Limits a valid trace respects. They keep a corrupted or hostile file from
// making a reader allocate absurd amounts or loop for ever: no real program
// on a 64-bit machine gets a block of 2^48 bytes or runs a million threads.
inline constexpr std::uint64_t kMaxSize = std::uint64_t{1} << 48;
// The most threads a header may announce (numbers 0 .. kMaxThreads - 1).
// The recorder reuses the number of a thread that has exited, so a program
// needs this many threads alive at once to reach it.
inline constexpr std::uint32_t kMaxThreads = (1u << 16) - 1;
// Alignments beyond 2^47 cannot be met in a 47-bit address space, so no
// allocator ever succeeded with one; anything up to that is recorded as asked.
inline constexpr unsigned kMaxAlignLog2 = 47;
inline constexpr std::size_t kMaxHeaderString = 1u << 16;

enum class OpKind : std::uint8_t {
  // Values are the binary encoding: never renumber.
  kAlloc = 1,    // id = new block of `size` bytes, alignment 2^align_log2 (0: malloc default)
  kCalloc = 2,   // id = new zeroed block of count * size bytes
  kFree = 3,     // id is released
  kRealloc = 4,  // old_id is resized to `size` bytes and becomes id
};

inline const char* kind_name(OpKind k) {
  switch (k) {
    case OpKind::kAlloc:
      return "alloc";
    case OpKind::kCalloc:
      return "calloc";
    case OpKind::kFree:
      return "free";
    case OpKind::kRealloc:
      return "realloc";
  }
  return "?";
}

struct Op {
  OpKind kind = OpKind::kAlloc;
  // 0 means "the platform's malloc alignment" (alignof(max_align_t)); k > 0
  // means an explicit 2^(k-1) request from memalign, aligned new, ...
  std::uint8_t align_code = 0;
  std::uint32_t thread = 0;  // 0 = the first thread that allocated
  std::uint64_t id = 0;      // the block this op creates or frees
  std::uint64_t old_id = 0;  // realloc: the block it resizes
  std::uint64_t size = 0;    // bytes (calloc: bytes per element)
  std::uint64_t count = 0;   // calloc: element count

  // Bytes the operation asks for: count * size for calloc (the caller checks
  // the product against kMaxSize, so it cannot overflow).
  std::uint64_t bytes() const { return kind == OpKind::kCalloc ? count * size : size; }
  bool creates_block() const { return kind != OpKind::kFree; }

  friend bool operator==(const Op&, const Op&) = default;
};

// Alignment in bytes of an explicit request, or 0 for the malloc default.
inline std::size_t align_bytes(std::uint8_t align_code) {
  return align_code == 0 ? 0 : std::size_t{1} << (align_code - 1);
}

struct Header {
  std::uint64_t version = kFormatVersion;
  std::string program;       // basename of the recorded executable
  std::string command_line;  // its arguments, space separated
  std::string date;          // ISO 8601, UTC, when recording finished
  std::uint32_t thread_count = 0;
  std::uint64_t op_count = 0;

  friend bool operator==(const Header&, const Header&) = default;
};

// Any problem with a trace's bytes. what() always names the file and the byte
// offset (binary, valgrind) or line (text) where the problem was found.
class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace workloads::trace
