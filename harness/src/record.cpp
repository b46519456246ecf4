#include "record.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "workloads/trace/checker.hpp"
#include "workloads/trace/open.hpp"
#include "workloads/trace/output.hpp"

namespace harness {
namespace {

namespace fs = std::filesystem;
namespace trace = workloads::trace;

constexpr std::string_view kUsage =
    "usage: stalloc-bench record --out FILE [--program NAME] -- PROGRAM [ARGS...]";

// The recorder next to this build (compiled in), unless STALLOC_RECORDER
// names another copy.
std::string recorder_path() {
  if (const char* env = std::getenv("STALLOC_RECORDER"); env != nullptr && *env != '\0') return env;
#ifdef STALLOC_RECORDER_PATH
  return STALLOC_RECORDER_PATH;
#else
  return {};
#endif
}

int fail(std::ostream& err, const std::string& message) {
  err << "stalloc-bench record: " << message << "\n";
  return 2;
}

// One process's trace, as the recorder left it in the work directory.
struct Recorded {
  fs::path file;
  std::string name;  // the part after "trace" ("" for the first process, else ".prog.pid[.k]")
  std::string program;
  std::string pid;
  std::uint64_t ops = 0;
  std::string error;  // why it does not read (empty: valid)
};

// Reads a whole trace, checking every op, in memory proportional to its
// live blocks.
void check(Recorded& r) {
  try {
    trace::TraceFile f = trace::TraceFile::open(r.file.string());
    trace::Checker checker;
    trace::Op op;
    while (f.reader().next(op)) {
      ++r.ops;
      if (auto issue = checker.apply(op); issue != trace::Issue::kNone)
        throw trace::TraceError(f.reader().where() + ": " + trace::describe(issue, op));
    }
    r.program = f.reader().header().program;
  } catch (const std::exception& e) {
    r.error = e.what();
  }
}

std::vector<Recorded> collect(const fs::path& dir, pid_t root_pid) {
  std::vector<Recorded> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string leaf = entry.path().filename().string();
    if (leaf.rfind("trace", 0) != 0 || leaf.ends_with(".tmp") || leaf.ends_with(".spool")) continue;
    Recorded r;
    r.file = entry.path();
    r.name = leaf.substr(5);
    if (r.name.empty()) {
      r.pid = std::to_string(root_pid);
    } else {  // ".prog.pid", or ".prog.pid-k" when a process wrote several (exec)
      const std::size_t dot = r.name.rfind('.');
      r.pid = r.name.substr(dot + 1, r.name.find('-', dot) - dot - 1);
    }
    check(r);
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(),
            [](const Recorded& a, const Recorded& b) { return a.ops > b.ops; });
  return out;
}

// Copies src to the user's --out: written through if that is a device, a
// FIFO or a symlink, atomically replaced if it is a regular file.
void deliver(const fs::path& src, const std::string& out) {
  trace::write_output(out, [&](std::FILE* f, const std::string& name) {
    std::ifstream in(src, std::ios::binary);
    if (!in) throw trace::TraceError(src.string() + ": cannot read back the trace");
    std::vector<char> buf(1 << 20);
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      const auto n = static_cast<std::size_t>(in.gcount());
      if (n > 0 && std::fwrite(buf.data(), 1, n, f) != n)
        throw trace::TraceError(name + ": write error");
    }
  });
}

}  // namespace

bool is_record_command(int argc, const char* const* argv) {
  return argc >= 2 && std::string_view(argv[1]) == "record";
}

