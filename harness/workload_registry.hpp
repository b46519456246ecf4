// Every workload stalloc-bench can run.
//
// To add a synthetic workload: write workloads/include/workloads/<name>.hpp
// (see workloads/workload.hpp) and add it to workloads::SyntheticWorkloads in
// workloads/include/workloads/synthetic.hpp: that one line registers it here
// too. Workloads that are not synthetic (the trace replayer) are added to
// the second list below. The order is the order of --list and of
// `--workload all`.
#pragma once

#include <workloads/synthetic.hpp>
#include <workloads/trace/replay.hpp>
#include <workloads/trace/replay_threads.hpp>

#include "type_list.hpp"

namespace harness {

using WorkloadRegistry = Concat<FromTuple<workloads::SyntheticWorkloads>,
                                TypeList<workloads::TraceReplay, workloads::TraceReplayThreads>>;

}  // namespace harness
