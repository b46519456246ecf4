#include "merge.hpp"

#include <string>

#include "timing_summary.hpp"

namespace harness {

using nlohmann::json;

void add_repetition(json& timing, const json& more) {
  std::vector<double> ns = timing["ns_per_op"].get<std::vector<double>>();
  for (const json& x : more["ns_per_op"]) ns.push_back(x.get<double>());
  for (const char* k : {"ops_per_repetition", "cpu_ns_per_op", "iterations_per_repetition"})
    for (const json& x : more[k]) timing[k].push_back(x);
  write_timing_summary(timing, ns);
}

json merge_repetitions(json e, const std::vector<WorkerOutcome>& passes) {
  if (e["status"] != "ok") return e;  // planned not to run
  if (passes.empty()) {
    e["status"] = "interrupted";
    e["reason"] = "the run was interrupted before this entry";
    return e;
  }
  for (std::size_t pass = 0; pass < passes.size(); ++pass) {
    const WorkerOutcome& outcome = passes[pass];
    if (outcome.status == WorkerOutcome::Status::ok) {
      if (pass == 0) {
        for (const auto& [key, value] : outcome.result.items()) e[key] = value;
      } else {
        add_repetition(e["timing"], outcome.result["timing"]);
      }
    } else if (outcome.status == WorkerOutcome::Status::interrupted) {
      if (pass == 0) {
        e["status"] = "interrupted";
        e["reason"] = "interrupted while running";
      }
      return e;
    } else {
      e["status"] = "failed";
      e["reason"] = pass == 0 ? outcome.error
                              : "repetition " + std::to_string(pass + 1) + ": " + outcome.error;
      e["timing"] = nullptr;
      return e;
    }
  }
  return e;
}

bool entry_failed(const json& e) {
  const json corruptions = e.value("corruptions", json());
  return e.value("status", std::string()) == "failed" ||
         (corruptions.is_number() && corruptions.get<std::uint64_t>() > 0);
}

}  // namespace harness
