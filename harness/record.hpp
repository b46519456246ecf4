// `stalloc-bench record --out FILE [--program NAME] -- program args...`
//
// Runs a program under the LD_PRELOAD allocation recorder
// (workloads/recorder, libstalloc-record.so) and leaves its trace in FILE,
// ready for `stalloc-bench --workload trace:FILE`. Every process of the tree
// records into a private work directory; record then checks each trace,
// puts the one with the most ops in FILE (written through if FILE is a
// device, FIFO or symlink), keeps the others as FILE.<program>.<pid>, lists
// them all and removes the work directory.
#pragma once

#include <iosfwd>

namespace harness {

// True when argv names the `record` subcommand.
bool is_record_command(int argc, const char* const* argv);

// Exit status: the program's own (128 + signal if it was killed), or 2 for a
// bad command line, an unwritable FILE, a missing recorder library, or no
// valid, non-empty trace recorded.
int record_main(int argc, const char* const* argv, std::ostream& err);

}  // namespace harness
