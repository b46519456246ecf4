// stalloc-trace, the command-line tool: conversions, and bad input giving a
// clear message and exit status 2.
#include <gtest/gtest.h>
#include <sys/stat.h>
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

// `timeout`: seconds after which the tool is killed (status 124), for tests
// whose failure mode is a hang.
Result run(const std::string& args, int timeout = 0) {
  std::string cmd = (timeout ? "timeout " + std::to_string(timeout) + " " : std::string()) +
                    STALLOC_TRACE_TOOL + " " + args + " 2>&1";
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

// ---- issue 16: outputs that are not regular files, inputs that are streams ----

TEST(ToolOutput, ASymlinkIsWrittenThroughAndStaysASymlink) {
  const std::string txt = temp("sl.txt", kText), target = scratch("sl-target.bin"),
                    link = scratch("sl-link.bin");
  std::remove(link.c_str());
  std::ofstream(target) << "old";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  Result r = run("to-binary " + txt + " " + link);
  ASSERT_EQ(r.status, 0) << r.out;
  struct stat st;
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the symlink was replaced by a file";
  EXPECT_EQ(workloads::trace::read_trace(target).ops.size(), 5u);
}

TEST(ToolOutput, AFifoIsWrittenThroughNotReplaced) {
  const std::string txt = temp("fifo.txt", kText), fifo = scratch("out.fifo"),
                    got = scratch("fifo-got.txt");
  std::remove(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // A reader on the other end, as a pipeline would have.
  const std::string reader = "timeout 20 cat " + fifo + " > " + got + " &";
  ASSERT_EQ(std::system(reader.c_str()), 0);
  Result r = run("to-text " + txt + " " + fifo);
  ASSERT_EQ(r.status, 0) << r.out;
  struct stat st;
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  for (int i = 0; i < 200 && slurp(got).find("f 0 3") == std::string::npos; ++i) ::usleep(10000);
  EXPECT_EQ(workloads::trace::read_trace(got).ops.size(), 5u);
  std::remove(fifo.c_str());
}

TEST(ToolOutput, AnUnwritableOutputIsFoundBeforeTheInputIsRead) {
  // The input is a FIFO nobody writes to: reading it would wait for ever.
  const std::string fifo = scratch("never-written.fifo");
  std::remove(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Result r = run("to-binary " + fifo + " /nonexistent-dir/x.trace", 20);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("/nonexistent-dir/x.trace: directory /nonexistent-dir does not exist"),
            std::string::npos)
      << r.out;
  std::remove(fifo.c_str());
}

TEST(ToolInput, TracesStreamFromAPipeAndAFifo) {
  const std::string txt = temp("pipe.txt", kText);
  Result r = run("validate /dev/stdin < " + txt);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("ok, text trace, 5 ops"), std::string::npos) << r.out;
  const std::string fifo = scratch("in.fifo");
  std::remove(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ASSERT_EQ(std::system(("timeout 20 cat " + txt + " > " + fifo + " &").c_str()), 0);
  r = run("stats " + fifo);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("ops         5"), std::string::npos) << r.out;
  std::remove(fifo.c_str());
}
