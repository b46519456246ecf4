// The command line: every bad input gets one line naming the problem and exit
// status 2 before any work; good input parses into the expected Config.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "catalog.hpp"
#include "cli.hpp"
#include "parse_command_line.hpp"
#include "run_command.hpp"

#include <nlohmann/json.hpp>

namespace {

using harness::Config;
using harness::test::run_command;

using harness::test::parse;
using harness::test::Parsed;

void expect_bad(const std::vector<std::string>& args, const std::string& message_part) {
  const Parsed p = parse(args);
  EXPECT_FALSE(p.result.proceed);
  EXPECT_EQ(p.result.exit_code, 2);
  EXPECT_NE(p.err.find("stalloc-bench: error: "), std::string::npos) << p.err;
  EXPECT_NE(p.err.find(message_part), std::string::npos) << "stderr was: " << p.err;
  EXPECT_EQ(std::count(p.err.begin(), p.err.end(), '\n'), 1) << "one line: " << p.err;
}

TEST(Cli, WorkloadListAndArguments) {
  const Parsed p =
      parse({"--workload", "small-objects,trace:some/file.trace", "--allocator", "system,stalloc",
             "--threads", "4", "--repetitions", "7", "--seed", "9", "--quick", "--format", "csv"});
  ASSERT_TRUE(p.result.proceed) << p.err;
  ASSERT_EQ(p.config.workloads.size(), 2u);
  EXPECT_EQ(p.config.workloads[0].name, "small-objects");
  EXPECT_EQ(p.config.workloads[0].input, "");
  EXPECT_EQ(p.config.workloads[1].name, "trace");
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

TEST(Cli, SweepPointSelection) {
  const Parsed p = parse({"--workload", "random-free:live=64,random-free:holes"});
  ASSERT_TRUE(p.result.proceed) << p.err;
  ASSERT_EQ(p.config.workloads.size(), 2u);
  EXPECT_EQ(p.config.workloads[0].input, "") << "a selection is not the workload's input";
  EXPECT_EQ(p.config.workloads[0].select_key, "live");
  EXPECT_EQ(p.config.workloads[0].select_value, "64");
  EXPECT_EQ(p.config.workloads[0].text(), "random-free");
  EXPECT_EQ(p.config.workloads[1].select_key, "holes");
  EXPECT_EQ(p.config.workloads[1].select_value, "");
}

TEST(Cli, InterleaveIsTheDefault) {
  EXPECT_TRUE(parse({"--workload", "small-objects"}).config.interleave);
  EXPECT_TRUE(parse({"--workload", "small-objects", "--interleave"}).config.interleave);
  EXPECT_FALSE(parse({"--workload", "small-objects", "--no-interleave"}).config.interleave);
  expect_bad({"--workload", "small-objects", "--interleave", "--no-interleave"}, "interleave");
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
  expect_bad({"--workload", "small-objects", "--min-time", "61"}, "--min-time");
}
TEST(CliErrors, NanMinTime) {
  expect_bad({"--workload", "small-objects", "--min-time", "nan"}, "--min-time: nan");
  expect_bad({"--workload", "small-objects", "--min-time", "inf"}, "--min-time");
}
TEST(CliErrors, OverlongSeed) {
  // 2^64 - 1 is the largest seed; one more must not be clamped to it.
  EXPECT_EQ(parse({"--workload", "small-objects", "--seed", "18446744073709551615"}).config.seed,
            18446744073709551615u);
  expect_bad({"--workload", "small-objects", "--seed", "18446744073709551616"}, "--seed");
  expect_bad({"--workload", "small-objects", "--seed", "+5"}, "--seed");
  expect_bad({"--workload", "small-objects", "--seed", "5x"}, "--seed");
}
TEST(CliErrors, EmptyAllocatorBeforeAFlag) {
  const Parsed p = parse({"--workload", "small-objects", "-a", ",", "--quick"});
  EXPECT_EQ(p.result.exit_code, 2);
  EXPECT_NE(p.err.find("empty allocator name"), std::string::npos) << p.err;
  EXPECT_EQ(p.err.find("--quick"), std::string::npos) << "a flag is not a name: " << p.err;
  expect_bad({"--workload", ",small-objects"}, "empty workload name");
}
TEST(CliErrors, WorkloadArgumentNotUnderstood) {
  expect_bad({"--workload", "small-objects:some/file.trace"},
             "workload 'small-objects' does not understand 'some/file.trace'");
  expect_bad({"--workload", "random-free:live=6=4"}, "does not understand");
}
TEST(CliErrors, BadFilter) {
  expect_bad({"--workload", "small-objects", "--filter", "(stalloc"}, "--filter '(stalloc'");
}
TEST(CliErrors, GbenchOutIsTheResultsFile) {
  const std::string out = ::testing::TempDir() + "same.json";
  expect_bad({"--workload", "small-objects", "--out", out, "--gbench-out", out}, "same file");
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
  // Even root, to whom access(W_OK) says yes, cannot create files in /proc.
  expect_bad({"--workload", "small-objects", "--out", "/proc/x.json"}, "cannot create a file");
  expect_bad({"--workload", "small-objects", "--out", "/proc/version"}, "/proc/version");
  expect_bad({"--workload", "small-objects", "--gbench-out", "/proc/version"}, "--gbench-out");
}
TEST(CliErrors, BadExternal) {
  expect_bad({"--workload", "small-objects", "--external", "lib.so"}, "expected NAME=/path/lib.so");
  expect_bad({"--workload", "small-objects", "--external", "x="}, "expected NAME=/path/lib.so");
  expect_bad({"--workload", "small-objects", "--external", "Big=/bin/sh"}, "lower-case");
  expect_bad({"--workload", "small-objects", "--external", "system=/bin/sh"},
             "'system' is already an allocator");
  expect_bad({"--workload", "small-objects", "--external", "x=/nonexistent/lib.so"},
             "/nonexistent/lib.so is not a readable file");
  expect_bad({"--workload", "small-objects", "--external", "x=/bin/sh", "--external", "x=/bin/sh"},
             "'x' given twice");
  expect_bad({"--workload", "small-objects", "--allocator", "x"}, "unknown allocator 'x'");
}
TEST(Cli, ExternalAllocatorsComeLastAndCanBeSelected) {
  const Parsed all = parse({"--workload", "small-objects", "--external", "x=/bin/sh"});
  ASSERT_TRUE(all.result.proceed) << all.err;
  EXPECT_EQ(all.config.allocators.back(), "x");
  EXPECT_EQ(all.config.externals.front().library, "/bin/sh");
  const Parsed one =
      parse({"--workload", "small-objects", "--external", "x=/bin/sh", "--allocator", "x,system"});
  ASSERT_TRUE(one.result.proceed) << one.err;
  EXPECT_EQ(one.config.allocators, (std::vector<std::string>{"system", "x"}));
}
TEST(CliErrors, OutDanglingSymlink) {
  const std::string link = harness::test::temp_path("dangling.json");
  std::remove(link.c_str());
  ASSERT_EQ(::symlink("/nonexistent-dir/target.json", link.c_str()), 0);
  expect_bad({"--workload", "small-objects", "--out", link}, "symlink to a file that does not");
  std::remove(link.c_str());
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
    EXPECT_TRUE(t["speedup_vs_system"].is_number());
  }
}

// Arguments of a short real run: two allocators, quick, 3 repetitions.
std::vector<std::string> quick_run(std::vector<std::string> more) {
  std::vector<std::string> args = {STALLOC_BENCH_EXE, "--allocator", "stalloc,system", "--quick",
                                   "--repetitions",   "3",           "--min-time",     "0.001"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// One sweep point by NAME:key=value, entries by --filter; a point the run
// does not have, and a filter that matches nothing, are errors before work.
TEST(CliProcess, SelectsSweepPointsAndFiltersEntries) {
  const std::string out = harness::test::temp_path("select.json");
  const auto run =
      run_command(quick_run({"--workload", "random-free:holes=256,local-string", "--filter",
                             "(holes=256/stalloc|local-string/system)/", "--out", out}));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json doc = read_json(out);
  ASSERT_EQ(doc["entries"].size(), 2u) << doc["entries"].dump();
  EXPECT_EQ(doc["entries"][0]["name"], "random-free/holes=256/stalloc/threads:1");
  EXPECT_EQ(doc["entries"][0]["point"], "holes=256");
  EXPECT_EQ(doc["entries"][0]["workload"], "random-free");
  EXPECT_EQ(doc["entries"][1]["name"], "local-string/system/threads:1");
  std::remove(out.c_str());

  const auto missing = run_command(quick_run({"--workload", "random-free:live=64"}));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("random-free has no point live=64 in a --quick run; its points: "
                             "live=16, live=1024"),
            std::string::npos)
      << missing.err;
  const auto no_sweep = run_command(quick_run({"--workload", "small-objects:live=64"}));
  EXPECT_EQ(no_sweep.exit_code, 2);
  EXPECT_NE(no_sweep.err.find("none (no sweep)"), std::string::npos) << no_sweep.err;
  const auto nothing = run_command(quick_run({"--workload", "small-objects", "--filter", "zzz"}));
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_NE(nothing.err.find("matches no entry"), std::string::npos) << nothing.err;
  EXPECT_TRUE(nothing.out.empty());
}

// Without --out the results land in ./results of the working directory, the
// path is printed, and a non-terminal stderr gets one line per finished
// entry (none with --quiet). The run labels itself quick and carries the
// richer context.
TEST(CliProcess, DefaultOutputProgressQuickLabelsAndContext) {
  const std::string dir = harness::test::temp_path("cwd");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string command = "cd " + harness::test::quote(dir) + " && exec";
  for (const auto& a : quick_run({"--workload", "local-string", "--no-interleave"}))
    command += " " + harness::test::quote(a);
  const auto run = run_command({"sh", "-c", command}, {"STALLOC_BENCH_RESULTS_DIR="});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(run.out, m, std::regex("results: (results/local-string-[^\n]+)")))
      << run.out;
  const std::string path = dir + "/" + m[1].str();
  ASSERT_TRUE(std::filesystem::is_regular_file(path)) << path;
  EXPECT_NE(run.out.find("QUICK run: CI-sized workloads"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("[1/2] local-string/stalloc/threads:1 done"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("[2/2] local-string/system/threads:1 done"), std::string::npos) << run.err;

  const nlohmann::json doc = read_json(path);
  EXPECT_EQ(doc["schema_version"], 2);
  const auto& c = doc["context"];
  EXPECT_EQ(c["interleaved"], false);
  EXPECT_TRUE(c["quick_scope"].is_string());
  EXPECT_GT(c["cpu_mhz"].get<double>(), 0.0);
  EXPECT_TRUE(c["caches"].is_array());
  EXPECT_EQ(c["load_average_start"].size(), 3u);
  EXPECT_EQ(c["load_average_end"].size(), 3u);
  for (const auto& a : doc["allocators"]) {
    const std::string v = a["version"];
    if (a["name"] == "stalloc") {
      EXPECT_EQ(v.rfind("stalloc ", 0), 0u) << v;
      EXPECT_NE(v.find("QuickFit"), std::string::npos) << "the policy: " << v;
    } else {
      EXPECT_EQ(v.rfind("glibc ", 0), 0u) << v;
    }
  }
  for (const auto& e : doc["entries"]) {
    ASSERT_EQ(e["status"], "ok") << e.dump();
    EXPECT_EQ(e["quick_scope"], "CI-sized workload");
    const auto& t = e["timing"];
    EXPECT_EQ(t["cpu_ns_per_op"].size(), 3u);
    EXPECT_EQ(t["iterations_per_repetition"].size(), 3u);
    EXPECT_FALSE(t.contains("ratio_to_system")) << "one name, one meaning";
    EXPECT_GT(t["speedup_vs_system"].get<double>(), 0.0);
  }

  const auto quiet = run_command(
      quick_run({"--workload", "local-string", "--quiet", "--out", path, "--no-interleave"}));
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("done"), std::string::npos) << quiet.err;
  std::filesystem::remove_all(dir);
}

// A recorded trace in a quick run replays a prefix: the entry says which.
TEST(CliProcess, QuickTraceSaysHowMuchItReplayed) {
  const std::string trace = std::string(STALLOC_SOURCE_DIR) + "/workloads/traces/sqlite3.trace.zst";
  const std::string out = harness::test::temp_path("quick-trace.json");
  const auto run =
      run_command({STALLOC_BENCH_EXE, "--workload", "trace:" + trace, "--allocator", "system",
                   "--quick", "--repetitions", "2", "--min-time", "0.001", "--out", out});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json doc = read_json(out);
  const std::string scope = doc["entries"][0]["quick_scope"];
  EXPECT_TRUE(std::regex_match(scope, std::regex("first 100000 ops of [0-9]+ of the trace")))
      << scope;
  EXPECT_NE(run.out.find("quick trace:" + trace + ": " + scope), std::string::npos) << run.out;
  std::remove(out.c_str());
}

// --out never replaces what it names: a symlink stays a link (its target
// gets the results), a FIFO is written through, a device stays a device.
TEST(CliProcess, OutputIsWrittenThroughNeverReplaced) {
  const std::string target = harness::test::temp_path("target.json");
  const std::string link = harness::test::temp_path("link.json");
  std::remove(link.c_str());
  { std::ofstream(target) << "old"; }
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  const auto via_link = run_command(quick_run({"--workload", "local-string", "--out", link}));
  ASSERT_EQ(via_link.exit_code, 0) << via_link.err;
  struct stat st {};
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the symlink was replaced";
  EXPECT_EQ(read_json(target)["schema_version"], 2);

  const std::string fifo = harness::test::temp_path("fifo.json");
  std::remove(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] {
    std::ifstream in(fifo);
    std::stringstream s;
    s << in.rdbuf();
    received = s.str();
  });
  const auto via_fifo = run_command(quick_run({"--workload", "local-string", "--out", fifo}));
  // Should the run not have opened the FIFO, a writer of our own releases
  // the reader (with no reader left, this open fails and changes nothing).
  if (const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK); fd >= 0) ::close(fd);
  reader.join();
  ASSERT_EQ(via_fifo.exit_code, 0) << via_fifo.err;
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(nlohmann::json::parse(received)["schema_version"], 2);

