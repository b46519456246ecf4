#include "merge.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

#include "spool.hpp"
#include "state.hpp"
#include "workloads/trace/binary_format.hpp"

namespace recorder {
namespace {

namespace trace = workloads::trace;

// A chunk being merged: its next record decoded, and where the rest is.
struct Cursor {
  std::uint64_t seq;
  trace::Op op;
  const std::uint8_t* p;
  const std::uint8_t* end;
  std::uint32_t left;  // records after `op`
  trace::BinaryOpDecoder decoder;
};

// Decodes the next record of c; false at the end of the chunk (or if the
// chunk is damaged: the rest of it is dropped).
bool advance(Cursor& c) {
  if (c.left == 0) return false;
  --c.left;
  std::uint64_t delta;
  std::size_t n = c.p < c.end ? trace::get_varint(c.p, c.end, delta) : 0;
  if (n == 0) return c.left = 0, false;
  c.p += n;
  n = c.decoder.decode(c.p, c.end, c.op);
  if (n == 0) return c.left = 0, false;
  c.p += n;
  c.seq += delta;
  return true;
}

void sift_down(Cursor* heap, std::size_t n, std::size_t i) {
  for (;;) {
    const std::size_t l = 2 * i + 1, r = l + 1;
    std::size_t m = i;
    if (l < n && heap[l].seq < heap[m].seq) m = l;
    if (r < n && heap[r].seq < heap[m].seq) m = r;
    if (m == i) return;
    const Cursor t = heap[i];
    heap[i] = heap[m];
    heap[m] = t;
    i = m;
  }
}

// gmtime_r may take glibc's time zone lock, which the interrupted thread may
// hold: the civil date is computed here (Howard Hinnant's days -> y/m/d).
std::size_t format_date(char* out) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const long long secs = now.tv_sec;
  long long days = secs / 86400, rem = secs % 86400;
  days += 719468;
  const long long era = days / 146097;
  const long long doe = days - era * 146097;
  const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long long mp = (5 * doy + 2) / 153;
  const long long day = doy - (153 * mp + 2) / 5 + 1;
  const long long month = mp < 10 ? mp + 3 : mp - 9;
  const long long year = yoe + era * 400 + (month <= 2);
  const long long v[6] = {year, month, day, rem / 3600, rem / 60 % 60, rem % 60};
  const int width[6] = {4, 2, 2, 2, 2, 2};
  const char sep[6] = {'-', '-', 'T', ':', ':', 'Z'};
  std::size_t n = 0;
  for (int i = 0; i < 6; ++i) {
    long long div = 1;
    for (int w = 1; w < width[i]; ++w) div *= 10;
    for (; div > 0; div /= 10) out[n++] = static_cast<char>('0' + v[i] / div % 10);
    out[n++] = sep[i];
  }
  return n;
}

// A static buffer: 64 KiB is too much for a signal stack, and only the one
// finishing thread ever merges.
class OutBuffer {
 public:
  void start(int fd) {
    fd_ = fd;
    len_ = 0;
    ok_ = true;
  }
  std::uint8_t* reserve(std::size_t n) {
    if (len_ + n > sizeof buf_) drain();
    return buf_ + len_;
  }
  void commit(std::size_t n) { len_ += n; }
  bool drain() {
    ok_ = ok_ && write_all(fd_, buf_, len_);
    len_ = 0;
    return ok_;
  }

 private:
  int fd_ = -1;
  std::size_t len_ = 0;
  bool ok_ = true;
  std::uint8_t buf_[1 << 16];
};
OutBuffer g_out;

// One bit per id: which blocks the written trace has live.
class LiveBits {
 public:
  bool map(std::uint64_t max_id) {
    bytes_ = max_id / 8 + 1;
    void* m = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return false;
    bits_ = static_cast<std::uint8_t*>(m);
    max_ = max_id;
    return true;
  }
  ~LiveBits() {
    if (bits_) munmap(bits_, bytes_);
  }
  bool in_range(std::uint64_t id) const { return id != 0 && id <= max_; }
  bool test(std::uint64_t id) const { return in_range(id) && (bits_[id / 8] >> (id % 8)) & 1; }
  void set(std::uint64_t id) {
    bits_[id / 8] = static_cast<std::uint8_t>(bits_[id / 8] | 1u << (id % 8));
  }
  void clear(std::uint64_t id) {
    bits_[id / 8] = static_cast<std::uint8_t>(bits_[id / 8] & ~(1u << (id % 8)));
  }

