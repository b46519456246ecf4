// libstalloc-record.so on a program with known allocations: the trace must
// hold exactly them, in order, with their threads, through threads, fork,
// exec, _exit and fatal signals.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "workloads/trace/checker.hpp"
#include "workloads/trace/open.hpp"

namespace trace = workloads::trace;
using trace::Op;
using trace::OpKind;

namespace {

constexpr std::uint64_t kMarker = 777777;

struct Recorded {
  int exit_code;  // 128 + signal when killed
  std::string stdout_text;
  std::string trace_path;
};

Recorded record(const std::string& mode, const std::string& extra_env = "") {
  // The pid keeps tests that ctest runs in parallel apart.
  std::string path =
      testing::TempDir() + "/rec-" + std::to_string(getpid()) + "-" + mode + ".trace";
  std::remove(path.c_str());
  std::string cmd = "env -u STALLOC_TRACE_ROOT LD_PRELOAD=" + std::string(STALLOC_RECORDER) +
                    " STALLOC_TRACE=" + path + " " + extra_env + " " + STALLOC_RECORD_TARGET + " " +
                    mode;
  std::FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[256];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int st = pclose(p);
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  // sh reports a child killed by signal N as exit status 128 + N.
  return {code, out, path};
}

// The ops between the two marker blocks (exclusive).
std::vector<Op> between_markers(const trace::Trace& t) {
  std::vector<Op> out;
  int markers = 0;
  std::uint64_t marker_id = 0;
  for (const Op& op : t.ops) {
    if (op.kind == OpKind::kAlloc && op.size == kMarker) {
      ++markers;
      marker_id = op.id;
      continue;
    }
    if (op.kind == OpKind::kFree && op.id == marker_id) continue;
    if (markers == 1) out.push_back(op);
  }
  return out;
}

std::string describe(const std::vector<Op>& ops) {
  std::string s;
  for (const Op& op : ops) s += trace::format_op(op) + "\n";
  return s;
}

bool file_exists(const std::string& p) {
  return std::ifstream(p).good();
}

}  // namespace

TEST(Recorder, BasicProgramTraceHoldsExactlyItsAllocations) {
  Recorded r = record("basic");
  ASSERT_EQ(r.exit_code, 0);
  trace::Trace t = trace::read_trace(r.trace_path);
  EXPECT_EQ(t.header.program, "record-target");
  EXPECT_NE(t.header.command_line.find("record-target basic"), std::string::npos);
  EXPECT_EQ(t.header.date.size(), 20u);  // 2026-01-01T00:00:00Z
  std::vector<Op> ops = between_markers(t);
  // kind, size, count, align code (2^(code-1)), and which earlier op's block a free names.
  struct Want {
    OpKind kind;
    std::uint64_t size, count;
    unsigned align_code;
    int block;  // free/realloc: index in `ops` of the op that created the block
  };
  std::vector<Want> want = {
      {OpKind::kAlloc, 100, 0, 0, -1},   // 0 malloc
      {OpKind::kCalloc, 40, 3, 0, -1},   // 1 calloc
      {OpKind::kRealloc, 200, 0, 0, 0},  // 2 realloc(a, 200)
      {OpKind::kAlloc, 300, 0, 7, -1},   // 3 posix_memalign 64
      {OpKind::kAlloc, 256, 0, 8, -1},   // 4 aligned_alloc 128
      {OpKind::kAlloc, 50, 0, 6, -1},    // 5 memalign 32
      {OpKind::kAlloc, 10, 0, 13, -1},   // 6 valloc: page aligned
      {OpKind::kAlloc, 100, 0, 0, -1},   // 7 reallocarray(NULL, 4, 25)
      {OpKind::kAlloc, 28, 0, 0, -1},    // 8 new int[7]
      {OpKind::kFree, 0, 0, 0, 8},       // delete[]
      {OpKind::kFree, 0, 0, 0, 7},      {OpKind::kFree, 0, 0, 0, 6}, {OpKind::kFree, 0, 0, 0, 5},
      {OpKind::kFree, 0, 0, 0, 4},      {OpKind::kFree, 0, 0, 0, 3}, {OpKind::kFree, 0, 0, 0, 1},
      {OpKind::kFree, 0, 0, 0, 2},  // realloc(a, 0)
  };
  ASSERT_EQ(ops.size(), want.size()) << describe(ops);
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(ops[i].kind, want[i].kind) << describe(ops);
    EXPECT_EQ(ops[i].size, want[i].size);
    EXPECT_EQ(ops[i].count, want[i].count);
    EXPECT_EQ(ops[i].align_code, want[i].align_code);
    EXPECT_EQ(ops[i].thread, 0u);
    if (want[i].kind == OpKind::kRealloc) {
      EXPECT_EQ(ops[i].old_id, ops[want[i].block].id);
    }
    if (want[i].kind == OpKind::kFree) {
      EXPECT_EQ(ops[i].id, ops[want[i].block].id);
    }
  }
  // The whole trace is consistent: no free of an unknown id anywhere.
  trace::Checker c;
  for (const Op& op : t.ops) EXPECT_EQ(c.apply(op), trace::Issue::kNone) << trace::format_op(op);
}

