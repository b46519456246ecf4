#include "cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <ostream>
#include <regex>
#include <thread>

#include "catalog.hpp"
#include "context.hpp"
#include "output_file.hpp"
#include "program_allocators.hpp"
#include "program_catalog.hpp"
#include "workloads/trace/replay_program.hpp"
#include "workloads/trace/stream_input.hpp"

namespace harness {
namespace {

constexpr const char* kExamples = R"(Examples:
  stalloc-bench --workload small-objects
      every available allocator on the headline workload, interleaved; table
      on stdout, JSON written under ./results/
  stalloc-bench --workload small-objects --allocator stalloc,system,mimalloc --quick
  stalloc-bench --workload random-free:live=1024 --filter 'stalloc|system'
      one sweep point, the entries whose name matches
  stalloc-bench --workload small-objects --repetitions 9 --gbench-out gb.json
      also Google Benchmark's JSON, for its tools/compare.py
  stalloc-bench --workload small-objects --external mine=/path/libmine.so
      a malloc-replacement library as one more allocator
  stalloc-bench --workload all --quick --format json --out run.json
  stalloc-bench --workload trace:workloads/traces/sqlite3.trace.zst
      a workload that takes an argument: NAME:ARG (a recorded trace)
  stalloc-bench run -- ./my-program args
      the program itself, unmodified, under glibc, Stalloc and the preloaded
      allocators: wall time, CPU, peak RSS, page faults (see run --help)
  stalloc-bench record --out my.trace -- ./my-program args
      record a program's allocations (LD_PRELOAD recorder), then replay them
      with --workload trace:my.trace
  stalloc-bench --list [--format json]

Exit status: 0 all entries ran, 1 an entry failed or found corruptions,
2 bad command line, 130 interrupted (finished entries are still written).)";

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_of(" \t\n'\"\\$`|&;<>()*?[]{}!#~") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Splits one comma-separated option value; empty names are kept, so that the
// caller can reject them.
std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& v : values) {
    std::size_t begin = 0;
    while (true) {
      const std::size_t comma = v.find(',', begin);
      out.push_back(
          v.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
      if (comma == std::string::npos) break;
      begin = comma + 1;
    }
  }
  return out;
}

// "key=value" or "key": which sweep points of a workload to run.
bool parse_selector(const std::string& arg, WorkloadSpec& spec) {
  const auto eq = arg.find('=');
  spec.select_key = arg.substr(0, eq);
  spec.select_value = eq == std::string::npos ? "" : arg.substr(eq + 1);
  const auto word = [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '-' || c == '_';
    });
  };
  return word(spec.select_key) && (eq == std::string::npos || word(spec.select_value));
}

// `program:NAME` names a program of the catalog (program_catalog.hpp), or
// all of them; "" when it does.
std::string catalog_program_problem(const std::string& name) {
  if (name.empty()) return "workload 'program:' needs a program name (see --list), or all";
  std::vector<CatalogProgram> catalog;
  try {
    catalog = load_program_catalog(program_catalog_dir());
  } catch (const std::exception& e) {
    return std::string("program catalog: ") + e.what();
  }
  std::string names;
  for (const CatalogProgram& c : catalog) {
    if (c.name == name || name == "all") return "";
    names += c.name + ", ";
  }
  return "unknown program 'program:" + name + "'; the catalog's: " + names + "all";
}

