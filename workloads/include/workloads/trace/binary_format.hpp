// The binary trace format (see workloads/TRACES.md): a magic number, a
// varint header and one variable-length record per op, ended by a 0 byte.
//
// Records are delta-encoded against the last block created, because programs
// mostly free what they allocated recently: a typical op is 2-4 bytes before
// compression.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "workloads/trace/byte_source.hpp"
#include "workloads/trace/op.hpp"
#include "workloads/trace/reader.hpp"
#include "workloads/trace/varint.hpp"

namespace workloads::trace {

inline constexpr std::uint8_t kBinaryMagic[8] = {0x89, 'S', 'T', 'L', 'T', 'R', 'C', '\n'};
inline constexpr std::uint8_t kEndMarker = 0;
inline constexpr std::size_t kMaxOpBytes = 64;  // 1 tag + at most 5 varints

// Tag byte: kind in bits 0-2, "thread follows" in bit 3, align code in bits
// 4-7 (15: the align code follows as a varint).
inline constexpr std::uint8_t kTagThreadFlag = 0x08;
inline constexpr std::uint8_t kTagAlignEscape = 15;

// Encodes the header into out (which must hold header_bytes_max(...) bytes).
// Takes string_views and writes to a caller buffer so that the recorder can
// call it without allocating.
inline std::size_t header_bytes_max(std::string_view program, std::string_view cmd,
                                    std::string_view date) {
  return sizeof kBinaryMagic + 5 * kMaxVarintBytes + program.size() + cmd.size() + date.size();
}
inline std::size_t encode_header(std::uint8_t* out, std::string_view program, std::string_view cmd,
                                 std::string_view date, std::uint32_t threads, std::uint64_t ops) {
  std::size_t n = 0;
  std::memcpy(out, kBinaryMagic, sizeof kBinaryMagic);
  n += sizeof kBinaryMagic;
  n += put_varint(out + n, kFormatVersion);
  for (std::string_view s : {program, cmd, date}) {
    n += put_varint(out + n, s.size());
    std::memcpy(out + n, s.data(), s.size());
    n += s.size();
  }
  n += put_varint(out + n, threads);
  n += put_varint(out + n, ops);
  return n;
}

// Where encode_header put the op count when it was asked to pad it: the
// count's kMaxVarintBytes bytes end the header.
inline std::size_t padded_op_count_offset(std::size_t header_len) {
  return header_len - kMaxVarintBytes;
}

// As encode_header, with the op count padded to kMaxVarintBytes so that it
// can be rewritten once known (put_varint_padded at padded_op_count_offset).
inline std::size_t encode_header_padded(std::uint8_t* out, std::string_view program,
                                        std::string_view cmd, std::string_view date,
                                        std::uint32_t threads, std::uint64_t ops) {
  std::size_t n = encode_header(out, program, cmd, date, threads, 0) - 1;  // 0 takes one byte
  put_varint_padded(out + n, ops);
  return n + kMaxVarintBytes;
}

// Stateful op encoder: each record is relative to the previous one.
class BinaryOpEncoder {
 public:
  // Writes op at out (kMaxOpBytes available); returns the bytes written.
  std::size_t encode(const Op& op, std::uint8_t* out) {
    std::size_t n = 1;
    std::uint8_t tag = static_cast<std::uint8_t>(op.kind);
    if (op.thread != thread_) {
      tag |= kTagThreadFlag;
      n += put_varint(out + n, op.thread);
      thread_ = op.thread;
    }
    if (op.align_code >= kTagAlignEscape) {
      tag |= kTagAlignEscape << 4;
      n += put_varint(out + n, op.align_code);
    } else {
      tag |= static_cast<std::uint8_t>(op.align_code << 4);
    }
    out[0] = tag;
    auto delta = [](std::uint64_t a, std::uint64_t b) {
      return zigzag(static_cast<std::int64_t>(a - b));
    };
    switch (op.kind) {
      case OpKind::kAlloc:
        n += put_varint(out + n, delta(op.id, last_new_));
        n += put_varint(out + n, op.size);
        break;
      case OpKind::kCalloc:
        n += put_varint(out + n, delta(op.id, last_new_));
        n += put_varint(out + n, op.count);
        n += put_varint(out + n, op.size);
        break;
      case OpKind::kFree:
        n += put_varint(out + n, delta(last_new_, op.id));
        break;
      case OpKind::kRealloc:
        n += put_varint(out + n, delta(last_new_, op.old_id));
        n += put_varint(out + n, delta(op.id, last_new_));
        n += put_varint(out + n, op.size);
        break;
    }
    if (op.creates_block()) last_new_ = op.id;
    return n;
  }

