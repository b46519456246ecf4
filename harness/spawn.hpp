// Running a worker: this same executable, re-executed (/proc/self/exe) as
// `stalloc-bench --worker`, with LD_PRELOAD set to the allocator's library
// (or removed, so `system` is always glibc even if the user preloads
// something). Its request (worker_request.hpp) is one JSON document on its
// descriptor 4, a pipe filled before it starts; it writes its JSON result to
// descriptor 3, a pipe the parent reads to the end. Its stdin and stderr are
// ours: a trace named /dev/stdin (a regular file redirected in) is read by
// every worker.
#pragma once

#include <atomic>
#include <string>

#include <nlohmann/json.hpp>

#include "worker_request.hpp"

namespace harness {

struct WorkerOutcome {
  enum class Status { ok, failed, interrupted } status = Status::failed;
  nlohmann::json result;  // the worker's JSON when ok
  std::string error;      // one line when failed
};

// The worker's output descriptor, and the one its request arrives on.
inline constexpr int kWorkerFd = 3;
inline constexpr int kWorkerRequestFd = 4;

// `preload` empty: no LD_PRELOAD. Blocks until the worker exits.
WorkerOutcome run_worker(const WorkerRequest& request, const std::string& preload);

// Everything readable from fd until end of file (or a read error), retrying
// after EINTR.
std::string read_to_end(int fd);

// Ctrl-C handling for the parent: SIGINT (and SIGTERM) set the flag and are
// forwarded to the running worker; the run loop stops at the next entry.
void install_interrupt_handler();
bool interrupted() noexcept;

}  // namespace harness