  const auto to_null = run_command(quick_run({"--workload", "local-string", "--out", "/dev/null"}));
  ASSERT_EQ(to_null.exit_code, 0) << to_null.err;
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "/dev/null was replaced by a file";
  for (const auto& p : {target, link, fifo}) std::remove(p.c_str());

  const auto proc =
      run_command(quick_run({"--workload", "local-string", "--out", "/proc/version"}));
  EXPECT_EQ(proc.exit_code, 2);
  EXPECT_TRUE(proc.out.empty()) << "refused before the run: " << proc.out;
}

// --external: a real malloc replacement runs, proven to serve malloc in its
// worker; a library that does not replace malloc is unavailable, with why.
TEST(CliProcess, ExternalLibraryBecomesAnAllocator) {
  if (std::string(EXTERNAL_MALLOC_LIBRARY).empty() || std::string(NOT_A_MALLOC_LIBRARY).empty())
    GTEST_SKIP() << "libjemalloc.so.2 or libz.so.1 not installed";
  const std::string out = harness::test::temp_path("external.json");
  const auto run = run_command({STALLOC_BENCH_EXE, "--workload", "local-string", "--allocator",
                                "system,je,notmalloc", "--external",
                                std::string("je=") + EXTERNAL_MALLOC_LIBRARY, "--external",
                                std::string("notmalloc=") + NOT_A_MALLOC_LIBRARY, "--quick",
                                "--repetitions", "2", "--min-time", "0.001", "--out", out});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json doc = read_json(out);
  std::map<std::string, nlohmann::json> entries;
  for (const auto& e : doc["entries"]) entries[e["allocator"]] = e;
  ASSERT_EQ(entries.size(), 3u);
  const auto& je = entries["je"];
  ASSERT_EQ(je["status"], "ok") << je.dump();
  EXPECT_EQ(je["malloc_provider"]["verified"], true);
  EXPECT_EQ(std::filesystem::canonical(je["malloc_provider"]["library"].get<std::string>()),
            std::filesystem::canonical(EXTERNAL_MALLOC_LIBRARY));
  EXPECT_GT(je["timing"]["speedup_vs_system"].get<double>(), 0.0);
  EXPECT_EQ(je["instrumented"]["held_source"], "rss_growth");
  const auto& bad = entries["notmalloc"];
  EXPECT_EQ(bad["status"], "unavailable");
  EXPECT_NE(bad["reason"].get<std::string>().find("does not serve malloc"), std::string::npos)
      << bad.dump();
  for (const auto& a : doc["allocators"])
    if (a["name"] == "je") {
      EXPECT_EQ(a["library"], EXTERNAL_MALLOC_LIBRARY);
    }
  std::remove(out.c_str());
}

}  // namespace
