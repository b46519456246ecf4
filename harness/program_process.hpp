// One run of an unmodified program under a chosen malloc, measured the way
// the field's whole-program suites measure (mimalloc-bench: wall time, CPU
// time, peak RSS, page faults), for `stalloc-bench run`.
//
// The program runs in its own process group with stdin from /dev/null. Its
// stdout is read to the end and checksummed, not shown (the harness compares
// it across allocators); the last 4 KiB of its stderr are kept for the
// failure reason. LD_PRELOAD is exactly `preload` (the user's own preload is
// not kept: it would be a second allocator). The probe library
// (harness/probe) is preloaded behind it and reports, for every process of
// the program, which object serves malloc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace harness {

struct ProgramRunRequest {
  std::vector<std::string> argv;     // argv[0] is looked up in PATH when it has no '/'
  std::vector<std::string> preload;  // libraries for LD_PRELOAD, in order
  std::string probe_library;         // appended to LD_PRELOAD; "" for none
  std::vector<std::string> env;      // "NAME=VALUE" added to (or replacing in) ours
  std::string cwd;                   // "" for ours
  double timeout_s = 600;            // then the process group is killed
};

struct ProgramRunResult {
  bool started = false;    // false: fork or exec failed (see error)
  bool timed_out = false;  // killed after timeout_s
  int exit_status = -1;    // when it exited
  int signal = 0;          // when a signal ended it
  double wall_ns = 0;
  double user_ns = 0;  // the program and the children it waited for
  double system_ns = 0;
  std::int64_t max_rss_bytes = 0;  // largest resident set of those processes
  std::int64_t minor_faults = 0;
  std::int64_t major_faults = 0;
  std::uint64_t stdout_bytes = 0;
  std::uint64_t stdout_hash = 0;  // FNV-1a 64 of everything written to stdout
  std::string stderr_tail;
  std::vector<std::string> malloc_libraries;  // one per process the probe saw
  std::string error;                          // why it did not run
};

ProgramRunResult run_program(const ProgramRunRequest& request);

// "exited with status 3", "killed by signal 11 (Segmentation fault)", "timed
// out after 600 s": how a run that did not exit 0 ended.
std::string describe_ending(const ProgramRunResult& r, double timeout_s);

}  // namespace harness
