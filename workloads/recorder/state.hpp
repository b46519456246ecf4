// State shared by the recorder's parts (design: workloads/TRACES.md, "The recorder").
// Everything here is plain data or async-signal-safe: the finishing path
// (finalize) runs from signal handlers and from _exit.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "workloads/support/write_all.hpp"

namespace recorder {

inline constexpr std::size_t kPathMax = 4096;

enum State : int {
  kOff,        // not recording (no STALLOC_TRACE, filtered out, or a forked child)
  kRecording,  // interposers record
  kFinishing,  // one thread is writing the trace; nothing more is recorded
  kFinished,
};

extern std::atomic<int> g_state;
// The process that records: a vfork child shares our memory but must not
// finish the parent's recording.
extern pid_t g_recording_pid;
// A write to the spool or the trace failed: no trace is better than a wrong one.
extern std::atomic<bool> g_write_failed;

// Recursion guard: nonzero while the recorder itself runs on this thread,
// so allocations it causes (pthread_setspecific, dlsym) are forwarded
// unrecorded. initial-exec TLS lives in the static block: touching it never
// calls __tls_get_addr, which may allocate.
extern __thread int t_guard __attribute__((tls_model("initial-exec")));

// The kernel's id of the calling thread (async-signal-safe, no libc cache).
pid_t current_tid();

// write() until done; false on an error other than EINTR (the shared,
// async-signal-safe loop of workloads/support/write_all.hpp).
using workloads::support::write_all;
// A message on stderr, prefixed "stalloc-record: ".
void say(const char* message);

}  // namespace recorder
