// Reads the log of `valgrind --trace-malloc=yes program` (memcheck; valgrind
// 3.19 accepts --trace-malloc only with tools that replace malloc) as a
// trace, so logs recorded by anybody can be replayed.
//
// Lines look like
//   --1234-- malloc(10) = 0x4D6FC80
//   --1234-- memalign(al 32, size 50) = 0x4D70020
//   --1234-- _ZnamSt11align_val_t(size 100, al 64) = 0x4D70100
//   --1234-- realloc(0x4D6FFD0,0)free(0x4D6FFD0)     (a call made inside a call:
//   --1234--  = 0                                    its result comes on a later line)
// Addresses become block ids (an address is reused after its free); each
// process id in the log becomes one thread. free(0x0) is a no-op; freeing an
// address that is not live, and lines that name an allocation call but do
// not parse, are counted in warnings() and skipped.
#pragma once

#include <charconv>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "workloads/trace/byte_source.hpp"
#include "workloads/trace/op.hpp"
#include "workloads/trace/reader.hpp"

namespace workloads::trace {

// True when the text looks like valgrind output: "--PID-- " or "==PID== ".
inline bool looks_like_valgrind(std::string_view head) {
  if (head.size() < 5) return false;
  char m = head[0];
  if ((m != '-' && m != '=') || head[1] != m) return false;
  std::size_t i = 2;
  while (i < head.size() && head[i] >= '0' && head[i] <= '9') ++i;
  return i > 2 && i + 1 < head.size() && head[i] == m && head[i + 1] == m;
}

class ValgrindReader final : public Reader {
 public:
  explicit ValgrindReader(Input& in) : in_(in) {
    header_.program = "unknown";
    header_.date = "";
  }

  const Header& header() const override { return header_; }
  std::string where() const override { return in_.name() + ": line " + std::to_string(line_); }
  std::uint64_t warnings() const override { return warnings_; }

  bool next(Op& op) override {
    while (ready_.empty()) {
      if (!read_line()) {
        header_.thread_count = static_cast<std::uint32_t>(threads_.size());
        header_.op_count = emitted_;
        if (calls_ == 0)
          fail_line("no allocation calls found: was valgrind run with --trace-malloc=yes?");
        return false;
      }
      parse_line();
    }
    op = ready_.front();
    ready_.pop_front();
    ++emitted_;
    return true;
  }

 private:
  struct Arg {
    std::string label;  // "size", "al" or empty (a copy: pending calls outlive their line)
    std::uint64_t value = 0;
  };
  struct Call {
    std::string name;
    std::vector<Arg> args;
    std::uint32_t thread = 0;
  };

  [[noreturn]] void fail_line(const std::string& what) const {
    throw TraceError(in_.name() + ": line " + std::to_string(line_) + ": " + what);
  }

  bool read_line() {
    std::size_t scanned = 0;
    for (;;) {
      std::size_t avail = in_.avail();
      const auto* p = reinterpret_cast<const char*>(in_.peek());
      for (; scanned < avail; ++scanned) {
        if (p[scanned] == '\n') {
          line_buf_.assign(p, scanned);
          in_.skip(scanned + 1);
          ++line_;
          return true;
        }
      }
      if (avail > (1u << 20)) fail_line("line longer than 1 MiB");
      if (in_.fill(avail + 1) == avail) {
        if (avail == 0) return false;
        // fill() may have moved the buffer: p is stale (found by the fuzzer).
        line_buf_.assign(reinterpret_cast<const char*>(in_.peek()), avail);
        in_.skip(avail);
        ++line_;
        return true;
      }
    }
  }

