#include "program_run.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "context.hpp"
#include "malloc_provider.hpp"
#include "output_file.hpp"
#include "program_allocators.hpp"
#include "program_catalog.hpp"
#include "program_process.hpp"
#include "report.hpp"
#include "timing_summary.hpp"

namespace harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kUsage =
    "usage: stalloc-bench run [--allocator LIST] [--repetitions N] [--timeout S] [--name NAME] "
    "[--out FILE] [--format table|json] [--quiet] (-- PROGRAM [ARGS...] | --program NAME,...|all)";

volatile sig_atomic_t g_interrupted = 0;
void on_interrupt(int) {
  g_interrupted = 1;
}

int usage_error(std::ostream& err, const std::string& message) {
  err << "stalloc-bench run: " << message << "\n" << kUsage << "\n";
  return 2;
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_of(" \t\n'\"\\$`|&;<>()*?[]{}!#~") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// PROGRAM as execvp would find it, or "" when it would not.
std::string find_program(const std::string& program) {
  if (program.find('/') != std::string::npos)
    return ::access(program.c_str(), X_OK) == 0 && !fs::is_directory(program) ? program : "";
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const std::size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);  // empty: the current directory
    const std::string candidate = (dir.empty() ? fs::path(".") : fs::path(dir)) / program;
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate;
    if (colon == std::string_view::npos) return "";
    dirs.remove_prefix(colon + 1);
  }
}

// The probe library (harness/probe): next to this build, or
// $STALLOC_BENCH_PROBE_LIBRARY.
std::string probe_path() {
  if (const char* env = std::getenv("STALLOC_BENCH_PROBE_LIBRARY"); env && *env) return env;
#ifdef STALLOC_BENCH_PROBE_PATH
  return STALLOC_BENCH_PROBE_PATH;
#else
  return {};
#endif
}

std::string canonical(const std::string& path) {
  std::error_code ec;
  const fs::path p = fs::canonical(path, ec);
  return ec ? path : p.string();
}

