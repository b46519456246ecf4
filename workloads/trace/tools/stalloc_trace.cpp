// stalloc-trace: convert, import, inspect and validate allocation traces.
//
//   stalloc-trace to-text IN OUT          any format -> text ("-" = stdout)
//   stalloc-trace to-binary IN OUT        any format -> binary
//   stalloc-trace import-valgrind LOG OUT a valgrind --trace-malloc log -> binary
//   stalloc-trace stats IN                header, op counts, sizes, peak live bytes
//   stalloc-trace validate IN             exit 0 if well-formed and consistent
//   stalloc-trace replay IN [--rounds N] [--check]
//                                         replay against glibc malloc, time per op
//
// Exit status: 0 success, 2 bad input (usage or trace), 1 anything else.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>

#include "workloads/trace/checker.hpp"
#include "workloads/trace/open.hpp"
#include "workloads/trace/output.hpp"
#include "workloads/trace/replay.hpp"

namespace trace = workloads::trace;

namespace {

constexpr int kBadInput = 2;

// "-" is stdout; anything else goes through trace::write_output, which
// never replaces a device, FIFO or symlink with a regular file.
template <class WriteFn>
void write_to(const std::string& out, WriteFn write) {
  if (out == "-") {
    write(stdout, std::string("<stdout>"));
    if (std::fflush(stdout) != 0) throw trace::TraceError("<stdout>: write error");
    return;
  }
  trace::write_output(out, write);
}

int convert(const std::string& in, const std::string& out, bool binary, bool require_valgrind) {
  if (out != "-") {
    if (std::string problem = trace::output_problem(out); !problem.empty())
      throw trace::TraceError(problem);
  }
  trace::TraceFile file = trace::TraceFile::open(in);
  if (require_valgrind && file.format() != trace::Format::kValgrind)
    throw trace::TraceError(in + ": byte 0: not a valgrind --trace-malloc log (it is a " +
                            trace::format_name(file.format()) + " trace)");
  trace::Trace t = trace::read_trace(file);
  if (t.warnings)
    std::cerr << in << ": " << t.warnings
              << " warning(s) while importing (frees of unknown addresses, "
              << "unparsable calls); those lines were skipped\n";
  write_to(out, [&](std::FILE* f, const std::string& name) {
    if (binary)
      trace::write_binary(f, name, t.header, t.ops);
    else
      trace::write_text(f, name, t.header, t.ops);
  });
  return 0;
}

int stats(const std::string& in) {
  trace::TraceFile file = trace::TraceFile::open(in);
  trace::Reader& r = file.reader();
  trace::Checker checker;
  std::array<std::uint64_t, 5> by_kind{};
  std::map<unsigned, std::uint64_t> size_log2;
  std::map<std::uint32_t, std::uint64_t> by_thread;
  std::uint64_t ops = 0, issues = 0, bytes = 0, aligned = 0;
  trace::Op op;
  while (r.next(op)) {
    ++ops;
    ++by_kind[static_cast<unsigned>(op.kind)];
    ++by_thread[op.thread];
    if (op.align_code) ++aligned;
    if (op.creates_block()) {
      std::uint64_t b = op.bytes();
      bytes += b;
      unsigned l = 0;
      while ((std::uint64_t{1} << l) < b) ++l;
      ++size_log2[l];
    }
    if (checker.apply(op) != trace::Issue::kNone) ++issues;
  }
  const trace::Header& h = r.header();
  std::printf("file        %s (%s)\n", in.c_str(), trace::format_name(file.format()));
  std::printf("program     %s\ncommand     %s\ndate        %s\n", h.program.c_str(),
              h.command_line.c_str(), h.date.c_str());
  std::printf("threads     %u\nops         %llu\n", h.thread_count,
              static_cast<unsigned long long>(ops));
  for (auto k : {trace::OpKind::kAlloc, trace::OpKind::kCalloc, trace::OpKind::kRealloc,
                 trace::OpKind::kFree})
    std::printf("  %-9s %llu\n", trace::kind_name(k),
                static_cast<unsigned long long>(by_kind[static_cast<unsigned>(k)]));
  std::printf("aligned     %llu (explicit alignment)\n", static_cast<unsigned long long>(aligned));
  std::printf("bytes       %llu requested in total\n", static_cast<unsigned long long>(bytes));
  std::printf("peak live   %llu bytes\n", static_cast<unsigned long long>(checker.peak_bytes()));
  std::printf("live at end %llu blocks, %llu bytes (never freed)\n",
              static_cast<unsigned long long>(checker.live_blocks()),
              static_cast<unsigned long long>(checker.live_bytes()));
  std::printf("bad ops     %llu (frees of unknown ids, double frees, reused ids)\n",
              static_cast<unsigned long long>(issues));
  if (r.warnings())
    std::printf("import warnings %llu\n", static_cast<unsigned long long>(r.warnings()));
  std::printf("ops per thread:\n");
  for (auto [t, n] : by_thread)
    std::printf("  thread %-4u %llu\n", t, static_cast<unsigned long long>(n));
  std::printf("sizes (requests per power of two):\n");
  for (auto [l, n] : size_log2)
    std::printf("  <= %-12llu %llu\n", static_cast<unsigned long long>(std::uint64_t{1} << l),
                static_cast<unsigned long long>(n));
  return 0;
}

int validate(const std::string& in) {
  trace::TraceFile file = trace::TraceFile::open(in);
  trace::Reader& r = file.reader();
  trace::Checker checker;
  trace::Op op;
  std::uint64_t n = 0;
  while (r.next(op)) {
    ++n;
    if (auto issue = checker.apply(op); issue != trace::Issue::kNone)
      throw trace::TraceError(r.where() + ": " + trace::describe(issue, op));
  }
  std::printf("%s: ok, %s trace, %llu ops, %u threads\n", in.c_str(),
              trace::format_name(file.format()), static_cast<unsigned long long>(n),
              r.header().thread_count);
  return 0;
}

// glibc's malloc as a workloads::Allocator: the replay's reference point
// (the harness compares every allocator; this is for a quick look).
struct SystemMalloc {
  void* allocate(std::size_t size, std::size_t align) {
    return align <= alignof(std::max_align_t)
               ? std::malloc(size)
               : std::aligned_alloc(align, (size + align - 1) / align * align);
  }
  void deallocate(void* p, std::size_t, std::size_t) { std::free(p); }
  void* reallocate(void* p, std::size_t old_size, std::size_t size, std::size_t align) {
    if (align <= alignof(std::max_align_t)) return std::realloc(p, size);
    void* q = allocate(size, align);
    if (q) {
      std::memcpy(q, p, std::min(old_size, size));
      std::free(p);
    }
    return q;
  }
};

int replay(const std::string& in, unsigned rounds, bool check) {
  workloads::Options o;
  o.input = in;
  o.check = check;
  auto load_start = std::chrono::steady_clock::now();
  workloads::TraceReplay w(o, workloads::Point{});
  double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  SystemMalloc a;
  std::vector<double> ns_per_op;
  for (unsigned r = 0; r < rounds; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    std::uint64_t ops = w.run(a, 0);
    auto ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    ns_per_op.push_back(ns / static_cast<double>(ops));
  }
  w.drain(a, 0);
  std::sort(ns_per_op.begin(), ns_per_op.end());
  const auto& p = w.program();
  std::printf("trace       %s (%s, %llu ops, %u threads; loaded in %.2f s)\n", in.c_str(),
              trace::format_name(p.format), static_cast<unsigned long long>(p.trace_ops), p.threads,
              load_s);
  std::printf("per round   %llu ops (incl. %llu frees of blocks the program never freed)\n",
              static_cast<unsigned long long>(w.ops_per_round()),
              static_cast<unsigned long long>(p.leaked_blocks));
  std::printf(
      "glibc       %.1f ns/op median, %.1f min, %.1f max over %u rounds; %.2f ms per round\n",
      ns_per_op[ns_per_op.size() / 2], ns_per_op.front(), ns_per_op.back(), rounds,
      ns_per_op[ns_per_op.size() / 2] * static_cast<double>(w.ops_per_round()) / 1e6);
  std::printf("peak live   %llu bytes requested\n",
              static_cast<unsigned long long>(w.peak_requested_bytes()));
  std::printf(
      "failed      %llu requests, %llu skipped ops, %llu trace warnings, %llu corruptions\n",
      static_cast<unsigned long long>(w.failed_requests()),
      static_cast<unsigned long long>(w.skipped_ops()),
      static_cast<unsigned long long>(w.trace_warnings()),
      static_cast<unsigned long long>(w.corruptions()));
  return w.corruptions() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"stalloc-trace: convert, import, inspect and validate allocation traces"};
  app.set_version_flag("--version", "stalloc-trace (trace format version " +
                                        std::to_string(trace::kFormatVersion) + ")");
  app.footer(
      "Traces may be binary, text or valgrind --trace-malloc logs, each plain or gzip/zstd "
      "compressed.\n"
      "Examples:\n"
      "  stalloc-trace stats workloads/traces/python3-dicts.trace.zst\n"
      "  stalloc-trace to-text workloads/traces/sqlite3.trace.zst - | less\n"
      "  valgrind --tool=memcheck --trace-malloc=yes ls 2> ls.log && stalloc-trace import-valgrind "
      "ls.log ls.trace");
  app.require_subcommand(1);
  std::string in, out;
  auto* to_text = app.add_subcommand("to-text", "convert a trace to the text format");
  auto* to_binary = app.add_subcommand("to-binary", "convert a trace to the binary format");
  auto* import =
      app.add_subcommand("import-valgrind", "convert a valgrind --trace-malloc=yes log to binary");
  for (auto* c : {to_text, to_binary, import}) {
    c->add_option("input", in, "trace to read")->required();
    c->add_option("output", out, "file to write ('-': stdout)")->required();
  }
  auto* stats_cmd = app.add_subcommand("stats", "print the header and a summary of the ops");
  auto* validate_cmd =
      app.add_subcommand("validate", "check a trace; exit 2 with the first problem's location");
  for (auto* c : {stats_cmd, validate_cmd}) c->add_option("input", in, "trace to read")->required();
  unsigned rounds = 5;
  bool check = false;
  auto* replay_cmd =
      app.add_subcommand("replay", "replay against glibc malloc and print the time per op");
  replay_cmd->add_option("input", in, "trace to read")->required();
  replay_cmd->add_option("--rounds", rounds, "replays of the whole trace")
      ->check(CLI::Range(1u, 100000u));
  replay_cmd->add_flag("--check", check, "write and verify patterns (exit 1 on corruption)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kBadInput;
  }
  try {
    if (*to_text) return convert(in, out, false, false);
    if (*to_binary) return convert(in, out, true, false);
    if (*import) return convert(in, out, true, true);
    if (*stats_cmd) return stats(in);
    if (*validate_cmd) return validate(in);
    if (*replay_cmd) return replay(in, rounds, check);
  } catch (const trace::TraceError& e) {
    std::cerr << "stalloc-trace: error: " << e.what() << "\n";
    return kBadInput;
  } catch (const std::exception& e) {
    std::cerr << "stalloc-trace: error: " << e.what() << "\n";
    return 1;
  }
  return 1;
}
