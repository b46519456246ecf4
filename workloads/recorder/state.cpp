#include "state.hpp"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace recorder {

std::atomic<int> g_state{kOff};
pid_t g_recording_pid = 0;
std::atomic<bool> g_write_failed{false};
__thread int t_guard __attribute__((tls_model("initial-exec"))) = 0;

pid_t current_tid() {
  return static_cast<pid_t>(syscall(SYS_gettid));
}

void say(const char* message) {
  static const char prefix[] = "stalloc-record: ";
  const int saved = errno;
  (void)write_all(2, prefix, sizeof prefix - 1);
  (void)write_all(2, message, std::strlen(message));
  (void)write_all(2, "\n", 1);
  errno = saved;
}

}  // namespace recorder
