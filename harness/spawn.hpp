// Running a worker: this same executable, re-executed (/proc/self/exe) with
// the hidden --worker options, with LD_PRELOAD set to the allocator's library
// (or removed, so `system` is always glibc even if the user preloads
// something). The worker writes its JSON to file descriptor 3, a pipe the
// parent reads to the end; its stderr goes to ours.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness {

struct WorkerOutcome {
  enum class Status { ok, failed, interrupted } status = Status::failed;
  nlohmann::json result;  // the worker's JSON when ok
  std::string error;      // one line when failed
};

// The worker's output descriptor.
inline constexpr int kWorkerFd = 3;

// `preload` empty: no LD_PRELOAD. Blocks until the worker exits.
WorkerOutcome run_worker(const std::vector<std::string>& args, const std::string& preload);

// Ctrl-C handling for the parent: SIGINT (and SIGTERM) set the flag and are
// forwarded to the running worker; the run loop stops at the next entry.
void install_interrupt_handler();
bool interrupted() noexcept;

}  // namespace harness
