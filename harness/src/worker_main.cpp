#include <exception>
#include <string>

#include <workloads/support/write_all.hpp>

#include "app.hpp"
#include "external_malloc.hpp"
#include "spawn.hpp"
#include "worker.hpp"

namespace harness {

int worker_main(const Config& config) {
  nlohmann::json result;
  int status = 0;
  set_expected_external_library(config.external_library);
  try {
    if (config.probe) {
      result = run_worker_probe(config.allocators.front());
    } else {
      WorkerRequest r;
      r.workload = config.workloads.front().name;
      r.input = config.workloads.front().input;
      r.allocator = config.allocators.front();
      r.point_index = config.point_index;
      r.threads = config.max_threads;
      r.repetitions = config.repetitions;
      r.min_time_s = config.min_time_s;
      r.instrumented_time_s = config.instrumented_time_s;
      r.seed = config.seed;
      r.quick = config.quick;
      r.timing_only = config.timing_only;
      r.iterations = config.iterations;
      result = run_worker_entry(r);
    }
  } catch (const std::exception& e) {
    result = nlohmann::json{{"error", e.what()}};
    status = 1;
  }
  // dump() can throw on invalid UTF-8 in a message; replace instead.
  const std::string text = result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (!workloads::support::write_all(kWorkerFd, text.data(), text.size())) return 3;
  return status;
}

}  // namespace harness
