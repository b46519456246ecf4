// stalloc-trace, the command-line tool: conversions, and bad input giving a
// clear message and exit status 2.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "workloads/trace/open.hpp"

namespace {

struct Result {
  int status;
  std::string out;  // stdout and stderr
};

Result run(const std::string& args) {
  std::string cmd = std::string(STALLOC_TRACE_TOOL) + " " + args + " 2>&1";
  std::FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), out};
}

// The pid keeps tests that ctest runs in parallel apart.
std::string scratch(const std::string& name) {
  return testing::TempDir() + "/" + std::to_string(getpid()) + "-" + name;
}

std::string temp(const std::string& name, const std::string& body) {
  std::string path = scratch(name);
  std::ofstream(path, std::ios::binary) << body;
  return path;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

const char* kText =
    "stalloc-trace 1\nprogram demo\nthreads 2\na 0 1 64\nc 1 2 3 8\nr 1 1 3 90\nf 0 2\nf 0 3\n";

}  // namespace

TEST(Tool, ConvertsBothWaysAndValidates) {
  std::string txt = temp("a.txt", kText), bin = scratch("a.bin"), back = scratch("a2.txt");
  ASSERT_EQ(run("to-binary " + txt + " " + bin).status, 0);
  ASSERT_EQ(run("to-text " + bin + " " + back).status, 0);
  auto orig = workloads::trace::read_trace(txt), again = workloads::trace::read_trace(back);
  EXPECT_EQ(orig.ops, again.ops);
  EXPECT_EQ(slurp(back).find("stalloc-trace 1\nprogram demo\n"), 0u);
  Result v = run("validate " + bin);
  EXPECT_EQ(v.status, 0);
  EXPECT_NE(v.out.find("ok, binary trace, 5 ops, 2 threads"), std::string::npos) << v.out;
  Result s = run("stats " + bin);
  EXPECT_EQ(s.status, 0);
  EXPECT_NE(s.out.find("peak live   114 bytes"), std::string::npos) << s.out;
}

TEST(Tool, BadInputExitsWithStatus2AndSaysWhere) {
  Result r = run("validate " + temp("dbl.txt", "stalloc-trace 1\na 0 1 8\nf 0 1\nf 0 1\n"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("dbl.txt: line 4: free of id 1, which is already freed (double free)"),
            std::string::npos)
      << r.out;

  r = run("validate " + temp("never.txt", "stalloc-trace 1\nf 0 7\n"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("never.txt: line 2: free of id 7, which was never allocated"),
            std::string::npos)
      << r.out;

  r = run("stats " + temp("junk.bin", "\x89STLTRC\n\x05"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("junk.bin: byte 8: unsupported trace format version 5"), std::string::npos)
      << r.out;

  r = run("to-binary /nonexistent.trace " + scratch("x"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("/nonexistent.trace: cannot open"), std::string::npos) << r.out;

  r = run("import-valgrind " + temp("t2.txt", kText) + " " + scratch("y"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("not a valgrind --trace-malloc log (it is a text trace)"), std::string::npos)
      << r.out;

  r = run("frobnicate");
  EXPECT_EQ(r.status, 2);
  r = run("");
  EXPECT_EQ(r.status, 2);
}

TEST(Tool, AFailedConversionLeavesNoOutputFile) {
  std::string out = scratch("never-written.bin");
  std::remove(out.c_str());
  Result r = run("to-binary " + temp("bad.txt", "stalloc-trace 1\na 0 1 8\nq\n") + " " + out);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("bad.txt: line 3: unknown op 'q'"), std::string::npos) << r.out;
  EXPECT_FALSE(std::ifstream(out).good());
  EXPECT_FALSE(std::ifstream(out + ".tmp").good());
}

TEST(Tool, ImportsAValgrindLog) {
  std::string log = temp(
      "v.log",
      "==9== Command: ./prog\n--9-- malloc(24) = 0x100\n--9-- free(0x100)\n--9-- free(0x999)\n");
  std::string out = scratch("v.bin");
  Result r = run("import-valgrind " + log + " " + out);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("1 warning(s)"), std::string::npos) << r.out;
  auto t = workloads::trace::read_trace(out);
  EXPECT_EQ(t.ops.size(), 2u);
  EXPECT_EQ(t.header.program, "prog");
}

TEST(Tool, ReplaysAgainstGlibc) {
  Result r = run("replay --rounds 3 --check " + temp("r.txt", kText));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("per round   5 ops"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0 requests, 0 skipped ops, 0 trace warnings, 0 corruptions"),
            std::string::npos)
      << r.out;
  r = run("replay --rounds 0 " + temp("r0.txt", kText));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--rounds"), std::string::npos) << r.out;
}
