#include "cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <ostream>
#include <thread>

#include "catalog.hpp"
#include "context.hpp"
#include "workloads/trace/replay_program.hpp"
#include "workloads/trace/stream_input.hpp"

namespace harness {
namespace {

constexpr const char* kExamples = R"(Examples:
  stalloc-bench --workload small-objects
      every available allocator on the headline workload; table on stdout,
      JSON written under results/
  stalloc-bench --workload small-objects --allocator stalloc,system,mimalloc --quick
  stalloc-bench --workload all --quick --format json --out run.json
  stalloc-bench --workload trace:workloads/traces/sqlite3.trace.zst
      a workload that takes an argument: NAME:ARG (a recorded trace)
  stalloc-bench record --out my.trace -- ./my-program args
      record a program's allocations (LD_PRELOAD recorder), then replay them
      with --workload trace:my.trace
  stalloc-bench --list

Exit status: 0 all entries ran, 1 an entry failed or found corruptions,
2 bad command line, 130 interrupted (finished entries are still written).)";

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_of(" \t\n'\"\\$`|&;<>()*?[]{}!#~") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string unwritable_reason(const std::string& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path path(out);
  if (fs::is_directory(path, ec)) return "--out " + out + " is a directory";
  fs::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec))
    return "--out " + out + ": directory " + dir.string() + " does not exist";
  if (::access(dir.c_str(), W_OK) != 0)
    return "--out " + out + ": directory " + dir.string() + " is not writable";
  if (fs::exists(path, ec) && ::access(path.c_str(), W_OK) != 0)
    return "--out " + out + " is not writable";
  return {};
}

}  // namespace

RunDefaults run_defaults(bool quick) {
  // Full: 5 repetitions of at least 0.2 s each (about 1.5 s per entry with
  // Google Benchmark's iteration search), so all allocators on one
  // single-point workload take well under a minute. Quick: CI-sized.
  return quick ? RunDefaults{3, 0.01, 0.02} : RunDefaults{5, 0.2, 0.3};
}

std::vector<unsigned> thread_counts(unsigned max_threads) {
  std::vector<unsigned> v;
  for (unsigned t = 1; t < max_threads; t *= 2) v.push_back(t);
  v.push_back(max_threads);
  return v;
}

