// A program with known allocations, recorded by the recorder tests.
// Built with -O0 -fno-builtin so that every call below really happens.
//   record-target basic|threads|fork|exit|signal|vfork|busy-exit|spawn|spin|
//                 close-fds FILE|chdir DIR|sigpipe|sigusr1|sigalrm|quick-exit|
//                 threads70k|memalign31|exec-self
// Each scenario brackets its allocations with malloc(kMarker) / free, so the
// test can tell them from the C and C++ runtimes' own.
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kMarker = 777777;
void* volatile g_sink;  // keeps the compiler from reasoning about the pointers

void marker() {
  void* m = std::malloc(kMarker);
  g_sink = m;
  std::free(m);
}

void basic() {
  marker();
  void* a = std::malloc(100);
  void* b = std::calloc(3, 40);
  a = std::realloc(a, 200);
  void* c = nullptr;
  if (posix_memalign(&c, 64, 300) != 0) std::abort();
  void* d = aligned_alloc(128, 256);
  void* e = memalign(32, 50);
  void* f = valloc(10);
  void* g = reallocarray(nullptr, 4, 25);
  int* h = new int[7];
  g_sink = h;
  if (malloc_usable_size(a) < 200) std::abort();
  std::free(nullptr);
  delete[] h;
  std::free(g);
  std::free(f);
  std::free(e);
  std::free(d);
  std::free(c);
  std::free(b);
  a = std::realloc(a, 0);  // frees a
  g_sink = a;
  marker();
}

// 8 threads: each allocates kPerThread blocks of (1000 + t) bytes, frees
// every other one itself and hands the rest to main, which frees them.
constexpr int kThreads = 8, kPerThread = 2000;
std::mutex g_mu;
std::vector<void*>* g_handed;

void threads() {
  marker();
  g_handed = new std::vector<void*>;
  g_handed->reserve(kThreads * kPerThread);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([t] {
      for (int i = 0; i < kPerThread; ++i) {
        void* p = std::malloc(static_cast<std::size_t>(1000 + t));
        if (i % 2 == 0) {
          std::free(p);
        } else {
          std::lock_guard lock(g_mu);
          g_handed->push_back(p);
        }
      }
    });
  for (auto& t : ts) t.join();
  for (void* p : *g_handed) std::free(p);
  delete g_handed;
  marker();
}

