// Who records, under which file name, and how the recording ends.
//
// File names: the first recording process writes STALLOC_TRACE itself; an
// exec without fork keeps that role (the new image has the same pid and
// finds it in STALLOC_TRACE_ROOT); every other process, and an image about
// to exec, writes STALLOC_TRACE.<program>.<pid> (-2, -3, ... if taken). The
// path is made absolute at startup, so a chdir() changes nothing.
#include "lifecycle.hpp"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "merge.hpp"
#include "spool.hpp"
#include "state.hpp"

// glibc's own entry point: the interposed sigaction (interpose.cpp) would
// hide the recorder's handlers from the recorder itself.
extern "C" int __sigaction(int, const struct sigaction*, struct sigaction*);

namespace recorder {
namespace {

constexpr std::size_t kCommandMax = 4000;

std::atomic<std::uint64_t> g_seq{1};
std::atomic<pid_t> g_finisher{0};
bool g_is_root = false;
char g_target[kPathMax];     // STALLOC_TRACE, absolute
char g_out_path[kPathMax];   // this process's trace
char g_side_path[kPathMax];  // its name when it is not the root's trace
char g_tmp_path[kPathMax];
char g_spool_path[kPathMax];
char g_program[256];
char g_command[kCommandMax + 1];

// Appends strings to out; false (out unchanged in meaning) if they do not fit.
bool append(char* out, std::size_t cap, const char* s) {
  std::size_t n = std::strlen(out);
  const std::size_t k = std::strlen(s);
  if (n + k + 1 > cap) return false;
  std::memcpy(out + n, s, k + 1);
  return true;
}

void decimal(char* out, long v) {
  char tmp[24];
  int n = 0;
  do tmp[n++] = static_cast<char>('0' + v % 10);
  while ((v /= 10) > 0);
  while (n > 0) *out++ = tmp[--n];
  *out = '\0';
}

// The signals whose default action ends the process: each still leaves a
// trace. Only those the program leaves at their default get a handler.
int g_signals[64];
int g_signal_count = 0;

void collect_signals() {
  g_signal_count = 0;
  const int fixed[] = {SIGHUP,  SIGINT,    SIGQUIT, SIGILL,  SIGTRAP, SIGABRT, SIGBUS,    SIGFPE,
                       SIGUSR1, SIGSEGV,   SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT, SIGXCPU,
                       SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,   SIGPWR,  SIGSYS};
  for (int s : fixed) g_signals[g_signal_count++] = s;
  for (int s = SIGRTMIN; s <= SIGRTMAX && g_signal_count < 64; ++s) g_signals[g_signal_count++] = s;
}

sigset_t terminating_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int i = 0; i < g_signal_count; ++i) sigaddset(&set, g_signals[i]);
  return set;
}

void on_signal(int sig, siginfo_t*, void*) {
  const int saved = errno;
  finalize();
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  __sigaction(sig, &dfl, nullptr);
  sigset_t just;
  sigemptyset(&just);
  sigaddset(&just, sig);
  pthread_sigmask(SIG_UNBLOCK, &just, nullptr);
  raise(sig);
  errno = saved;  // a fault returns to the faulting instruction and is delivered again
}

struct sigaction recorder_action() {
  struct sigaction sa {};
  sa.sa_sigaction = on_signal;
  sa.sa_mask = terminating_set();  // another terminating signal waits until this one is done
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  return sa;
}

bool is_terminating(int sig) {
  for (int i = 0; i < g_signal_count; ++i)
    if (g_signals[i] == sig) return true;
  return false;
}

void install_signal_handlers() {
  const struct sigaction sa = recorder_action();
  for (int i = 0; i < g_signal_count; ++i) {
    struct sigaction old;
    if (__sigaction(g_signals[i], nullptr, &old) != 0 || (old.sa_flags & SA_SIGINFO) ||
        old.sa_handler != SIG_DFL)
      continue;  // the program's choice
    __sigaction(g_signals[i], &sa, nullptr);
  }
}

void after_fork_in_child() {
  // The child shares the parent's spool descriptor and buffered records: it
  // stops recording (if it execs, the new program records on its own).
  if (g_state.load() == kRecording) g_state.store(kOff);
}

