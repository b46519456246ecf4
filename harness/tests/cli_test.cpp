// The command line: every bad input gets one line naming the problem and exit
// status 2 before any work; good input parses into the expected Config.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "catalog.hpp"
#include "cli.hpp"
#include "run_command.hpp"

#include <nlohmann/json.hpp>

namespace {

using harness::Config;
using harness::test::run_command;

struct Parsed {
  harness::CliResult result;
  Config config;
  std::string out, err;
};

Parsed parse(std::vector<std::string> args) {
  args.insert(args.begin(), "stalloc-bench");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  Parsed p;
  std::ostringstream out, err;
  p.result =
      harness::parse_command_line(static_cast<int>(argv.size()), argv.data(), p.config, out, err);
  p.out = out.str();
  p.err = err.str();
  return p;
}

void expect_bad(const std::vector<std::string>& args, const std::string& message_part) {
  const Parsed p = parse(args);
  EXPECT_FALSE(p.result.proceed);
  EXPECT_EQ(p.result.exit_code, 2);
  EXPECT_NE(p.err.find("stalloc-bench: error: "), std::string::npos) << p.err;
  EXPECT_NE(p.err.find(message_part), std::string::npos) << "stderr was: " << p.err;
  EXPECT_EQ(std::count(p.err.begin(), p.err.end(), '\n'), 1) << "one line: " << p.err;
}

TEST(Cli, WorkloadListAndArguments) {
  const Parsed p = parse({"--workload", "small-objects,small-objects:some/file.trace",
                          "--allocator", "system,stalloc", "--threads", "4", "--repetitions", "7",
                          "--seed", "9", "--quick", "--format", "csv"});
  ASSERT_TRUE(p.result.proceed) << p.err;
  ASSERT_EQ(p.config.workloads.size(), 2u);
  EXPECT_EQ(p.config.workloads[0].name, "small-objects");
  EXPECT_EQ(p.config.workloads[0].input, "");
  EXPECT_EQ(p.config.workloads[1].name, "small-objects");
  EXPECT_EQ(p.config.workloads[1].input, "some/file.trace");
  // Registry order, whatever the order on the command line.
  EXPECT_EQ(p.config.allocators, (std::vector<std::string>{"stalloc", "system"}));
  EXPECT_EQ(p.config.max_threads, 4u);
  EXPECT_EQ(p.config.repetitions, 7);
  EXPECT_EQ(p.config.seed, 9u);
  EXPECT_TRUE(p.config.quick);
  EXPECT_EQ(p.config.format, harness::Format::csv);
}

TEST(Cli, DefaultsAndAll) {
  const Parsed p = parse({"--workload", "all"});
  ASSERT_TRUE(p.result.proceed) << p.err;
  // `all` is every workload that runs without an argument (not trace:FILE).
  std::size_t runnable = 0;
  for (const auto& w : harness::workload_catalog()) runnable += w.needs_input ? 0 : 1;
  EXPECT_EQ(p.config.workloads.size(), runnable);
  EXPECT_LT(runnable, harness::workload_catalog().size());
  for (const auto& spec : p.config.workloads) EXPECT_NE(spec.name, "trace");
  EXPECT_EQ(p.config.allocators.size(), harness::allocator_catalog().size());
  EXPECT_FALSE(p.config.allocators_given);
  EXPECT_EQ(p.config.repetitions, harness::run_defaults(false).repetitions);
  EXPECT_EQ(p.config.format, harness::Format::table);
  const Parsed q = parse({"--workload", "small-objects", "--quick"});
  EXPECT_EQ(q.config.repetitions, harness::run_defaults(true).repetitions);
  EXPECT_DOUBLE_EQ(q.config.min_time_s, harness::run_defaults(true).min_time_s);
}

TEST(Cli, ThreadCounts) {
  EXPECT_EQ(harness::thread_counts(1), (std::vector<unsigned>{1}));
  EXPECT_EQ(harness::thread_counts(2), (std::vector<unsigned>{1, 2}));
  EXPECT_EQ(harness::thread_counts(6), (std::vector<unsigned>{1, 2, 4, 6}));
  EXPECT_EQ(harness::thread_counts(8), (std::vector<unsigned>{1, 2, 4, 8}));
}

TEST(CliErrors, UnknownWorkloadListsValidNames) {
  expect_bad({"--workload", "nope"}, "unknown workload 'nope'; valid: small-objects");
}
TEST(CliErrors, UnknownAllocatorListsValidNames) {
  expect_bad({"--workload", "small-objects", "--allocator", "system,dlmalloc"},
             "unknown allocator 'dlmalloc'; valid: stalloc");
}
TEST(CliErrors, EmptyWorkloadArgument) {
  expect_bad({"--workload", "small-objects:"}, "needs an argument after the colon");
}
TEST(CliErrors, TraceWithoutFile) {
  expect_bad({"--workload", "trace"}, "workload 'trace' needs a file: --workload trace:FILE");
  expect_bad({"--workload", "small-objects,trace-threads"}, "needs a file");
}
TEST(CliErrors, NoWorkload) {
  expect_bad({}, "no workload given");
}
TEST(CliErrors, NonNumericThreads) {
  expect_bad({"--workload", "small-objects", "--threads", "abc"}, "--threads");
}
TEST(CliErrors, ZeroThreads) {
  expect_bad({"--workload", "small-objects", "--threads", "0"}, "--threads");
}
TEST(CliErrors, HugeThreads) {
  expect_bad({"--workload", "small-objects", "--threads", "100000"}, "--threads");
}
TEST(CliErrors, NegativeRepetitions) {
  expect_bad({"--workload", "small-objects", "--repetitions", "-3"}, "--repetitions");
}
TEST(CliErrors, NonNumericSeed) {
  expect_bad({"--workload", "small-objects", "--seed", "x1"}, "--seed");
}
TEST(CliErrors, NegativeSeed) {
  expect_bad({"--workload", "small-objects", "--seed", "-1"}, "--seed");
}
TEST(CliErrors, BadMinTime) {
  expect_bad({"--workload", "small-objects", "--min-time", "0"}, "--min-time");
}
TEST(CliErrors, BadFormat) {
  expect_bad({"--workload", "small-objects", "--format", "xml"}, "--format");
}
TEST(CliErrors, UnknownOption) {
  expect_bad({"--workload", "small-objects", "--fast"}, "--fast");
}
TEST(CliErrors, OutInMissingDirectory) {
  expect_bad({"--workload", "small-objects", "--out", "/nonexistent-dir/x.json"}, "does not exist");
}
TEST(CliErrors, OutIsDirectory) {
  expect_bad({"--workload", "small-objects", "--out", "/tmp"}, "is a directory");
}
TEST(CliErrors, OutNotWritable) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can write anywhere";
  expect_bad({"--workload", "small-objects", "--out", "/proc/x.json"}, "not writable");
}