void forks() {
  marker();
  pid_t pid = fork();
  if (pid == 0) {
    void* p = std::malloc(5555);
    g_sink = p;
    std::free(p);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  void* p = std::malloc(4444);
  g_sink = p;
  std::free(p);
  marker();
}

// Allocates and frees for ever: main flat out (a process-directed signal
// goes to a running thread, so main is the one caught inside a flush), 8
// threads in short bursts (so that they do not starve the thread that
// writes the trace when the test kills the program).
[[noreturn]] void spin() {
  marker();
  for (std::size_t t = 1; t <= 8; ++t)
    std::thread([t] {
      for (std::size_t i = t * 1000;; ++i) {
        void* p = std::malloc(16 + i % 200);
        g_sink = p;
        std::free(p);
        if (i % 500 == 0) usleep(500);
      }
    }).detach();
  for (std::size_t i = 0;; ++i) {
    void* p = std::malloc(16 + i % 200);
    g_sink = p;
    std::free(p);
  }
}

// Closes every inherited descriptor above stderr (as daemons and some test
// harnesses do), then writes 12 bytes to its own file while allocating
// enough to flush the recorder's buffer many times.
int close_fds(const char* path) {
  marker();
  for (int fd = 3; fd < 1024; ++fd) close(fd);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 3;
  if (write(fd, "program data", 12) != 12) return 4;
  for (int i = 0; i < 300000; ++i) {
    void* p = std::malloc(static_cast<std::size_t>(24 + i % 64));
    g_sink = p;
    std::free(p);
  }
  close(fd);
  marker();
  return 0;
}

void one_block(std::size_t size) {
  marker();
  g_sink = std::malloc(size);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string mode = argv[1];
  if (mode == "spin") spin();
  if (mode == "close-fds" && argc == 3) return close_fds(argv[2]);
  if (mode == "chdir" && argc == 3) {  // a relative STALLOC_TRACE, then chdir
    if (chdir(argv[2]) != 0) return 3;
    one_block(5151);
    return 0;
  }
  if (mode == "sigpipe") {  // writes to a pipe nobody reads: killed by SIGPIPE
    one_block(2020);
    int p[2];
    if (pipe(p) != 0) return 3;
    close(p[0]);
    (void)!write(p[1], "x", 1);
    return 4;
  }
  if (mode == "sigusr1" || mode == "sigalrm") {
    one_block(2121);
    raise(mode == "sigusr1" ? SIGUSR1 : SIGALRM);
    return 4;
  }
  if (mode ==
      "sigquery") {  // what the program sees of SIGINT and SIGTERM; then the default, SIGTERM
    one_block(2424);
    struct sigaction old {};
    for (int sig : {SIGINT, SIGTERM}) {
      sigaction(sig, nullptr, &old);
      std::printf("%s ",
                  old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO) ? "default" : "other");
    }
    std::fflush(stdout);
    // Setting the default explicitly (Python does before re-raising SIGINT).
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &dfl, nullptr);
    raise(SIGTERM);
    return 4;
  }
  if (mode == "quick-exit") {
    one_block(2323);
    std::quick_exit(0);
  }
  if (mode == "threads70k") {  // one after another: never more than 2 alive
    marker();
    for (int t = 0; t < 70000; ++t) {
      pthread_t th;
      if (pthread_create(
              &th, nullptr,
              [](void*) -> void* {
                void* p = std::malloc(7070);
                g_sink = p;
                std::free(p);
                return nullptr;
              },
              nullptr) != 0)
        return 3;
      pthread_join(th, nullptr);
    }
    marker();
    return 0;
  }
  if (mode == "memalign31") {
    marker();
    void* p = memalign(std::size_t{1} << 31, 64);
    if (!p) return 3;
    g_sink = p;
    std::free(p);
    marker();
    return 0;
  }
  if (mode == "exec-self") {  // exec without fork, as env and sh -c do
    one_block(8888);
    execl("/proc/self/exe", argv[0], "basic", static_cast<char*>(nullptr));
    return 127;
  }
  if (argc != 2) return 2;
  if (mode == "basic") {
    basic();
  } else if (mode == "threads") {
    threads();
  } else if (mode == "fork") {
    forks();
  } else if (mode == "exit") {  // never frees, leaves through _exit
    marker();
    g_sink = std::malloc(3333);
    _exit(0);
  } else if (mode == "signal") {  // killed by a signal it does not handle
    marker();
    g_sink = std::malloc(2222);
    raise(SIGTERM);
  } else if (mode == "vfork") {  // a vfork child that _exits must not end the parent's recording
    marker();
    pid_t pid = vfork();
    if (pid == 0) _exit(0);
    int st;
    waitpid(pid, &st, 0);
    void* p = std::malloc(6666);
    g_sink = p;
    std::free(p);
    marker();
  } else if (mode == "busy-exit") {  // exits while 4 threads still allocate
    for (int t = 0; t < 4; ++t)
      std::thread([t] {
        for (std::size_t i = 0;; ++i) {
          void* p = std::malloc(64 + (i + static_cast<std::size_t>(t)) % 512);
          g_sink = p;
          std::free(p);
        }
      }).detach();
    usleep(20 * 1000);
    std::exit(0);
  } else if (mode == "spawn") {  // fork + exec of itself: the child writes FILE.PID
    marker();
    pid_t pid = fork();
    if (pid == 0) {
      execl("/proc/self/exe", argv[0], "basic", static_cast<char*>(nullptr));
      _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    std::printf("%d\n", static_cast<int>(pid));
    marker();
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
  } else {
    return 2;
  }
  return 0;
}
