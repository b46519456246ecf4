// The interposed C ABI: the malloc family (forwarded to glibc's __libc_*
// entry points, which need no dlsym: dlsym's own allocations would otherwise
// reach us before we know where the real malloc is), the exit paths and the
// exec family.
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "id_map.hpp"
#include "lifecycle.hpp"
#include "spool.hpp"
#include "state.hpp"
#include "workloads/trace/op.hpp"

extern "C" {
int __sigaction(int, const struct sigaction*, struct sigaction*);
void* __libc_malloc(std::size_t);
void __libc_free(void*);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* __libc_valloc(std::size_t);
void* __libc_pvalloc(std::size_t);
}

namespace {

namespace trace = workloads::trace;
using namespace recorder;

// RAII for the recursion guard: true when this call should be recorded.
class Recording {
 public:
  Recording() : active_(t_guard == 0 && g_state.load(std::memory_order_relaxed) == kRecording) {
    if (active_) ++t_guard;
  }
  ~Recording() {
    if (active_) --t_guard;
  }
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;
  explicit operator bool() const { return active_; }

 private:
  bool active_;
};

std::uint8_t align_code_of(std::size_t align) {
  if (align <= alignof(std::max_align_t)) return 0;  // malloc gives that anyway
  unsigned log2 = 0;
  while ((std::size_t{1} << log2) < align && log2 < 63) ++log2;
  // glibc cannot return a block aligned beyond the address space, so a
  // successful call never needs more than the format's limit.
  if (log2 > trace::kMaxAlignLog2) log2 = trace::kMaxAlignLog2;
  return static_cast<std::uint8_t>(log2 + 1);
}

// Ids: a block's id is the sequence number taken after the real call, a
// free's before it, so a block's creation is always numbered before its
// free, whichever threads do them, and an address reused after a free gets
// a later number than the free.
void record_new(trace::OpKind kind, void* p, std::size_t size, std::size_t count,
                std::size_t align) {
  const std::uint64_t seq = next_seq();
  map_insert(p, seq);
  trace::Op op;
  op.kind = kind;
  op.id = seq;
  op.size = size;
  op.count = count;
  op.align_code = align_code_of(align);
  spool_append(seq, op);
}

void record_free(std::uint64_t id) {
  const std::uint64_t seq = next_seq();
  trace::Op op;
  op.kind = trace::OpKind::kFree;
  op.id = id;
  spool_append(seq, op);
}

using UsableSizeFn = std::size_t (*)(void*);
std::atomic<UsableSizeFn> g_real_usable_size{nullptr};

// The real exec functions: glibc's execvp & co. call execve internally, not
// through the PLT, so each is interposed. Looked up lazily, guarded (dlsym
// may allocate).
template <class Fn>
Fn real(const char* name) {
  ++t_guard;
  auto fn = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
  --t_guard;
  return fn;
}

// Collects execl's variable arguments into an argv (mmap'ed: any count).
struct ArgList {
  char** argv = nullptr;
  std::size_t bytes = 0;
  char** envp = nullptr;
  ~ArgList() {
    if (argv) munmap(argv, bytes);
  }
};

bool collect(ArgList& out, const char* first, va_list ap, bool with_env) {
  va_list count;
  va_copy(count, ap);
  std::size_t n = 1;
  while (va_arg(count, char*) != nullptr) ++n;
  va_end(count);
  out.bytes = (n + 1) * sizeof(char*);
  void* m = mmap(nullptr, out.bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return false;
  out.argv = static_cast<char**>(m);
  out.argv[0] = const_cast<char*>(first);
  for (std::size_t i = 1; i <= n; ++i) out.argv[i] = va_arg(ap, char*);  // ends with the nullptr
  if (with_env) out.envp = va_arg(ap, char**);
  return true;
}

}  // namespace

#define STALLOC_EXPORT extern "C" __attribute__((visibility("default")))

STALLOC_EXPORT void* malloc(std::size_t size) {
  Recording rec;
  void* p = __libc_malloc(size);
  if (rec && p) record_new(trace::OpKind::kAlloc, p, size, 0, 0);
  return p;
}

STALLOC_EXPORT void free(void* p) {
  if (!p) return;
  Recording rec;
  if (rec)
    if (std::uint64_t id = map_take(p)) record_free(id);  // before the real free: see record_new
  __libc_free(p);
}

STALLOC_EXPORT void* calloc(std::size_t count, std::size_t size) {
  Recording rec;
  void* p = __libc_calloc(count, size);
  if (rec && p) record_new(trace::OpKind::kCalloc, p, size, count, 0);
  return p;
}

STALLOC_EXPORT void* realloc(void* p, std::size_t size) {
  Recording rec;
  if (!rec) return __libc_realloc(p, size);
  if (!p) {
    void* q = __libc_realloc(nullptr, size);
    if (q) record_new(trace::OpKind::kAlloc, q, size, 0, 0);
    return q;
  }
  // Take p's id before the real call: once realloc moves the block, another
  // thread may get p from malloc and insert it.
  const std::uint64_t old_id = map_take(p);
  if (size == 0) {  // glibc: realloc(p, 0) frees p and returns NULL
    if (old_id) record_free(old_id);
    return __libc_realloc(p, 0);
  }
  void* q = __libc_realloc(p, size);
  if (!q) {  // failed: p is untouched and keeps its id
    if (old_id) map_insert(p, old_id);
    return q;
  }
  const std::uint64_t seq = next_seq();
  map_insert(q, seq);
  trace::Op op;
  op.kind = old_id ? trace::OpKind::kRealloc : trace::OpKind::kAlloc;  // unknown: new to us
  op.id = seq;
  op.old_id = old_id;
  op.size = size;
  spool_append(seq, op);
  return q;
}

STALLOC_EXPORT void* reallocarray(void* p, std::size_t count, std::size_t size) {
  std::size_t bytes;
  if (__builtin_mul_overflow(count, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc(p, bytes);
}

STALLOC_EXPORT void* memalign(std::size_t align, std::size_t size) {
  Recording rec;
  void* p = __libc_memalign(align, size);
  if (rec && p) record_new(trace::OpKind::kAlloc, p, size, 0, align);
  return p;
}

STALLOC_EXPORT void* aligned_alloc(std::size_t align, std::size_t size) {
  return memalign(align, size);
}

STALLOC_EXPORT int posix_memalign(void** out, std::size_t align, std::size_t size) {
  if (align < sizeof(void*) || (align & (align - 1)) != 0) return EINVAL;
  Recording rec;
  void* p = __libc_memalign(align, size);
  if (!p) return ENOMEM;
  if (rec) record_new(trace::OpKind::kAlloc, p, size, 0, align);
  *out = p;
  return 0;
}

STALLOC_EXPORT void* valloc(std::size_t size) {
  Recording rec;
  void* p = __libc_valloc(size);
  if (rec && p)
    record_new(trace::OpKind::kAlloc, p, size, 0, static_cast<std::size_t>(getpagesize()));
  return p;
}

STALLOC_EXPORT void* pvalloc(std::size_t size) {
  Recording rec;
  void* p = __libc_pvalloc(size);
  const auto page = static_cast<std::size_t>(getpagesize());
  if (rec && p) record_new(trace::OpKind::kAlloc, p, (size + page - 1) / page * page, 0, page);
  return p;
}

// Not an allocation: forwarded unrecorded. glibc has no __libc_ name for it,
// so it is looked up once, guarded (dlsym may allocate).
STALLOC_EXPORT std::size_t malloc_usable_size(void* p) {
  UsableSizeFn fn = g_real_usable_size.load(std::memory_order_acquire);
  if (!fn) {
    fn = real<UsableSizeFn>("malloc_usable_size");
    if (!fn) return 0;
    g_real_usable_size.store(fn, std::memory_order_release);
  }
  return fn(p);
}

// The recorder's handlers read as the default: a program that installs its
// own handler only where it finds the default (Python's SIGINT ->
// KeyboardInterrupt, which found the recorder's handler and stayed away)
// behaves as it does unrecorded; and setting the default keeps the trace
// (Python re-raises SIGINT with the default action to exit).
STALLOC_EXPORT int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  struct sigaction storage;
  const int rc = __sigaction(sig, handler_to_install(sig, act, storage), old);
  if (rc == 0 && old) hide_recorder_handler(*old);
  return rc;
}

// _exit skips atexit and destructors: write the trace first.
STALLOC_EXPORT void _exit(int status) {
  finalize();
  syscall(SYS_exit_group, status);
  __builtin_unreachable();
}
STALLOC_EXPORT void _Exit(int status) {
  _exit(status);
}

// exec replaces this image without running its destructors: its trace is
// written first. If exec fails, the rest of this image is not recorded.
STALLOC_EXPORT int execve(const char* path, char* const argv[], char* const envp[]) {
  finish_before_exec();
  return real<int (*)(const char*, char* const*, char* const*)>("execve")(path, argv, envp);
}
STALLOC_EXPORT int execv(const char* path, char* const argv[]) {
  finish_before_exec();
  return real<int (*)(const char*, char* const*)>("execv")(path, argv);
}
STALLOC_EXPORT int execvp(const char* file, char* const argv[]) {
  finish_before_exec();
  return real<int (*)(const char*, char* const*)>("execvp")(file, argv);
}
STALLOC_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
  finish_before_exec();
  return real<int (*)(const char*, char* const*, char* const*)>("execvpe")(file, argv, envp);
}
STALLOC_EXPORT int fexecve(int fd, char* const argv[], char* const envp[]) {
  finish_before_exec();
  return real<int (*)(int, char* const*, char* const*)>("fexecve")(fd, argv, envp);
}
STALLOC_EXPORT int execveat(int dirfd, const char* path, char* const argv[], char* const envp[],
                            int flags) {
  finish_before_exec();
  return real<int (*)(int, const char*, char* const*, char* const*, int)>("execveat")(
      dirfd, path, argv, envp, flags);
}
STALLOC_EXPORT int execl(const char* path, const char* arg, ...) {
  ArgList args;
  va_list ap;
  va_start(ap, arg);
  const bool ok = collect(args, arg, ap, false);
  va_end(ap);
  if (!ok) return errno = ENOMEM, -1;
  return execv(path, args.argv);
}
STALLOC_EXPORT int execlp(const char* file, const char* arg, ...) {
  ArgList args;
  va_list ap;
  va_start(ap, arg);
  const bool ok = collect(args, arg, ap, false);
  va_end(ap);
  if (!ok) return errno = ENOMEM, -1;
  return execvp(file, args.argv);
}
STALLOC_EXPORT int execle(const char* path, const char* arg, ...) {
  ArgList args;
  va_list ap;
  va_start(ap, arg);
  const bool ok = collect(args, arg, ap, true);
  va_end(ap);
  if (!ok) return errno = ENOMEM, -1;
  return execve(path, args.argv, args.envp);
}
