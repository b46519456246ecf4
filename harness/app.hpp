// The three things stalloc-bench can be asked to do, after the command line
// is parsed and validated (cli.hpp).
#pragma once

#include "cli.hpp"

namespace harness {

// --list: every workload and allocator, with availability; with
// --format json, one JSON document with their declared traits.
int list_catalog(Format format);

// The benchmark run: plan the entries, run each in a worker process, write
// the JSON and print the table. Returns the exit status.
int run_benchmarks(const Config& config);

// --worker / --worker-probe: run one entry (or identify malloc) and write the
// JSON to the parent's pipe.
int worker_main(const Config& config);

}  // namespace harness
