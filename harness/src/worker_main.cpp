// `stalloc-bench --worker`: the process the parent starts for one entry or
// one probe (spawn.hpp). It reads its WorkerRequest from kWorkerRequestFd
// and writes its result to the parent's pipe on kWorkerFd.
#include <fcntl.h>

#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include <workloads/support/write_all.hpp>

#include "app.hpp"
#include "external_malloc.hpp"
#include "spawn.hpp"
#include "worker.hpp"
#include "worker_request.hpp"

namespace harness {
namespace {

// Writes the worker's JSON to the parent; false when the pipe is gone.
bool send_result(const nlohmann::json& result) {
  // dump() can throw on invalid UTF-8 in a message; replace instead.
  const std::string text = result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return workloads::support::write_all(kWorkerFd, text.data(), text.size());
}

}  // namespace

bool is_worker_command(int argc, const char* const* argv) {
  return argc == 2 && std::string_view(argv[1]) == "--worker";
}

int worker_main() {
  WorkerRequest request;
  try {
    if (::fcntl(kWorkerRequestFd, F_GETFD) < 0)
      throw InvalidWorkerRequest("worker request: descriptor " + std::to_string(kWorkerRequestFd) +
                                 " is not open (the parent sends the request there)");
    request = parse_worker_request(read_to_end(kWorkerRequestFd));
  } catch (const InvalidWorkerRequest& e) {
    // Only the parent (or scripts/count-instructions) writes requests: a bad
    // one is a bug there, said once on stderr and, when the pipe is there,
    // to the parent as the entry's error.
    std::cerr << "stalloc-bench --worker: " << e.what() << "\n";
    send_result(nlohmann::json{{"error", e.what()}});
    return 2;
  }
  nlohmann::json result;
  int status = 0;
  set_expected_external_library(request.external_library);
  try {
    result = request.kind == WorkerRequest::Kind::probe ? run_worker_probe(request.allocator)
                                                        : run_worker_entry(request);
  } catch (const std::exception& e) {
    result = nlohmann::json{{"error", e.what()}};
    status = 1;
  }
  if (!send_result(result)) return 3;
  return status;
}

}  // namespace harness