 private:
  std::uint64_t last_new_ = 0;
  std::uint32_t thread_ = 0;
};

// The encoder's inverse for records in memory, without allocating or
// throwing (the recorder decodes its spool with it, also from a signal
// handler). BinaryReader below does the same on a stream, with located errors.
class BinaryOpDecoder {
 public:
  // Decodes the record at [p, end) into op; returns its length, or 0 if it is
  // truncated or breaks a limit (then nothing changes).
  std::size_t decode(const std::uint8_t* p, const std::uint8_t* end, Op& op) {
    const std::uint8_t* q = p;
    auto next = [&](std::uint64_t& v) {
      const std::size_t n = q < end ? get_varint(q, end, v) : 0;
      q += n;
      return n != 0;
    };
    if (p >= end) return 0;
    const std::uint8_t tag = *q++;
    const unsigned kind = tag & 0x07;
    if (kind < 1 || kind > 4) return 0;
    Op o;
    o.kind = static_cast<OpKind>(kind);
    std::uint64_t thread = thread_, align = tag >> 4, a, b, c;
    if ((tag & kTagThreadFlag) && (!next(thread) || thread >= kMaxThreads)) return 0;
    if (align == kTagAlignEscape && !next(align)) return 0;
    if (align > kMaxAlignLog2 + 1 || (align != 0 && o.kind == OpKind::kFree)) return 0;
    o.thread = static_cast<std::uint32_t>(thread);
    o.align_code = static_cast<std::uint8_t>(align);
    auto unz = [](std::uint64_t v) { return static_cast<std::uint64_t>(unzigzag(v)); };
    switch (o.kind) {
      case OpKind::kAlloc:
        if (!next(a) || !next(b) || b > kMaxSize) return 0;
        o.id = last_new_ + unz(a);
        o.size = b;
        break;
      case OpKind::kCalloc:
        if (!next(a) || !next(b) || !next(c) || b > kMaxSize || c > kMaxSize) return 0;
        if (c != 0 && b > kMaxSize / c) return 0;
        o.id = last_new_ + unz(a);
        o.count = b;
        o.size = c;
        break;
      case OpKind::kFree:
        if (!next(a)) return 0;
        o.id = last_new_ - unz(a);
        break;
      case OpKind::kRealloc:
        if (!next(a) || !next(b) || !next(c) || c > kMaxSize) return 0;
        o.old_id = last_new_ - unz(a);
        o.id = last_new_ + unz(b);
        o.size = c;
        break;
    }
    thread_ = o.thread;
    if (o.creates_block()) last_new_ = o.id;
    op = o;
    return static_cast<std::size_t>(q - p);
  }

 private:
  std::uint64_t last_new_ = 0;
  std::uint32_t thread_ = 0;
};

// Writes a whole trace. The header's counts are taken from `ops`, so they
// always agree with the records.
inline void write_binary(std::FILE* f, const std::string& name, Header header,
                         const std::vector<Op>& ops) {
  std::uint32_t threads = 0;
  for (const Op& op : ops) threads = std::max(threads, op.thread + 1);
  header.thread_count = std::max(header.thread_count, threads);
  header.op_count = ops.size();
  // new[] never returns null, which keeps -Wnull-dereference quiet.
  auto head = std::make_unique<std::uint8_t[]>(
      header_bytes_max(header.program, header.command_line, header.date));
  std::size_t head_len = encode_header(head.get(), header.program, header.command_line, header.date,
                                       header.thread_count, header.op_count);
  std::vector<std::uint8_t> buf(head.get(), head.get() + head_len);
  BinaryOpEncoder enc;
  std::uint8_t rec[kMaxOpBytes];
  for (const Op& op : ops) {
    std::size_t k = enc.encode(op, rec);
    buf.insert(buf.end(), rec, rec + k);
    if (buf.size() >= (1u << 20)) {
      if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size())
        throw TraceError(name + ": write error");
      buf.clear();
    }
  }
  buf.push_back(kEndMarker);
  if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size())
    throw TraceError(name + ": write error");
}

class BinaryReader final : public Reader {
 public:
  // `in` must be positioned at the magic number.
  explicit BinaryReader(Input& in) : in_(in) {
    in_.fill(sizeof kBinaryMagic);
    if (in_.avail() < sizeof kBinaryMagic ||
        std::memcmp(in_.peek(), kBinaryMagic, sizeof kBinaryMagic) != 0)
      in_.fail("not a binary stalloc trace (bad magic number)");
    in_.skip(sizeof kBinaryMagic);
    std::uint64_t at = in_.offset();
    header_.version = varint("format version");
    if (header_.version != kFormatVersion)
      in_.fail("unsupported trace format version " + std::to_string(header_.version) +
                   " (this build reads version " + std::to_string(kFormatVersion) + ")",
               at);
    header_.program = string("program name");
    header_.command_line = string("command line");
    header_.date = string("date");
    at = in_.offset();
    std::uint64_t threads = varint("thread count");
    if (threads > kMaxThreads)
      in_.fail("thread count " + std::to_string(threads) + " exceeds the limit of " +
                   std::to_string(kMaxThreads),
               at);
    header_.thread_count = static_cast<std::uint32_t>(threads);
    header_.op_count = varint("op count");
  }

