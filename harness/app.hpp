// The things stalloc-bench can be asked to do, after the command line is
// parsed and validated (cli.hpp), and the worker it starts for each entry.
#pragma once

#include "cli.hpp"

namespace harness {

// --list: every workload and allocator, with availability; with
// --format json, one JSON document with their declared traits.
int list_catalog(Format format);

// The benchmark run (run.cpp): plan, execute, merge, report. Returns the
// exit status.
int run_benchmarks(const Config& config);

// `stalloc-bench --worker` and nothing else: this process is a worker, its
// request on descriptor 4 (worker_request.hpp), its result to the parent's
// pipe.
bool is_worker_command(int argc, const char* const* argv);
int worker_main();

}  // namespace harness
