// The spool's chunks -> one binary trace, in global order. Uses mmap, write
// and the stack only (no malloc, no locks), so it runs from signal handlers.
#pragma once

#include <cstdint>

namespace recorder {

struct TraceHeaderText {
  const char* program;
  const char* command;
};

// Merges the spool (spool_fd, read from the start) into a new file at
// tmp_path. `max_id` bounds the ids (sequence numbers) handed out. Ops the
// spool lost (records of threads still running at exit) could leave a free
// of a block whose allocation is missing: such ops are dropped, so the trace
// is always consistent. Returns the number of ops written, or -1 on failure.
long long merge_spool(int spool_fd, const char* tmp_path, const TraceHeaderText& header,
                      std::uint64_t max_id);

}  // namespace recorder