  const Header& header() const override { return header_; }
  std::string where() const override { return in_.name() + ": byte " + std::to_string(op_start_); }

  bool next(Op& op) override {
    op_start_ = in_.offset();
    in_.fill(kMaxOpBytes);
    if (in_.avail() == 0)
      in_.fail("truncated trace: the header announces " + std::to_string(header_.op_count) +
               " ops, the data ends after " + std::to_string(read_) + " without the end marker");
    std::uint8_t tag = *in_.peek();
    if (tag == kEndMarker) {
      if (read_ != header_.op_count)
        in_.fail("the header announces " + std::to_string(header_.op_count) + " ops, found " +
                 std::to_string(read_));
      in_.skip(1);
      if (!in_.at_end()) in_.fail("unexpected data after the end marker");
      return false;
    }
    if (read_ == header_.op_count)
      in_.fail("more ops than the " + std::to_string(header_.op_count) + " the header announces");
    in_.skip(1);
    unsigned kind = tag & 0x07;
    if (kind < 1 || kind > 4) in_.fail("unknown op kind " + std::to_string(kind), op_start_);
    op = Op{};
    op.kind = static_cast<OpKind>(kind);
    if (tag & kTagThreadFlag) {
      std::uint64_t at = in_.offset();
      std::uint64_t t = varint("thread");
      if (t >= header_.thread_count)
        in_.fail("thread " + std::to_string(t) + " out of range (the header says " +
                     std::to_string(header_.thread_count) + " threads)",
                 at);
      thread_ = static_cast<std::uint32_t>(t);
    }
    op.thread = thread_;
    std::uint64_t align = tag >> 4;
    if (align == kTagAlignEscape) {
      std::uint64_t at = in_.offset();
      align = varint("alignment");
      if (align > kMaxAlignLog2 + 1) in_.fail("absurd alignment code " + std::to_string(align), at);
    }
    if (align != 0 && op.kind == OpKind::kFree)
      in_.fail("a free has no alignment (tag " + std::to_string(tag) + ")", op_start_);
    op.align_code = static_cast<std::uint8_t>(align);
    switch (op.kind) {
      case OpKind::kAlloc:
        op.id = last_new_ + static_cast<std::uint64_t>(unzigzag(varint("id")));
        op.size = size("size");
        break;
      case OpKind::kCalloc: {
        op.id = last_new_ + static_cast<std::uint64_t>(unzigzag(varint("id")));
        std::uint64_t at = in_.offset();
        op.count = size("element count");
        op.size = size("element size");
        if (op.size != 0 && op.count > kMaxSize / op.size)
          in_.fail(
              "absurd calloc size " + std::to_string(op.count) + " x " + std::to_string(op.size),
              at);
        break;
      }
      case OpKind::kFree:
        op.id = last_new_ - static_cast<std::uint64_t>(unzigzag(varint("id")));
        break;
      case OpKind::kRealloc:
        op.old_id = last_new_ - static_cast<std::uint64_t>(unzigzag(varint("old id")));
        op.id = last_new_ + static_cast<std::uint64_t>(unzigzag(varint("new id")));
        op.size = size("size");
        break;
    }
    if (op.creates_block()) last_new_ = op.id;
    ++read_;
    return true;
  }

 private:
  std::uint64_t varint(const char* what) {
    std::uint64_t at = in_.offset();
    in_.fill(kMaxVarintBytes);
    std::uint64_t v;
    std::size_t n = get_varint(in_.peek(), in_.peek() + in_.avail(), v);
    if (n == 0) {
      if (in_.avail() < kMaxVarintBytes)
        in_.fail(std::string("truncated trace: the data ends inside the ") + what, at);
      in_.fail(std::string("malformed varint (") + what + ")", at);
    }
    in_.skip(n);
    return v;
  }
  std::uint64_t size(const char* what) {
    std::uint64_t at = in_.offset();
    std::uint64_t v = varint(what);
    if (v > kMaxSize) in_.fail(std::string("absurd ") + what + " " + std::to_string(v), at);
    return v;
  }
  std::string string(const char* what) {
    std::uint64_t at = in_.offset();
    std::uint64_t len = varint(what);
    if (len > kMaxHeaderString)
      in_.fail(std::string(what) + " is too long (" + std::to_string(len) + " bytes)", at);
    if (in_.fill(len) < len)
      in_.fail(std::string("truncated trace: the data ends inside the ") + what, at);
    std::string s(reinterpret_cast<const char*>(in_.peek()), len);
    in_.skip(len);
    return s;
  }

  Input& in_;
  Header header_;
  std::uint64_t read_ = 0;
  std::uint64_t op_start_ = 0;
  std::uint64_t last_new_ = 0;
  std::uint32_t thread_ = 0;
};

}  // namespace workloads::trace
