#include "report.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <vector>

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

std::string sig_or_dash(const json& v) {
  return v.is_number() ? sig3(v.get<double>()) : "-";
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

std::string latency_cell(const json& lat) {
  if (!lat.is_object() || lat.value("count", 0) == 0) return "-";
  return sig_or_dash(lat["p50_ns"]) + "/" + sig_or_dash(lat["p99_ns"]) + "/" +
         sig_or_dash(lat["p999_ns"]);
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
    e["timing"]["ratio_to_system"] = mine / it->second;
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
    << (c["quick"] == true ? " | QUICK" : "") << " | " << c["repetitions"].get<int>()
    << " reps x >=" << c["min_time_s"].get<double>() << " s";
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
               {"Mops/s", true},
               {"vs system", true},
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
             "", ""});
      continue;
    }
    const json& tm = e["timing"];
    const json& in = e["instrumented"];
    const json& speed = tm["speedup_vs_system"];
    t.add({e["workload"], point, e["allocator"], std::to_string(e["threads"].get<int>()),
           sig3(tm["ns_per_op_median"]), sig3(tm["ns_per_op_min"]), sig3(tm["ns_per_op_max"]),
           fixed(100 * tm["ns_per_op_cv"].get<double>(), 1),
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
         "vs system: glibc time / this time (>1 is faster).\n";
  return out.str();
}

std::string render_csv(const json& doc) {
  std::ostringstream out;
  out << "workload,point,allocator,threads,status,ns_per_op_median,ns_per_op_min,ns_per_op_max,"
         "ns_per_op_cv,ops_per_second,ratio_to_system,alloc_p50_ns,alloc_p99_ns,alloc_p999_ns,"
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
        << n(get(tm, "ns_per_op_cv")) << "," << n(get(tm, "ops_per_second")) << ","
        << n(get(tm, "ratio_to_system")) << "," << n(lat("allocate", "p50_ns")) << ","
        << n(lat("allocate", "p99_ns")) << "," << n(lat("allocate", "p999_ns")) << ","
        << n(lat("free", "p50_ns")) << "," << n(lat("free", "p99_ns")) << ","
        << n(lat("free", "p999_ns")) << "," << n(lat("realloc", "p50_ns")) << ","
        << n(lat("realloc", "p99_ns")) << "," << n(lat("realloc", "p999_ns")) << ","
        << n(get(in, "requested_live_peak_bytes")) << "," << n(get(in, "held_peak_bytes")) << ","
        << n(get(in, "overhead_ratio")) << "," << n(get(in, "failed_requests")) << ","
        << n(get(in, "fill_at_first_failure")) << "," << n(e["corruptions"]) << ","
        << n(e["peak_rss_bytes"]) << "," << csv_field(str_or(e["reason"], "")) << "\n";
  }
  return out.str();
}

void write_file_atomically(const std::string& path, const std::string& content) {
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  std::string tmp = dir + "/.stalloc-bench-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    throw std::runtime_error("cannot create a file in " + dir + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  // mkstemp makes the file 0600; results are meant to be shared like any file.
  ::fchmod(fd, 0644);
  if (::fsync(fd) != 0 || ::close(fd) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(e));
  }
}

}  // namespace harness
