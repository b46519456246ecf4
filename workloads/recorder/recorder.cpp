// libstalloc-record.so: records every allocation a program makes.
//
//   LD_PRELOAD=libstalloc-record.so STALLOC_TRACE=out.trace program args
//
// The library interposes the malloc family, forwards each call to glibc's
// allocator through its __libc_* entry points (which need no dlsym, so there
// is no bootstrap problem: dlsym's own allocations would otherwise reach us
// before we know where the real malloc is), and records the call.
//
// Design, in the order an op travels:
//  - A thread-local guard: while the recorder itself runs (or allocates, as
//    pthread_setspecific may), nested calls are forwarded unrecorded.
//  - Block ids are sequence numbers from one atomic counter (the only shared
//    write on the hot path; no lock). An allocation takes its number after
//    the real call returns and a free before it, so a block's creation is
//    always numbered before its free, whichever threads do them, and an
//    address reused after a free gets a later number than the free.
//  - Pointer -> id: a lock-free radix tree over the address space.
//  - Each thread appends fixed-size records to its own buffer; a full buffer
//    is written to a spool file with one write() (O_APPEND: chunks of
//    different threads never interleave).
//  - At exit the spool's chunks (each sorted) are merged by sequence number
//    into the binary trace format. The merge uses only mmap and write, never
//    malloc, so that it can also run from a fatal signal handler, and from
//    _exit.
// See workloads/TRACES.md for fork, exec, exit paths and what is lost.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "workloads/trace/binary_format.hpp"
#include "workloads/trace/op.hpp"

