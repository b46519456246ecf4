// Checks the thread index a multithreaded workload's run/prepare/drain gets:
// the harness must call them with t < Options::threads. An index out of range
// would silently share or overrun per-thread state, so it is an error.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace workloads::support {

inline void check_thread_index(std::string_view workload, unsigned thread, unsigned threads) {
  if (thread >= threads) {
    throw std::out_of_range(
        std::string{workload} + ": thread " + std::to_string(thread) +
        " called, but the workload was built for Options::threads = " + std::to_string(threads));
  }
}

}  // namespace workloads::support