bool parse_options(int argc, const char* const* argv, ProgramRunOptions& o, std::ostream& out,
                   std::ostream& err, int& status) {
  status = 0;
  int i = 2;
  auto value = [&](std::string_view flag) -> const char* {
    if (i + 1 >= argc) {
      status = usage_error(err, std::string(flag) + " needs a value");
      return nullptr;
    }
    return argv[++i];
  };
  for (; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") {
      for (int k = i + 1; k < argc; ++k) o.program.emplace_back(argv[k]);
      break;
    }
    if (arg == "--help" || arg == "-h") {
      out << kUsage << "\n\n"
          << "Runs PROGRAM, unmodified, under each allocator (LD_PRELOAD), the repetitions\n"
          << "interleaved, and reports per allocator: wall time, user and system CPU, peak\n"
          << "RSS, page faults. Each run is verified: the intended library served malloc in\n"
          << "every process, the program exited 0, and its stdout equals its stdout under\n"
          << "glibc. Writes the results JSON (results/SCHEMA.md, workload program:NAME).\n\n"
          << "  -p, --program LIST    programs of the catalog (workloads/programs/catalog.json)\n"
          << "                        instead of '-- PROGRAM': names, comma-separated, or all\n"
          << "  --list-programs       the catalog's programs, and exit\n"
          << "  -a, --allocator LIST  comma-separated, of:";
      for (const ProgramAllocator& a : kProgramAllocators) out << " " << a.name;
      out << "\n                        (default: all of them)\n"
          << "  -r, --repetitions N   runs per allocator, 1..1000 (default 5)\n"
          << "  --timeout S           seconds before a run is killed and its entry fails (600)\n"
          << "  --name NAME           the workload is program:NAME (default: PROGRAM's file name)\n"
          << "  -o, --out FILE        the JSON (default ./results/program-NAME-<UTC time>.json)\n"
          << "  -f, --format F        table (default) or json on stdout\n"
          << "  --quiet               no progress lines on stderr\n\n"
          << "Exit status: 0 all ok, 1 an entry failed, 2 bad command line, 130 interrupted.\n";
      status = -1;
      return false;
    }
    if (arg == "--program" || arg == "-p") {
      const char* v = value(arg);
      if (v == nullptr) return false;
      std::string_view list(v);
      while (true) {
        const std::size_t comma = list.find(',');
        o.catalog_programs.emplace_back(list.substr(0, comma));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    } else if (arg == "--list-programs") {
      o.list_programs = true;
    } else if (arg == "--allocator" || arg == "-a") {
      const char* v = value(arg);
      if (v == nullptr) return false;
      std::string_view list(v);
      while (true) {
        const std::size_t comma = list.find(',');
        o.allocators.emplace_back(list.substr(0, comma));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    } else if (arg == "--repetitions" || arg == "-r") {
      const char* v = value(arg);
      if (v == nullptr) return false;
      const std::string_view s(v);
      const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), o.repetitions);
      if (ec != std::errc{} || p != s.data() + s.size() || o.repetitions < 1 ||
          o.repetitions > 1000) {
        status = usage_error(
            err, "--repetitions must be a whole number in 1..1000, not '" + std::string(s) + "'");
        return false;
      }
    } else if (arg == "--timeout") {
      const char* v = value(arg);
      if (v == nullptr) return false;
      char* end = nullptr;
      o.timeout_s = std::strtod(v, &end);
      if (end == v || *end != '\0' || !(o.timeout_s > 0) || o.timeout_s > 86400) {
        status = usage_error(
            err, "--timeout must be seconds in (0, 86400], not '" + std::string(v) + "'");
        return false;
      }
    } else if (arg == "--name") {
      const char* v = value(arg);
      if (v == nullptr) return false;
      o.name = v;
      if (o.name.empty() || o.name.find_first_of(" /,:\t\n") != std::string::npos) {
        status = usage_error(err, "--name must be non-empty, without spaces, '/', ',' or ':'");
        return false;
      }
    } else if (arg == "--out" || arg == "-o") {
      const char* v = value(arg);
      if (v == nullptr) return false;
      o.out = v;
    } else if (arg == "--format" || arg == "-f") {
      const char* v = value(arg);
      if (v == nullptr) return false;
      const std::string_view f(v);
      if (f != "table" && f != "json") {
        status = usage_error(err, "--format must be table or json, not '" + std::string(f) + "'");
        return false;
      }
      o.json_format = f == "json";
    } else if (arg == "--quiet") {
      o.quiet = true;
    } else {
      status = usage_error(err, "unexpected argument '" + std::string(arg) + "'");
      return false;
    }
  }
  if (o.list_programs) return true;
  if (o.program.empty() && o.catalog_programs.empty()) {
    status = usage_error(err, "no program to run after '--' (or --program NAME|all)");
    return false;
  }
  if (!o.program.empty() && !o.catalog_programs.empty()) {
    status = usage_error(err, "give --program or '-- PROGRAM', not both");
    return false;
  }
  return true;
}

struct Runner {
  const ProgramAllocator* allocator = nullptr;
  std::string library;  // "" for system
  std::string unavailable;
  std::vector<ProgramRunResult> runs;
  std::string failure;  // the first reason this entry failed
};

// Whether every process of the run got its malloc from the intended library.
std::string verify_provider(const Runner& r, const ProgramRunResult& run, std::string& seen) {
  if (run.malloc_libraries.empty())
    return "the probe saw no process: the program ignored LD_PRELOAD (a static or setuid binary?)";
  const std::string expected = r.library.empty() ? "" : canonical(r.library);
  for (const std::string& lib : run.malloc_libraries) {
    seen = lib;
    const std::string leaf = fs::path(lib).filename().string();
    const bool ok = expected.empty() ? leaf.starts_with("libc.so") : canonical(lib) == expected;
    if (!ok)
      return "malloc was served by " + lib + ", not " +
             (expected.empty() ? std::string("glibc") : expected);
  }
  return {};
}