TEST(CliProcess, HelpVersionAndErrorsThroughTheBinary) {
  const auto help = run_command({STALLOC_BENCH_EXE, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  EXPECT_NE(help.out.find("--workload"), std::string::npos);
  EXPECT_EQ(help.out.find("--worker"), std::string::npos) << "worker options are hidden";

  const auto version = run_command({STALLOC_BENCH_EXE, "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("stalloc-bench ", 0), 0u) << version.out;

  const auto bad = run_command({STALLOC_BENCH_EXE, "--workload", "bogus"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown workload 'bogus'"), std::string::npos) << bad.err;
  EXPECT_TRUE(bad.out.empty()) << "no work, no output: " << bad.out;

  const auto bad_num =
      run_command({STALLOC_BENCH_EXE, "--workload", "small-objects", "--threads", "two"});
  EXPECT_EQ(bad_num.exit_code, 2);
  EXPECT_NE(bad_num.err.find("--threads"), std::string::npos) << bad_num.err;
}

TEST(CliProcess, ListShowsEveryWorkloadAndAllocator) {
  const auto list = run_command({STALLOC_BENCH_EXE, "--list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  for (const auto& w : harness::workload_catalog())
    EXPECT_NE(list.out.find(w.name), std::string::npos) << w.name;
  for (const auto& a : harness::allocator_catalog())
    EXPECT_NE(list.out.find(a.name), std::string::npos) << a.name;
}

// --interleave: the repetitions run round-robin, one worker each; every entry
// still ends with all of them, its summary over all of them, and the first
// pass's instrumented and check results.
TEST(CliProcess, InterleavedRepetitionsAddUpPerEntry) {
  EXPECT_TRUE(parse({"--workload", "small-objects", "--interleave"}).config.interleave);
  EXPECT_FALSE(parse({"--workload", "small-objects"}).config.interleave);

  const std::string out = ::testing::TempDir() + "interleave.json";
  const auto run =
      run_command({STALLOC_BENCH_EXE, "--workload", "local-string,stack-order", "--allocator",
                   "stalloc,system", "--quick", "--repetitions", "3", "--min-time", "0.001",
                   "--interleave", "--format", "csv", "--out", out});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::ifstream in(out);
  const nlohmann::json doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc["context"]["interleaved"], true);
  EXPECT_EQ(doc["context"]["repetitions"], 3);
  ASSERT_EQ(doc["entries"].size(), 4u);
  for (const auto& e : doc["entries"]) {
    ASSERT_EQ(e["status"], "ok") << e.dump();
    const auto& t = e["timing"];
    EXPECT_EQ(t["repetitions"], 3);
    ASSERT_EQ(t["ns_per_op"].size(), 3u);
    EXPECT_EQ(t["ops_per_repetition"].size(), 3u);
    std::vector<double> ns = t["ns_per_op"].get<std::vector<double>>();
    std::sort(ns.begin(), ns.end());
    EXPECT_DOUBLE_EQ(t["ns_per_op_median"].get<double>(), ns[1]);
    EXPECT_DOUBLE_EQ(t["ns_per_op_min"].get<double>(), ns[0]);
    EXPECT_DOUBLE_EQ(t["ns_per_op_max"].get<double>(), ns[2]);
    EXPECT_TRUE(e["instrumented"].is_object()) << "the first pass measures everything";
    EXPECT_EQ(e["corruptions"], 0);
    EXPECT_TRUE(t["ratio_to_system"].is_number());
  }
}

}  // namespace