 private:
  std::uint8_t* bits_ = nullptr;
  std::size_t bytes_ = 0;
  std::uint64_t max_ = 0;
};

// Whether op can go into the trace as it stands, given the blocks live so
// far; a realloc of a block the trace never saw becomes an allocation.
bool admit(trace::Op& op, LiveBits& live) {
  switch (op.kind) {
    case trace::OpKind::kAlloc:
    case trace::OpKind::kCalloc:
      if (!live.in_range(op.id) || live.test(op.id)) return false;
      live.set(op.id);
      return true;
    case trace::OpKind::kFree:
      if (!live.test(op.id)) return false;
      live.clear(op.id);
      return true;
    case trace::OpKind::kRealloc:
      if (!live.in_range(op.id) || live.test(op.id)) return false;
      if (live.test(op.old_id)) {
        live.clear(op.old_id);
      } else {
        op.kind = trace::OpKind::kAlloc;
        op.old_id = 0;
      }
      live.set(op.id);
      return true;
  }
  return false;
}

}  // namespace

long long merge_spool(int spool_fd, const char* tmp_path, const TraceHeaderText& header,
                      std::uint64_t max_id) {
  struct stat st;
  if (spool_fd < 0 || fstat(spool_fd, &st) != 0) return -1;
  const auto spool_len = static_cast<std::size_t>(st.st_size);
  const std::uint8_t* base = nullptr;
  if (spool_len > 0) {
    void* m = mmap(nullptr, spool_len, PROT_READ, MAP_PRIVATE, spool_fd, 0);
    if (m == MAP_FAILED) return -1;
    base = static_cast<const std::uint8_t*>(m);
  }
  // Pass 1: the chunks (up to the first damaged one) and the thread count.
  std::size_t chunks = 0;
  std::uint32_t threads = 0;
  for (std::size_t at = 0; at + sizeof(ChunkHeader) <= spool_len; ++chunks) {
    ChunkHeader h;
    std::memcpy(&h, base + at, sizeof h);
    if (h.magic != kChunkMagic || h.bytes > kBufferBytes || h.thread >= trace::kMaxThreads ||
        at + sizeof h + h.bytes > spool_len)
      break;
    if (h.thread + 1 > threads) threads = h.thread + 1;
    at += sizeof h + h.bytes;
  }
  const std::size_t heap_bytes = (chunks ? chunks : 1) * sizeof(Cursor);
  void* heap_mem =
      mmap(nullptr, heap_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  LiveBits live;
  const int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  long long written = -1;
  if (heap_mem != MAP_FAILED && live.map(max_id) && fd >= 0) {
    auto* heap = static_cast<Cursor*>(heap_mem);
    std::size_t n = 0;
    for (std::size_t at = 0, c = 0; c < chunks; ++c) {
      ChunkHeader h;
      std::memcpy(&h, base + at, sizeof h);
      Cursor& cur = heap[n];
      cur = Cursor{};
      cur.seq = h.first_seq;
      cur.p = base + at + sizeof h;
      cur.end = cur.p + h.bytes;
      cur.left = h.count;
      if (advance(cur)) ++n;
      at += sizeof h + h.bytes;
    }
    for (std::size_t i = n; i-- > 0;) sift_down(heap, n, i);

    g_out.start(fd);
    char date[32];
    const std::size_t date_len = format_date(date);
    const std::string_view program(header.program), command(header.command),
        date_sv(date, date_len);
    std::uint8_t* p = g_out.reserve(trace::header_bytes_max(program, command, date_sv));
    const std::size_t head_len =
        trace::encode_header_padded(p, program, command, date_sv, threads, 0);
    g_out.commit(head_len);
    trace::BinaryOpEncoder enc;
    std::uint64_t ops = 0, last_seq = 0;
    while (n > 0) {
      Cursor& top = heap[0];
      // The same record twice (a flush a signal interrupted, written again
      // by the finisher) has the same sequence number: keep one.
      if (top.seq != last_seq && admit(top.op, live)) {
        g_out.commit(enc.encode(top.op, g_out.reserve(trace::kMaxOpBytes)));
        ++ops;
      }
      last_seq = top.seq;
      if (!advance(top)) heap[0] = heap[--n];
      sift_down(heap, n, 0);
    }
    *g_out.reserve(1) = trace::kEndMarker;
    g_out.commit(1);
    std::uint8_t count[trace::kMaxVarintBytes];
    trace::put_varint_padded(count, ops);
    if (g_out.drain() && pwrite(fd, count, sizeof count,
                                static_cast<off_t>(trace::padded_op_count_offset(head_len))) ==
                             static_cast<ssize_t>(sizeof count))
      written = static_cast<long long>(ops);
  }
  if (fd >= 0 && close(fd) != 0) written = -1;
  if (heap_mem != MAP_FAILED) munmap(heap_mem, heap_bytes);
  if (base) munmap(const_cast<std::uint8_t*>(base), spool_len);
  return written;
}

}  // namespace recorder