void on_quick_exit() {
  finalize();
}

// Another thread is finishing: let it, then go on (a signal handler then
// re-raises). If this thread was inside its own flush, the finisher would
// wait for it: hand the buffer over first.
void wait_for_finisher() {
  spool_abandon_own_flush();
  for (int i = 0; i < 6000 && g_state.load() != kFinished; ++i) {
    timespec ts{0, 10 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
}

// Copies src into an existing non-regular target (a device, a FIFO, what a
// symlink points at), which a rename would replace instead of writing to.
bool copy_into(const char* src, const char* target) {
  static char buf[1 << 16];
  const int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) return false;
  const int out = open(target, O_WRONLY | O_TRUNC | O_CLOEXEC);
  bool ok = out >= 0;
  while (ok) {
    const ssize_t k = read(in, buf, sizeof buf);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      ok = k == 0;
      break;
    }
    ok = write_all(out, buf, static_cast<std::size_t>(k));
  }
  if (out >= 0 && close(out) != 0) ok = false;
  close(in);
  unlink(src);
  return ok;
}

// Moves the finished temporary file to its name. A side trace never
// replaces another (a program that execs itself keeps its pid and name).
bool publish(const char* target, bool exclusive) {
  struct stat st;
  if (!exclusive) {
    if (lstat(target, &st) == 0 && !S_ISREG(st.st_mode)) return copy_into(g_tmp_path, target);
    return rename(g_tmp_path, target) == 0;
  }
  char name[kPathMax];
  for (int k = 1; k < 1000; ++k) {
    name[0] = '\0';
    char suffix[24] = "-";
    decimal(suffix + 1, k);
    if (!append(name, sizeof name, target) || (k > 1 && !append(name, sizeof name, suffix)))
      return false;
    if (link(g_tmp_path, name) == 0) {
      unlink(g_tmp_path);
      return true;
    }
    if (errno == EEXIST) continue;
    // A file system without hard links: take the name if it is free.
    if (lstat(name, &st) == 0) continue;
    return rename(g_tmp_path, name) == 0;
  }
  return false;
}

void finish(bool before_exec) {
  if (getpid() != g_recording_pid) return;
  int expected = kRecording;
  if (!g_state.compare_exchange_strong(expected, kFinishing)) {
    if (expected == kFinishing && g_finisher.load() != current_tid()) wait_for_finisher();
    return;
  }
  g_finisher.store(current_tid());
  ++t_guard;
  // A terminating signal now would end the process mid-merge: it waits
  // (faults cannot be held back, and are not blocked).
  sigset_t block = terminating_set(), old;
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS}) sigdelset(&block, s);
  pthread_sigmask(SIG_BLOCK, &block, &old);

  spool_flush_all();
  const long long ops = merge_spool(spool_fd(), g_tmp_path, {g_program, g_command}, g_seq.load());
  spool_remove();
  const bool side = before_exec || !g_is_root;
  bool ok = ops >= 0 && !g_write_failed.load() && publish(side ? g_side_path : g_out_path, side);
  if (!ok) {
    unlink(g_tmp_path);
    say("writing the trace failed (disk full? directory removed?); no trace written");
  }
  g_state.store(kFinished);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  --t_guard;
}

bool make_paths(const char* target, const char* pid) {
  g_target[0] = '\0';
  if (target[0] != '/') {
    if (!getcwd(g_target, sizeof g_target - 1)) return false;
    if (!append(g_target, sizeof g_target, "/")) return false;
  }
  if (!append(g_target, sizeof g_target, target)) return false;
  // Side name: STALLOC_TRACE.<program>.<pid>, the program's name made safe.
  char program[sizeof g_program];
  std::size_t n = 0;
  for (const char* s = g_program; *s && n + 1 < sizeof program; ++s, ++n) {
    const char c = *s;
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-' || c == '+';
    program[n] = safe ? c : '_';
  }
  program[n] = '\0';
  g_side_path[0] = g_out_path[0] = g_tmp_path[0] = g_spool_path[0] = '\0';
  bool ok = append(g_side_path, kPathMax, g_target) && append(g_side_path, kPathMax, ".") &&
            append(g_side_path, kPathMax, program[0] ? program : "unknown") &&
            append(g_side_path, kPathMax, ".") && append(g_side_path, kPathMax, pid);
  ok = ok && append(g_out_path, kPathMax, g_is_root ? g_target : g_side_path);
  // Temporary names carry the pid: the side and the root name of one
  // process start the same.
  ok = ok && append(g_tmp_path, kPathMax, g_side_path) && append(g_tmp_path, kPathMax, ".tmp");
  ok =
      ok && append(g_spool_path, kPathMax, g_side_path) && append(g_spool_path, kPathMax, ".spool");
  return ok;
}

