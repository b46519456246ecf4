#include "record.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace harness {
namespace {

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
          << "  --program NAME  record only the processes whose executable is NAME (e.g. cc1plus\n"
          << "                  under g++); by default the first process of the tree.\n"
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
  if (recorder.empty() || !std::filesystem::exists(recorder))
    return fail(err, "recorder library not found (" +
                         (recorder.empty() ? std::string("not built") : recorder) +
                         "); set STALLOC_RECORDER=/path/to/libstalloc-record.so");
  {
    std::ofstream probe(out, std::ios::binary | std::ios::app);
    if (!probe) return fail(err, "cannot write '" + out + "': " + std::strerror(errno));
  }
  const std::string out_abs = std::filesystem::absolute(out).string();

  const pid_t child = fork();
  if (child < 0) return fail(err, std::string("fork failed: ") + std::strerror(errno));
  if (child == 0) {
    // First in the list, so the recorder sees every call before any other
    // preloaded library does; keep what the user preloaded behind it.
    const char* preload = std::getenv("LD_PRELOAD");
    const std::string chain =
        preload != nullptr && *preload != '\0' ? recorder + ":" + preload : recorder;
    setenv("LD_PRELOAD", chain.c_str(), 1);
    setenv("STALLOC_TRACE", out_abs.c_str(), 1);
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
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code == 127) return code;
  err << "stalloc-bench record: trace written to " << out_abs << " (program exit status " << code
      << ")\n";
  return code;
}

}  // namespace harness
