// The parent process: plans the entries, probes the allocators' libraries,
// runs each entry in its own worker, and writes the results.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <variant>

#include <benchmark/benchmark.h>

#include "app.hpp"
#include "catalog.hpp"
#include "context.hpp"
#include "malloc_provider.hpp"
#include "output_file.hpp"
#include "preload.hpp"
#include "report.hpp"
#include "spawn.hpp"
#include "timing_summary.hpp"
#include "workloads/trace/replay.hpp"

namespace harness {
namespace {

using nlohmann::json;

struct Availability {
  bool available = true;
  std::string reason;   // when not available
  std::string library;  // the preloaded library, when there is one
  std::optional<std::string> version;
};

// The carrier allocator's worker with the library preloaded must find that
// the library serves malloc.
Availability probe_external(const AllocatorEntry& a) {
  Availability av;
  av.library = a.external_library;
  WorkerRequest request;
  request.kind = WorkerRequest::Kind::probe;
  request.allocator = external_carrier()->name;
  request.external_library = a.external_library;
  const WorkerOutcome probe = run_worker(request, a.external_library);
  if (probe.status != WorkerOutcome::Status::ok) {
    av.available = false;
    av.reason = "preloading " + a.external_library + " failed: " + probe.error;
  } else if (!probe.result.value("verified", false)) {
    av.available = false;
    av.reason = "preloaded " + a.external_library +
                " but it does not serve malloc: " + probe.result.value("check", std::string("?"));
  }
  return av;
}

// Finds and test-loads the library of every provider the given allocators
// need (one probe worker per preloaded library), so that a missing or broken
// library makes its allocators "unavailable" before the run, not a failure
// in the middle of it.
std::map<std::string, Availability> probe_allocators(
    const std::vector<const AllocatorEntry*>& entries) {
  std::map<MallocProvider, Availability> by_provider;
  std::map<std::string, Availability> result;
  for (const AllocatorEntry* entry : entries) {
    const AllocatorEntry& a = *entry;
    const std::string& name = a.name;
    if (!a.external_library.empty()) {
      result[name] = probe_external(a);
      continue;
    }
    auto it = by_provider.find(a.malloc_provider);
    if (it == by_provider.end()) {
      Availability av;
      if (a.malloc_provider == MallocProvider::glibc) {
        av.version = glibc_version();
      } else {
        auto located = locate_malloc_library(a.malloc_provider);
        if (auto* missing = std::get_if<LibraryNotFound>(&located)) {
          av.available = false;
          av.reason = missing->reason;
        } else {
          av.library = std::get<std::string>(located);
          WorkerRequest request;
          request.kind = WorkerRequest::Kind::probe;
          request.allocator = name;
          const WorkerOutcome probe = run_worker(request, av.library);
          if (probe.status != WorkerOutcome::Status::ok) {
            av.available = false;
            av.reason = "preloading " + av.library + " failed: " + probe.error;
          } else if (!probe.result.value("verified", false)) {
            av.available = false;
            av.reason = "preloaded " + av.library + " but malloc is served by " +
                        probe.result.value("library", std::string("?")) + " (" +
                        probe.result.value("check", std::string()) + ")";
          } else if (probe.result["version"].is_string()) {
            av.version = probe.result["version"].get<std::string>();
          }
        }
      }
      it = by_provider.emplace(a.malloc_provider, av).first;
    }
    result[name] = it->second;
    // In-process allocators share glibc's process but not its version.
    if (a.malloc_provider == MallocProvider::glibc && !a.version.empty())
      result[name].version = a.version;
  }
  return result;
}

// The registered allocators and the run's --external ones, by name.
class AllocatorLookup {
 public:
  explicit AllocatorLookup(const Config& config) {
    const AllocatorEntry* carrier = external_carrier();
    // An external library runs under the carrier's adapter, so it has the
    // carrier's traits (a preloaded malloc replacement).
    for (const ExternalAllocator& e : config.externals) {
      AllocatorEntry a = *carrier;
      a.name = e.name;
      a.description = "external malloc replacement " + e.library + " (--external)";
      a.version.clear();
      a.carries_external = false;
      a.external_library = e.library;
      externals_.push_back(std::move(a));
    }
  }
  const AllocatorEntry& operator()(const std::string& name) const {
    if (const AllocatorEntry* a = find_allocator(name)) return *a;
    for (const AllocatorEntry& a : externals_)
      if (a.name == name) return a;
    throw std::logic_error("no allocator " + name);  // the command line checked the names
  }