  void parse_line() {
    std::string_view s = line_buf_;
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    if (!looks_like_valgrind(s)) return;  // the program's own output
    char m = s[0];
    std::size_t end = s.find(std::string_view(m == '-' ? "--" : "=="), 2);
    std::uint64_t pid = 0;
    std::from_chars(s.data() + 2, s.data() + end, pid);
    s.remove_prefix(end + 2);
    if (m == '=') {  // valgrind's own messages: only the command line matters
      if (auto c = s.find("Command: "); c != std::string_view::npos && !have_command_) {
        have_command_ = true;
        std::string_view cmd = s.substr(c + 9);
        header_.command_line = std::string(cmd);
        std::string_view prog = cmd.substr(0, cmd.find(' '));
        if (auto slash = prog.rfind('/'); slash != std::string_view::npos)
          prog.remove_prefix(slash + 1);
        header_.program = std::string(prog);
      }
      return;
    }
    std::uint32_t thread = thread_of(pid);
    if (s.size() > 0 && s[0] == ' ') s.remove_prefix(1);
    while (!s.empty()) {
      while (!s.empty() && s[0] == ' ') s.remove_prefix(1);
      if (s.empty()) break;
      if (s[0] == '=') {  // " = RESULT" of the innermost pending call
        s.remove_prefix(1);
        std::uint64_t result = 0;
        if (!parse_value(s, result) || pending_.empty()) {
          ++warnings_;
          return;
        }
        Call c = std::move(pending_.back());
        pending_.pop_back();
        complete(c, result);
        continue;
      }
      Call c;
      c.thread = thread;
      if (!parse_call(s, c)) {
        ++warnings_;
        return;
      }
      while (!s.empty() && s[0] == ' ') s.remove_prefix(1);
      if (!s.empty() && s[0] == '=') {
        s.remove_prefix(1);
        std::uint64_t result = 0;
        if (!parse_value(s, result)) {
          ++warnings_;
          return;
        }
        complete(c, result);
      } else if (is_free(c.name)) {
        complete(c, 0);
      } else {
        pending_.push_back(std::move(c));  // its result comes later
        if (pending_.size() > 64) pending_.erase(pending_.begin());
      }
    }
  }

