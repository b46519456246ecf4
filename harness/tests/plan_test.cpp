// The plan stage (plan.hpp) from a parsed command line, without starting a
// process: which entries, in which order, with which worker requests.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "allocator_availability.hpp"
#include "cli.hpp"
#include "parse_command_line.hpp"
#include "plan.hpp"

namespace {

using harness::Availability;
using harness::Config;
using harness::PlannedEntry;

Config parse(const std::vector<std::string>& args) {
  harness::test::Parsed p = harness::test::parse(args);
  EXPECT_TRUE(p.result.proceed) << p.err;
  return std::move(p.config);
}

// Every allocator of the run available, unless named in `unavailable`.
std::vector<PlannedEntry> plan(const Config& config, const std::string& unavailable = "") {
  const harness::AllocatorLookup lookup(config.externals);
  std::map<std::string, Availability> availability;
  for (const std::string& name : config.allocators) {
    Availability av;
    if (name == unavailable) {
      av.available = false;
      av.reason = "not installed";
    }
    av.library = name == "system" ? "" : "/lib/lib" + name + ".so";
    availability[name] = av;
  }
  return harness::plan_entries(config, lookup, availability);
}

std::vector<std::string> names(const std::vector<PlannedEntry>& entries) {
  std::vector<std::string> out;
  for (const PlannedEntry& e : entries) out.push_back(e.name());
  return out;
}

TEST(Plan, OneEntryPerAllocatorInTheRegistrysOrder) {
  const auto entries = plan(parse(
      {"--workload", "small-objects", "--allocator", "system,stalloc", "--seed", "7", "--quick"}));
  std::vector<std::string> expected;
  for (const harness::AllocatorEntry& a : harness::allocator_catalog())
    if (a.name == "system" || a.name == "stalloc")
      expected.push_back("small-objects/" + a.name + "/threads:1");
  EXPECT_EQ(names(entries), expected) << "registry order, not the order given";
  for (const PlannedEntry& e : entries) {
    const harness::WorkerRequest& r = e.request;
    EXPECT_EQ(r.kind, harness::WorkerRequest::Kind::entry);
    EXPECT_EQ(r.workload, "small-objects");
    EXPECT_EQ(r.allocator, e.allocator->name);
    EXPECT_EQ(r.threads, 1u);
    EXPECT_EQ(r.seed, 7u);
    EXPECT_TRUE(r.quick);
    EXPECT_FALSE(r.timing_only);
    EXPECT_TRUE(e.status.empty());
    EXPECT_EQ(e.preload, e.allocator->name == "system" ? "" : "/lib/libstalloc.so");
  }
}

TEST(Plan, ThreadsIsASweepForTheUserAndAnExactCountForTheWorker) {
  const auto entries =
      plan(parse({"--workload", "larson", "--allocator", "system", "--threads", "6"}));
  std::vector<unsigned> threads;
  for (const PlannedEntry& e : entries) threads.push_back(e.request.threads);
  EXPECT_EQ(threads, (std::vector<unsigned>{1, 2, 4, 6}));
  EXPECT_EQ(entries.back().name(), "larson/system/threads:6");
  // A single-threaded workload runs once, on one thread, whatever --threads says.
  const auto single =
      plan(parse({"--workload", "small-objects", "--allocator", "system", "--threads", "6"}));
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].request.threads, 1u);
}

TEST(Plan, InterleavingAsksEachWorkerForOneRepetition) {
  const auto interleaved =
      plan(parse({"--workload", "small-objects", "--allocator", "system", "--repetitions", "4"}));
  EXPECT_EQ(interleaved[0].request.repetitions, 1);
  const auto back_to_back = plan(parse({"--workload", "small-objects", "--allocator", "system",
                                        "--repetitions", "4", "--no-interleave"}));
  EXPECT_EQ(back_to_back[0].request.repetitions, 4);
}

TEST(Plan, EntriesThatCannotRunAreListedWithWhy) {
  const auto entries =
      plan(parse({"--workload", "larson", "--allocator", "stalloc,mimalloc", "--threads", "1"}),
           "mimalloc");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].status, "not_applicable");
  EXPECT_NE(entries[0].reason.find("not thread-safe"), std::string::npos);
  EXPECT_EQ(entries[1].status, "unavailable");
  EXPECT_EQ(entries[1].reason, "not installed");
  EXPECT_EQ(harness::entry_skeleton(entries[1])["status"], "unavailable");
}

