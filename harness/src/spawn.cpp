#include "spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <workloads/support/write_all.hpp>

extern char** environ;

namespace harness {
namespace {

volatile sig_atomic_t g_interrupted = 0;
volatile pid_t g_child = 0;

void on_signal(int sig) {
  g_interrupted = 1;
  const pid_t child = g_child;
  if (child > 0) ::kill(child, sig);
}

// The environment for the worker: ours, with LD_PRELOAD replaced.
std::vector<std::string> worker_environment(const std::string& preload) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "LD_PRELOAD=", 11) == 0) continue;
    env.emplace_back(*e);
  }
  if (!preload.empty()) env.push_back("LD_PRELOAD=" + preload);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// In the child, between fork and exec: the request pipe becomes
// kWorkerRequestFd and the result pipe kWorkerFd, both surviving exec. Both
// are first copied above the targets, so that neither dup2 overwrites the
// other's source (the pipes may sit on 3 and 4 themselves); dup2 clears
// close-on-exec on the targets, the copies keep it.
bool install_worker_fds(int request, int result) noexcept {
  const int request_high = ::fcntl(request, F_DUPFD_CLOEXEC, 10);
  const int result_high = ::fcntl(result, F_DUPFD_CLOEXEC, 10);
  return request_high >= 0 && result_high >= 0 && ::dup2(request_high, kWorkerRequestFd) >= 0 &&
         ::dup2(result_high, kWorkerFd) >= 0;
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked read returns EINTR and we look at the flag
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

bool interrupted() noexcept {
  return g_interrupted != 0;
}

std::string read_to_end(int fd) {
  std::string data;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      data.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return data;
    }
  }
}

WorkerOutcome run_worker(const WorkerRequest& request, const std::string& preload) {
  WorkerOutcome out;
  // The request goes whole into the pipe before the worker starts (a request
  // is a few hundred bytes; a pipe holds 64 KiB), so nothing here can block
  // on a worker that has not read it yet: the write end is non-blocking, and
  // a request too large for the pipe is an error, not a hang.
  int request_fds[2];
  if (::pipe2(request_fds, O_CLOEXEC) != 0) {
    out.error = std::string("pipe: ") + std::strerror(errno);
    return out;
  }
  const std::string text = serialize_worker_request(request);
  const bool sent = ::fcntl(request_fds[1], F_SETFL, O_NONBLOCK) == 0 &&
                    workloads::support::write_all(request_fds[1], text.data(), text.size());
  const int send_errno = errno;
  ::close(request_fds[1]);
  if (!sent) {
    out.error = std::string("sending the worker request: ") + std::strerror(send_errno);
    ::close(request_fds[0]);
    return out;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    out.error = std::string("pipe: ") + std::strerror(errno);
    ::close(request_fds[0]);
    return out;
  }
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> argv_storage = {"stalloc-bench", "--worker"};
  std::vector<char*> argv = c_strings(argv_storage);
  std::vector<std::string> env_storage = worker_environment(preload);
  std::vector<char*> envp = c_strings(env_storage);

  const pid_t pid = ::fork();
  if (pid < 0) {
    out.error = std::string("fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    ::close(request_fds[0]);
    return out;
  }
  if (pid == 0) {
    if (!install_worker_fds(request_fds[0], fds[1])) ::_exit(127);
    ::execve("/proc/self/exe", argv.data(), envp.data());
    ::_exit(127);
  }
  g_child = pid;
  ::close(fds[1]);
  ::close(request_fds[0]);

  const std::string data = read_to_end(fds[0]);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child = 0;

  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    if ((sig == SIGINT || sig == SIGTERM) && interrupted()) {
      out.status = WorkerOutcome::Status::interrupted;
      out.error = "interrupted";
    } else {
      out.error = std::string("worker killed by signal ") + std::to_string(sig) + " (" +
                  ::strsignal(sig) + ")";
    }
    return out;
  }
  nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && j.is_object() && !j.contains("error")) {
    out.status = WorkerOutcome::Status::ok;
    out.result = std::move(j);
    return out;
  }
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    out.error = j["error"].get<std::string>();
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    out.error = "could not start the worker (exec /proc/self/exe failed)";
  } else {
    out.error =
        "worker exited with status " + std::to_string(WEXITSTATUS(status)) + " and no result";
  }
  if (interrupted()) out.status = WorkerOutcome::Status::interrupted;
  return out;
}

}  // namespace harness
