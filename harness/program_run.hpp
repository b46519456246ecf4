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

namespace harness {

bool is_run_command(int argc, const char* const* argv);
int run_command_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace harness