TEST(Plan, PointSelectionAndFilter) {
  const auto all_points =
      plan(parse({"--workload", "random-free", "--allocator", "system", "--quick"}));
  ASSERT_GT(all_points.size(), 1u);
  const PlannedEntry& second = all_points[1];
  EXPECT_EQ(second.request.point_index, 1u);
  const std::string selector = second.point.name + "=" + std::to_string(second.point.value);
  const auto one =
      plan(parse({"--workload", "random-free:" + selector, "--allocator", "system", "--quick"}));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].request.point_index, 1u) << "the index is the workload's, not the plan's";
  EXPECT_EQ(harness::entry_skeleton(one[0])["name"], second.name());

  const auto filtered = plan(parse(
      {"--workload", "small-objects", "--allocator", "system,stalloc", "--filter", "stalloc"}));
  EXPECT_EQ(names(filtered), (std::vector<std::string>{"small-objects/stalloc/threads:1"}));
}

TEST(Plan, BadSelectionsAreOneLineErrors) {
  EXPECT_THROW(plan(parse({"--workload", "random-free:live=3", "--allocator", "system"})),
               harness::PlanError);
  try {
    plan(parse({"--workload", "small-objects", "--allocator", "system", "--filter", "nothing"}));
    FAIL() << "a filter that matches nothing must be refused";
  } catch (const harness::PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("matches no entry"), std::string::npos) << e.what();
  }
}

// --workload program:NAME is `run --program NAME` with the same options.
TEST(Plan, ProgramWorkloadsAreTheRunCommandsRun) {
  const Config config =
      parse({"--workload", "program:sort,program:perl", "--allocator", "stalloc,system",
             "--repetitions", "2", "--format", "json", "--quiet"});
  EXPECT_TRUE(config.workloads.empty());
  const harness::ProgramRunOptions o = harness::program_run_options(config);
  EXPECT_EQ(o.catalog_programs, (std::vector<std::string>{"sort", "perl"}));
  EXPECT_EQ(o.allocators, (std::vector<std::string>{"stalloc", "system"}));
  EXPECT_EQ(o.repetitions, 2);
  EXPECT_TRUE(o.json_format);
  EXPECT_TRUE(o.quiet);
  EXPECT_EQ(harness::program_run_options(parse({"--workload", "program:sort,program:all"}))
                .catalog_programs,
            (std::vector<std::string>{"all"}));
  EXPECT_TRUE(harness::program_run_options(parse({"--workload", "program:all"})).allocators.empty())
      << "no --allocator: every allocator the run command knows";
}

// The one line of a refused command line ("" when it was accepted).
std::string refusal(const std::vector<std::string>& args) {
  const harness::test::Parsed p = harness::test::parse(args);
  if (p.result.proceed) return "";
  EXPECT_EQ(p.result.exit_code, 2);
  EXPECT_EQ(std::count(p.err.begin(), p.err.end(), '\n'), 1) << p.err;
  return p.err;
}

TEST(Plan, ProgramWorkloadsRefuseWhatOnlyWorkloadsHave) {
  EXPECT_NE(refusal({"--workload", "program:nope"}).find("unknown program 'program:nope'"),
            std::string::npos);
  EXPECT_NE(refusal({"--workload", "program:"}).find("needs a program name"), std::string::npos);
  EXPECT_NE(refusal({"--workload", "program:sort,small-objects"}).find("runs alone"),
            std::string::npos);
  EXPECT_NE(refusal({"--workload", "program:sort", "--quick"}).find("--quick does not apply"),
            std::string::npos);
  EXPECT_NE(refusal({"--workload", "program:sort", "--format", "csv"}).find("table or json"),
            std::string::npos);
  EXPECT_NE(refusal({"--workload", "program:sort", "--allocator", "sync-stalloc"})
                .find("'sync-stalloc' cannot run a program"),
            std::string::npos);
}

}  // namespace
