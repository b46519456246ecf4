// The malloc trap, proven end to end: in ONE stalloc-bench run, `system` is
// glibc's malloc and `mimalloc` is mimalloc's (each verified in its worker by
// dladdr and the library's own ownership query), and a missing library makes
// its allocator "unavailable" while the rest still run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "run_command.hpp"

namespace {

using harness::test::run_command;
using nlohmann::json;

json run_json(const std::vector<std::string>& extra, const std::vector<std::string>& env = {}) {
  const std::string out = harness::test::temp_path("provider.json");
  std::vector<std::string> args = {STALLOC_BENCH_EXE, "--workload", "small-objects", "--quick",
                                   "--repetitions",   "1",          "--min-time",    "0.002",
                                   "--out",           out,          "--format",      "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_command(args, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json doc = json::parse(harness::test::slurp(out));
  std::remove(out.c_str());
  EXPECT_EQ(doc, json::parse(r.out)) << "stdout JSON and file JSON differ";
  return doc;
}

const json* entry(const json& doc, const std::string& allocator) {
  for (const json& e : doc["entries"])
    if (e["allocator"] == allocator) return &e;
  return nullptr;
}

TEST(MallocTrap, SystemIsGlibcAndMimallocIsMimallocInOneRun) {
  const json doc = run_json({"--allocator", "system,mimalloc,stalloc"});
  const json* system = entry(doc, "system");
  const json* mimalloc = entry(doc, "mimalloc");
  const json* stalloc = entry(doc, "stalloc");
  ASSERT_NE(system, nullptr);
  ASSERT_NE(mimalloc, nullptr);
  ASSERT_NE(stalloc, nullptr);
  if ((*mimalloc)["status"] == "unavailable") GTEST_SKIP() << (*mimalloc)["reason"];

  ASSERT_EQ((*system)["status"], "ok") << (*system)["reason"];
  EXPECT_TRUE((*system)["malloc_provider"]["verified"].get<bool>());
  EXPECT_NE((*system)["malloc_provider"]["library"].get<std::string>().find("libc.so"),
            std::string::npos)
      << (*system)["malloc_provider"];

  ASSERT_EQ((*mimalloc)["status"], "ok") << (*mimalloc)["reason"];
  EXPECT_TRUE((*mimalloc)["malloc_provider"]["verified"].get<bool>());
  EXPECT_NE((*mimalloc)["malloc_provider"]["library"].get<std::string>().find("mimalloc"),
            std::string::npos)
      << (*mimalloc)["malloc_provider"];
  EXPECT_NE((*mimalloc)["malloc_provider"]["check"].get<std::string>().find("mi_is_in_heap_region"),
            std::string::npos);

  // Stalloc's worker is not preloaded: its fallback malloc is glibc's.
  EXPECT_NE((*stalloc)["malloc_provider"]["library"].get<std::string>().find("libc.so"),
            std::string::npos);
  EXPECT_TRUE(doc["context"]["library_versions"]["mimalloc"].is_string());
}

TEST(MallocTrap, JemallocAndTcmallocAreThemselves) {
  const json doc = run_json({"--allocator", "jemalloc,tcmalloc"});
  for (const char* name : {"jemalloc", "tcmalloc"}) {
    const json* e = entry(doc, name);
    ASSERT_NE(e, nullptr);
    if ((*e)["status"] == "unavailable") continue;
    ASSERT_EQ((*e)["status"], "ok") << (*e)["reason"];
    EXPECT_TRUE((*e)["malloc_provider"]["verified"].get<bool>());
    EXPECT_NE((*e)["malloc_provider"]["library"].get<std::string>().find(name), std::string::npos);
  }
}

TEST(MallocTrap, UserPreloadDoesNotLeakIntoTheSystemBaseline) {
  // Even if the whole harness runs under LD_PRELOAD=mimalloc, `system`'s
  // worker gets glibc.
  const json doc =
      run_json({"--allocator", "system"}, {"LD_PRELOAD=" + std::string(MIMALLOC_LIBRARY_PATH)});
  const json* system = entry(doc, "system");
  ASSERT_NE(system, nullptr);
  ASSERT_EQ((*system)["status"], "ok") << (*system)["reason"];
  EXPECT_NE((*system)["malloc_provider"]["library"].get<std::string>().find("libc.so"),
            std::string::npos);
}

TEST(MallocTrap, MissingLibraryIsUnavailableAndTheRestRun) {
  const json doc = run_json({"--allocator", "system,mimalloc"},
                            {"STALLOC_BENCH_MIMALLOC_LIBRARY=/nonexistent/libmimalloc.so.2"});
  const json* mimalloc = entry(doc, "mimalloc");
  const json* system = entry(doc, "system");
  ASSERT_NE(mimalloc, nullptr);
  ASSERT_NE(system, nullptr);
  EXPECT_EQ((*mimalloc)["status"], "unavailable");
  EXPECT_NE((*mimalloc)["reason"].get<std::string>().find("/nonexistent/libmimalloc.so.2"),
            std::string::npos);
  EXPECT_EQ((*system)["status"], "ok");
  bool listed = false;
  for (const json& a : doc["allocators"])
    if (a["name"] == "mimalloc") {
      listed = true;
      EXPECT_FALSE(a["available"].get<bool>());
      EXPECT_TRUE(a["reason"].is_string());
    }
  EXPECT_TRUE(listed);
}

TEST(MallocTrap, ListShowsUnavailableWithReason) {
  const auto r = run_command({STALLOC_BENCH_EXE, "--list"},
                             {"STALLOC_BENCH_TCMALLOC_LIBRARY=/nonexistent/libtcmalloc.so"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("UNAVAILABLE: STALLOC_BENCH_TCMALLOC_LIBRARY=/nonexistent/libtcmalloc.so"),
            std::string::npos)
      << r.out;
}

}  // namespace
