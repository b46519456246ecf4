// The benchmark run, in four stages with names:
//   plan     (plan.cpp)     the entries, from the command line
//   execute  (execute.cpp)  one worker per entry per pass, interleaved
//   merge    (merge.cpp)    each entry's repetitions folded into one entry
//   report   (report.cpp)   speedups, table, CSV, JSON, Google Benchmark JSON
// This file only connects them: where the results go, the allocators'
// availability, the context block, and the exit status.
#include <chrono>
#include <filesystem>
#include <iostream>

#include "allocator_availability.hpp"
#include "app.hpp"
#include "context.hpp"
#include "execute.hpp"
#include "merge.hpp"
#include "output_file.hpp"
#include "plan.hpp"
#include "report.hpp"
#include "spawn.hpp"
#include "workloads/trace/replay.hpp"

namespace harness {
namespace {

using nlohmann::json;

std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s)
    out +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '-';
  return out;
}

// The results file's name without --out: the workloads run.
std::string results_label(const Config& config) {
  if (config.workloads.size() > 1 && config.workloads.size() == workload_catalog().size())
    return "all";
  std::string label;
  for (const WorkloadSpec& w : config.workloads) {
    std::string part = w.name;
    if (!w.input.empty()) {
      part += '-';
      part += sanitize(std::filesystem::path(w.input).stem().string());
    }
    if (!label.empty()) label += '+';
    label += part;
  }
  return label.size() > 80 ? label.substr(0, 80) : label;
}

std::string fmt_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// The run's part of the context block; the versions are the probed
// libraries' own (not those of the --external ones).
RunDescription describe_run(const Config& config, const AllocatorLookup& lookup,
                            const std::map<std::string, Availability>& availability) {
  RunDescription run;
  run.date = utc_timestamp();
  run.load_average_start = load_average();
  run.command_line = config.command_line;
  run.seed = config.seed;
  run.quick = config.quick;
  if (config.quick)
    run.quick_scope = "CI-sized workloads (traces: their first " +
                      std::to_string(workloads::TraceReplay::kQuickOps) +
                      " ops), fewer sweep points, " + std::to_string(config.repetitions) +
                      " repetitions of " + fmt_number(config.min_time_s) +
                      " s; not comparable with a full run";
  run.repetitions = config.repetitions;
  run.interleaved = config.interleave;
  run.min_time_s = config.min_time_s;
  run.threads = thread_counts(config.max_threads);
  for (const auto& [name, av] : availability) {
    const AllocatorEntry& a = lookup(name);
    const MallocProvider p = a.malloc_provider;
    if (a.external_library.empty() && p != MallocProvider::glibc && av.version)
      run.library_versions[std::string(provider_name(p))] = *av.version;
  }
  return run;
}

// Writes the results file (and --gbench-out) and prints the --format on
// stdout. Returns `status`, or 1 when a file could not be written.
int deliver(const json& document, const Config& config, std::string out_path, int status) {
  const std::string text = document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  const bool want_gbench = config.format == Format::gbench || !config.gbench_out.empty();
  const std::string gbench_text =
      want_gbench
          ? render_gbench(document).dump(2, ' ', false, json::error_handler_t::replace) + "\n"
          : std::string();
  try {
    write_output(out_path, text);
  } catch (const std::exception& e) {
    std::cerr << "stalloc-bench: error: " << e.what() << "\n";
    status = status == 0 ? 1 : status;
    out_path.clear();
  }
  if (!config.gbench_out.empty()) {
    try {
      write_output(config.gbench_out, gbench_text);
      std::cerr << "gbench results: " << config.gbench_out << "\n";
    } catch (const std::exception& e) {
      std::cerr << "stalloc-bench: error: " << e.what() << "\n";
      status = status == 0 ? 1 : status;
    }
  }
  switch (config.format) {
    case Format::table:
      std::cout << render_table(document);
      if (!out_path.empty()) std::cout << "results: " << out_path << "\n";
      break;
    case Format::json:
      std::cout << text;
      if (!out_path.empty()) std::cerr << "results: " << out_path << "\n";
      break;
    case Format::csv:
      std::cout << render_csv(document);
      if (!out_path.empty()) std::cerr << "results: " << out_path << "\n";
      break;
    case Format::gbench:
      std::cout << gbench_text;
      if (!out_path.empty()) std::cerr << "results: " << out_path << "\n";
      break;
  }
  return status;
}

}  // namespace

int run_benchmarks(const Config& config) {
  if (!config.programs.empty())  // the program catalog: `run --program`'s run
    return run_programs(program_run_options(config), config.command_line, std::cout, std::cerr);
  const auto started = std::chrono::steady_clock::now();
  install_interrupt_handler();

  // Where the JSON goes; checked before any work.
  std::string out_path = config.out;
  if (out_path.empty()) {
    out_path = default_results_path(results_label(config));
    if (std::string reason = unwritable_reason("results file", out_path); !reason.empty()) {
      std::cerr << "stalloc-bench: error: " << reason
                << " (set --out or STALLOC_BENCH_RESULTS_DIR)\n";
      return 2;
    }
  }

  const AllocatorLookup lookup(config.externals);
  std::vector<const AllocatorEntry*> chosen;
  for (const std::string& name : config.allocators) chosen.push_back(&lookup(name));
  const auto availability = probe_allocators(chosen);

  std::vector<PlannedEntry> plan;
  try {
    plan = plan_entries(config, lookup, availability);
  } catch (const PlanError& e) {
    std::cerr << "stalloc-bench: error: " << e.what() << "\n";
    return 2;
  }

  json document;
  document["schema_version"] = kResultsSchemaVersion;
  json context = run_context(describe_run(config, lookup, availability));
  document["allocators"] = json::array();
  for (const std::string& name : config.allocators)
    document["allocators"].push_back(allocator_json(lookup(name), availability.at(name)));

  ExecuteOptions execute;
  execute.passes = config.interleave ? config.repetitions : 1;
  execute.quiet = config.quiet;
  execute.started = started;
  const std::vector<std::vector<WorkerOutcome>> outcomes = execute_plan(plan, execute);

  json entries = json::array();
  bool any_failed = false;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    entries.push_back(merge_repetitions(entry_skeleton(plan[i]), outcomes[i]));
    any_failed = any_failed || entry_failed(entries.back());
  }

  fill_ratios(entries);
  document["entries"] = std::move(entries);
  finish_context(context, interrupted(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  document["context"] = std::move(context);

  const int status = deliver(document, config, out_path, interrupted() ? 130 : any_failed ? 1 : 0);
  if (interrupted()) std::cerr << "stalloc-bench: interrupted; finished entries were kept\n";
  return status;
}

}  // namespace harness
