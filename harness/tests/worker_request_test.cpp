// The worker request (worker_request.hpp): one JSON document, read back
// exactly, and a malformed one refused with a message that names the field;
// the worker itself exits non-zero with one line on such a document.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include "run_command.hpp"
#include "worker_request.hpp"

namespace {

using harness::InvalidWorkerRequest;
using harness::parse_worker_request;
using harness::WorkerRequest;
using nlohmann::json;

WorkerRequest sample() {
  WorkerRequest r;
  r.workload = "trace";
  r.input = "/tmp/some file.trace";
  r.allocator = "mimalloc";
  r.point_index = 3;
  r.threads = 6;
  r.repetitions = 1;
  r.min_time_s = 0.01;
  r.instrumented_time_s = 0.02;
  r.seed = 18446744073709551615ull;  // 2^64 - 1: every seed travels exactly
  r.quick = true;
  r.timing_only = true;
  r.iterations = 1;
  r.external_library = "/opt/lib/libmine.so";
  return r;
}

TEST(WorkerRequest, RoundTripsExactly) {
  const WorkerRequest r = sample();
  EXPECT_EQ(parse_worker_request(harness::serialize_worker_request(r)), r);
  WorkerRequest probe;
  probe.kind = WorkerRequest::Kind::probe;
  probe.allocator = "jemalloc";
  EXPECT_EQ(parse_worker_request(harness::serialize_worker_request(probe)), probe);
  EXPECT_EQ(json(probe)["kind"], "probe");
}

TEST(WorkerRequest, AbsentFieldsKeepTheirDefaults) {
  const WorkerRequest r =
      parse_worker_request(R"({"kind": "entry", "workload": "small-objects", "allocator": "x"})");
  WorkerRequest expected;
  expected.workload = "small-objects";
  expected.allocator = "x";
  EXPECT_EQ(r, expected);
}

// The message of the refusal, or "" when the document was accepted.
std::string refusal(const std::string& text) {
  try {
    parse_worker_request(text);
  } catch (const InvalidWorkerRequest& e) {
    return e.what();
  }
  return "";
}

json valid() {
  return json(sample());
}

json with(const char* key, json value) {
  json j = valid();
  j[key] = std::move(value);
  return j;
}

TEST(WorkerRequest, MalformedDocumentsAreRefusedByName) {
  EXPECT_NE(refusal("").find("not a JSON document"), std::string::npos);
  EXPECT_NE(refusal("{\"kind\": ").find("not a JSON document"), std::string::npos);
  EXPECT_NE(refusal("[1, 2]").find("not a JSON object"), std::string::npos);
  json no_kind = valid();
  no_kind.erase("kind");
  EXPECT_NE(refusal(no_kind.dump()).find("\"kind\" is missing"), std::string::npos);
  EXPECT_NE(refusal(with("kind", "measure").dump()).find("entry or probe"), std::string::npos);
  EXPECT_NE(refusal(with("threads", 0).dump()).find("\"threads\" must be in [1, 1024]"),
            std::string::npos);
  EXPECT_NE(refusal(with("threads", "4").dump()).find("\"threads\" must be a whole number"),
            std::string::npos);
  EXPECT_NE(refusal(with("threads", 2.5).dump()).find("whole number"), std::string::npos);
  EXPECT_NE(refusal(with("seed", -1).dump()).find("\"seed\" must be a whole number"),
            std::string::npos);
  EXPECT_NE(refusal(with("min_time_s", -0.5).dump()).find("\"min_time_s\" must be in"),
            std::string::npos);
  EXPECT_NE(refusal(with("quick", 1).dump()).find("\"quick\" must be true or false"),
            std::string::npos);
  EXPECT_NE(refusal(with("workload", "").dump()).find("\"workload\" is missing"),
            std::string::npos);
  EXPECT_NE(refusal(with("allocator", nullptr).dump()).find("\"allocator\" must be a string"),
            std::string::npos);
  EXPECT_NE(refusal(with("point-index", 1).dump()).find("\"point-index\" is not a field"),
            std::string::npos);
  // A probe needs no workload.
  EXPECT_EQ(refusal(R"({"kind": "probe", "allocator": "system"})"), "");
}

// The worker process: a bad request on fd 4 is one line on stderr and a
// non-zero exit, before anything runs.
TEST(WorkerRequest, TheWorkerRefusesAMalformedRequestInOneLine) {
  const std::string path = harness::test::temp_path("bad-request.json");
  for (const std::string& text :
       {std::string(), std::string(R"({"kind": "entry", "threads": 0})")}) {
    std::ofstream(path) << text;
    const auto r = harness::test::run_command(
        {"sh", "-c", "exec \"$0\" --worker 4< \"$1\" 3>/dev/null", STALLOC_BENCH_EXE, path});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("stalloc-bench --worker: worker request: "), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  std::remove(path.c_str());
}

}  // namespace