json number_array(const std::vector<ProgramRunResult>& runs, double ProgramRunResult::*field) {
  json a = json::array();
  for (const auto& r : runs) a.push_back(r.*field);
  return a;
}
json int_array(const std::vector<ProgramRunResult>& runs, std::int64_t ProgramRunResult::*field) {
  json a = json::array();
  for (const auto& r : runs) a.push_back(r.*field);
  return a;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string mib(double bytes) {
  return fixed(bytes / (1024.0 * 1024.0), 1) + " MiB";
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string render_program_table(const json& doc) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"program", "allocator", "wall s", "min", "max", "cv%", "user s", "sys s",
                  "peak RSS", "minor faults", "major", "speedup vs system", "status"});
  for (const json& e : doc["entries"]) {
    const std::string status = e["status"];
    std::vector<std::string> row = {e["workload"], e["allocator"]};
    if (status != "ok") {
      for (int k = 0; k < 10; ++k) row.push_back("");
      row.push_back(status);
      rows.push_back(row);
      continue;
    }
    const json& t = e["timing"];
    const json& p = e["program"];
    auto med = [](const json& a) { return median(a.get<std::vector<double>>()); };
    row.push_back(fixed(t["ns_per_op_median"].get<double>() / 1e9, 3));
    row.push_back(fixed(t["ns_per_op_min"].get<double>() / 1e9, 3));
    row.push_back(fixed(t["ns_per_op_max"].get<double>() / 1e9, 3));
    row.push_back(fixed(100 * t["ns_per_op_cv"].get<double>(), 1));
    row.push_back(fixed(med(p["user_ns"]) / 1e9, 3));
    row.push_back(fixed(med(p["system_ns"]) / 1e9, 3));
    row.push_back(mib(med(p["max_rss_bytes"])));
    row.push_back(fixed(med(p["minor_faults"]), 0));
    row.push_back(fixed(med(p["major_faults"]), 0));
    const json& s = t["speedup_vs_system"];
    row.push_back(s.is_number() ? fixed(s.get<double>(), 2) + "x" : "-");
    row.push_back(status);
    rows.push_back(row);
  }
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  std::string out = machine_line(doc["context"]) + "\n";
  for (const auto& r : rows) {
    for (std::size_t c = 0; c < r.size(); ++c) {
      const bool left = c < 2 || c + 1 == r.size();
      const std::string pad(width[c] - r[c].size(), ' ');
      out += (c ? "  " : "") + (left ? r[c] + pad : pad + r[c]);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
  }
  for (const json& e : doc["entries"])
    if (e["status"] != "ok")
      out += e["allocator"].get<std::string>() + ": " + e["status"].get<std::string>() + ": " +
             e["reason"].get<std::string>() + "\n";
  out +=
      "wall s: median wall time of one run over the repetitions; user/sys: CPU of the program "
      "and the children it waited for; peak RSS: largest resident set of those processes "
      "(getrusage), the same measure for every allocator; speedup vs system: glibc's median "
      "wall time / this one.\n";
  return out;
}

// One program to measure: the user's, or one of the catalog's.
struct ProgramSpec {
  std::string name;
  std::vector<std::string> argv;
  std::vector<std::string> env;                 // "NAME=VALUE"
  std::vector<std::vector<std::string>> setup;  // in `cwd`, not timed
  bool make_work_dir = false;                   // cwd: a fresh temporary directory
  bool compare_output = true;
  int threads = 1;
};

// A fresh directory for a catalog program, removed when this goes.
struct WorkDir {
  std::string path;
  WorkDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/stalloc-run-XXXXXX";
    if (::mkdtemp(templ.data()) != nullptr) path = templ;
  }
  ~WorkDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
};