TEST(Recorder, EightThreadsLoseNoOperation) {
  Recorded r = record("threads");
  ASSERT_EQ(r.exit_code, 0);
  trace::Trace t = trace::read_trace(r.trace_path);
  std::vector<Op> ops = between_markers(t);
  std::map<std::uint64_t, std::uint32_t> size_thread;  // worker size -> recorded thread
  std::map<std::uint64_t, int> allocs_by_size;
  std::map<std::uint64_t, std::uint64_t> block_size;  // id -> size
  std::map<std::uint32_t, int> frees_by_thread;
  std::set<std::uint64_t> freed;
  for (const Op& op : ops) {
    if (op.kind == OpKind::kAlloc && op.size >= 1000 && op.size < 1008) {
      ++allocs_by_size[op.size];
      block_size[op.id] = op.size;
      auto [it, fresh] = size_thread.try_emplace(op.size, op.thread);
      EXPECT_EQ(it->second, op.thread) << "blocks of one size come from one thread";
    } else if (op.kind == OpKind::kFree && block_size.count(op.id)) {
      EXPECT_TRUE(freed.insert(op.id).second) << "freed twice: " << op.id;
      ++frees_by_thread[op.thread];
    }
  }
  ASSERT_EQ(allocs_by_size.size(), 8u);
  std::set<std::uint32_t> worker_threads;
  for (auto [size, n] : allocs_by_size) EXPECT_EQ(n, 2000) << size;
  for (auto [size, thread] : size_thread) worker_threads.insert(thread);
  // A worker that has exited passes its number on, so 8 workers take 1 to 8
  // numbers depending on how they overlapped; never main's.
  EXPECT_GE(worker_threads.size(), 1u);
  EXPECT_FALSE(worker_threads.count(0));
  EXPECT_EQ(freed.size(), 8u * 2000);  // every block freed exactly once
  int worker_frees = 0;
  for (std::uint32_t w : worker_threads) worker_frees += frees_by_thread[w];
  EXPECT_EQ(worker_frees, 8 * 1000);
  EXPECT_EQ(frees_by_thread[0], 8 * 1000);  // the cross-thread frees, by main
  EXPECT_GE(t.header.thread_count, 2u);
  trace::Checker c;
  for (const Op& op : t.ops) ASSERT_EQ(c.apply(op), trace::Issue::kNone) << trace::format_op(op);
}

TEST(Recorder, ForkedChildIsNotRecordedAndDoesNotDisturbTheParent) {
  Recorded r = record("fork");
  ASSERT_EQ(r.exit_code, 0);
  std::vector<Op> ops = between_markers(trace::read_trace(r.trace_path));
  ASSERT_EQ(ops.size(), 2u) << describe(ops);
  EXPECT_EQ(ops[0].size, 4444u);
  EXPECT_EQ(ops[1].kind, OpKind::kFree);
}

TEST(Recorder, AVforkChildExitingDoesNotEndTheParentsRecording) {
  Recorded r = record("vfork");
  ASSERT_EQ(r.exit_code, 0);
  std::vector<Op> ops = between_markers(trace::read_trace(r.trace_path));
  ASSERT_EQ(ops.size(), 2u) << describe(ops);
  EXPECT_EQ(ops[0].size, 6666u);
}

// Threads still allocating while the process exits: their last ops may be
// lost, but the trace is always complete and consistent.
TEST(Recorder, ExitWhileThreadsStillAllocateGivesAValidTrace) {
  for (int i = 0; i < 3; ++i) {
    Recorded r = record("busy-exit");
    ASSERT_EQ(r.exit_code, 0);
    trace::Trace t = trace::read_trace(r.trace_path);  // throws if damaged
    EXPECT_GT(t.ops.size(), 1000u);
    trace::Checker c;
    std::uint64_t issues = 0;
    for (const Op& op : t.ops) issues += c.apply(op) != trace::Issue::kNone;
    EXPECT_EQ(issues, 0u);
  }
}

