// `stalloc-bench run [options] -- PROGRAM [ARGS...]`: the user's own program,
// unmodified, under each allocator (program_allocators.hpp), interleaved
// repetitions, measured as whole-program suites do (program_process.hpp),
// and written in the results schema (results/SCHEMA.md, entries whose
// workload is `program:NAME`), so compare, plot and check-regression read it
// like any other run.
//
// Every run is checked: the probe must see the intended library serve malloc
// in every process of the program (a static or setuid binary ignores
// LD_PRELOAD, and its entry fails instead of silently measuring glibc), the
// program must exit 0, and its stdout must be byte-identical (same length and
// FNV-1a hash) to its stdout under glibc (or under the first allocator when
// system is not run). A failed entry names the reason; the others still run.
//
// Exit status: 0 every entry ok, 1 an entry failed, 2 bad command line (a
// missing program, an unknown or unavailable allocator), 130 interrupted.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace harness {

// What to run, as `run`'s options say it (or the main command's --workload
// program:NAME, plan.hpp).
struct ProgramRunOptions {
  std::vector<std::string> allocators;  // empty: all of program_allocators.hpp
  int repetitions = 5;
  double timeout_s = 600;
  std::string name;  // the workload's NAME for '-- PROGRAM'
  std::string out;   // empty: ./results/program-NAME-<UTC time>.json
  bool json_format = false;
  bool quiet = false;
  std::vector<std::string> program;           // '-- PROGRAM ARGS...'
  std::vector<std::string> catalog_programs;  // --program: names, or "all"
  bool list_programs = false;
};

bool is_run_command(int argc, const char* const* argv);
int run_command_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// The run itself, after its options were parsed; `command_line` goes to the
// context block. Returns the exit status.
int run_programs(ProgramRunOptions options, const std::string& command_line, std::ostream& out,
                 std::ostream& err);

}  // namespace harness