// Compares every allocator's stdout with the reference: glibc's, else the
// first allocator's that ran, and only when the reference is the same in
// every run (a program whose output varies cannot be checked this way).
// Marks the entries whose output differs as failed; returns what was done.
std::string check_outputs(std::vector<Runner>& runners, bool compare_output) {
  if (!compare_output)
    return "not compared: the catalog marks this program's stdout as varying between runs";
  const Runner* reference = nullptr;
  for (const Runner& r : runners) {
    if (!r.failure.empty() || r.runs.empty()) continue;
    if (r.allocator->name == "system") {
      reference = &r;
      break;
    }
    if (reference == nullptr) reference = &r;
  }
  if (reference == nullptr) return "no successful run to compare with";
  const ProgramRunResult& first = reference->runs[0];
  for (const ProgramRunResult& run : reference->runs)
    if (run.stdout_hash != first.stdout_hash || run.stdout_bytes != first.stdout_bytes)
      return "not compared: the program's stdout differs between runs under " +
             std::string(reference->allocator->name);
  for (Runner& r : runners) {
    if (!r.failure.empty() || &r == reference) continue;
    for (const ProgramRunResult& run : r.runs) {
      if (run.stdout_hash != first.stdout_hash || run.stdout_bytes != first.stdout_bytes) {
        r.failure = "its stdout (" + std::to_string(run.stdout_bytes) + " bytes) differs from " +
                    std::string(reference->allocator->name) + "'s (" +
                    std::to_string(first.stdout_bytes) + " bytes)";
        break;
      }
    }
  }
  return "stdout identical to " + std::string(reference->allocator->name) + "'s in every run";
}

// The results-schema entry of one allocator on one program.
json entry_json(const Runner& r, const std::string& name, const std::string& program_line,
                const std::string& output_check, int repetitions) {
  json e;
  e["workload"] = "program:" + name;
  e["workload_input"] = program_line;
  e["point"] = "";
  e["point_name"] = "";
  e["point_value"] = 0;
  e["allocator"] = r.allocator->name;
  e["threads"] = 1;
  e["name"] = "program:" + name + "/" + std::string(r.allocator->name) + "/threads:1";
  e["quick_scope"] = nullptr;
  e["arena"] = nullptr;
  e["instrumented"] = nullptr;
  e["corruptions"] = nullptr;
  e["timing"] = nullptr;
  e["peak_rss_bytes"] = nullptr;
  e["malloc_provider"] = nullptr;
  e["program"] = nullptr;
  if (!r.unavailable.empty()) {
    e["status"] = "unavailable";
    e["reason"] = r.unavailable;
  } else if (!r.failure.empty()) {
    e["status"] = "failed";
    e["reason"] = r.failure;
  } else if (r.runs.size() != static_cast<std::size_t>(repetitions)) {
    e["status"] = "interrupted";
    e["reason"] = "interrupted after " + std::to_string(r.runs.size()) + " runs";
  } else {
    e["status"] = "ok";
    e["reason"] = nullptr;
  }
  if (r.runs.empty() || !r.runs.back().started) return e;
  const ProgramRunResult& last = r.runs.back();
  e["malloc_provider"] = {
      {"library", last.malloc_libraries.empty() ? "(no process seen)" : last.malloc_libraries[0]},
      {"verified", r.failure.empty()},
      {"check", "the probe (dladdr of the malloc the program binds) in " +
                    std::to_string(last.malloc_libraries.size()) + " process(es) of the last run"}};
  json p;
  p["wall_ns"] = number_array(r.runs, &ProgramRunResult::wall_ns);
  p["user_ns"] = number_array(r.runs, &ProgramRunResult::user_ns);
  p["system_ns"] = number_array(r.runs, &ProgramRunResult::system_ns);
  p["max_rss_bytes"] = int_array(r.runs, &ProgramRunResult::max_rss_bytes);
  p["minor_faults"] = int_array(r.runs, &ProgramRunResult::minor_faults);
  p["major_faults"] = int_array(r.runs, &ProgramRunResult::major_faults);
  json statuses = json::array();
  for (const auto& run : r.runs) statuses.push_back(run.exit_status);
  p["exit_status"] = statuses;
  p["stdout_bytes"] = last.stdout_bytes;
  char hash[32];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(last.stdout_hash));
  p["stdout_fnv1a64"] = hash;
  p["output_check"] = output_check;
  p["processes"] = last.malloc_libraries.size();
  e["program"] = p;
  if (e["status"] == "ok") {
    std::vector<double> wall;
    json timing;
    timing["iterations"] = 1;
    timing["iterations_per_repetition"] = json::array();
    timing["ops_per_repetition"] = json::array();
    timing["cpu_ns_per_op"] = json::array();
    std::int64_t peak = 0;
    for (const auto& run : r.runs) {
      wall.push_back(run.wall_ns);
      timing["iterations_per_repetition"].push_back(1);
      timing["ops_per_repetition"].push_back(1);
      timing["cpu_ns_per_op"].push_back(run.user_ns + run.system_ns);
      peak = std::max(peak, run.max_rss_bytes);
    }
    write_timing_summary(timing, wall);
    timing["speedup_vs_system"] = nullptr;
    e["timing"] = timing;
    e["peak_rss_bytes"] = peak;
  }
  return e;
}

}  // namespace