extern "C" {
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

constexpr std::size_t kBufferBytes = 256 * 1024;
constexpr std::size_t kMaxRecordBytes = 1 + 3 * trace::kMaxVarintBytes;
constexpr std::uint64_t kChunkMagic = 0x4b4e484343525453ull;  // "STRCCHNK"
constexpr std::size_t kPathMax = 4096;
constexpr std::size_t kCommandMax = 4000;

// A recorded op as the merge sees it. A block's id is the sequence number of
// the op that created it, so one more field covers the rest: the freed id,
// realloc's old id, or calloc's element count.
struct RawRecord {
  std::uint64_t seq;
  std::uint64_t ref;
  std::uint64_t size;
  std::uint8_t kind;
  std::uint8_t align_code;
};

// The spool holds chunks: this header, then `bytes` of records, each
//   varint(seq - previous seq in the chunk)   (the first: seq - first_seq)
//   byte   kind | align_code << 3
//   varint ref as a distance back (seq - ref) for free and realloc, the
//          count for calloc, absent for alloc
//   varint size (absent for free)
// About 5 bytes per op instead of 32: the spool of a long run stays small.
struct ChunkHeader {
  std::uint64_t magic;
  std::uint64_t first_seq;
  std::uint32_t count;
  std::uint32_t bytes;
  std::uint32_t thread;
  std::uint32_t pad;
};

// One per recording thread. `chunk` and `data` are contiguous so that a
// flush is a single write().
struct ThreadBuffer {
  ChunkHeader chunk;
  std::uint8_t data[kBufferBytes];
  std::uint64_t last_seq;
  std::atomic<bool> in_use;
  std::atomic_flag flushing;  // zeroed by mmap: clear
  ThreadBuffer* next_all;
};
static_assert(offsetof(ThreadBuffer, data) == sizeof(ChunkHeader));

enum State : int { kOff, kRecording, kFinished };

std::atomic<int> g_state{kOff};
std::atomic<std::uint64_t> g_seq{1};
std::atomic<std::uint32_t> g_next_thread{0};
std::atomic<ThreadBuffer*> g_buffers{nullptr};
std::atomic<bool> g_write_failed{false};
pthread_key_t g_thread_key;
int g_spool_fd = -1;
pid_t g_recording_pid = 0;
char g_out_path[kPathMax];
char g_tmp_path[kPathMax];
char g_spool_path[kPathMax];
char g_program[256];
char g_command[kCommandMax + 1];

// initial-exec: the TLS lives in the static block, so touching it never
// calls __tls_get_addr, which may allocate.
[[gnu::tls_model("initial-exec")]] thread_local ThreadBuffer* t_buffer = nullptr;
[[gnu::tls_model("initial-exec")]] thread_local int t_guard = 0;
[[gnu::tls_model("initial-exec")]] thread_local std::uint32_t t_thread = 0xffffffffu;

void* map_pages(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

// ---- pointer -> id map ---------------------------------------------------
//
// A radix tree over the address space, one 8-byte id per 16-byte granule
// (glibc aligns every block to 16). Lock-free: a block's entry is written by
// whoever allocates it and cleared (exchange) by whoever frees it, and the
// program itself orders those. Entries sit next to each other as the blocks
// do, so the map has the locality of the heap (a hash map's random access
// cost a cache miss per op). Cost: at most half the heap's address span in
// id pages, touched lazily (large blocks cost one entry).
//   47-bit address = 11 root bits | 16 mid bits | 16 leaf bits | 4 granule bits

using IdSlot = std::atomic<std::uint64_t>;
constexpr unsigned kGranuleBits = 4, kLeafBits = 16, kMidBits = 16, kRootBits = 11;
static_assert(kGranuleBits + kLeafBits + kMidBits + kRootBits == 47);

std::atomic<std::atomic<IdSlot*>*> g_root[std::size_t{1} << kRootBits];

template <class T>
T* install(std::atomic<T*>& at, std::size_t entries) {
  T* cur = at.load(std::memory_order_acquire);
  if (cur) return cur;
  // mmap'ed memory is zeroed and only the pages touched become real.
  void* m = mmap(nullptr, entries * sizeof(T), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return nullptr;
  auto* fresh = static_cast<T*>(m);
  if (at.compare_exchange_strong(cur, fresh, std::memory_order_acq_rel)) return fresh;
  munmap(m, entries * sizeof(T));  // another thread installed one first
  return cur;
}

IdSlot* id_slot(void* p, bool create) {
  std::uint64_t g = reinterpret_cast<std::uint64_t>(p) >> kGranuleBits;
  std::uint64_t root = g >> (kLeafBits + kMidBits);
  if (root >= (std::uint64_t{1} << kRootBits)) return nullptr;  // beyond 47 bits: not tracked
  std::size_t mid = (g >> kLeafBits) & ((std::size_t{1} << kMidBits) - 1);
  std::size_t leaf = g & ((std::size_t{1} << kLeafBits) - 1);
  std::atomic<IdSlot*>* mids = g_root[root].load(std::memory_order_acquire);
  if (!mids) {
    if (!create) return nullptr;
    mids = install(g_root[root], std::size_t{1} << kMidBits);
    if (!mids) return nullptr;
  }
  IdSlot* leaves = mids[mid].load(std::memory_order_acquire);
  if (!leaves) {
    if (!create) return nullptr;
    leaves = install(mids[mid], std::size_t{1} << kLeafBits);
    if (!leaves) return nullptr;
  }
  return &leaves[leaf];
}

// A stale entry (a free we did not see) is simply overwritten.
void map_insert(void* p, std::uint64_t id) {
  if (IdSlot* slot = id_slot(p, true)) slot->store(id, std::memory_order_relaxed);
}

// Removes p; returns its id, or 0 if p was never recorded.
std::uint64_t map_take(void* p) {
  IdSlot* slot = id_slot(p, false);
  return slot ? slot->exchange(0, std::memory_order_relaxed) : 0;
}

// ---- per-thread buffers and the spool --------------------------------------

void write_all(int fd, const void* data, std::size_t len) {
  const auto* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t k = write(fd, p, len);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      g_write_failed.store(true);
      return;
    }
    p += k;
    len -= static_cast<std::size_t>(k);
  }
}

// At exit, another thread may still be appending to the buffer being
// flushed: the header is a snapshot taken first, so the chunk written is
// always self-consistent (a record appended meanwhile is lost, not garbled).
// The per-buffer flag keeps the owner's flush of a full buffer and the exit
// flush of the same buffer from writing one chunk twice; once recording has
// finished, only the exit flush writes (the spool may be closed, and its
// descriptor number reused by the program).
void write_chunk(ThreadBuffer* b);
void flush(ThreadBuffer* b, bool at_exit = false) {
  while (b->flushing.test_and_set(std::memory_order_acquire)) sched_yield();
  if (at_exit || g_state.load() == kRecording) write_chunk(b);
  b->chunk.count = 0;
  b->chunk.bytes = 0;
  b->flushing.clear(std::memory_order_release);
}

void write_chunk(ThreadBuffer* b) {
  ChunkHeader h = b->chunk;
  if (h.count == 0) return;
  h.magic = kChunkMagic;
  iovec parts[2] = {{&h, sizeof h}, {b->data, h.bytes}};
  std::size_t total = sizeof h + h.bytes;
  ssize_t k;
  do k = writev(g_spool_fd, parts, 2);
  while (k < 0 && errno == EINTR);
  if (k >= 0 && static_cast<std::size_t>(k) < total) {
    // A short write (rare on regular files): finish it piecewise.
    const auto done = static_cast<std::size_t>(k);
    if (done < sizeof h) {
      write_all(g_spool_fd, reinterpret_cast<const char*>(&h) + done, sizeof h - done);
      write_all(g_spool_fd, b->data, h.bytes);
    } else {
      write_all(g_spool_fd, b->data + (done - sizeof h), total - done);
    }
  } else if (k < 0) {
    g_write_failed.store(true);
  }
}

void on_thread_exit(void* arg) {
  auto* b = static_cast<ThreadBuffer*>(arg);
  ++t_guard;
  flush(b);
  t_buffer = nullptr;
  b->in_use.store(false, std::memory_order_release);
  --t_guard;
}

ThreadBuffer* attach_thread() {
  ThreadBuffer* b = nullptr;
  for (ThreadBuffer* it = g_buffers.load(std::memory_order_acquire); it; it = it->next_all) {
    bool expected = false;
    if (it->in_use.compare_exchange_strong(expected, true)) {
      b = it;
      break;
    }
  }
  if (!b) {
    void* mem = map_pages(sizeof(ThreadBuffer));
    if (!mem) return nullptr;
    b = static_cast<ThreadBuffer*>(mem);  // mmap'ed memory is zeroed
    b->in_use.store(true);
    ThreadBuffer* head = g_buffers.load();
    do b->next_all = head;
    while (!g_buffers.compare_exchange_weak(head, b));
  }
  b->chunk.count = 0;
  b->chunk.bytes = 0;
  // A thread that allocates again after its buffer was released (in a later
  // TLS destructor) keeps its thread number.
  if (t_thread == 0xffffffffu) t_thread = g_next_thread.fetch_add(1);
  t_buffer = b;
  pthread_setspecific(g_thread_key, b);  // may allocate: we are guarded
  return b;
}

void record(trace::OpKind kind, std::uint64_t seq, std::uint64_t ref, std::uint64_t size,
            std::uint8_t align_code) {
  ThreadBuffer* b = t_buffer ? t_buffer : attach_thread();
  if (!b) return;
  if (b->chunk.count == 0) {
    b->chunk.first_seq = seq;
    b->chunk.thread = t_thread;
    b->last_seq = seq;
  }
  std::uint8_t* out = b->data + b->chunk.bytes;
  std::size_t n = trace::put_varint(out, seq - b->last_seq);
  out[n++] = static_cast<std::uint8_t>(static_cast<unsigned>(kind) | (align_code << 3));
  if (kind == trace::OpKind::kFree || kind == trace::OpKind::kRealloc)
    n += trace::put_varint(out + n, seq - ref);
  if (kind == trace::OpKind::kCalloc) n += trace::put_varint(out + n, ref);
  if (kind != trace::OpKind::kFree) n += trace::put_varint(out + n, size);
  b->last_seq = seq;
  b->chunk.bytes += static_cast<std::uint32_t>(n);
  ++b->chunk.count;
  if (b->chunk.bytes + kMaxRecordBytes > kBufferBytes) flush(b);
}

std::uint64_t next_seq() {
  return g_seq.fetch_add(1, std::memory_order_relaxed);
}

std::uint8_t align_code_of(std::size_t align) {
  if (align <= alignof(std::max_align_t)) return 0;  // malloc gives that anyway
  unsigned log2 = 0;
  while ((std::size_t{1} << log2) < align && log2 < trace::kMaxAlignLog2) ++log2;
  return static_cast<std::uint8_t>(log2 + 1);
}

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

void record_new(trace::OpKind kind, void* p, std::size_t size, std::size_t count,
                std::size_t align) {
  std::uint64_t seq = next_seq();
  map_insert(p, seq);
  record(kind, seq, count, size, align_code_of(align));
}

void record_free(void* p) {
  if (std::uint64_t id = map_take(p)) record(trace::OpKind::kFree, next_seq(), id, 0, 0);
}

// ---- finalization: merge the spool into the trace (no malloc) --------------

// A chunk being merged: its next record decoded, and where the rest is.
struct Cursor {
  RawRecord cur;
  const std::uint8_t* p;
  const std::uint8_t* end;
  std::uint32_t left;  // records after `cur`
  std::uint32_t thread;
};

// Decodes the next record of c into c.cur; false at the end of the chunk
// (or if the chunk is damaged: the rest of it is dropped).
bool advance(Cursor& c) {
  if (c.left == 0) return false;
  --c.left;
  std::uint64_t delta, v;
  std::size_t n = trace::get_varint(c.p, c.end, delta);
  if (n == 0 || c.p + n >= c.end) return c.left = 0, false;
  c.p += n;
  std::uint8_t tag = *c.p++;
  c.cur.seq += delta;
  c.cur.kind = tag & 7;
  c.cur.align_code = static_cast<std::uint8_t>(tag >> 3);
  c.cur.ref = 0;
  c.cur.size = 0;
  auto kind = static_cast<trace::OpKind>(c.cur.kind);
  if (kind == trace::OpKind::kFree || kind == trace::OpKind::kRealloc ||
      kind == trace::OpKind::kCalloc) {
    if ((n = trace::get_varint(c.p, c.end, v)) == 0) return c.left = 0, false;
    c.p += n;
    c.cur.ref = kind == trace::OpKind::kCalloc ? v : c.cur.seq - v;
  }
  if (kind != trace::OpKind::kFree) {
    if ((n = trace::get_varint(c.p, c.end, v)) == 0) return c.left = 0, false;
    c.p += n;
    c.cur.size = v;
  }
  return true;
}

void sift_down(Cursor* heap, std::size_t n, std::size_t i) {
  for (;;) {
    std::size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && heap[l].cur.seq < heap[m].cur.seq) m = l;
    if (r < n && heap[r].cur.seq < heap[m].cur.seq) m = r;
    if (m == i) return;
    Cursor t = heap[i];
    heap[i] = heap[m];
    heap[m] = t;
    i = m;
  }
}

