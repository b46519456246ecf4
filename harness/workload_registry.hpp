// Every workload stalloc-bench can run.
//
// To add a synthetic workload: write workloads/include/workloads/<name>.hpp
// (see workloads/workload.hpp; its Info declares every trait) and add it to
// workloads::SyntheticWorkloads in workloads/include/workloads/synthetic.hpp:
// that one line registers it here too, and in the workloads' own tests.
// Workloads that are not synthetic (the trace replayer) are added to the
// second list below. The order is the order of --list and of `--workload all`.
#pragma once

#include <workloads/synthetic.hpp>
#include <workloads/trace/replay.hpp>
#include <workloads/trace/replay_threads.hpp>

#include "type_list.hpp"

// A test build may append one workload to the list (harness/tests: the
// one-file-plus-one-line test). Never set otherwise.
#if defined(STALLOC_BENCH_TEST_WORKLOAD_HEADER)
#include STALLOC_BENCH_TEST_WORKLOAD_HEADER
#define STALLOC_BENCH_TEST_WORKLOAD , workloads::TestOnlyWorkload
#else
#define STALLOC_BENCH_TEST_WORKLOAD
#endif

namespace harness {

using WorkloadRegistry = Concat<
    FromTuple<workloads::SyntheticWorkloads>,
    TypeList<workloads::TraceReplay, workloads::TraceReplayThreads STALLOC_BENCH_TEST_WORKLOAD>>;

// Every registered workload states every trait (workloads::Info has no
// defaults) and models the concept.
static_assert([]<class... Ws>(TypeList<Ws...>*) {
  return (workloads::Workload<Ws> && ...);
}(static_cast<WorkloadRegistry*>(nullptr)));

}  // namespace harness
