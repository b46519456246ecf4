#include "program_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <thread>

extern char** environ;

namespace harness {
namespace {

constexpr std::size_t kStderrTail = 4096;
constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

struct Pipe {
  int read = -1;
  int write = -1;
};

bool make_pipe(Pipe& p, bool cloexec_write) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  p.read = fds[0];
  p.write = fds[1];
  if (!cloexec_write) ::fcntl(p.write, F_SETFD, 0);
  return true;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

double to_ns(const timeval& t) {
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_usec) * 1e3;
}

// The child's environment: ours without any LD_PRELOAD or probe descriptor,
// plus the ones this run sets.
std::vector<std::string> child_environment(const ProgramRunRequest& request, int probe_fd) {
  auto overridden = [&](std::string_view v) {
    if (v.starts_with("LD_PRELOAD=") || v.starts_with("STALLOC_BENCH_PROBE_FD=")) return true;
    const std::string_view name = v.substr(0, v.find('=') + 1);
    return std::any_of(request.env.begin(), request.env.end(),
                       [&](const std::string& mine) { return mine.starts_with(name); });
  };
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    if (!overridden(*e)) env.emplace_back(*e);
  for (const std::string& mine : request.env) env.push_back(mine);
  std::string preload;
  for (const std::string& lib : request.preload) preload += (preload.empty() ? "" : ":") + lib;
  if (!request.probe_library.empty())
    preload += (preload.empty() ? "" : ":") + request.probe_library;
  if (!preload.empty()) env.push_back("LD_PRELOAD=" + preload);
  if (probe_fd >= 0) env.push_back("STALLOC_BENCH_PROBE_FD=" + std::to_string(probe_fd));
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

ProgramRunResult run_program(const ProgramRunRequest& request) {
  ProgramRunResult r;
  if (request.argv.empty()) {
    r.error = "no program";
    return r;
  }
  Pipe out, err, probe, exec_error;
  if (!make_pipe(out, true) || !make_pipe(err, true) || !make_pipe(probe, false) ||
      !make_pipe(exec_error, true)) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  std::vector<std::string> env =
      child_environment(request, request.probe_library.empty() ? -1 : probe.write);
  std::vector<std::string> args = request.argv;
  std::vector<char*> envp = pointers(env);
  std::vector<char*> argv = pointers(args);

  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    r.error = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    ::setpgid(0, 0);
    if (!request.cwd.empty() && ::chdir(request.cwd.c_str()) != 0) {
      const int e = errno;
      ssize_t ignored = ::write(exec_error.write, &e, sizeof e);
      (void)ignored;
      ::_exit(127);
    }
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(out.write, 1);
    ::dup2(err.write, 2);
    ::execvpe(argv[0], argv.data(), envp.data());
    const int e = errno;
    ssize_t ignored = ::write(exec_error.write, &e, sizeof e);
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here: no race with the child's own call
  close_fd(out.write);
  close_fd(err.write);
  close_fd(probe.write);
  close_fd(exec_error.write);

  int exec_errno = 0;
  if (::read(exec_error.read, &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
    close_fd(exec_error.read);
    ::waitpid(pid, nullptr, 0);
    close_fd(out.read);
    close_fd(err.read);
    close_fd(probe.read);
    r.error = "cannot run " + request.argv[0] + ": " + std::strerror(exec_errno);
    return r;
  }
  close_fd(exec_error.read);
  r.started = true;
  r.stdout_hash = kFnvOffset;

  std::string probe_text;
  std::array<char, 65536> buf{};
  // A thread blocks in wait4 so that the end time is the exit's, not the
  // next poll's.
  int status = 0;
  rusage usage{};
  std::atomic<bool> exited{false};
  std::chrono::steady_clock::time_point exited_at{};
  std::thread waiter([&] {
    while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    exited_at = std::chrono::steady_clock::now();
    exited.store(true, std::memory_order_release);
  });
  const auto deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(request.timeout_s));
  std::chrono::steady_clock::time_point seen_exit{};
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    const bool done = exited.load(std::memory_order_acquire);
    if (done && seen_exit == std::chrono::steady_clock::time_point{}) seen_exit = now;
    if (!done && !r.timed_out && now >= deadline) {
      ::killpg(pid, SIGKILL);
      r.timed_out = true;
    }
    // The program is gone: what is left in the pipes is read, and anything
    // it left running (holding them open) is not waited for beyond 1 s.
    const bool open = out.read >= 0 || err.read >= 0 || probe.read >= 0;
    if (done && (!open || now - seen_exit > std::chrono::seconds(1))) break;
    pollfd fds[3];
    int* owners[3];
    nfds_t n = 0;
    for (int* fd : {&out.read, &err.read, &probe.read}) {
      if (*fd < 0) continue;
      fds[n] = pollfd{*fd, POLLIN, 0};
      owners[n++] = fd;
    }
    if (n == 0) {
      ::usleep(1000);  // nothing to read: wait for the exit, in steps (the deadline)
      continue;
    }
    if (::poll(fds, n, 20) < 0 && errno != EINTR) break;
    for (nfds_t i = 0; i < n; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t got = ::read(*owners[i], buf.data(), buf.size());
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        close_fd(*owners[i]);
        continue;
      }
      const std::string_view chunk(buf.data(), static_cast<std::size_t>(got));
      if (owners[i] == &out.read) {
        r.stdout_bytes += chunk.size();
        for (unsigned char c : chunk) r.stdout_hash = (r.stdout_hash ^ c) * kFnvPrime;
      } else if (owners[i] == &err.read) {
        r.stderr_tail.append(chunk);
        if (r.stderr_tail.size() > kStderrTail)
          r.stderr_tail.erase(0, r.stderr_tail.size() - kStderrTail);
      } else {
        probe_text.append(chunk);
      }
    }
  }
  if (!exited.load(std::memory_order_acquire)) ::killpg(pid, SIGKILL);  // poll failed
  waiter.join();
  r.wall_ns = std::chrono::duration<double, std::nano>(exited_at - t0).count();
  ::killpg(pid, SIGKILL);  // whatever the program left behind (ESRCH when nothing)
  close_fd(out.read);
  close_fd(err.read);
  close_fd(probe.read);

  if (WIFEXITED(status)) r.exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.user_ns = to_ns(usage.ru_utime);
  r.system_ns = to_ns(usage.ru_stime);
  r.max_rss_bytes = static_cast<std::int64_t>(usage.ru_maxrss) * 1024;  // Linux: KiB
  r.minor_faults = usage.ru_minflt;
  r.major_faults = usage.ru_majflt;
  // "<pid> <path>" per line.
  std::size_t start = 0;
  while (start < probe_text.size()) {
    std::size_t nl = probe_text.find('\n', start);
    if (nl == std::string::npos) nl = probe_text.size();
    const std::string_view line(probe_text.data() + start, nl - start);
    if (const std::size_t sp = line.find(' '); sp != std::string_view::npos)
      r.malloc_libraries.emplace_back(line.substr(sp + 1));
    start = nl + 1;
  }
  return r;
}

std::string describe_ending(const ProgramRunResult& r, double timeout_s) {
  if (!r.started) return r.error;
  char buf[128];
  if (r.timed_out) {
    std::snprintf(buf, sizeof buf, "timed out after %.0f s (killed)", timeout_s);
  } else if (r.signal != 0) {
    std::snprintf(buf, sizeof buf, "killed by signal %d (%s)", r.signal, ::strsignal(r.signal));
  } else {
    std::snprintf(buf, sizeof buf, "exited with status %d", r.exit_status);
  }
  return buf;
}

}  // namespace harness