std::size_t format_date(char* out) {
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  int v[6] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
  int width[6] = {4, 2, 2, 2, 2, 2};
  const char sep[6] = {'-', '-', 'T', ':', ':', 'Z'};
  std::size_t n = 0;
  for (int i = 0; i < 6; ++i) {
    for (int w = width[i] - 1; w >= 0; --w) {
      int d = v[i];
      for (int k = 0; k < w; ++k) d /= 10;
      out[n++] = static_cast<char>('0' + d % 10);
    }
    out[n++] = sep[i];
  }
  return n;
}

class OutBuffer {
 public:
  explicit OutBuffer(int fd) : fd_(fd) {}
  std::uint8_t* reserve(std::size_t n) {
    if (len_ + n > sizeof buf_) drain();
    return buf_ + len_;
  }
  void commit(std::size_t n) { len_ += n; }
  void drain() {
    write_all(fd_, buf_, len_);
    len_ = 0;
  }

 private:
  int fd_;
  std::size_t len_ = 0;
  std::uint8_t buf_[1 << 16];
};

void merge_spool() {
  struct stat st;
  if (fstat(g_spool_fd, &st) != 0) return;
  auto spool_len = static_cast<std::size_t>(st.st_size);
  const char* base = nullptr;
  if (spool_len > 0) {
    void* m = mmap(nullptr, spool_len, PROT_READ, MAP_PRIVATE, g_spool_fd, 0);
    if (m == MAP_FAILED) return;
    base = static_cast<const char*>(m);
  }
  // Pass 1: count chunks and records, find the thread count.
  std::size_t chunks = 0, records = 0;
  std::uint32_t threads = 0;
  for (std::size_t at = 0; at + sizeof(ChunkHeader) <= spool_len;) {
    ChunkHeader h;
    std::memcpy(&h, base + at, sizeof h);
    std::size_t bytes = sizeof h + h.bytes;
    if (h.magic != kChunkMagic || h.bytes > kBufferBytes || at + bytes > spool_len) break;
    if (h.thread + 1 > threads) threads = h.thread + 1;
    // Count what decodes: the header's op count must be exact, and a chunk
    // damaged by a thread racing the exit must not cost the whole trace.
    const auto* data = reinterpret_cast<const std::uint8_t*>(base + at + sizeof h);
    Cursor probe{RawRecord{h.first_seq, 0, 0, 0, 0}, data, data + h.bytes, h.count, h.thread};
    while (advance(probe)) ++records;
    ++chunks;
    at += bytes;
  }
  Cursor* heap = chunks ? static_cast<Cursor*>(map_pages(chunks * sizeof(Cursor))) : nullptr;
  if (chunks && !heap) return;
  std::size_t n = 0;
  for (std::size_t at = 0, c = 0; c < chunks; ++c) {
    ChunkHeader h;
    std::memcpy(&h, base + at, sizeof h);
    const auto* data = reinterpret_cast<const std::uint8_t*>(base + at + sizeof h);
    Cursor cur{RawRecord{h.first_seq, 0, 0, 0, 0}, data, data + h.bytes, h.count, h.thread};
    if (advance(cur)) heap[n++] = cur;
    at += sizeof h + h.bytes;
  }
  for (std::size_t i = n; i-- > 0;) sift_down(heap, n, i);

  int fd = open(g_tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  static OutBuffer out(fd);  // static: 64 KiB is too much for a signal stack
  out = OutBuffer(fd);
  char date[32];
  std::size_t date_len = format_date(date);
  std::string_view program(g_program), command(g_command), date_sv(date, date_len);
  std::uint8_t* p = out.reserve(trace::header_bytes_max(program, command, date_sv));
  out.commit(trace::encode_header(p, program, command, date_sv, threads, records));
  trace::BinaryOpEncoder enc;
  std::size_t written = 0;
  while (n > 0) {
    const RawRecord& r = heap[0].cur;
    trace::Op op;
    op.kind = static_cast<trace::OpKind>(r.kind);
    op.align_code = r.align_code;
    op.thread = heap[0].thread;
    op.size = r.size;
    switch (op.kind) {
      case trace::OpKind::kAlloc:
        op.id = r.seq;
        break;
      case trace::OpKind::kCalloc:
        op.id = r.seq;
        op.count = r.ref;
        break;
      case trace::OpKind::kFree:
        op.id = r.ref;
        break;
      case trace::OpKind::kRealloc:
        op.id = r.seq;
        op.old_id = r.ref;
        break;
    }
    out.commit(enc.encode(op, out.reserve(trace::kMaxOpBytes)));
    ++written;
    if (!advance(heap[0])) heap[0] = heap[--n];
    sift_down(heap, n, 0);
  }
  // A chunk that did not decode in full would leave the header's op count
  // wrong: better no trace than an invalid one.
  if (written != records) g_write_failed.store(true);
  *out.reserve(1) = trace::kEndMarker;
  out.commit(1);
  out.drain();
  close(fd);
  if (!g_write_failed.load()) rename(g_tmp_path, g_out_path);
  if (heap) munmap(heap, chunks * sizeof(Cursor));
  if (base) munmap(const_cast<char*>(base), spool_len);
}

void finalize() {
  // A vfork()ed child shares our memory and reaches _exit without fork's
  // handlers: it must not finish the parent's recording.
  if (getpid() != g_recording_pid) return;
  int expected = kRecording;
  if (!g_state.compare_exchange_strong(expected, kFinished)) return;
  ++t_guard;
  for (ThreadBuffer* b = g_buffers.load(); b; b = b->next_all) flush(b, true);
  merge_spool();
  close(g_spool_fd);
  unlink(g_spool_path);
  if (g_write_failed.load()) {
    static const char msg[] =
        "stalloc-record: writing the trace failed (disk full?); no trace written\n";
    write_all(2, msg, sizeof msg - 1);
    unlink(g_tmp_path);
  }
  --t_guard;
}

// ---- setup -----------------------------------------------------------------

void after_fork_in_child() {
  // The child shares the parent's spool descriptor and buffered records:
  // it stops recording (if it execs, the new program records on its own).
  if (g_state.load() == kRecording) g_state.store(kOff);
}

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT,
                                 SIGTERM, SIGINT, SIGHUP, SIGQUIT};

