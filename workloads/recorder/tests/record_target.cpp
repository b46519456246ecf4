// A program with known allocations, recorded by the recorder tests.
// Built with -O0 -fno-builtin so that every call below really happens.
//   record-target basic|threads|fork|exit|signal|vfork|busy-exit|spawn
// Each scenario brackets its allocations with malloc(kMarker) / free, so the
// test can tell them from the C and C++ runtimes' own.
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

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  std::string mode = argv[1];
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
