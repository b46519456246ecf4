#include "plan.hpp"

#include <algorithm>
#include <optional>
#include <regex>

namespace harness {
namespace {

using nlohmann::json;

bool point_selected(const WorkloadSpec& spec, const workloads::Point& point) {
  if (spec.select_key.empty()) return true;
  return point.name == spec.select_key &&
         (spec.select_value.empty() || std::to_string(point.value) == spec.select_value);
}

// The workload's points for this run, and what --quick left out of it.
// A workload may refuse its argument (a missing trace file): bad input.
std::vector<workloads::Point> run_points(const Config& config, const WorkloadSpec& spec,
                                         const WorkloadEntry& w, std::string& quick_scope) {
  workloads::Options options;
  options.seed = config.seed;
  options.quick = config.quick;
  options.input = spec.input;
  std::vector<workloads::Point> points;
  try {
    points = w.points(options);
    if (!spec.input.empty()) quick_scope = w.validate(options);
  } catch (const std::exception& e) {
    throw PlanError("workload " + spec.text() + ": " + e.what());
  }
  if (config.quick && quick_scope.empty()) quick_scope = "CI-sized workload";
  if (std::none_of(points.begin(), points.end(),
                   [&](const workloads::Point& pt) { return point_selected(spec, pt); }))
    throw PlanError("workload " + spec.name + " has no point " + spec.select_key +
                    (spec.select_value.empty() ? "" : "=") + spec.select_value +
                    (config.quick ? " in a --quick run" : "") + "; its points: " +
                    (points.size() == 1 && points.front().name.empty() ? "none (no sweep)"
                                                                       : point_labels(points)));
  return points;
}

// The first pass's request; with --interleave each worker runs one
// repetition and the later passes ask for timing only (execute.cpp).
WorkerRequest entry_request(const Config& config, const WorkloadSpec& spec, std::size_t point_index,
                            unsigned threads, const AllocatorEntry& a) {
  WorkerRequest r;
  r.workload = spec.name;
  r.input = spec.input;
  // An --external library runs in the carrier allocator's adapter.
  r.allocator = a.external_library.empty() ? a.name : external_carrier()->name;
  r.external_library = a.external_library;
  r.point_index = point_index;
  r.threads = threads;
  r.repetitions = config.interleave ? 1 : config.repetitions;
  r.min_time_s = config.min_time_s;
  r.instrumented_time_s = config.instrumented_time_s;
  r.seed = config.seed;
  r.quick = config.quick;
  return r;
}

}  // namespace

std::string PlannedEntry::name() const {
  std::string name = spec.text();
  if (!point.name.empty()) name += "/" + point.label();
  return name + "/" + allocator->name + "/threads:" + std::to_string(request.threads);
}

std::string point_labels(const std::vector<workloads::Point>& points) {
  std::string s;
  for (const auto& p : points) s += (s.empty() ? "" : ", ") + p.label();
  return s;
}

std::vector<PlannedEntry> plan_entries(const Config& config, const AllocatorLookup& lookup,
                                       const std::map<std::string, Availability>& availability) {
  const std::vector<unsigned> sweep = thread_counts(config.max_threads);
  std::optional<std::regex> filter;
  if (!config.filter.empty()) filter.emplace(config.filter);
  std::vector<PlannedEntry> plan;
  for (const WorkloadSpec& spec : config.workloads) {
    const WorkloadEntry* w = find_workload(spec.name);
    std::string quick_scope;
    const std::vector<workloads::Point> points = run_points(config, spec, *w, quick_scope);
    const std::vector<unsigned> counts = w->multithreaded ? sweep : std::vector<unsigned>{1};
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (!point_selected(spec, points[i])) continue;
      for (unsigned threads : counts) {
        for (const std::string& name : config.allocators) {
          const AllocatorEntry& a = lookup(name);
          const Availability& av = availability.at(name);
          PlannedEntry p;
          p.workload = w;
          p.spec = spec;
          p.point = points[i];
          p.allocator = &a;
          p.quick_scope = quick_scope;
          p.request = entry_request(config, spec, i, threads, a);
          p.preload = av.library;
          if (filter && !std::regex_search(p.name(), *filter)) continue;
          if (!av.available) {
            p.status = "unavailable";
            p.reason = av.reason;
          } else if (w->multithreaded && !a.thread_safe) {
            p.status = "not_applicable";
            p.reason = "not thread-safe, and " + w->name + " is multithreaded";
          }
          plan.push_back(std::move(p));
        }
      }
    }
  }
  if (plan.empty())
    throw PlanError("--filter '" + config.filter +
                    "' matches no entry (names are workload[/point]/allocator/threads:N)");
  return plan;
}

ProgramRunOptions program_run_options(const Config& config) {
  ProgramRunOptions o;
  const bool all =
      std::find(config.programs.begin(), config.programs.end(), "all") != config.programs.end();
  o.catalog_programs = all ? std::vector<std::string>{"all"} : config.programs;
  o.allocators = config.allocators;
  o.repetitions = config.repetitions;
  o.out = config.out;
  o.json_format = config.format == Format::json;
  o.quiet = config.quiet;
  return o;
}

json entry_skeleton(const PlannedEntry& p) {
  return {{"workload", p.spec.text()},
          {"workload_input", p.spec.input.empty() ? json(nullptr) : json(p.spec.input)},
          {"point", p.point.label()},
          {"point_name", p.point.name},
          {"point_value", p.point.value},
          {"allocator", p.allocator->name},
          {"threads", p.request.threads},
          {"name", p.name()},
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

}  // namespace harness