bool is_run_command(int argc, const char* const* argv) {
  return argc >= 2 && std::string_view(argv[1]) == "run";
}

int run_command_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  ProgramRunOptions o;
  int status = 0;
  if (!parse_options(argc, argv, o, out, err, status)) return status < 0 ? 0 : status;
  std::string command_line = "stalloc-bench";
  for (int i = 1; i < argc; ++i) {
    command_line += ' ';
    command_line += shell_quote(argv[i]);
  }
  return run_programs(std::move(o), command_line, out, err);
}

int run_programs(ProgramRunOptions o, const std::string& command_line, std::ostream& out,
                 std::ostream& err) {
  // What to run: the user's program, or programs of the catalog.
  std::vector<ProgramSpec> specs;
  const std::string catalog_dir = program_catalog_dir();
  if (o.list_programs || !o.catalog_programs.empty()) {
    std::vector<CatalogProgram> catalog;
    try {
      catalog = load_program_catalog(catalog_dir);
    } catch (const std::exception& e) {
      err << "stalloc-bench run: " << e.what() << "\n";
      return 2;
    }
    if (o.list_programs) {
      for (const CatalogProgram& c : catalog)
        out << "program:" << c.name << "  " << c.description
            << (c.threads > 1 ? " [" + std::to_string(c.threads) + " threads]" : "") << "\n";
      return 0;
    }
    const bool all = o.catalog_programs.size() == 1 && o.catalog_programs[0] == "all";
    for (const CatalogProgram& c : catalog) {
      if (!all && std::find(o.catalog_programs.begin(), o.catalog_programs.end(), c.name) ==
                      o.catalog_programs.end())
        continue;
      ProgramSpec spec;
      spec.name = c.name;
      spec.make_work_dir = true;
      spec.argv = c.command;
      spec.setup = c.setup;
      for (const auto& [k, v] : c.env) spec.env.push_back(k + "=" + v);
      spec.compare_output = c.compare_output;
      spec.threads = c.threads;
      specs.push_back(std::move(spec));
    }
    for (const std::string& wanted : o.catalog_programs) {
      if (all) break;
      if (std::none_of(catalog.begin(), catalog.end(),
                       [&](const CatalogProgram& c) { return c.name == wanted; })) {
        std::string names;
        for (const CatalogProgram& c : catalog) names += (names.empty() ? "" : ", ") + c.name;
        return usage_error(err, "no program '" + wanted + "' in the catalog (" + names + ", all)");
      }
    }
    if (o.name.size()) return usage_error(err, "--name is for '-- PROGRAM' runs only");
  } else {
    if (find_program(o.program[0]).empty())
      return usage_error(err, "program '" + o.program[0] + "' not found (or not executable)");
    ProgramSpec spec;
    spec.name = o.name.empty() ? fs::path(o.program[0]).filename().string() : o.name;
    for (char& c : spec.name)
      if (c == ' ' || c == ',' || c == ':') c = '_';
    spec.argv = o.program;
    specs.push_back(std::move(spec));
  }
  const std::string probe = probe_path();
  if (probe.empty() || ::access(probe.c_str(), R_OK) != 0)
    return usage_error(err, "probe library not found (" + (probe.empty() ? "not built" : probe) +
                                "); set STALLOC_BENCH_PROBE_LIBRARY=/path/to/"
                                "libstalloc-bench-probe.so");

  // The allocators, in the list's order or the user's.
  std::vector<Runner> allocators;
  if (o.allocators.empty())
    for (const ProgramAllocator& a : kProgramAllocators) o.allocators.emplace_back(a.name);
  for (const std::string& name : o.allocators) {
    const ProgramAllocator* found = nullptr;
    for (const ProgramAllocator& a : kProgramAllocators)
      if (a.name == name) found = &a;
    if (found == nullptr) {
      std::string names;
      for (const ProgramAllocator& a : kProgramAllocators)
        names += (names.empty() ? "" : ", ") + std::string(a.name);
      return usage_error(err, "unknown allocator '" + name + "' (run knows: " + names + ")");
    }
    if (std::any_of(allocators.begin(), allocators.end(),
                    [&](const Runner& r) { return r.allocator == found; }))
      return usage_error(err, "allocator '" + name + "' given twice");
    Runner r;
    r.allocator = found;
    const auto where = locate_program_allocator(*found);
    if (const auto* path = std::get_if<std::string>(&where)) {
      r.library = *path;
      if (!r.library.empty() && ::access(r.library.c_str(), R_OK) != 0)
        r.unavailable = r.library + " is not readable";
    } else {
      r.unavailable = std::get<LibraryNotFound>(where).reason;
    }
    allocators.push_back(std::move(r));
  }

  std::string out_path = o.out;
  if (out_path.empty())
    out_path = default_results_path("program-" + (specs.size() == 1 ? specs[0].name : "programs"));
  if (std::string reason = unwritable_reason("--out", out_path); !reason.empty()) {
    err << "stalloc-bench run: " << reason << "\n";
    return 2;
  }

  struct sigaction action {
  }, old_int{}, old_term{};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  const auto started = std::chrono::steady_clock::now();
  const std::string start_date = utc_timestamp();
  const json load_average_start = load_average();
  json entries = json::array();
  bool all_ok = true;
  for (const ProgramSpec& spec : specs) {
    if (g_interrupted) break;
    std::vector<Runner> runners = allocators;  // this program's runs
    std::optional<WorkDir> work;
    std::string cwd;
    std::string setup_failure;
    if (spec.make_work_dir) {
      cwd = work.emplace().path;
      if (cwd.empty())
        setup_failure = std::string("cannot create a work directory: ") + std::strerror(errno);
    }
    auto expand = [&](const std::vector<std::string>& args) {
      std::vector<std::string> x;
      for (const std::string& a : args) x.push_back(expand_placeholders(a, catalog_dir, cwd));
      return x;
    };
    const std::vector<std::string> command = expand(spec.argv);
    std::string program_line;
    for (const std::string& a : command)
      program_line += (program_line.empty() ? "" : " ") + shell_quote(a);
    if (spec.make_work_dir && setup_failure.empty() && find_program(command[0]).empty())
      setup_failure = "program '" + command[0] + "' not found (install: scripts/deps.sh)";
    for (const auto& step : spec.setup) {
      if (!setup_failure.empty()) break;
      ProgramRunRequest request;
      request.argv = expand(step);
      request.cwd = cwd;
      request.env = spec.env;
      request.timeout_s = o.timeout_s;
      if (!o.quiet) err << "setup of " << spec.name << ": " << request.argv.back() << "\n";
      const ProgramRunResult r = run_program(request);
      if (!r.started || r.timed_out || r.signal != 0 || r.exit_status != 0)
        setup_failure = "setup '" + request.argv.back() + "' " + describe_ending(r, o.timeout_s) +
                        (r.stderr_tail.empty() ? "" : ": " + r.stderr_tail);
    }
    if (!setup_failure.empty())
      for (Runner& r : runners)
        if (r.unavailable.empty()) r.failure = setup_failure;

    // The repetitions, interleaved: every allocator once, then again.
    std::size_t available = 0;
    for (const Runner& r : runners) available += r.unavailable.empty() ? 1 : 0;
    std::size_t done = 0;
    for (int rep = 0; rep < o.repetitions && !g_interrupted; ++rep) {
      for (Runner& r : runners) {
        if (!r.unavailable.empty() || !r.failure.empty() || g_interrupted) continue;
        ProgramRunRequest request;
        request.argv = command;
        if (!r.library.empty()) request.preload = {r.library};
        request.probe_library = probe;
        request.timeout_s = o.timeout_s;
        request.env = spec.env;
        request.cwd = cwd;
        ProgramRunResult run = run_program(request);
        ++done;
        if (!run.started) {
          r.failure = run.error;
        } else if (run.timed_out || run.signal != 0 || run.exit_status != 0) {
          r.failure = describe_ending(run, o.timeout_s);
          std::string tail = run.stderr_tail;
          while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
          if (const std::size_t nl = tail.rfind('\n'); nl != std::string::npos)
            tail.erase(0, nl + 1);
          if (!tail.empty()) r.failure += "; its last line on stderr: " + tail;
        } else {
          std::string seen;
          if (std::string problem = verify_provider(r, run, seen); !problem.empty())
            r.failure = problem;
        }
        if (!o.quiet)
          err << "[" << done << "/" << available * static_cast<std::size_t>(o.repetitions) << "] "
              << spec.name << " " << r.allocator->name << " #" << rep + 1 << ": "
              << (r.failure.empty() ? fixed(run.wall_ns / 1e9, 3) + " s" : "FAILED: " + r.failure)
              << "\n";
        r.runs.push_back(std::move(run));
      }
    }
    const std::string output_check = check_outputs(runners, spec.compare_output);
    for (const Runner& r : runners) {
      json e = entry_json(r, spec.name, program_line, output_check, o.repetitions);
      if (e["status"] == "failed") all_ok = false;
      entries.push_back(std::move(e));
    }
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  fill_ratios(entries);

  json document;
  document["schema_version"] = kResultsSchemaVersion;
  RunDescription run;
  run.date = start_date;
  run.load_average_start = load_average_start;
  run.command_line = command_line;
  run.seed = 0;  // (no seed: the program is what it is)
  run.repetitions = o.repetitions;
  run.interleaved = true;
  run.min_time_s = nullptr;  // a repetition is one run of the program
  run.threads = {1};
  json context = run_context(run);
  finish_context(context, g_interrupted != 0,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  document["context"] = context;
  document["allocators"] = json::array();
  for (const Runner& r : allocators)
    document["allocators"].push_back(
        {{"name", r.allocator->name},
         {"description", r.allocator->description},
         {"available", r.unavailable.empty()},
         {"reason", r.unavailable.empty() ? json(nullptr) : json(r.unavailable)},
         {"thread_safe", true},
         {"family", family_name(r.allocator->family)},
         {"role", role_name(r.allocator->role)},
         {"malloc_provider", r.allocator->provider_label()},
         {"memory_model", memory_model_name(MemoryModel::whole_process)},
         {"library", r.library.empty() ? json(nullptr) : json(r.library)},
         {"version", nullptr}});
  document["entries"] = entries;

  try {
    write_output(out_path, document.dump(2) + "\n");
  } catch (const std::exception& ex) {
    err << "stalloc-bench run: " << ex.what() << "\n";
    return 1;
  }
  if (o.json_format) {
    out << document.dump(2) << "\n";
    err << "results: " << out_path << "\n";
  } else {
    out << render_program_table(document) << "results: " << out_path << "\n";
  }
  if (g_interrupted) return 130;
  return all_ok ? 0 : 1;
}

}  // namespace harness
