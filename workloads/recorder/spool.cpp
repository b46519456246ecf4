#include "spool.hpp"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "state.hpp"

namespace recorder {
namespace {

namespace trace = workloads::trace;

constexpr std::size_t kMaxRecordBytes = trace::kMaxVarintBytes + trace::kMaxOpBytes;

// One per thread alive at a time: a buffer (and its thread number) passes to
// a new thread once its thread has exited, so a program that runs any number
// of threads over its life needs only as many numbers as it has at once.
// `chunk` and `data` are contiguous so that a flush is one write.
struct ThreadBuffer {
  ChunkHeader chunk;
  std::uint8_t data[kBufferBytes];
  std::uint64_t last_seq;
  trace::BinaryOpEncoder enc;
  std::uint32_t thread;
  std::atomic<bool> in_use;
  // Held by whoever writes this buffer's chunk: its owner when the buffer is
  // full, or the finishing thread. Only one of them ever resets the buffer
  // (the owner, after its own write), so a chunk is never written half old,
  // half new.
  std::atomic<bool> flushing;
  // Set by an owner that a signal interrupted inside its own flush and that
  // now waits for another thread to finish: take the buffer without the flag.
  std::atomic<bool> abandoned;
  ThreadBuffer* next_all;
};
static_assert(offsetof(ThreadBuffer, data) == sizeof(ChunkHeader));

std::atomic<ThreadBuffer*> g_buffers{nullptr};
std::atomic<std::uint32_t> g_threads{0};
pthread_key_t g_thread_key;

std::atomic<int> g_fd{-1};
dev_t g_dev = 0;
ino_t g_ino = 0;
char g_path[kPathMax];

__thread ThreadBuffer* t_buffer __attribute__((tls_model("initial-exec"))) = nullptr;
// The buffer this thread is writing right now: a signal handler that
// finishes the recording on this thread must not wait for it.
__thread ThreadBuffer* t_flushing __attribute__((tls_model("initial-exec"))) = nullptr;

// Programs close or dup2 over the low descriptors they did not open
// (daemons, shells, test harnesses); the top of the range is left alone.
int to_high_fd(int fd) {
  rlimit rl{};
  int floor = 900;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 64)
    floor = static_cast<int>(rl.rlim_cur > (1u << 20) ? (1u << 20) : rl.rlim_cur) - 32;
  const int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
  if (high < 0) return fd;
  close(fd);
  return high;
}

bool is_spool(int fd) {
  struct stat st;
  return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == g_dev && st.st_ino == g_ino;
}

void sleep_ms(long ms) {
  timespec ts{0, ms * 1000 * 1000};
  nanosleep(&ts, nullptr);
}

// Writes the buffer's records as one chunk. The header is a snapshot: count
// is read before bytes, and the owner publishes bytes before count, so the
// chunk holds at least `count` whole records whatever the owner is doing.
void write_chunk(ThreadBuffer* b) {
  ChunkHeader h{};
  h.magic = kChunkMagic;
  h.count = __atomic_load_n(&b->chunk.count, __ATOMIC_ACQUIRE);
  h.bytes = __atomic_load_n(&b->chunk.bytes, __ATOMIC_ACQUIRE);
  h.first_seq = b->chunk.first_seq;
  h.thread = b->thread;
  if (h.count == 0) return;
  const int fd = spool_fd();
  if (fd < 0) {
    g_write_failed.store(true);
    return;
  }
  iovec parts[2] = {{&h, sizeof h}, {b->data, h.bytes}};
  const std::size_t total = sizeof h + h.bytes;
  ssize_t k;
  do k = writev(fd, parts, 2);
  while (k < 0 && errno == EINTR);
  if (k < 0) {
    g_write_failed.store(true);
    return;
  }
  const auto done = static_cast<std::size_t>(k);
  if (done == total) return;
  // A short write (disk full, rare otherwise): finish it piecewise.
  bool ok = true;
  if (done < sizeof h) {
    ok = write_all(fd, reinterpret_cast<const char*>(&h) + done, sizeof h - done) &&
         write_all(fd, b->data, h.bytes);
  } else {
    ok = write_all(fd, b->data + (done - sizeof h), total - done);
  }
  if (!ok) g_write_failed.store(true);
}

// The owner's flush. While recording it writes and empties the buffer; once
// recording has stopped it leaves the records to the finishing thread.
void flush_own(ThreadBuffer* b) {
  // The finisher holds the flag for one write at most.
  while (b->flushing.exchange(true, std::memory_order_acquire)) sched_yield();
  t_flushing = b;
  if (g_state.load() == kRecording) {
    write_chunk(b);
    __atomic_store_n(&b->chunk.count, 0u, __ATOMIC_RELEASE);
    __atomic_store_n(&b->chunk.bytes, 0u, __ATOMIC_RELEASE);
  }
  t_flushing = nullptr;
  b->flushing.store(false, std::memory_order_release);
}

void on_thread_exit(void* arg) {
  auto* b = static_cast<ThreadBuffer*>(arg);
  ++t_guard;
  flush_own(b);
  t_buffer = nullptr;
  b->in_use.store(false, std::memory_order_release);
  --t_guard;
}

ThreadBuffer* attach_thread() {
  ThreadBuffer* b = nullptr;
  for (ThreadBuffer* it = g_buffers.load(std::memory_order_acquire); it; it = it->next_all) {
    bool expected = false;
    if (!it->in_use.load(std::memory_order_relaxed) &&
        it->in_use.compare_exchange_strong(expected, true)) {
      b = it;
      break;
    }
  }
  if (!b) {
    const std::uint32_t number = g_threads.fetch_add(1);
    if (number >= trace::kMaxThreads) return nullptr;  // that many threads alive at once
    void* mem = mmap(nullptr, sizeof(ThreadBuffer), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return nullptr;
    b = static_cast<ThreadBuffer*>(mem);  // zeroed: every field starts empty
    b->thread = number;
    b->in_use.store(true);
    ThreadBuffer* head = g_buffers.load();
    do b->next_all = head;
    while (!g_buffers.compare_exchange_weak(head, b));
  }
  // A released buffer was emptied by its last owner's exit flush.
  t_buffer = b;
  pthread_setspecific(g_thread_key, b);  // may allocate: the caller holds the guard
  return b;
}

}  // namespace

bool spool_open(const char* path) {
  std::size_t n = std::strlen(path);
  if (n + 1 > sizeof g_path) return false;
  std::memcpy(g_path, path, n + 1);
  int fd = open(g_path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  fd = to_high_fd(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return false;
  }
  g_dev = st.st_dev;
  g_ino = st.st_ino;
  g_fd.store(fd);
  if (pthread_key_create(&g_thread_key, on_thread_exit) != 0) {
    spool_remove();
    return false;
  }
  return true;
}

int spool_fd() {
  int fd = g_fd.load();
  if (is_spool(fd)) return fd;
  // Closed by the program, or its number now names one of the program's
  // files: never touch that descriptor, reopen ours by its absolute path
  // (without O_CREAT: a spool deleted meanwhile is lost, not restarted).
  int fresh = open(g_path, O_RDWR | O_APPEND | O_CLOEXEC);
  if (fresh < 0) return -1;
  fresh = to_high_fd(fresh);
  if (!is_spool(fresh)) {
    close(fresh);
    return -1;
  }
  if (g_fd.compare_exchange_strong(fd, fresh)) return fresh;
  close(fresh);  // another thread reopened it first
  return fd;
}

void spool_remove() {
  const int fd = g_fd.exchange(-1);
  if (is_spool(fd)) close(fd);
  unlink(g_path);
}

void spool_append(std::uint64_t seq, const trace::Op& op) {
  ThreadBuffer* b = t_buffer ? t_buffer : attach_thread();
  if (!b) return;
  if (b->chunk.bytes + kMaxRecordBytes > kBufferBytes) {
    flush_own(b);
    if (b->chunk.bytes + kMaxRecordBytes > kBufferBytes) return;  // recording has stopped
  }
  if (b->chunk.count == 0) {
    b->chunk.first_seq = seq;
    b->last_seq = seq;
    b->enc = trace::BinaryOpEncoder{};
  }
  std::uint8_t* out = b->data + b->chunk.bytes;
  trace::Op o = op;
  o.thread = b->thread;
  std::size_t n = trace::put_varint(out, seq - b->last_seq);
  n += b->enc.encode(o, out + n);
  b->last_seq = seq;
  __atomic_store_n(&b->chunk.bytes, b->chunk.bytes + static_cast<std::uint32_t>(n),
                   __ATOMIC_RELEASE);
  __atomic_store_n(&b->chunk.count, b->chunk.count + 1, __ATOMIC_RELEASE);
}

void spool_flush_all() {
  for (ThreadBuffer* b = g_buffers.load(); b; b = b->next_all) {
    if (b == t_flushing) {
      // A signal interrupted this thread's own flush of b: its records are
      // stable. If that write had already happened, the merge drops the copy
      // (same sequence numbers).
      write_chunk(b);
      continue;
    }
    // Another thread's flush takes one write; a thread stopped inside its
    // flush (in a signal handler of its own) abandons the buffer to us. The
    // time limit keeps a thread that does neither from hanging the exit.
    bool done = false;
    for (int waited_ms = 0; !done && waited_ms < 2000; ++waited_ms) {
      if (!b->flushing.exchange(true, std::memory_order_acquire)) {
        write_chunk(b);
        b->flushing.store(false, std::memory_order_release);
        done = true;
      } else if (b->abandoned.load(std::memory_order_acquire)) {
        write_chunk(b);
        done = true;
      } else {
        sleep_ms(1);
      }
    }
    if (!done) write_chunk(b);
  }
}

void spool_abandon_own_flush() {
  if (t_flushing) t_flushing->abandoned.store(true, std::memory_order_release);
}

std::uint32_t spool_thread_count() {
  const std::uint32_t n = g_threads.load();
  return n < trace::kMaxThreads ? n : trace::kMaxThreads;
}

}  // namespace recorder
