// `stalloc-bench record --out FILE [--program NAME] -- program args...`
//
// Runs a program under the LD_PRELOAD allocation recorder
// (workloads/recorder, libstalloc-record.so) and leaves its trace in FILE,
// ready for `stalloc-bench --workload trace:FILE`. It only sets the
// environment the recorder reads (LD_PRELOAD, STALLOC_TRACE and, with
// --program, STALLOC_TRACE_PROGRAM) and waits for the program.
#pragma once

#include <iosfwd>

namespace harness {

// True when argv names the `record` subcommand.
bool is_record_command(int argc, const char* const* argv);

// Exit status: the program's own (128 + signal if it was killed), or 2 for a
// bad command line, an unwritable FILE or a missing recorder library.
int record_main(int argc, const char* const* argv, std::ostream& err);

}  // namespace harness
