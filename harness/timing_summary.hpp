// The summary fields of an entry's `timing` object (results/SCHEMA.md), from
// its per-repetition times. One place for the worker, which measures the
// repetitions, and for the parent, which adds more under --interleave.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "statistics.hpp"

namespace harness {

inline void write_timing_summary(nlohmann::json& timing, const std::vector<double>& ns_per_op) {
  const Summary s = summarize(ns_per_op);
  timing["repetitions"] = ns_per_op.size();
  timing["ns_per_op"] = ns_per_op;
  timing["ns_per_op_median"] = s.median;
  timing["ns_per_op_mean"] = s.mean;
  timing["ns_per_op_min"] = s.min;
  timing["ns_per_op_max"] = s.max;
  timing["ns_per_op_cv"] = s.cv;
  timing["ops_per_second"] = s.median > 0 ? 1e9 / s.median : 0.0;
}

}  // namespace harness