void on_fatal_signal(int sig) {
  finalize();
  signal(sig, SIG_DFL);
  raise(sig);
}

void install_signal_handlers() {
  for (int sig : kFatalSignals) {
    struct sigaction old;
    if (sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL)
      continue;  // the program's choice
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigaction(sig, &sa, nullptr);
  }
}

bool copy(char* out, std::size_t cap, const char* a, const char* b = "", const char* c = "") {
  std::size_t n = 0;
  for (const char* s : {a, b, c})
    for (; *s; ++s) {
      if (n + 1 >= cap) return false;
      out[n++] = *s;
    }
  out[n] = '\0';
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

__attribute__((constructor)) void start_recording(int argc, char** argv, char**) {
  const char* target = getenv("STALLOC_TRACE");
  if (!target || !*target) return;
  ++t_guard;
  // The executable's name, for the header and the STALLOC_TRACE_PROGRAM filter.
  char exe[kPathMax];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[len > 0 ? len : 0] = '\0';
  const char* base = std::strrchr(exe, '/') ? std::strrchr(exe, '/') + 1 : exe;
  copy(g_program, sizeof g_program, base);
  if (const char* only = getenv("STALLOC_TRACE_PROGRAM");
      only && *only && std::strcmp(only, base) != 0) {
    --t_guard;
    return;
  }
  std::size_t n = 0;
  for (int i = 0; i < argc && argv; ++i)
    for (const char* s = argv[i]; s && (*s || i + 1 < argc); ++s) {
      if (n >= kCommandMax) break;
      g_command[n++] = *s ? *s : ' ';
      if (!*s) break;
    }
  g_command[n] = '\0';

  // The first recording process writes STALLOC_TRACE itself; processes it
  // starts (exec'd children inherit the environment) write STALLOC_TRACE.PID.
  char pid[24];
  decimal(pid, static_cast<long>(getpid()));
  bool is_root = getenv("STALLOC_TRACE_ROOT") == nullptr;
  bool ok =
      is_root ? copy(g_out_path, kPathMax, target) : copy(g_out_path, kPathMax, target, ".", pid);
  ok = ok && copy(g_tmp_path, kPathMax, g_out_path, ".tmp");
  ok = ok && copy(g_spool_path, kPathMax, g_out_path, ".spool");
  if (!ok) {
    static const char msg[] = "stalloc-record: STALLOC_TRACE path too long; not recording\n";
    write_all(2, msg, sizeof msg - 1);
    --t_guard;
    return;
  }
  if (is_root) setenv("STALLOC_TRACE_ROOT", pid, 1);
  g_spool_fd = open(g_spool_path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (g_spool_fd < 0) {
    static const char msg[] =
        "stalloc-record: cannot create the spool file next to STALLOC_TRACE; not recording\n";
    write_all(2, msg, sizeof msg - 1);
    --t_guard;
    return;
  }
  pthread_key_create(&g_thread_key, on_thread_exit);
  pthread_atfork(nullptr, nullptr, after_fork_in_child);
  install_signal_handlers();
  g_recording_pid = getpid();
  g_state.store(kRecording);
  --t_guard;
}

__attribute__((destructor)) void stop_recording() {
  finalize();
}

using UsableSizeFn = std::size_t (*)(void*);
std::atomic<UsableSizeFn> g_real_usable_size{nullptr};

}  // namespace

// ---- the interposed C ABI ----------------------------------------------------

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
  if (rec) record_free(p);  // before the real free: see the header comment
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
  std::uint64_t old_id = map_take(p);
  if (size == 0) {  // glibc: realloc(p, 0) frees p and returns NULL
    if (old_id) record(trace::OpKind::kFree, next_seq(), old_id, 0, 0);
    return __libc_realloc(p, 0);
  }
  void* q = __libc_realloc(p, size);
  if (!q) {  // failed: p is untouched and keeps its id
    if (old_id) map_insert(p, old_id);
    return q;
  }
  std::uint64_t seq = next_seq();
  map_insert(q, seq);
  if (old_id)
    record(trace::OpKind::kRealloc, seq, old_id, size, 0);
  else  // a block from before recording started: a new block to us
    record(trace::OpKind::kAlloc, seq, 0, size, 0);
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
  auto page = static_cast<std::size_t>(getpagesize());
  if (rec && p) record_new(trace::OpKind::kAlloc, p, (size + page - 1) / page * page, 0, page);
  return p;
}

// Not an allocation: forwarded unrecorded. glibc has no __libc_ name for it,
// so it is looked up once, guarded (dlsym may allocate).
STALLOC_EXPORT std::size_t malloc_usable_size(void* p) {
  UsableSizeFn fn = g_real_usable_size.load(std::memory_order_acquire);
  if (!fn) {
    ++t_guard;
    fn = reinterpret_cast<UsableSizeFn>(dlsym(RTLD_NEXT, "malloc_usable_size"));
    --t_guard;
    if (!fn) return 0;
    g_real_usable_size.store(fn, std::memory_order_release);
  }
  return fn(p);
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
