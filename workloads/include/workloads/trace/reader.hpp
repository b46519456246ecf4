// The interface every trace parser offers: a header, then ops one at a time.
// Streaming, so tools and the replayer never hold more than they need.
#pragma once

#include <string>

#include "workloads/trace/op.hpp"

namespace workloads::trace {

class Reader {
 public:
  virtual ~Reader() = default;
  // For valgrind logs thread_count and op_count are only known at the end;
  // they are filled in when next() has returned false.
  virtual const Header& header() const = 0;
  // The next op, or false at the end. Throws TraceError on malformed input.
  virtual bool next(Op& op) = 0;
  // Where the op last returned starts: "FILE: byte N" or "FILE: line N", for
  // messages about ops that parse but make no sense (a double free, ...).
  virtual std::string where() const = 0;
  // Format-specific notes gathered while parsing (the valgrind importer's
  // unknown addresses); empty for the project's own formats.
  virtual std::uint64_t warnings() const { return 0; }
};

}  // namespace workloads::trace
