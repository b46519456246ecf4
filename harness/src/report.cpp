#include "report.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <tuple>
#include <vector>

#include "statistics.hpp"

namespace harness {
namespace {

using nlohmann::json;

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Three significant figures, enough for timings that vary by a few percent.
std::string sig3(double v) {
  if (v == 0) return "0";
  const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  return fixed(v, std::max(0, 2 - magnitude));
}

std::string bytes(const json& v) {
  if (!v.is_number()) return "-";
  double b = v.get<double>();
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  return (u == 0 ? fixed(b, 0) : sig3(b)) + " " + units[u];
}

std::string num_or_dash(const json& v, int digits) {
  return v.is_number() ? fixed(v.get<double>(), digits) : "-";
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string str_or(const json& v, const std::string& fallback) {
  return v.is_string() ? v.get<std::string>() : fallback;
}

// Fixed-width columns, left-aligned text and right-aligned numbers.
class TextTable {
 public:
  explicit TextTable(std::vector<std::pair<std::string, bool>> headers)
      : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void add_note(std::string note) { rows_.push_back({std::move(note)}); }
  std::string str() const {
    std::vector<std::size_t> width(headers_.size());
    for (std::size_t c = 0; c < headers_.size(); ++c) width[c] = headers_[c].first.size();
    for (const auto& r : rows_)
      if (r.size() == headers_.size())
        for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
    std::ostringstream out;
    auto line = [&](const std::vector<std::string>& cells) {
      std::string l;
      for (std::size_t c = 0; c < cells.size(); ++c) {
        const std::string& s = cells[c];
        const std::string pad(width[c] - std::min(width[c], s.size()), ' ');
        l += headers_[c].second ? pad + s : s + pad;
        if (c + 1 < cells.size()) l += "  ";
      }
      while (!l.empty() && l.back() == ' ') l.pop_back();
      out << l << "\n";
    };
    std::vector<std::string> h;
    for (const auto& [name, right] : headers_) h.push_back(name);
    line(h);
    for (const auto& r : rows_) {
      if (r.size() == headers_.size()) {
        line(r);
      } else {
        out << r.front() << "\n";
      }
    }
    return out.str();
  }

 private:
  std::vector<std::pair<std::string, bool>> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// A percentile below the timer's resolution shows as "<R": no number the
// timer cannot tell from zero.
std::string latency_value(const json& lat, const char* key) {
  if (lat[key].is_number()) return sig3(lat[key].get<double>());
  for (const json& k : lat.value("below_resolution", json::array()))
    if (k == key) return "<" + sig3(lat["resolution_ns"].get<double>());
  return "-";
}

std::string latency_cell(const json& lat) {
  if (!lat.is_object() || lat.value("count", 0) == 0) return "-";
  return latency_value(lat, "p50_ns") + "/" + latency_value(lat, "p99_ns") + "/" +
         latency_value(lat, "p999_ns");
}

double median_of_json(const json& values) {
  return values.is_array() && !values.empty() ? median_of(values.get<std::vector<double>>()) : 0.0;
}

}  // namespace

void fill_ratios(json& entries) {
  std::map<std::tuple<std::string, std::string, int>, double> system_time;
  for (const json& e : entries) {
    if (e["allocator"] == "system" && e["status"] == "ok")
      system_time[{e["workload"], e["point"], e["threads"]}] = e["timing"]["ns_per_op_median"];
  }
  for (json& e : entries) {
    if (e["status"] != "ok") continue;
    const auto it = system_time.find({e["workload"], e["point"], e["threads"]});
    const double mine = e["timing"]["ns_per_op_median"];
    if (it == system_time.end() || it->second <= 0 || mine <= 0) continue;
    e["timing"]["speedup_vs_system"] = it->second / mine;
  }
}

std::string machine_line(const json& c) {
  std::ostringstream s;
  s << "stalloc-bench " << c["tool_version"].get<std::string>() << " | "
    << c["host"].get<std::string>() << " | " << c["cpu_model"].get<std::string>() << " x"
    << c["cores"].get<int>() << " | " << c["os"].get<std::string>() << " | "
    << c["compiler"].get<std::string>() << " " << c["build_type"].get<std::string>() << " | glibc "
    << str_or(c["library_versions"]["glibc"], "?") << " | commit "
    << c["git_commit"].get<std::string>().substr(0, 12) << (c["git_dirty"] == true ? "+dirty" : "")
    << " | " << c["date"].get<std::string>() << " | seed " << c["seed"].get<std::uint64_t>()
    << (c["quick"] == true ? " | QUICK" : "") << " | " << c["repetitions"].get<int>() << " reps";
  // null for `stalloc-bench run`: a repetition is one run of the program.
  if (c["min_time_s"].is_number()) s << " x >=" << c["min_time_s"].get<double>() << " s";
  return s.str();
}

std::string render_table(const json& doc) {
  std::ostringstream out;
  out << "# " << machine_line(doc["context"]) << "\n";
  TextTable t({{"workload", false},
               {"point", false},
               {"allocator", false},
               {"thr", true},
               {"ns/op", true},
               {"min", true},
               {"max", true},
               {"cv%", true},
               {"cpu/op", true},
               {"Mops/s", true},
               {"speedup vs system", true},
               {"alloc p50/p99/p99.9 ns", true},
               {"free p50/p99/p99.9 ns", true},
               {"req peak", true},
               {"held peak", true},
               {"held/req", true},
               {"failed", true},
               {"corrupt", true}});
  for (const json& e : doc["entries"]) {
    const std::string status = e["status"];
    std::string point = e["point"];
    if (point.empty()) point = "-";
    if (status != "ok") {
      t.add({e["workload"], point, e["allocator"], std::to_string(e["threads"].get<int>()),
             status == "not_applicable" ? "n/a" : status, "", "", "", "", "", "", "", "", "", "",
             "", "", ""});
      continue;
    }
    const json& tm = e["timing"];
    const json& in = e["instrumented"];
    const json& speed = tm["speedup_vs_system"];
    t.add({e["workload"], point, e["allocator"], std::to_string(e["threads"].get<int>()),
           sig3(tm["ns_per_op_median"]), sig3(tm["ns_per_op_min"]), sig3(tm["ns_per_op_max"]),
           fixed(100 * tm["ns_per_op_cv"].get<double>(), 1),
           tm.contains("cpu_ns_per_op") ? sig3(median_of_json(tm["cpu_ns_per_op"])) : "-",
           sig3(tm["ops_per_second"].get<double>() / 1e6),
           speed.is_number() ? sig3(speed.get<double>()) + "x" : "-",
           latency_cell(in["latency"]["allocate"]), latency_cell(in["latency"]["free"]),
           bytes(in["requested_live_peak_bytes"]), bytes(in["held_peak_bytes"]),
           num_or_dash(in["overhead_ratio"], 2),
           std::to_string(in["failed_requests"].get<std::uint64_t>()),
           std::to_string(e["corruptions"].get<std::uint64_t>())});
  }
  out << t.str();

  // What the table cannot show in a column: arena shapes, reasons, notes.
  std::map<std::string, std::string> arenas;
  for (const json& e : doc["entries"]) {
    if (e["arena"].is_object())
      arenas[e["workload"].get<std::string>()] =
          std::to_string(e["arena"]["blocks"].get<std::size_t>()) + " blocks x " +
          std::to_string(e["arena"]["block_size"].get<std::size_t>()) +
          " B = " + bytes(e["arena"]["capacity_bytes"]);
  }
  for (const auto& [w, a] : arenas) out << "arena " << w << ": " << a << "\n";
  std::map<std::string, std::string> reasons;
  for (const json& e : doc["entries"])
    if (e["status"] != "ok" && e["reason"].is_string())
      reasons[e["allocator"].get<std::string>() + " (" + e["status"].get<std::string>() + ")"] =
          e["reason"];
  for (const auto& [who, why] : reasons) out << who << ": " << why << "\n";
  out << "ns/op: median wall time per allocator call over repetitions (all threads together); "
         "cpu/op: median CPU time of all threads per call; speedup vs system: glibc time / this "
         "time (>1 is faster); latency: sampled calls minus the timer's own cost, <R: below the "
         "timer's resolution R.\n";
  const json& c = doc["context"];
  if (c.value("quick", false)) {
    out << "QUICK run: " << str_or(c["quick_scope"], "CI-sized workloads") << ".\n";
    std::map<std::string, std::string> scopes;
    for (const json& e : doc["entries"])
      if (e["quick_scope"].is_string() && e["workload_input"].is_string())
        scopes[e["workload"].get<std::string>()] = e["quick_scope"].get<std::string>();
    for (const auto& [w, scope] : scopes) out << "quick " << w << ": " << scope << "\n";
  }
  return out.str();
}

std::string render_csv(const json& doc) {
  std::ostringstream out;
  out << "workload,point,allocator,threads,status,ns_per_op_median,ns_per_op_min,ns_per_op_max,"
         "ns_per_op_cv,cpu_ns_per_op_median,ops_per_second,speedup_vs_system,alloc_p50_ns,alloc_"
         "p99_ns,alloc_p999_ns,"
         "free_p50_ns,free_p99_ns,free_p999_ns,realloc_p50_ns,realloc_p99_ns,realloc_p999_ns,"
         "requested_live_peak_bytes,held_peak_bytes,overhead_ratio,failed_requests,"
         "fill_at_first_failure,corruptions,peak_rss_bytes,reason\n";
  auto n = [](const json& v) -> std::string {
    if (!v.is_number()) return "";
    if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
    return buf;
  };
  for (const json& e : doc["entries"]) {
    const bool ok = e["status"] == "ok";
    const json none;
    const json& tm = ok ? e["timing"] : none;
    const json& in = ok ? e["instrumented"] : none;
    auto get = [&](const json& o, const char* k) -> json { return o.is_object() ? o[k] : json(); };
    auto lat = [&](const char* kind, const char* k) -> json {
      return in.is_object() ? in["latency"][kind][k] : json();
    };
    out << csv_field(e["workload"]) << "," << csv_field(e["point"]) << ","
        << csv_field(e["allocator"]) << "," << e["threads"].get<int>() << ","
        << e["status"].get<std::string>() << "," << n(get(tm, "ns_per_op_median")) << ","
        << n(get(tm, "ns_per_op_min")) << "," << n(get(tm, "ns_per_op_max")) << ","
        << n(get(tm, "ns_per_op_cv")) << ","
        << (tm.is_object() && tm.contains("cpu_ns_per_op") ? n(median_of_json(tm["cpu_ns_per_op"]))
                                                           : std::string())
        << "," << n(get(tm, "ops_per_second")) << "," << n(get(tm, "speedup_vs_system")) << ","
        << n(lat("allocate", "p50_ns")) << "," << n(lat("allocate", "p99_ns")) << ","
        << n(lat("allocate", "p999_ns")) << "," << n(lat("free", "p50_ns")) << ","
        << n(lat("free", "p99_ns")) << "," << n(lat("free", "p999_ns")) << ","
        << n(lat("realloc", "p50_ns")) << "," << n(lat("realloc", "p99_ns")) << ","
        << n(lat("realloc", "p999_ns")) << "," << n(get(in, "requested_live_peak_bytes")) << ","
        << n(get(in, "held_peak_bytes")) << "," << n(get(in, "overhead_ratio")) << ","
        << n(get(in, "failed_requests")) << "," << n(get(in, "fill_at_first_failure")) << ","
        << n(e["corruptions"]) << "," << n(e["peak_rss_bytes"]) << ","
        << csv_field(str_or(e["reason"], "")) << "\n";
  }
  return out.str();
}

json render_gbench(const json& doc) {
  const json& c = doc["context"];
  json context = {{"date", c["date"]},
                  {"host_name", c["host"]},
                  {"executable", "stalloc-bench"},
                  {"num_cpus", c["cores"]},
                  {"mhz_per_cpu", static_cast<int>(std::lround(c.value("cpu_mhz", 0.0)))},
                  {"cpu_scaling_enabled", c.value("cpu_scaling", json()) == "enabled"},
                  {"load_avg", c.value("load_average_start", json::array())},
                  {"library_version", c["library_versions"]["benchmark"]},
                  {"library_build_type", c["build_type"] == "Debug" ? "debug" : "release"},
                  {"json_schema_version", 1},
                  {"stalloc_bench_command_line", c["command_line"]},
                  {"stalloc_bench_git_commit", c["git_commit"]},
                  {"stalloc_bench_quick", c["quick"]},
                  {"stalloc_bench_unit", "ns per allocator call"}};
  json caches = json::array();
  for (const json& k : c.value("caches", json::array()))
    caches.push_back({{"type", k["type"]},
                      {"level", k["level"]},
                      {"size", k["size_bytes"]},
                      {"num_sharing", k["num_sharing"]}});
  context["caches"] = caches;
  json not_run = json::array();
  json benchmarks = json::array();
  int family = 0;
  for (const json& e : doc["entries"]) {
    const std::string name = e["name"];
    if (e["status"] != "ok") {
      not_run.push_back(name + ": " + e["status"].get<std::string>());
      continue;
    }
    const json& t = e["timing"];
    const std::vector<double> real = t["ns_per_op"].get<std::vector<double>>();
    const std::vector<double> cpu =
        t.contains("cpu_ns_per_op") ? t["cpu_ns_per_op"].get<std::vector<double>>() : real;
    const json iterations =
        t.contains("iterations_per_repetition") ? t["iterations_per_repetition"] : json();
    const std::size_t n = real.size();
    json base = {{"family_index", family++}, {"per_family_instance_index", 0}, {"run_name", name},
                 {"repetitions", n},         {"threads", e["threads"]},        {"time_unit", "ns"}};
    if (e["quick_scope"].is_string())
      base["label"] = "quick: " + e["quick_scope"].get<std::string>();
    for (std::size_t i = 0; i < n; ++i) {
      json b = base;
      b["name"] = name;
      b["run_type"] = "iteration";
      b["repetition_index"] = i;
      b["iterations"] =
          iterations.is_array() && i < iterations.size() ? iterations[i] : t["iterations"];
      b["real_time"] = real[i];
      b["cpu_time"] = i < cpu.size() ? cpu[i] : real[i];
      benchmarks.push_back(std::move(b));
    }
    const Summary r = summarize(real);
    const Summary u = summarize(cpu);
    const auto stddev = [](const Summary& s) { return s.cv * s.mean; };
    const std::pair<const char*, std::pair<double, double>> aggregates[] = {
        {"mean", {r.mean, u.mean}},
        {"median", {r.median, u.median}},
        {"stddev", {stddev(r), stddev(u)}},
        {"cv", {r.cv, u.cv}}};
    for (const auto& [agg, values] : aggregates) {
      json b = base;
      b["name"] = name + "_" + agg;
      b["run_type"] = "aggregate";
      b["aggregate_name"] = agg;
      b["aggregate_unit"] = std::string(agg) == "cv" ? "percentage" : "time";
      b["iterations"] = n;
      b["real_time"] = values.first;
      b["cpu_time"] = values.second;
      benchmarks.push_back(std::move(b));
    }
  }
  context["not_run"] = not_run;
  return {{"context", context}, {"benchmarks", benchmarks}};
}

}  // namespace harness