TEST(Recorder, UnderscoreExitStillWritesTheTrace) {
  Recorded r = record("exit");
  ASSERT_EQ(r.exit_code, 0);
  trace::Trace t = trace::read_trace(r.trace_path);
  std::vector<Op> ops = between_markers(t);
  ASSERT_EQ(ops.size(), 1u) << describe(ops);
  EXPECT_EQ(ops[0].size, 3333u);
}

TEST(Recorder, AFatalSignalStillWritesTheTrace) {
  Recorded r = record("signal");
  EXPECT_EQ(r.exit_code, 128 + SIGTERM);
  std::vector<Op> ops = between_markers(trace::read_trace(r.trace_path));
  ASSERT_EQ(ops.size(), 1u) << describe(ops);
  EXPECT_EQ(ops[0].size, 2222u);
}

TEST(Recorder, ExecedChildrenWriteTheirOwnTrace) {
  Recorded r = record("spawn");
  ASSERT_EQ(r.exit_code, 0);
  int child = std::stoi(r.stdout_text);
  std::string child_trace = r.trace_path + ".record-target." + std::to_string(child);
  ASSERT_TRUE(file_exists(child_trace));
  EXPECT_EQ(between_markers(trace::read_trace(child_trace)).size(), 17u);
  // The parent's trace has its own ops only (printf's buffer), none of the child's.
  for (const Op& op : between_markers(trace::read_trace(r.trace_path)))
    EXPECT_NE(op.kind, OpKind::kCalloc);
  std::remove(child_trace.c_str());
}

TEST(Recorder, ProgramFilterRecordsOnlyTheNamedProgram) {
  Recorded r = record("basic", "STALLOC_TRACE_PROGRAM=something-else");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_FALSE(file_exists(r.trace_path));
  r = record("basic", "STALLOC_TRACE_PROGRAM=record-target");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(between_markers(trace::read_trace(r.trace_path)).size(), 17u);
}