 private:
  std::vector<AllocatorEntry> externals_;
};

std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s)
    out +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '-';
  return out;
}

std::string results_label(const Config& config) {
  if (config.workloads.size() > 1 && config.workloads.size() == workload_catalog().size())
    return "all";
  std::string label;
  for (const WorkloadSpec& w : config.workloads) {
    std::string part = w.name;
    if (!w.input.empty()) part += "-" + sanitize(std::filesystem::path(w.input).stem().string());
    label += (label.empty() ? "" : "+") + part;
  }
  return label.size() > 80 ? label.substr(0, 80) : label;
}

// The allocator's declared traits (family, role, thread_safe,
// malloc_provider, memory_model) travel with it: the scripts read them.
json allocator_json(const AllocatorEntry& a, const Availability& av) {
  json j = {{"name", a.name},
            {"description", a.description},
            {"available", av.available},
            {"reason", av.available ? json(nullptr) : json(av.reason)},
            {"library", av.library.empty() ? json(nullptr) : json(av.library)},
            {"version", av.version ? json(*av.version) : json(nullptr)}};
  j.update(allocator_traits_json(a));
  return j;
}

struct PlannedEntry {
  const WorkloadEntry* workload;
  WorkloadSpec spec;
  workloads::Point point;
  std::size_t point_index;
  const AllocatorEntry* allocator;
  unsigned threads;
  std::string status;  // "" = to run
  std::string reason;
  std::string quick_scope;  // what --quick left out, for the label
};

// The entry's name, the one --filter matches and Google Benchmark's format
// uses: workload[/point]/allocator/threads:N.
std::string entry_name(const PlannedEntry& p) {
  std::string name = p.spec.text();
  if (!p.point.name.empty()) name += "/" + p.point.label();
  return name + "/" + p.allocator->name + "/threads:" + std::to_string(p.threads);
}

bool point_selected(const WorkloadSpec& spec, const workloads::Point& point) {
  if (spec.select_key.empty()) return true;
  return point.name == spec.select_key &&
         (spec.select_value.empty() || std::to_string(point.value) == spec.select_value);
}

std::string point_labels(const std::vector<workloads::Point>& points) {
  std::string s;
  for (const auto& p : points) s += (s.empty() ? "" : ", ") + p.label();
  return s;
}

json entry_skeleton(const PlannedEntry& p) {
  return {{"workload", p.spec.text()},
          {"workload_input", p.spec.input.empty() ? json(nullptr) : json(p.spec.input)},
          {"point", p.point.label()},
          {"point_name", p.point.name},
          {"point_value", p.point.value},
          {"allocator", p.allocator->name},
          {"threads", p.threads},
          {"name", entry_name(p)},
          {"quick_scope", p.quick_scope.empty() ? json(nullptr) : json(p.quick_scope)},
          {"status", p.status.empty() ? "ok" : p.status},
          {"reason", p.reason.empty() ? json(nullptr) : json(p.reason)},
          {"arena", nullptr},
          {"malloc_provider", nullptr},
          {"timing", nullptr},
          {"instrumented", nullptr},
          {"corruptions", nullptr},
          {"peak_rss_bytes", nullptr}};
}

