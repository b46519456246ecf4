// The merge stage (merge.hpp): interleaved repetitions folded into one
// entry, and what a failed or interrupted worker leaves.
#include <gtest/gtest.h>

#include <vector>

#include "merge.hpp"

namespace {

using harness::WorkerOutcome;
using nlohmann::json;

json skeleton() {
  return {{"name", "small-objects/system/threads:1"},
          {"status", "ok"},
          {"reason", nullptr},
          {"timing", nullptr},
          {"corruptions", nullptr}};
}

json timing(std::vector<double> ns) {
  json t = {{"ns_per_op", ns},
            {"ops_per_repetition", json::array()},
            {"cpu_ns_per_op", json::array()},
            {"iterations_per_repetition", json::array()}};
  for (double x : ns) {
    t["ops_per_repetition"].push_back(1000);
    t["cpu_ns_per_op"].push_back(x);
    t["iterations_per_repetition"].push_back(10);
  }
  return t;
}

WorkerOutcome ok(json result) {
  WorkerOutcome o;
  o.status = WorkerOutcome::Status::ok;
  o.result = std::move(result);
  return o;
}

WorkerOutcome ending(WorkerOutcome::Status status, std::string error) {
  WorkerOutcome o;
  o.status = status;
  o.error = std::move(error);
  return o;
}

TEST(Merge, LaterPassesAddTheirRepetition) {
  const json e = harness::merge_repetitions(
      skeleton(), {ok({{"timing", timing({30})}, {"corruptions", 0}, {"peak_rss_bytes", 4096}}),
                   ok({{"timing", timing({10})}}), ok({{"timing", timing({20})}})});
  EXPECT_EQ(e["status"], "ok");
  EXPECT_EQ(e["peak_rss_bytes"], 4096) << "the first pass's fields are kept";
  EXPECT_EQ(e["timing"]["ns_per_op"], json({30.0, 10.0, 20.0}));
  EXPECT_EQ(e["timing"]["ops_per_repetition"].size(), 3u);
  EXPECT_EQ(e["timing"]["iterations_per_repetition"].size(), 3u);
  EXPECT_DOUBLE_EQ(e["timing"]["ns_per_op_median"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(e["timing"]["ns_per_op_min"].get<double>(), 10.0);
  EXPECT_FALSE(harness::entry_failed(e));
}

TEST(Merge, AFailedRepetitionFailsTheEntry) {
  const json e = harness::merge_repetitions(
      skeleton(), {ok({{"timing", timing({30})}, {"corruptions", 0}}),
                   ending(WorkerOutcome::Status::failed, "worker killed by signal 11")});
  EXPECT_EQ(e["status"], "failed");
  EXPECT_EQ(e["reason"], "repetition 2: worker killed by signal 11");
  EXPECT_TRUE(e["timing"].is_null());
  EXPECT_TRUE(harness::entry_failed(e));
  const json first = harness::merge_repetitions(
      skeleton(), {ending(WorkerOutcome::Status::failed, "no such workload")});
  EXPECT_EQ(first["reason"], "no such workload");
}

TEST(Merge, CorruptionsFailTheRunButNotTheEntry) {
  const json e =
      harness::merge_repetitions(skeleton(), {ok({{"timing", timing({30})}, {"corruptions", 2}})});
  EXPECT_EQ(e["status"], "ok");
  EXPECT_TRUE(harness::entry_failed(e));
}

TEST(Merge, InterruptsKeepWhatWasMeasured) {
  const json never = harness::merge_repetitions(skeleton(), {});
  EXPECT_EQ(never["status"], "interrupted");
  EXPECT_EQ(never["reason"], "the run was interrupted before this entry");
  const json during = harness::merge_repetitions(
      skeleton(), {ending(WorkerOutcome::Status::interrupted, "interrupted")});
  EXPECT_EQ(during["status"], "interrupted");
  EXPECT_EQ(during["reason"], "interrupted while running");
  const json later = harness::merge_repetitions(
      skeleton(), {ok({{"timing", timing({30})}, {"corruptions", 0}}),
                   ending(WorkerOutcome::Status::interrupted, "interrupted")});
  EXPECT_EQ(later["status"], "ok");
  EXPECT_EQ(later["timing"]["ns_per_op"].size(), 1u);
  EXPECT_FALSE(harness::entry_failed(later));
}

TEST(Merge, EntriesPlannedNotToRunAreLeftAsPlanned) {
  json planned = skeleton();
  planned["status"] = "unavailable";
  planned["reason"] = "not installed";
  EXPECT_EQ(harness::merge_repetitions(planned, {}), planned);
}

}  // namespace