TEST(Recorder, WithoutStallocTraceItOnlyForwards) {
  std::string cmd =
      "LD_PRELOAD=" + std::string(STALLOC_RECORDER) + " " + STALLOC_RECORD_TARGET + " threads";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

namespace {

// Ids renumbered by order of creation inside the window, so that traces of
// the same run from different recorders compare equal.
std::vector<Op> normalized(std::vector<Op> ops) {
  std::map<std::uint64_t, std::uint64_t> renumber;
  for (Op& op : ops) {
    if (op.kind == OpKind::kFree || op.kind == OpKind::kRealloc) {
      std::uint64_t& ref = op.kind == OpKind::kFree ? op.id : op.old_id;
      ref = renumber.count(ref) ? renumber[ref] : 0;
    }
    if (op.creates_block()) {
      std::uint64_t fresh = renumber.size() + 1;
      renumber[op.id] = fresh;
      op.id = fresh;
    }
  }
  return ops;
}

}  // namespace

// The same program seen by valgrind --trace-malloc and by the recorder: the
// importer must give exactly the recorder's ops.
TEST(Recorder, AgreesWithValgrindsTraceOfTheSameProgram) {
  if (std::system("valgrind --version > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "valgrind not installed";
  std::string log = testing::TempDir() + "/rec-" + std::to_string(getpid()) + "-valgrind.log";
  std::string cmd = "valgrind --tool=memcheck --trace-malloc=yes --log-file=" + log + " " +
                    STALLOC_RECORD_TARGET + " basic > /dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  trace::Trace from_valgrind = trace::read_trace(log);
  EXPECT_EQ(from_valgrind.warnings, 0u);
  Recorded r = record("basic");
  ASSERT_EQ(r.exit_code, 0);
  std::vector<Op> a = normalized(between_markers(from_valgrind));
  std::vector<Op> b = normalized(between_markers(trace::read_trace(r.trace_path)));
  EXPECT_EQ(describe(a), describe(b));
  EXPECT_EQ(a.size(), 17u);
  std::remove(log.c_str());
}

// ---- issue 16 -----------------------------------------------------------------

namespace {

namespace fs = std::filesystem;

std::string scratch_dir(const std::string& name) {
  const std::string dir = testing::TempDir() + "/rec-" + std::to_string(getpid()) + "-" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Starts the target under the recorder without a shell; returns its pid.
pid_t start(const std::vector<std::string>& args, const std::string& trace_path,
            const std::string& cwd = "") {
  const pid_t pid = fork();
  if (pid == 0) {
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    setenv("LD_PRELOAD", STALLOC_RECORDER, 1);
    setenv("STALLOC_TRACE", trace_path.c_str(), 1);
    unsetenv("STALLOC_TRACE_ROOT");
    std::vector<char*> argv{const_cast<char*>(STALLOC_RECORD_TARGET)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(STALLOC_RECORD_TARGET, argv.data());
    _exit(127);
  }
  return pid;
}

// Waits up to `seconds`; returns the wait status, or -1 if it had to be killed.
int finish(pid_t pid, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int st = 0;
  while (waitpid(pid, &st, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return st;
}

// Reads the whole trace (throws if it is damaged) and checks every op.
trace::Trace valid_trace(const std::string& path) {
  trace::Trace t = trace::read_trace(path);
  trace::Checker c;
  for (const Op& op : t.ops) {
    const trace::Issue issue = c.apply(op);
    if (issue != trace::Issue::kNone)
      throw trace::TraceError(path + ": " + trace::describe(issue, op));
  }
  return t;
}

std::vector<std::string> leftovers(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.ends_with(".spool") || name.ends_with(".tmp")) out.push_back(name);
  }
  return out;
}

}  // namespace

// The handler used to spin for ever on the flush flag held by the very
// thread it interrupted (11 hangs in 150 trials). 9 threads allocate for
// ever; SIGTERM at a random moment must end the process within seconds and
// leave a complete, consistent trace.
TEST(RecorderSignals, SigtermAtRandomMomentsNeverHangsAndLeavesAValidTrace) {
  const std::string dir = scratch_dir("sigterm");
  std::mt19937 rng(12345);
  int hangs = 0, invalid = 0, non_empty = 0;
  std::string first_problem;
  for (int trial = 0; trial < 100; ++trial) {
    const std::string path = dir + "/t" + std::to_string(trial) + ".trace";
    const pid_t pid = start({"spin"}, path);
    // A signal before the recorder has started is the program's alone.
    const std::string spool = path + ".record-target." + std::to_string(pid) + ".spool";
    for (int i = 0; i < 5000 && !file_exists(spool); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + rng() % 40));
    kill(pid, SIGTERM);
    const int st = finish(pid, 30);
    if (st == -1) {
      ++hangs;
      if (first_problem.empty()) first_problem = "trial " + std::to_string(trial) + " hung";
      continue;
    }
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)
        << "trial " << trial << " status " << st;
    try {
      // A signal that arrives while the recorder starts waits for it, and
      // then finds nothing recorded yet: an empty trace is a valid one.
      non_empty += !valid_trace(path).ops.empty();
    } catch (const std::exception& e) {
      ++invalid;
      if (first_problem.empty()) first_problem = e.what();
    }
    std::remove(path.c_str());
  }
  EXPECT_EQ(hangs, 0) << first_problem;
  EXPECT_EQ(invalid, 0) << first_problem;
  // Most kills must land while the program allocates, or the test tests nothing.
  EXPECT_GE(non_empty, 25);
  EXPECT_TRUE(leftovers(dir).empty());
}

TEST(RecorderSignals, SigpipeSigusr1SigalrmAndQuickExitStillWriteTheTrace) {
  const std::string dir = scratch_dir("signals");
  struct Case {
    const char* mode;
    int signal;  // 0: a normal exit
    std::uint64_t size;
  };
  for (const Case& c : {Case{"sigpipe", SIGPIPE, 2020}, Case{"sigusr1", SIGUSR1, 2121},
                        Case{"sigalrm", SIGALRM, 2121}, Case{"quick-exit", 0, 2323}}) {
    SCOPED_TRACE(c.mode);
    const std::string path = dir + "/" + c.mode + ".trace";
    const int st = finish(start({c.mode}, path), 30);
    if (c.signal) {
      EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == c.signal) << st;
    } else {
      EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
    }
    ASSERT_TRUE(file_exists(path));
    bool found = false;
    for (const Op& op : valid_trace(path).ops) found = found || op.size == c.size;
    EXPECT_TRUE(found) << "the last block before the signal is missing";
  }
  EXPECT_TRUE(leftovers(dir).empty());
}

// Python installs its SIGINT handler (KeyboardInterrupt) only where it finds
// the default; it found the recorder's and stayed away. The program now sees
// the default, and setting the default explicitly (as Python does before it
// re-raises SIGINT to exit) still leaves the trace.
TEST(RecorderSignals, TheProgramSeesTheDefaultActionWhereTheRecorderHasAHandler) {
  Recorded r = record("sigquery");
  EXPECT_EQ(r.stdout_text, "default default ");
  EXPECT_EQ(r.exit_code, 128 + SIGTERM);
  bool found = false;
  for (const Op& op : valid_trace(r.trace_path).ops) found = found || op.size == 2424;
  EXPECT_TRUE(found);
}

// The spool used the lowest free descriptor (3): a program that closed its
// inherited descriptors and opened a file got 3, and the recorder's chunks
// went into the program's file.
TEST(RecorderFiles, AProgramThatClosesInheritedDescriptorsKeepsItsFile) {
  const std::string dir = scratch_dir("close-fds");
  const std::string data = dir + "/program.dat", path = dir + "/t.trace";
  const int st = finish(start({"close-fds", data}, path), 60);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  EXPECT_EQ(fs::file_size(data), 12u) << "the recorder wrote into the program's file";
  std::ifstream in(data);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "program data");
  trace::Trace t = valid_trace(path);
  std::uint64_t loop_allocs = 0;
  for (const Op& op : between_markers(t)) loop_allocs += op.kind == OpKind::kAlloc;
  EXPECT_EQ(loop_allocs, 300000u);  // nothing lost: the spool was reopened
  EXPECT_TRUE(leftovers(dir).empty());
}

TEST(RecorderFiles, ARelativeTracePathSurvivesChdir) {
  const std::string dir = scratch_dir("chdir"), elsewhere = scratch_dir("chdir-elsewhere");
  const int st = finish(start({"chdir", elsewhere}, "rel.trace", dir), 30);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  ASSERT_TRUE(file_exists(dir + "/rel.trace"));
  EXPECT_FALSE(file_exists(elsewhere + "/rel.trace"));
  bool found = false;
  for (const Op& op : valid_trace(dir + "/rel.trace").ops) found = found || op.size == 5151;
  EXPECT_TRUE(found);
  EXPECT_TRUE(leftovers(dir).empty());
  EXPECT_TRUE(leftovers(elsewhere).empty());
}

// Thread numbers are reused once a thread exits: any number of threads over
// a program's life gives a trace the readers accept (they stop at 65535).
TEST(RecorderThreads, SeventyThousandSequentialThreadsGiveAReadableTrace) {
  const std::string dir = scratch_dir("threads70k");
  const std::string path = dir + "/t.trace";
  const int st = finish(start({"threads70k"}, path), 240);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  trace::Trace t = valid_trace(path);
  EXPECT_LE(t.header.thread_count, 16u);
  std::uint64_t worker_allocs = 0;
  for (const Op& op : between_markers(t))
    worker_allocs += op.kind == OpKind::kAlloc && op.size == 7070 && op.thread != 0;
  EXPECT_EQ(worker_allocs, 70000u);
}

TEST(RecorderThreads, Memalign2To31IsRecordedExactly) {
  const std::string dir = scratch_dir("memalign");
  const std::string path = dir + "/t.trace";
  const int st = finish(start({"memalign31"}, path), 30);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  std::vector<Op> ops = between_markers(valid_trace(path));
  ASSERT_EQ(ops.size(), 2u) << describe(ops);
  EXPECT_EQ(trace::align_bytes(ops[0].align_code), std::size_t{1} << 31);
}

// env, sh -c and wrapper scripts exec the program without forking: the
// recording used to end there, the program's trace went to FILE.<pid> and
// the spool was left behind.
TEST(RecorderFiles, ExecWithoutForkRecordsBothImages) {
  const std::string dir = scratch_dir("exec");
  const std::string path = dir + "/t.trace";
  const pid_t pid = start({"exec-self"}, path);
  const int st = finish(pid, 30);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  // The image that runs last keeps the name; the one before exec is a side trace.
  EXPECT_EQ(between_markers(valid_trace(path)).size(), 17u);
  const std::string before = path + ".record-target." + std::to_string(pid);
  ASSERT_TRUE(file_exists(before));
  bool found = false;
  for (const Op& op : valid_trace(before).ops) found = found || op.size == 8888;
  EXPECT_TRUE(found);
  EXPECT_TRUE(leftovers(dir).empty());
}