  // NAME(ARG, ARG...) where ARG is [label ]number; numbers are decimal or 0x.
  bool parse_call(std::string_view& s, Call& c) {
    std::size_t open = s.find('(');
    if (open == std::string_view::npos || open == 0) return false;
    for (std::size_t i = 0; i < open; ++i) {
      char ch = s[i];
      if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '_'))
        return false;
    }
    c.name = std::string(s.substr(0, open));
    std::size_t close = s.find(')', open);
    if (close == std::string_view::npos) return false;
    std::string_view args = s.substr(open + 1, close - open - 1);
    s.remove_prefix(close + 1);
    while (!args.empty()) {
      std::size_t comma = args.find(',');
      std::string_view a = args.substr(0, comma);
      args = comma == std::string_view::npos ? std::string_view{} : args.substr(comma + 1);
      while (!a.empty() && a[0] == ' ') a.remove_prefix(1);
      Arg arg;
      if (auto sp = a.find(' '); sp != std::string_view::npos) {
        arg.label = std::string(a.substr(0, sp));
        a.remove_prefix(sp + 1);
      }
      if (!parse_value(a, arg.value) || !a.empty()) return false;
      c.args.push_back(arg);
      if (c.args.size() > 4) return false;
    }
    return true;
  }

  static bool parse_value(std::string_view& s, std::uint64_t& v) {
    while (!s.empty() && s[0] == ' ') s.remove_prefix(1);
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      base = 16;
      s.remove_prefix(2);
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc{} || p == s.data()) return false;
    s.remove_prefix(static_cast<std::size_t>(p - s.data()));
    return true;
  }

  static bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
  static bool is_free(std::string_view n) {
    return n == "free" || n == "cfree" || starts(n, "_Zd") || starts(n, "__builtin_delete") ||
           starts(n, "__builtin_vec_delete");
  }
  static bool is_new(std::string_view n) {
    return starts(n, "_Zn") || starts(n, "__builtin_new") || starts(n, "__builtin_vec_new");
  }

  // The value of the argument labelled `label`, else the positional one.
  static bool arg(const Call& c, std::string_view label, std::size_t pos, std::uint64_t& v) {
    for (const Arg& a : c.args)
      if (a.label == label) return v = a.value, true;
    std::size_t k = 0;
    for (const Arg& a : c.args)
      if (a.label.empty() && k++ == pos) return v = a.value, true;
    return false;
  }

  std::uint32_t thread_of(std::uint64_t pid) {
    auto [it, fresh] = threads_.try_emplace(pid, static_cast<std::uint32_t>(threads_.size()));
    if (fresh && threads_.size() > kMaxThreads)
      fail_line("more than " + std::to_string(kMaxThreads) + " processes");
    return it->second;
  }
  // Addresses are per process: the key mixes in the thread (process) index.
  static std::uint64_t key(std::uint32_t thread, std::uint64_t addr) {
    return addr ^ (static_cast<std::uint64_t>(thread) << 48);
  }

  void complete(const Call& c, std::uint64_t result) {
    ++calls_;
    const std::string& n = c.name;
    std::uint64_t size = 0, count = 0, align = 0, addr = 0;
    if (is_free(n)) {
      if (!arg(c, "", 0, addr)) return void(++warnings_);
      free_addr(c.thread, addr);
    } else if (n == "malloc" || n == "valloc" || n == "pvalloc" || is_new(n)) {
      if (!arg(c, "size", 0, size)) return void(++warnings_);
      arg(c, "al", 1, align);
      if (n == "valloc" || n == "pvalloc") align = 4096;
      new_block(c.thread, OpKind::kAlloc, result, size, 0, align);
    } else if (n == "memalign" || n == "aligned_alloc" || n == "posix_memalign") {
      if (!arg(c, "al", 0, align) || !arg(c, "size", 1, size)) return void(++warnings_);
      new_block(c.thread, OpKind::kAlloc, result, size, 0, align);
    } else if (n == "calloc") {
      if (!arg(c, "nmemb", 0, count) || !arg(c, "size", 1, size)) return void(++warnings_);
      new_block(c.thread, OpKind::kCalloc, result, size, count, 0);
    } else if (n == "realloc") {
      if (!arg(c, "", 0, addr) || !arg(c, "size", 1, size)) return void(++warnings_);
      realloc_block(c.thread, addr, size, result);
    }
    // Anything else (malloc_usable_size, ...) allocates nothing.
  }

  void new_block(std::uint32_t thread, OpKind kind, std::uint64_t result, std::uint64_t size,
                 std::uint64_t count, std::uint64_t align) {
    if (result == 0) return;  // a failed request: the program got nothing
    // The same limits as the binary and text readers (each factor too, so
    // that calloc(huge, 0) cannot make a trace the others reject).
    if (size > kMaxSize || count > kMaxSize ||
        (kind == OpKind::kCalloc && size != 0 && count > kMaxSize / size))
      fail_line("absurd size " + std::to_string(size) +
                (kind == OpKind::kCalloc ? " x " + std::to_string(count) : ""));
    Op op;
    op.kind = kind;
    op.thread = thread;
    op.id = ++last_id_;
    op.size = size;
    op.count = count;
    op.align_code = align_code(align);
    auto [it, fresh] = live_.try_emplace(key(thread, result), op.id);
    if (!fresh) {
      ++warnings_;  // the address is live twice: its free was not logged
      it->second = op.id;
    }
    ready_.push_back(op);
  }

  void free_addr(std::uint32_t thread, std::uint64_t addr) {
    if (addr == 0) return;
    auto it = live_.find(key(thread, addr));
    if (it == live_.end()) return void(++warnings_);
    Op op;
    op.kind = OpKind::kFree;
    op.thread = thread;
    op.id = it->second;
    live_.erase(it);
    ready_.push_back(op);
  }

  void realloc_block(std::uint32_t thread, std::uint64_t addr, std::uint64_t size,
                     std::uint64_t result) {
    if (addr == 0) return new_block(thread, OpKind::kAlloc, result, size, 0, 0);
    auto it = live_.find(key(thread, addr));
    if (result == 0) {
      // realloc(p, 0) frees p (valgrind logs the inner free itself); a
      // failed realloc leaves p alone.
      if (size == 0 && it != live_.end()) free_addr(thread, addr);
      return;
    }
    if (it == live_.end()) {
      ++warnings_;
      return new_block(thread, OpKind::kAlloc, result, size, 0, 0);
    }
    if (size > kMaxSize) fail_line("absurd size " + std::to_string(size));
    Op op;
    op.kind = OpKind::kRealloc;
    op.thread = thread;
    op.old_id = it->second;
    op.id = ++last_id_;
    op.size = size;
    live_.erase(it);
    live_[key(thread, result)] = op.id;
    ready_.push_back(op);
  }

  static std::uint8_t align_code(std::uint64_t align) {
    if (align <= 16) return 0;  // malloc gives 16 anyway
    unsigned log2 = 0;
    while (log2 < kMaxAlignLog2 && (std::uint64_t{1} << log2) < align) ++log2;
    return static_cast<std::uint8_t>(log2 + 1);
  }

  Input& in_;
  Header header_;
  std::string line_buf_;
  std::uint64_t line_ = 0, emitted_ = 0, warnings_ = 0, last_id_ = 0;
  bool have_command_ = false;
  std::uint64_t calls_ = 0;  // calls parsed, whatever they did
  std::deque<Op> ready_;
  std::vector<Call> pending_;
  std::unordered_map<std::uint64_t, std::uint32_t> threads_;
  std::unordered_map<std::uint64_t, std::uint64_t> live_;
};

}  // namespace workloads::trace
