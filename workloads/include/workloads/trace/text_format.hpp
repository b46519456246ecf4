// The text trace format: one op per line, for reading traces and writing
// small cases by hand (see workloads/TRACES.md).
//
//   stalloc-trace 1
//   program demo
//   threads 2
//   a 0 1 64        thread 0 allocates block 1, 64 bytes, malloc alignment
//   a 0 2 100 64    ... block 2, 100 bytes, aligned to 64
//   c 1 3 4 16      thread 1: calloc block 3, 4 elements of 16 bytes
//   r 1 1 4 200     thread 1 reallocs block 1 to 200 bytes; it becomes block 4
//   f 0 2           thread 0 frees block 2
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "workloads/trace/byte_source.hpp"
#include "workloads/trace/op.hpp"
#include "workloads/trace/reader.hpp"

namespace workloads::trace {

inline constexpr std::string_view kTextMagic = "stalloc-trace";
inline constexpr std::size_t kMaxTextLine = 1u << 20;

// Header strings are one line each, and the text form must give back the
// exact bytes: a backslash, control characters (tab, newline, CR, ...) and a
// space at either end (the reader strips those) are written as \\ and \xHH.
inline std::string escape_header(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool edge_space = c == ' ' && (i == 0 || i + 1 == s.size());
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f || edge_space) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// The inverse of escape_header. A backslash that starts neither escape is
// kept as it is, so text traces written before escaping existed still read.
inline std::string unescape_header(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '\\') {
      out += '\\';
      ++i;
    } else if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && hex(s[i + 2]) >= 0 &&
               hex(s[i + 3]) >= 0) {
      out += static_cast<char>(hex(s[i + 2]) * 16 + hex(s[i + 3]));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

inline std::string format_op(const Op& op) {
  std::string s;
  auto num = [&](std::uint64_t v) {
    s += ' ';
    s += std::to_string(v);
  };
  switch (op.kind) {
    case OpKind::kAlloc:
      s = "a";
      break;
    case OpKind::kCalloc:
      s = "c";
      break;
    case OpKind::kFree:
      s = "f";
      break;
    case OpKind::kRealloc:
      s = "r";
      break;
  }
  num(op.thread);
  if (op.kind == OpKind::kRealloc) num(op.old_id);
  num(op.id);
  if (op.kind == OpKind::kCalloc) num(op.count);
  if (op.kind != OpKind::kFree) num(op.size);
  if (op.align_code != 0) num(align_bytes(op.align_code));
  return s;
}

inline void write_text(std::FILE* f, const std::string& name, Header header,
                       const std::vector<Op>& ops) {
  std::uint32_t threads = 0;
  for (const Op& op : ops) threads = std::max(threads, op.thread + 1);
  std::string out = std::string(kTextMagic) + " " + std::to_string(kFormatVersion) + "\n";
  out += "program " + escape_header(header.program) + "\n";
  out += "command " + escape_header(header.command_line) + "\n";
  out += "date " + escape_header(header.date) + "\n";
  out += "threads " + std::to_string(std::max(header.thread_count, threads)) + "\n";
  out += "ops " + std::to_string(ops.size()) + "\n";
  for (const Op& op : ops) {
    out += format_op(op);
    out += '\n';
    if (out.size() >= (1u << 20)) {
      if (std::fwrite(out.data(), 1, out.size(), f) != out.size())
        throw TraceError(name + ": write error");
      out.clear();
    }
  }
  if (std::fwrite(out.data(), 1, out.size(), f) != out.size())
    throw TraceError(name + ": write error");
}

class TextReader final : public Reader {
 public:
  explicit TextReader(Input& in) : in_(in) {
    std::string_view line;
    if (!read_line(line)) fail("empty file");
    auto words = split(line);
    if (words.size() != 2 || words[0] != kTextMagic)
      fail("not a text stalloc trace (expected 'stalloc-trace 1')");
    header_.version = number(words[1], "format version");
    if (header_.version != kFormatVersion)
      fail("unsupported trace format version " + std::to_string(header_.version) +
           " (this build reads version " + std::to_string(kFormatVersion) + ")");
    header_.thread_count = 0;
    header_.op_count = 0;
    // Header keys until the first op line.
    while (read_line(line)) {
      std::string_view body = strip(line);
      if (body.empty() || body[0] == '#') continue;
      auto sp = body.find(' ');
      std::string_view key = body.substr(0, sp);
      std::string_view value =
          sp == std::string_view::npos ? std::string_view{} : strip(body.substr(sp + 1));
      if (key == "program") {
        header_.program = header_string(value, "program name");
      } else if (key == "command") {
        header_.command_line = header_string(value, "command line");
      } else if (key == "date") {
        header_.date = header_string(value, "date");
      } else if (key == "threads") {
        std::uint64_t t = number(value, "thread count");
        if (t > kMaxThreads)
          fail("thread count " + std::to_string(t) + " exceeds the limit of " +
               std::to_string(kMaxThreads));
        header_.thread_count = static_cast<std::uint32_t>(t);
        have_threads_ = true;
      } else if (key == "ops") {
        header_.op_count = number(value, "op count");
        have_ops_ = true;
      } else {
        pending_ = body;
        pending_line_ = line_;
        have_pending_ = true;
        break;
      }
    }
  }

  const Header& header() const override { return header_; }
  std::string where() const override { return in_.name() + ": line " + std::to_string(op_line_); }

  bool next(Op& op) override {
    std::string_view body;
    for (;;) {
      if (have_pending_) {
        body = pending_;
        op_line_ = pending_line_;
        have_pending_ = false;
      } else {
        std::string_view line;
        if (!read_line(line)) {
          if (have_ops_ && read_ != header_.op_count)
            fail("the header announces " + std::to_string(header_.op_count) + " ops, found " +
                 std::to_string(read_));
          if (!have_ops_) header_.op_count = read_;
          if (!have_threads_) header_.thread_count = max_thread_;
          return false;
        }
        body = strip(line);
        op_line_ = line_;
      }
      if (!body.empty() && body[0] != '#') break;
    }
    if (auto hash = body.find('#'); hash != std::string_view::npos)
      body = strip(body.substr(0, hash));
    auto w = split(body);
    op = Op{};
    std::size_t want = 0;
    if (w[0] == "a") {
      op.kind = OpKind::kAlloc;
      want = 4;
    } else if (w[0] == "c") {
      op.kind = OpKind::kCalloc;
      want = 5;
    } else if (w[0] == "f") {
      op.kind = OpKind::kFree;
      want = 3;
    } else if (w[0] == "r") {
      op.kind = OpKind::kRealloc;
      want = 5;
    } else {
      fail("unknown op '" + std::string(w[0]) + "' (expected a, c, f or r)");
    }
    bool has_align = op.kind != OpKind::kFree && w.size() == want + 1;
    if (w.size() != want && !has_align)
      fail("'" + std::string(w[0]) + "' takes " + std::to_string(want - 1) + " numbers" +
           (op.kind != OpKind::kFree ? " (and an optional alignment)" : "") + ", got " +
           std::to_string(w.size() - 1));
    std::uint64_t t = number(w[1], "thread");
    if (t >= kMaxThreads || (have_threads_ && t >= header_.thread_count))
      fail("thread " + std::to_string(t) + " out of range");
    op.thread = static_cast<std::uint32_t>(t);
    max_thread_ = std::max<std::uint32_t>(max_thread_, op.thread + 1);
    std::size_t i = 2;
    if (op.kind == OpKind::kRealloc) op.old_id = number(w[i++], "old id");
    op.id = number(w[i++], "id");
    if (op.kind == OpKind::kCalloc) op.count = size(w[i++], "element count");
    if (op.kind != OpKind::kFree)
      op.size = size(w[i++], op.kind == OpKind::kCalloc ? "element size" : "size");
    if (op.kind == OpKind::kCalloc && op.size != 0 && op.count > kMaxSize / op.size)
      fail("absurd calloc size " + std::to_string(op.count) + " x " + std::to_string(op.size));
    if (has_align) {
      std::uint64_t a = number(w[i], "alignment");
      if (a == 0 || (a & (a - 1)) != 0)
        fail("alignment " + std::to_string(a) + " is not a power of two");
      unsigned log2 = 0;
      while ((std::uint64_t{1} << log2) != a) ++log2;
      if (log2 > kMaxAlignLog2) fail("absurd alignment " + std::to_string(a));
      op.align_code = static_cast<std::uint8_t>(log2 + 1);
    }
    if (have_ops_ && read_ >= header_.op_count)
      fail("more ops than the " + std::to_string(header_.op_count) + " the header announces");
    ++read_;
    return true;
  }

 private:
  std::string header_string(std::string_view value, const char* what) const {
    std::string s = unescape_header(value);
    if (s.size() > kMaxHeaderString)
      fail(std::string(what) + " is too long (" + std::to_string(s.size()) + " bytes)");
    return s;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw TraceError(in_.name() + ": line " + std::to_string(line_) + ": " + what);
  }

  bool read_line(std::string_view& line) {
    std::size_t scanned = 0;
    for (;;) {
      std::size_t avail = in_.avail();
      const auto* p = reinterpret_cast<const char*>(in_.peek());
      for (; scanned < avail; ++scanned) {
        if (p[scanned] == '\n') {
          line_buf_.assign(p, scanned);
          in_.skip(scanned + 1);
          return finish_line(line);
        }
      }
      if (avail > kMaxTextLine) fail("line longer than " + std::to_string(kMaxTextLine) + " bytes");
      if (in_.fill(avail + 1) == avail) {  // end of input
        if (avail == 0) return false;
        // fill() may have moved the buffer: p is stale (found by the fuzzer).
        line_buf_.assign(reinterpret_cast<const char*>(in_.peek()), avail);
        in_.skip(avail);
        return finish_line(line);
      }
    }
  }
  bool finish_line(std::string_view& line) {
    ++line_;
    if (!line_buf_.empty() && line_buf_.back() == '\r') line_buf_.pop_back();
    for (char c : line_buf_)
      if (c == '\0') fail("NUL byte in a text trace");
    line = line_buf_;
    return true;
  }

  static std::string_view strip(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  }
  static std::vector<std::string_view> split(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
      std::size_t j = i;
      while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
      if (j > i) out.push_back(s.substr(i, j - i));
      i = j;
    }
    if (out.empty()) out.push_back({});
    return out;
  }
  std::uint64_t number(std::string_view s, const char* what) const {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size())
      fail(std::string("expected a number for the ") + what + ", got '" +
           std::string(s.substr(0, 40)) + "'");
    return v;
  }
  std::uint64_t size(std::string_view s, const char* what) const {
    std::uint64_t v = number(s, what);
    if (v > kMaxSize) fail(std::string("absurd ") + what + " " + std::to_string(v));
    return v;
  }

  Input& in_;
  Header header_;
  std::string line_buf_;
  std::string_view pending_;
  std::uint64_t pending_line_ = 0;
  bool have_pending_ = false;
  bool have_threads_ = false, have_ops_ = false;
  std::uint64_t line_ = 0, op_line_ = 0, read_ = 0;
  std::uint32_t max_thread_ = 0;
};

}  // namespace workloads::trace