int record_main(int argc, const char* const* argv, std::ostream& err) {
  std::string out;
  std::string program_filter;
  int first_program_arg = -1;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") {
      first_program_arg = i + 1;
      break;
    }
    if ((arg == "--out" || arg == "-o" || arg == "--program") && i + 1 < argc) {
      (arg == "--program" ? program_filter : out) = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      err << kUsage << "\n"
          << "  Runs PROGRAM with the allocation recorder preloaded and writes its trace to FILE.\n"
          << "  Every process of the tree is recorded (through fork, exec and shell wrappers);\n"
          << "  FILE gets the one with the most operations, the others are kept as\n"
          << "  FILE.<program>.<pid> and all are listed with their op counts.\n"
          << "  --program NAME  record only the processes whose executable, or the name it was\n"
          << "                  run as, is NAME (e.g. cc1plus or as under g++)\n"
          << "  Exit status: the program's, or 2 when no valid trace was recorded.\n"
          << "  Then: stalloc-bench --workload trace:FILE\n";
      return 0;
    } else {
      return fail(err, "unexpected argument '" + std::string(arg) + "'\n" + std::string(kUsage));
    }
  }
  if (out.empty()) return fail(err, "--out FILE is required\n" + std::string(kUsage));
  if (first_program_arg < 0 || first_program_arg >= argc)
    return fail(err, "no program to record after '--'\n" + std::string(kUsage));

  const std::string recorder = recorder_path();
  if (recorder.empty() || !fs::exists(recorder))
    return fail(err, "recorder library not found (" +
                         (recorder.empty() ? std::string("not built") : recorder) +
                         "); set STALLOC_RECORDER=/path/to/libstalloc-record.so");
  if (std::string problem = trace::output_problem(out); !problem.empty())
    return fail(err, "cannot write " + problem);

  // The recorder writes into a private directory: next to --out when that
  // is a regular file (same file system: the traces are moved, not copied),
  // else in TMPDIR.
  const std::string target = trace::output_target(out);
  struct stat st;
  const bool regular_out = ::stat(target.c_str(), &st) != 0 || S_ISREG(st.st_mode);
  fs::path base = regular_out ? fs::absolute(target).parent_path()
                              : fs::path(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
  std::string templ = (base / ".stalloc-record-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr)
    return fail(err,
                "cannot create a work directory in " + base.string() + ": " + std::strerror(errno));
  const fs::path work = templ;
  const std::string prefix = (work / "trace").string();
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{work};

  // Like system(): a ^C or ^\ is for the program; we wait for it and keep
  // what it recorded.
  struct sigaction ignore {
  }, old_int{}, old_quit{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGQUIT, &ignore, &old_quit);
  const pid_t child = fork();
  if (child < 0) return fail(err, std::string("fork failed: ") + std::strerror(errno));
  if (child == 0) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGQUIT, &old_quit, nullptr);
    // First in the list, so the recorder sees every call before any other
    // preloaded library does; keep what the user preloaded behind it.
    const char* preload = std::getenv("LD_PRELOAD");
    const std::string chain =
        preload != nullptr && *preload != '\0' ? recorder + ":" + preload : recorder;
    setenv("LD_PRELOAD", chain.c_str(), 1);
    setenv("STALLOC_TRACE", prefix.c_str(), 1);
    unsetenv("STALLOC_TRACE_ROOT");  // from an outer recording
    if (!program_filter.empty()) setenv("STALLOC_TRACE_PROGRAM", program_filter.c_str(), 1);
    std::vector<char*> args;
    for (int i = first_program_arg; i < argc; ++i) args.push_back(const_cast<char*>(argv[i]));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    const int e = errno;
    // Only async-signal-safe calls between fork and _exit.
    const char* msg = "stalloc-bench record: cannot run the program: ";
    (void)!write(STDERR_FILENO, msg, std::strlen(msg));
    (void)!write(STDERR_FILENO, std::strerror(e), std::strlen(std::strerror(e)));
    (void)!write(STDERR_FILENO, "\n", 1);
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return fail(err, std::string("waitpid failed: ") + std::strerror(errno));
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  const std::string status_text = "program exit status " + std::to_string(code);

  std::vector<Recorded> traces = collect(work, child);
  const Recorded* main = nullptr;
  for (const Recorded& r : traces)
    if (r.error.empty() && (main == nullptr || r.ops > main->ops)) main = &r;
  if (main == nullptr) {
    for (const Recorded& r : traces)
      if (!r.error.empty()) err << "stalloc-bench record: invalid trace: " << r.error << "\n";
    if (traces.empty() && code == 127) return code;  // could not run it: said above
    std::string why;
    if (!traces.empty()) {
      why = "no valid trace was recorded";
    } else if (WIFSIGNALED(status)) {
      why = "no trace was written: the program was killed by signal " +
            std::to_string(WTERMSIG(status)) + " before any of its processes finished (SIGKILL " +
            "leaves no trace)";
    } else if (!program_filter.empty()) {
      why = "no process named '" + program_filter +
            "' ran (--program matches the executable's file name or argv[0], e.g. cc1plus)";
    } else {
      why =
          "no trace was written: the recorder did not run in the program (a static or setuid "
          "executable? a dynamic loader message above?)";
    }
    return fail(err, why + " (" + status_text + ")");
  }
  if (main->ops == 0)
    return fail(err, "the trace is empty: the program made no allocation the recorder saw (" +
                         status_text + ")");
  try {
    if (regular_out) {
      fs::rename(main->file, fs::absolute(target));
    } else {
      deliver(main->file, out);
    }
  } catch (const std::exception& e) {
    return fail(err, std::string("cannot write ") + out + ": " + e.what());
  }
  err << "stalloc-bench record: " << traces.size() << " process" << (traces.size() == 1 ? "" : "es")
      << " recorded (" << status_text << "):\n";
  for (const Recorded& r : traces) {
    std::string where;
    if (&r == main) {
      where = out + "  (the trace)";
    } else if (!regular_out) {
      where = "(not kept: --out is not a regular file)";
    } else {
      // The first process's trace has no suffix in the work directory.
      std::string program = r.program.empty() ? "unknown" : r.program;
      for (char& c : program)
        if (!std::isalnum(static_cast<unsigned char>(c)) &&
            std::string_view("._-+").find(c) == std::string_view::npos)
          c = '_';
      where = target + (r.name.empty() ? "." + program + "." + r.pid : r.name);
      std::error_code ec;
      fs::rename(r.file, where, ec);
      if (ec) where = "(not kept: " + ec.message() + ")";
    }
    err << "  " << (r.program.empty() ? "?" : r.program) << " (pid " << r.pid
        << "): " << (r.error.empty() ? std::to_string(r.ops) + " ops" : "invalid: " + r.error)
        << "  -> " << where << "\n";
  }
  return code;
}

}  // namespace harness
