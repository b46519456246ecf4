#include "worker_request.hpp"

#include <cmath>
#include <limits>
#include <set>

namespace harness {
namespace {

using nlohmann::json;

constexpr const char* kind_name(WorkerRequest::Kind kind) {
  return kind == WorkerRequest::Kind::probe ? "probe" : "entry";
}

[[noreturn]] void reject(const std::string& field, const std::string& problem) {
  throw InvalidWorkerRequest("worker request: \"" + field + "\" " + problem);
}

// Reads one field when present; keeps the default when absent.
class FieldReader {
 public:
  explicit FieldReader(const json& j) : j_(j) {}

  void text(const char* field, std::string& out) const {
    if (const json* v = find(field)) {
      if (!v->is_string()) reject(field, "must be a string");
      out = v->get<std::string>();
    }
  }
  void flag(const char* field, bool& out) const {
    if (const json* v = find(field)) {
      if (!v->is_boolean()) reject(field, "must be true or false");
      out = v->get<bool>();
    }
  }
  // A whole number in [low, high]: "1e3" or 2.5 are refused, not rounded.
  template <class T>
  void whole(const char* field, T& out, std::uint64_t low, std::uint64_t high) const {
    if (const json* v = find(field)) {
      if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<std::int64_t>() >= 0))
        reject(field, "must be a whole number");
      const auto n = v->get<std::uint64_t>();
      if (n < low || n > high)
        reject(field, "must be in [" + std::to_string(low) + ", " + std::to_string(high) + "]");
      out = static_cast<T>(n);
    }
  }
  void seconds(const char* field, double& out, double low, double high) const {
    if (const json* v = find(field)) {
      if (!v->is_number()) reject(field, "must be a number of seconds");
      const double s = v->get<double>();
      if (!std::isfinite(s) || s < low || s > high)
        reject(field, "must be in [" + json(low).dump() + ", " + json(high).dump() + "] seconds");
      out = s;
    }
  }

 private:
  const json* find(const char* field) const {
    const auto it = j_.find(field);
    return it == j_.end() ? nullptr : &*it;
  }
  const json& j_;
};

}  // namespace

void to_json(json& j, const WorkerRequest& r) {
  j = json{{"kind", kind_name(r.kind)},
           {"workload", r.workload},
           {"input", r.input},
           {"allocator", r.allocator},
           {"point_index", r.point_index},
           {"threads", r.threads},
           {"repetitions", r.repetitions},
           {"min_time_s", r.min_time_s},
           {"instrumented_time_s", r.instrumented_time_s},
           {"seed", r.seed},
           {"quick", r.quick},
           {"timing_only", r.timing_only},
           {"iterations", r.iterations},
           {"external_library", r.external_library}};
}

void from_json(const json& j, WorkerRequest& r) {
  if (!j.is_object()) throw InvalidWorkerRequest("worker request: not a JSON object");
  static const std::set<std::string> known = {
      "kind",    "workload",    "input",      "allocator",           "point_index",
      "threads", "repetitions", "min_time_s", "instrumented_time_s", "seed",
      "quick",   "timing_only", "iterations", "external_library"};
  for (const auto& [key, value] : j.items())
    if (known.count(key) == 0) reject(key, "is not a field of a worker request");

  WorkerRequest out;
  const FieldReader read(j);
  std::string kind;
  read.text("kind", kind);
  if (kind == "entry") {
    out.kind = WorkerRequest::Kind::entry;
  } else if (kind == "probe") {
    out.kind = WorkerRequest::Kind::probe;
  } else {
    reject("kind", kind.empty() ? "is missing (entry or probe)"
                                : "must be entry or probe, not '" + kind + "'");
  }
  read.text("workload", out.workload);
  read.text("input", out.input);
  read.text("allocator", out.allocator);
  read.whole("point_index", out.point_index, 0, std::numeric_limits<std::uint32_t>::max());
  read.whole("threads", out.threads, 1, 1024);
  read.whole("repetitions", out.repetitions, 1, 1000);
  read.seconds("min_time_s", out.min_time_s, 0.0, 3600.0);
  read.seconds("instrumented_time_s", out.instrumented_time_s, 0.0, 3600.0);
  read.whole("seed", out.seed, 0, std::numeric_limits<std::uint64_t>::max());
  read.flag("quick", out.quick);
  read.flag("timing_only", out.timing_only);
  read.whole("iterations", out.iterations, 0, std::numeric_limits<std::uint64_t>::max());
  read.text("external_library", out.external_library);
  if (out.allocator.empty()) reject("allocator", "is missing");
  if (out.kind == WorkerRequest::Kind::entry && out.workload.empty())
    reject("workload", "is missing");
  r = std::move(out);
}

std::string serialize_worker_request(const WorkerRequest& request) {
  return json(request).dump();
}

WorkerRequest parse_worker_request(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw InvalidWorkerRequest("worker request: not a JSON document");
  return j.get<WorkerRequest>();
}

}  // namespace harness