__attribute__((constructor)) void start_recording(int argc, char** argv, char**) {
  const char* target = getenv("STALLOC_TRACE");
  if (!target || !*target) return;
  ++t_guard;
  // The executable's name, for the header and the STALLOC_TRACE_PROGRAM filter.
  char exe[kPathMax];
  const ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[len > 0 ? len : 0] = '\0';
  const char* base = std::strrchr(exe, '/') ? std::strrchr(exe, '/') + 1 : exe;
  g_program[0] = '\0';
  append(g_program, sizeof g_program, base);
  // The filter names the executable (often a symlink's target, e.g.
  // x86_64-linux-gnu-as) or the name it was run as (as).
  const char* arg0 = argc > 0 && argv && argv[0] ? argv[0] : "";
  const char* arg0_base = std::strrchr(arg0, '/') ? std::strrchr(arg0, '/') + 1 : arg0;
  if (const char* only = getenv("STALLOC_TRACE_PROGRAM");
      only && *only && std::strcmp(only, base) != 0 && std::strcmp(only, arg0_base) != 0) {
    --t_guard;
    return;
  }
  std::size_t n = 0;
  for (int i = 0; i < argc && argv; ++i)
    for (const char* s = argv[i]; s && n < kCommandMax; ++s) {
      if (!*s) {
        if (i + 1 < argc) g_command[n++] = ' ';
        break;
      }
      g_command[n++] = *s;
    }
  g_command[n] = '\0';

  char pid[24];
  decimal(pid, static_cast<long>(getpid()));
  const char* root = getenv("STALLOC_TRACE_ROOT");
  g_is_root = root == nullptr || std::strcmp(root, pid) == 0;
  if (!make_paths(target, pid)) {
    say("STALLOC_TRACE path too long (or the working directory unknown); not recording");
    --t_guard;
    return;
  }
  if (g_is_root) setenv("STALLOC_TRACE_ROOT", pid, 1);
  // A terminating signal during the setup waits until the handlers and the
  // state are in place, so it finds a recording to finish (else it would
  // kill the program and leave the spool behind).
  collect_signals();
  sigset_t block = terminating_set(), old;
  pthread_sigmask(SIG_BLOCK, &block, &old);
  if (!spool_open(g_spool_path)) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    say("cannot create the spool file next to STALLOC_TRACE; not recording");
    --t_guard;
    return;
  }
  pthread_atfork(nullptr, nullptr, after_fork_in_child);
  install_signal_handlers();
  at_quick_exit(on_quick_exit);
  g_recording_pid = getpid();
  g_state.store(kRecording);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  --t_guard;
}

__attribute__((destructor)) void stop_recording() {
  finalize();
}

}  // namespace

std::uint64_t next_seq() {
  return g_seq.fetch_add(1, std::memory_order_relaxed);
}

void finalize() {
  finish(false);
}

void finish_before_exec() {
  finish(true);
}

const struct sigaction* handler_to_install(int sig, const struct sigaction* act,
                                           struct sigaction& storage) {
  if (act == nullptr || (act->sa_flags & SA_SIGINFO) || act->sa_handler != SIG_DFL ||
      g_state.load() != kRecording || getpid() != g_recording_pid || !is_terminating(sig))
    return act;
  storage = recorder_action();
  return &storage;
}

void hide_recorder_handler(struct sigaction& sa) {
  if ((sa.sa_flags & SA_SIGINFO) && sa.sa_sigaction == on_signal) {
    sa = {};
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
  }
}

}  // namespace recorder