// --workload program:NAME runs the programs as `stalloc-bench run --program`
// does: whole processes under the preloaded allocators, timed per run. What
// only a workload has is refused rather than ignored; "" when nothing is.
std::string program_run_problem(const CLI::App& app, const Config& config,
                                const std::string& format,
                                const std::vector<std::string>& allocators) {
  if (!config.workloads.empty())
    return "--workload program:NAME runs alone: programs and workloads are measured "
           "differently, so give them in two runs";
  for (const char* option : {"--threads", "--filter", "--seed", "--quick", "--min-time",
                             "--external", "--gbench-out", "--no-interleave", "--max-live"})
    if (app.count(option) > 0)
      return std::string(option) + " does not apply to --workload program:NAME";
  if (format != "table" && format != "json")
    return "--format " + format + " does not apply to --workload program:NAME (table or json)";
  for (std::size_t i = 0; i < allocators.size(); ++i) {
    const std::string& name = allocators[i];
    const auto known = std::find_if(std::begin(kProgramAllocators), std::end(kProgramAllocators),
                                    [&](const ProgramAllocator& a) { return a.name == name; });
    if (known == std::end(kProgramAllocators)) {
      std::string names;
      for (const ProgramAllocator& a : kProgramAllocators)
        names += (names.empty() ? "" : ", ") + std::string(a.name);
      return "allocator '" + name + "' cannot run a program; program:NAME runs under " + names;
    }
    if (std::find(allocators.begin(), allocators.begin() + static_cast<std::ptrdiff_t>(i), name) !=
        allocators.begin() + static_cast<std::ptrdiff_t>(i))
      return "allocator '" + name + "' given twice";
  }
  return "";
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
               "List every workload and allocator (with availability) and exit; with "
               "--format json, as JSON with their declared traits");
  // One value per occurrence, split here: CLI11's own splitting of "," (two
  // empty names) went on to take the next option as a name.
  app.add_option("-w,--workload", workload_args,
                 "Workloads to run, comma-separated, or 'all'; NAME:key=value selects sweep "
                 "points (see --list), trace:FILE names a trace, program:NAME (or program:all) "
                 "runs programs of the catalog as `run --program` does")
      ->allow_extra_args(false)
      ->type_name("NAME[,NAME...]");
  app.add_option("-a,--allocator", allocator_args,
                 "Allocators to compare, comma-separated (default: every available one)")
      ->allow_extra_args(false)
      ->type_name("NAME[,NAME...]");
  std::vector<std::string> external_args;
  app.add_option("--external", external_args,
                 "A malloc-replacement shared library as one more allocator, preloaded in its "
                 "workers and verified to serve malloc (repeatable)")
      ->allow_extra_args(false)
      ->type_name("NAME=/path/lib.so");
  app.add_option("--filter", config.filter,
                 "Run only the entries whose name (workload[/point]/allocator/threads:N, as in "
                 "--format gbench) matches this regular expression (ECMAScript, searched)")
      ->type_name("REGEX");
  app.add_option(
         "-t,--threads", threads,
         "Most threads for multithreaded workloads: runs 1, 2, 4, ... up to N (default: cores)")
      ->check(CLI::Range(1u, 1024u))
      ->type_name("N");
  app.add_option("-r,--repetitions", repetitions,
                 "Google Benchmark repetitions per entry (default 5, quick 3)")
      ->check(CLI::Range(1, 1000))
      ->type_name("N");
  // Checked after parsing: CLI::Range lets NaN through (every comparison
  // with it is false).
  app.add_option("--min-time", min_time,
                 "Google Benchmark minimum time per repetition, seconds (default 0.2, quick 0.01)")
      ->type_name("SECONDS");
  // A string, parsed here: CLI11 wraps "-1" and clamps an overlong number.
  std::string seed_text;
  app.add_option("-s,--seed", seed_text, "Seed of every workload's request stream (default 42)")
      ->type_name("N");
  app.add_flag("-q,--quick", config.quick,
               "Short run for CI: small workloads (traces: their first 100,000 ops), few "
               "repetitions; labelled in the table and the JSON");
  bool interleave = false;
  bool no_interleave = false;
  app.add_flag("--interleave", interleave,
               "The default: run the repetitions round-robin, every entry once, then every entry "
               "again, each in its own worker, so a slow phase of a shared machine hits all "
               "allocators alike");
  app.add_flag("--no-interleave", no_interleave,
               "Run each entry's repetitions back to back in one worker (faster: one process per "
               "entry, but a slow phase lands on one or two allocators)")
      ->excludes("--interleave");
  app.add_option("-o,--out", config.out,
                 "Write the JSON results here (default: ./results/<workloads>-<UTC time>.json)")
      ->type_name("FILE");
  app.add_option("--gbench-out", config.gbench_out,
                 "Also write Google Benchmark's JSON format here (for its tools/compare.py)")
      ->type_name("FILE");
  app.add_option("-f,--format", format,
                 "What to print on stdout (gbench: Google Benchmark's JSON format)")
      ->check(CLI::IsMember({"table", "json", "csv", "gbench"}))
      ->type_name("table|json|csv|gbench");
  app.add_flag("--quiet", config.quiet, "No progress lines on stderr");

  std::string max_live;
  app.add_option("--max-live", max_live,
                 "Largest live set (and single request) a trace replay may ask for, e.g. 512M, "
                 "2G (default 256M); a trace beyond it is refused with exit status 2");

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
  if (app.count("--min-time") > 0 && !(min_time >= 0.001 && min_time <= 60.0))
    return fail("--min-time: " + app["--min-time"]->as<std::string>() +
                " is not a number of seconds in [0.001, 60]");
  if (!seed_text.empty() || app.count("--seed") > 0) {
    const char* first = seed_text.data();
    const char* last = first + seed_text.size();
    const auto [end, ec] = std::from_chars(first, last, config.seed);
    if (seed_text.empty() || !std::isdigit(static_cast<unsigned char>(seed_text[0])) ||
        ec != std::errc{} || end != last)
      return fail("--seed: '" + seed_text + "' is not a whole number in [0, 2^64 - 1]");
  }
  config.interleave = !no_interleave;

  const RunDefaults defaults = run_defaults(config.quick);
  config.repetitions = repetitions > 0 ? repetitions : defaults.repetitions;
  config.min_time_s = min_time > 0 ? min_time : defaults.min_time_s;
  config.instrumented_time_s = defaults.instrumented_time_s;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  config.max_threads = threads > 0 ? threads : cores;
  config.format = format == "json"     ? Format::json
                  : format == "csv"    ? Format::csv
                  : format == "gbench" ? Format::gbench
                                       : Format::table;
  if (!config.filter.empty()) {
    try {
      const std::regex check(config.filter);
    } catch (const std::regex_error& e) {
      return fail("--filter '" + config.filter + "' is not a regular expression: " + e.what());
    }
  }

  // Workloads: known names only; `all` expands to the registry.
  for (const std::string& arg : split_commas(workload_args)) {
    if (arg.starts_with("program:")) {
      const std::string name = arg.substr(std::string_view("program:").size());
      if (std::string problem = catalog_program_problem(name); !problem.empty())
        return fail(problem);
      config.programs.push_back(name);
      continue;
    }
    if (arg == "all") {
      for (const auto& w : workload_catalog())
        if (!w.needs_input) config.workloads.push_back(WorkloadSpec{w.name, "", "", ""});
      continue;
    }
    const auto colon = arg.find(':');
    WorkloadSpec spec;
    spec.name = arg.substr(0, colon);
    const std::string argument = colon == std::string::npos ? "" : arg.substr(colon + 1);
    if (spec.name.empty()) return fail("empty workload name in --workload");
    const WorkloadEntry* w = find_workload(spec.name);
    if (w == nullptr)
      return fail("unknown workload '" + spec.name + "'; valid: " + workload_names() + ", all");
    if (colon != std::string::npos && argument.empty())
      return fail("workload '" + spec.name + ":' needs an argument after the colon");
    if (w->needs_input) {
      if (argument.empty())
        return fail("workload '" + spec.name + "' needs a file: --workload " + spec.name + ":FILE");
      spec.input = argument;
      // A pipe or FIFO can be read once; the run opens the trace in every worker.
      try {
        spec.input = workloads::trace::regular_trace_file(spec.input);
      } catch (const std::exception& e) {
        return fail(std::string("workload ") + arg + ": " + e.what());
      }
    } else if (!argument.empty() && !parse_selector(argument, spec)) {
      return fail("workload '" + spec.name + "' does not understand '" + argument +
                  "': its argument selects sweep points as key=value (see --list)");
    }
    config.workloads.push_back(std::move(spec));
  }
  // --external: a new name, and a file that exists (made absolute: the
  // workers may run elsewhere).
  for (const std::string& arg : external_args) {
    const auto eq = arg.find('=');
    ExternalAllocator ext;
    ext.name = arg.substr(0, eq);
    if (eq == std::string::npos || eq + 1 == arg.size())
      return fail("--external " + arg + ": expected NAME=/path/lib.so");
    const bool word =
        !ext.name.empty() && std::all_of(ext.name.begin(), ext.name.end(), [](unsigned char c) {
          return std::islower(c) || std::isdigit(c) || c == '-' || c == '_';
        });
    if (!word)
      return fail("--external " + arg +
                  ": the name must be lower-case letters, digits, '-' or '_'");
    if (find_allocator(ext.name) != nullptr)
      return fail("--external " + arg + ": '" + ext.name + "' is already an allocator");
    for (const ExternalAllocator& other : config.externals)
      if (other.name == ext.name) return fail("--external: '" + ext.name + "' given twice");
    std::error_code ec;
    const std::filesystem::path library = std::filesystem::absolute(arg.substr(eq + 1), ec);
    if (ec || !std::filesystem::is_regular_file(library, ec) ||
        ::access(library.c_str(), R_OK) != 0)
      return fail("--external " + arg + ": " + arg.substr(eq + 1) + " is not a readable file");
    if (external_carrier() == nullptr)
      return fail("--external: no registered allocator uses the plain preloaded-malloc adapter");
    ext.library = library.string();
    config.externals.push_back(std::move(ext));
  }
  // Allocators: known names only, in registry order (the external ones
  // last), no duplicates.
  allocator_args = split_commas(allocator_args);
  if (!config.programs.empty()) {
    if (std::string problem = program_run_problem(app, config, format, allocator_args);
        !problem.empty())
      return fail(problem);
    config.allocators_given = !allocator_args.empty();
    config.allocators = allocator_args;  // in the user's order, as `run --allocator`
    if (!config.out.empty())
      if (std::string reason = unwritable_reason("--out", config.out); !reason.empty())
        return fail(reason);
    return {true, 0};
  }
  const auto is_external = [&](const std::string& name) {
    return std::any_of(config.externals.begin(), config.externals.end(),
                       [&](const ExternalAllocator& e) { return e.name == name; });
  };
  for (const std::string& arg : allocator_args) {
    if (arg.empty()) return fail("empty allocator name in --allocator");
    if (find_allocator(arg) == nullptr && !is_external(arg))
      return fail("unknown allocator '" + arg + "'; valid: " + allocator_names() +
                  (config.externals.empty() ? "" : " and the --external ones"));
  }
  config.allocators_given = !allocator_args.empty();
  const auto wanted = [&](const std::string& name) {
    return !config.allocators_given ||
           std::find(allocator_args.begin(), allocator_args.end(), name) != allocator_args.end();
  };
  for (const auto& a : allocator_catalog())
    if (wanted(a.name)) config.allocators.push_back(a.name);
  for (const ExternalAllocator& e : config.externals)
    if (wanted(e.name)) config.allocators.push_back(e.name);

  if (config.list) return {true, 0};
  if (config.workloads.empty())
    return fail("no workload given: use --workload NAME (for example small-objects), or --list");
  for (const auto& [option, path] :
       {std::pair{"--out", config.out}, std::pair{"--gbench-out", config.gbench_out}}) {
    if (path.empty()) continue;
    if (std::string reason = unwritable_reason(option, path); !reason.empty()) return fail(reason);
  }
  if (!config.out.empty() && config.out == config.gbench_out)
    return fail("--out and --gbench-out name the same file " + config.out);
  return {true, 0};
}

}  // namespace harness