CliResult parse_command_line(int argc, const char* const* argv, Config& config, std::ostream& out,
                             std::ostream& err) {
  for (int i = 0; i < argc; ++i)
    config.command_line += (i ? " " : "") + shell_quote(argv[i] ? argv[i] : "");

  CLI::App app{
      "stalloc-bench: compares Stalloc with glibc malloc, mimalloc, jemalloc, tcmalloc "
      "and std::pmr on allocation workloads (Google Benchmark timing, JSON results).",
      "stalloc-bench"};
  app.set_version_flag("--version", "stalloc-bench " + tool_version());
  app.footer(kExamples);
  app.get_formatter()->column_width(34);

  std::vector<std::string> workload_args;
  std::vector<std::string> allocator_args;
  std::string format = "table";
  unsigned threads = 0;
  int repetitions = 0;
  double min_time = 0;

  app.add_flag("--list", config.list,
               "List every workload and allocator (with availability) and exit");
  app.add_option("-w,--workload", workload_args,
                 "Workloads to run, comma-separated, or 'all'; NAME:ARG passes ARG to the workload")
      ->delimiter(',')
      ->type_name("NAME[,NAME...]");
  app.add_option("-a,--allocator", allocator_args,
                 "Allocators to compare, comma-separated (default: every available one)")
      ->delimiter(',')
      ->type_name("NAME[,NAME...]");
  app.add_option(
         "-t,--threads", threads,
         "Most threads for multithreaded workloads: runs 1, 2, 4, ... up to N (default: cores)")
      ->check(CLI::Range(1u, 1024u))
      ->type_name("N");
  app.add_option("-r,--repetitions", repetitions,
                 "Google Benchmark repetitions per entry (default 5, quick 3)")
      ->check(CLI::Range(1, 1000))
      ->type_name("N");
  app.add_option("--min-time", min_time,
                 "Google Benchmark minimum time per repetition, seconds (default 0.2, quick 0.01)")
      ->check(CLI::Range(0.001, 60.0))
      ->type_name("SECONDS");
  // NonNegativeNumber: CLI11 would otherwise wrap "-1" into a huge unsigned seed.
  app.add_option("-s,--seed", config.seed, "Seed of every workload's request stream (default 42)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("N");
  app.add_flag("-q,--quick", config.quick, "Short run for CI: small workloads, few repetitions");
  app.add_flag("--interleave", config.interleave,
               "Run the repetitions round-robin: every entry once, then every entry again, each "
               "in its own worker, so a slow phase of a shared machine hits all allocators alike "
               "(slower: one process per repetition)");
  app.add_option("-o,--out", config.out,
                 "Write the JSON results here (default: results/<workloads>-<UTC time>.json)")
      ->type_name("FILE");
  app.add_option("-f,--format", format, "What to print on stdout")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->type_name("table|json|csv");

  // Hidden (empty group): how the parent starts a worker.
  std::string max_live;
  app.add_option("--max-live", max_live,
                 "Largest live set (and single request) a trace replay may ask for, e.g. 512M, "
                 "2G (default 256M); a trace beyond it is refused with exit status 2");
  app.add_flag("--worker", config.worker)->group("");
  app.add_flag("--worker-probe", config.probe)->group("");
  app.add_option("--point-index", config.point_index)->group("");
  app.add_option("--instrumented-time", config.instrumented_time_s)->group("");
  app.add_flag("--timing-only", config.timing_only)->group("");

  auto fail = [&](const std::string& message) {
    err << "stalloc-bench: error: " << message << " (see --help)\n";
    return CliResult{false, 2};
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    out << app.help();
    return {false, 0};
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << "\n";
    return {false, 0};
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    return fail(what);
  }

  // The trace workloads read the limit from the environment, which the
  // workers inherit (workloads/trace/replay_program.hpp, ReplayLimits).
  if (!max_live.empty()) {
    const auto bytes = workloads::trace::parse_byte_size(max_live);
    if (!bytes) return fail("--max-live " + max_live + ": not a positive size (e.g. 512M, 2G)");
    ::setenv("STALLOC_TRACE_MAX_LIVE", std::to_string(*bytes).c_str(), 1);
  }

  const RunDefaults defaults = run_defaults(config.quick);
  config.repetitions = repetitions > 0 ? repetitions : defaults.repetitions;
  config.min_time_s = min_time > 0 ? min_time : defaults.min_time_s;
  if (app.count("--instrumented-time") == 0)
    config.instrumented_time_s = defaults.instrumented_time_s;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  config.max_threads = threads > 0 ? threads : cores;
  config.format = format == "json" ? Format::json : format == "csv" ? Format::csv : Format::table;

  // Workloads: known names only; `all` expands to the registry.
  for (const std::string& arg : workload_args) {
    if (arg == "all") {
      for (const auto& w : workload_catalog())
        if (!w.needs_input) config.workloads.push_back({w.name, ""});
      continue;
    }
    const auto colon = arg.find(':');
    WorkloadSpec spec{arg.substr(0, colon),
                      colon == std::string::npos ? "" : arg.substr(colon + 1)};
    if (spec.name.empty()) return fail("empty workload name in --workload");
    if (find_workload(spec.name) == nullptr)
      return fail("unknown workload '" + spec.name + "'; valid: " + workload_names() + ", all");
    if (colon != std::string::npos && spec.input.empty())
      return fail("workload '" + spec.name + ":' needs an argument after the colon");
    if (spec.input.empty() && find_workload(spec.name)->needs_input)
      return fail("workload '" + spec.name + "' needs a file: --workload " + spec.name + ":FILE");
    // A pipe or FIFO can be read once; the run opens the trace in every worker.
    if (find_workload(spec.name)->needs_input && !config.worker) {
      try {
        spec.input = workloads::trace::regular_trace_file(spec.input);
      } catch (const std::exception& e) {
        return fail(std::string("workload ") + arg + ": " + e.what());
      }
    }
    config.workloads.push_back(std::move(spec));
  }
  // Allocators: known names only, in registry order, no duplicates.
  for (const std::string& arg : allocator_args) {
    if (arg.empty()) return fail("empty allocator name in --allocator");
    if (find_allocator(arg) == nullptr)
      return fail("unknown allocator '" + arg + "'; valid: " + allocator_names());
  }
  config.allocators_given = !allocator_args.empty();
  for (const auto& a : allocator_catalog()) {
    if (!config.allocators_given ||
        std::find(allocator_args.begin(), allocator_args.end(), a.name) != allocator_args.end())
      config.allocators.push_back(a.name);
  }

  if (config.worker || config.probe) {
    if (config.allocators.size() != 1) return fail("a worker takes exactly one --allocator");
    if (config.worker && config.workloads.size() != 1)
      return fail("a worker takes exactly one --workload");
    return {true, 0};
  }
  if (config.list) return {true, 0};
  if (config.workloads.empty())
    return fail("no workload given: use --workload NAME (for example small-objects), or --list");
  if (!config.out.empty()) {
    if (std::string reason = unwritable_reason(config.out); !reason.empty()) return fail(reason);
  }
  return {true, 0};
}

}  // namespace harness