// --interleave: appends a worker's single repetition to an entry's timing and
// recomputes the summary over all of them.
void add_repetition(json& timing, const json& more) {
  std::vector<double> ns = timing["ns_per_op"].get<std::vector<double>>();
  for (const json& x : more["ns_per_op"]) ns.push_back(x.get<double>());
  for (const char* k : {"ops_per_repetition", "cpu_ns_per_op", "iterations_per_repetition"})
    for (const json& x : more[k]) timing[k].push_back(x);
  write_timing_summary(timing, ns);
}

std::string fmt_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f s", s);
  return buf;
}

std::string fmt_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// --format json: the list as one document (workloads[], allocators[] with
// their declared traits and availability), for the scripts.
int list_catalog_json(const std::map<std::string, Availability>& availability) {
  json workloads = json::array();
  for (const WorkloadEntry& w : workload_catalog()) {
    json j = {{"name", w.name}, {"description", w.description}};
    j.update(workload_traits_json(w));
    workloads.push_back(std::move(j));
  }
  json allocators = json::array();
  for (const AllocatorEntry& a : allocator_catalog())
    allocators.push_back(allocator_json(a, availability.at(a.name)));
  std::cout << json{{"workloads", workloads}, {"allocators", allocators}}.dump(2) << "\n";
  return 0;
}

}  // namespace

int list_catalog(Format format) {
  if (format == Format::json) {
    std::vector<const AllocatorEntry*> entries;
    for (const AllocatorEntry& a : allocator_catalog()) entries.push_back(&a);
    return list_catalog_json(probe_allocators(entries));
  }
  std::cout << "Workloads (--workload NAME, NAME:key=value for one sweep point, or all):\n";
  for (const WorkloadEntry& w : workload_catalog()) {
    std::cout << "  " << w.name << std::string(w.name.size() < 20 ? 20 - w.name.size() : 1, ' ')
              << w.description << "  [arena " << w.arena.blocks << " x " << w.arena.block_size
              << " B" << (w.multithreaded ? ", multithreaded" : "") << "]\n";
    if (w.needs_input) {
      std::cout << std::string(22, ' ') << "argument: " << w.name << ":FILE\n";
      continue;
    }
    workloads::Options full;
    workloads::Options quick;
    quick.quick = true;
    const auto points = w.points(full);
    if (points.size() > 1 || (!points.empty() && !points.front().name.empty()))
      std::cout << std::string(22, ' ') << "points: " << point_labels(points) << "\n"
                << std::string(22, ' ') << "quick points: " << point_labels(w.points(quick))
                << "\n";
  }
  std::vector<const AllocatorEntry*> entries;
  for (const AllocatorEntry& a : allocator_catalog()) entries.push_back(&a);
  const auto availability = probe_allocators(entries);
  std::cout << "\nAllocators (--allocator NAME[,NAME...]):\n";
  for (const AllocatorEntry& a : allocator_catalog()) {
    const Availability& av = availability.at(a.name);
    std::cout << "  " << a.name << std::string(a.name.size() < 20 ? 20 - a.name.size() : 1, ' ')
              << a.description << (a.thread_safe ? "" : " [single thread]")
              << (av.available ? "" : "  UNAVAILABLE: " + av.reason) << "\n";
  }
  return 0;
}

int run_benchmarks(const Config& config) {
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

  // The plan: every (workload, point, threads, allocator). A workload's
  // points() may reject its argument (a missing trace file): bad input.
  const std::vector<unsigned> threads_list = thread_counts(config.max_threads);
  std::optional<std::regex> filter;
  if (!config.filter.empty()) filter.emplace(config.filter);
  std::vector<PlannedEntry> plan;
  std::vector<std::pair<WorkloadSpec, const WorkloadEntry*>> workloads;
  for (const WorkloadSpec& spec : config.workloads)
    workloads.emplace_back(spec, find_workload(spec.name));
  const AllocatorLookup lookup(config);
  std::vector<const AllocatorEntry*> chosen;
  for (const std::string& name : config.allocators) chosen.push_back(&lookup(name));
  const auto availability = probe_allocators(chosen);
  for (const auto& [spec, w] : workloads) {
    workloads::Options options;
    options.seed = config.seed;
    options.quick = config.quick;
    options.input = spec.input;
    std::vector<workloads::Point> points;
    std::string quick_scope;
    try {
      points = w->points(options);
      if (!spec.input.empty()) quick_scope = w->validate(options);
    } catch (const std::exception& e) {
      std::cerr << "stalloc-bench: error: workload " << spec.text() << ": " << e.what() << "\n";
      return 2;
    }
    if (config.quick && quick_scope.empty()) quick_scope = "CI-sized workload";
    if (std::none_of(points.begin(), points.end(),
                     [&](const workloads::Point& pt) { return point_selected(spec, pt); })) {
      std::cerr << "stalloc-bench: error: workload " << spec.name << " has no point "
                << spec.select_key << (spec.select_value.empty() ? "" : "=") << spec.select_value
                << (config.quick ? " in a --quick run" : "") << "; its points: "
                << (points.size() == 1 && points.front().name.empty() ? "none (no sweep)"
                                                                      : point_labels(points))
                << "\n";
      return 2;
    }
    const std::vector<unsigned> counts = w->multithreaded ? threads_list : std::vector<unsigned>{1};
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (!point_selected(spec, points[i])) continue;
      for (unsigned threads : counts) {
        for (const std::string& name : config.allocators) {
          const AllocatorEntry* a = &lookup(name);
          PlannedEntry p{w, spec, points[i], i, a, threads, "", "", quick_scope};
          if (filter && !std::regex_search(entry_name(p), *filter)) continue;
          const Availability& av = availability.at(name);
          if (!av.available) {
            p.status = "unavailable";
            p.reason = av.reason;
          } else if (w->multithreaded && !a->thread_safe) {
            p.status = "not_applicable";
            p.reason = "not thread-safe, and " + w->name + " is multithreaded";
          }
          plan.push_back(std::move(p));
        }
      }
    }
  }

  if (plan.empty()) {
    std::cerr << "stalloc-bench: error: --filter '" << config.filter
              << "' matches no entry (names are workload[/point]/allocator/threads:N)\n";
    return 2;
  }

  json document;
  document["schema_version"] = kResultsSchemaVersion;
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
  run.threads = threads_list;
  // The probed libraries' own versions (not those of the --external ones).
  for (const auto& [name, av] : availability) {
    const AllocatorEntry& a = lookup(name);
    const MallocProvider p = a.malloc_provider;
    if (a.external_library.empty() && p != MallocProvider::glibc && av.version)
      run.library_versions[std::string(provider_name(p))] = *av.version;
  }
  json context = run_context(run);
  document["allocators"] = json::array();
  for (const std::string& name : config.allocators)
    document["allocators"].push_back(allocator_json(lookup(name), availability.at(name)));

  // The run. Normally one worker per entry runs all its repetitions. With
  // --interleave there are `repetitions` passes over the plan, one repetition
  // per worker: the first pass measures everything (instrumented and check
  // passes too), the later ones time only and add their repetition.
  // Progress: a line redrawn in place on a terminal; on anything else (a CI
  // log, a file) one line per finished entry, so a long run shows it is alive.
  const bool terminal = ::isatty(STDERR_FILENO) == 1;
  const bool progress = !config.quiet && terminal;
  const bool progress_lines = !config.quiet && !terminal;
  const int passes = config.interleave ? config.repetitions : 1;
  const int repetitions_per_worker = config.interleave ? 1 : config.repetitions;
  std::size_t to_run = 0;
  for (const PlannedEntry& p : plan) to_run += p.status.empty();
  bool any_failed = false;
  std::vector<json> results;
  results.reserve(plan.size());
  for (const PlannedEntry& p : plan) results.push_back(entry_skeleton(p));
  for (int pass = 0; pass < passes; ++pass) {
    std::size_t done = 0;
    for (std::size_t i = 0; i < plan.size(); ++i) {
      PlannedEntry& p = plan[i];
      json& e = results[i];
      if (!p.status.empty() || e["status"] != "ok") continue;
      if (interrupted()) {
        // A later pass keeps the repetitions already measured.
        if (pass == 0) {
          e["status"] = "interrupted";
          e["reason"] = "the run was interrupted before this entry";
        }
        continue;
      }
      ++done;
      if (progress) {
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::cerr << "\r\x1b[K";
        if (passes > 1) std::cerr << "pass " << pass + 1 << "/" << passes << " ";
        std::cerr << "[" << done << "/" << to_run << "] " << p.spec.text() << " " << p.point.label()
                  << " " << p.allocator->name << " x" << p.threads << "  (" << fmt_seconds(elapsed)
                  << ")" << std::flush;
      }
      // The request, one JSON document (worker_request.hpp); the thread count
      // is exact here, where --threads was the top of the sweep.
      WorkerRequest request;
      request.workload = p.spec.name;
      request.input = p.spec.input;
      // An --external library runs in the carrier allocator's adapter.
      request.allocator =
          p.allocator->external_library.empty() ? p.allocator->name : external_carrier()->name;
      request.external_library = p.allocator->external_library;
      request.point_index = p.point_index;
      request.threads = p.threads;
      request.repetitions = repetitions_per_worker;
      request.min_time_s = config.min_time_s;
      request.instrumented_time_s = config.instrumented_time_s;
      request.seed = config.seed;
      request.quick = config.quick;
      request.timing_only = pass > 0;
      const WorkerOutcome outcome = run_worker(request, availability.at(p.allocator->name).library);
      if (progress_lines) {
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::cerr << "stalloc-bench: ";
        if (passes > 1) std::cerr << "pass " << pass + 1 << "/" << passes << " ";
        std::cerr << "[" << done << "/" << to_run << "] " << entry_name(p) << " "
                  << (outcome.status == WorkerOutcome::Status::ok            ? "done"
                      : outcome.status == WorkerOutcome::Status::interrupted ? "interrupted"
                                                                             : "FAILED")
                  << " (" << fmt_seconds(elapsed) << ")\n";
      }
      if (outcome.status == WorkerOutcome::Status::ok) {
        if (pass == 0) {
          for (const auto& [key, value] : outcome.result.items()) e[key] = value;
          if (e["corruptions"].is_number() && e["corruptions"].get<std::uint64_t>() > 0)
            any_failed = true;
        } else {
          add_repetition(e["timing"], outcome.result["timing"]);
        }
      } else if (outcome.status == WorkerOutcome::Status::interrupted) {
        if (pass == 0) {
          e["status"] = "interrupted";
          e["reason"] = "interrupted while running";
        }
      } else {
        e["status"] = "failed";
        e["reason"] = pass == 0 ? outcome.error
                                : "repetition " + std::to_string(pass + 1) + ": " + outcome.error;
        e["timing"] = nullptr;
        any_failed = true;
        std::cerr << (progress ? "\n" : "") << "stalloc-bench: " << p.spec.text() << " / "
                  << p.allocator->name << " x" << p.threads << " failed: " << outcome.error << "\n";
      }
    }
  }
  json entries = json::array();
  for (json& e : results) entries.push_back(std::move(e));
  if (progress) std::cerr << "\r\x1b[K" << std::flush;

  fill_ratios(entries);
  document["entries"] = std::move(entries);
  finish_context(context, interrupted(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  document["context"] = std::move(context);

  const std::string text = document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  const bool want_gbench = config.format == Format::gbench || !config.gbench_out.empty();
  const std::string gbench_text =
      want_gbench
          ? render_gbench(document).dump(2, ' ', false, json::error_handler_t::replace) + "\n"
          : std::string();
  int status = interrupted() ? 130 : any_failed ? 1 : 0;
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
  if (interrupted()) std::cerr << "stalloc-bench: interrupted; finished entries were kept\n";
  return status;
}

}  // namespace harness
