// TraceReplay against checking allocators: every op reaches the allocator
// with the right size and alignment, nothing leaks from a round, refused
// requests are counted and the replay goes on, and check mode catches an
// allocator that loses data.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "test_allocators.hpp"
#include "workloads/trace/replay.hpp"
#include "workloads/trace/replay_threads.hpp"

namespace fs = std::filesystem;
using trace_tests::CappedAllocator;
using trace_tests::CheckingMalloc;
using workloads::Options;
using workloads::Point;
using workloads::TraceReplay;
using workloads::TraceReplayThreads;

namespace {

std::string write_temp(const std::string& name, const std::string& body) {
  // The pid keeps tests that ctest runs in parallel apart.
  std::string path = testing::TempDir() + "/" + std::to_string(getpid()) + "-" + name;
  std::ofstream(path) << body;
  return path;
}

Options opts(const std::string& path, bool check = true) {
  Options o;
  o.input = path;
  o.check = check;
  return o;
}

// 3 threads, every op kind, a cross-thread free, a block left live.
const char* kTrace =
    "stalloc-trace 1\n"
    "program demo\n"
    "a 0 1 64\n"
    "a 0 2 100 64\n"
    "c 1 3 4 16\n"
    "r 1 1 4 200\n"
    "a 2 5 0\n"
    "f 2 2\n"
    "r 0 4 6 10\n"
    "a 0 7 4096 4096\n"
    "f 1 7\n"
    "f 0 3\n"
    "f 0 6\n";

}  // namespace

TEST(Replay, EveryOpReachesTheAllocatorAndARoundLeavesItEmpty) {
  TraceReplay w(opts(write_temp("demo.txt", kTrace)), Point{});
  EXPECT_EQ(w.program().threads, 3u);
  EXPECT_EQ(w.program().trace_ops, 11u);
  EXPECT_EQ(w.program().leaked_blocks, 1u);              // block 5 is never freed
  EXPECT_EQ(w.ops_per_round(), 12u);                     // ... so its free is appended
  EXPECT_EQ(w.peak_requested_bytes(), 10u + 4096 + 64);  // after 'a 0 7 4096 4096'
  CheckingMalloc a;
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(w.run(a, 0), 12u);
    EXPECT_EQ(a.live_blocks(), 0u);
  }
  EXPECT_EQ(a.allocations(), 3u * 7);              // 5 allocs + 2 reallocs (moved) per round
  EXPECT_EQ(a.errors(), 0u);                       // sizes and alignments matched on every free
  EXPECT_EQ(a.peak_bytes(), 10u + 4096 + 64 + 1);  // block 5 (malloc(0)) is replayed as 1 byte
  EXPECT_EQ(w.corruptions(), 0u);
  EXPECT_EQ(w.failed_requests(), 0u);
  EXPECT_EQ(w.trace_warnings(), 0u);
  w.drain(a, 0);
  EXPECT_EQ(a.live_blocks(), 0u);
}

TEST(Replay, BadOpsInTheTraceAreCountedAndSkipped) {
  TraceReplay w(opts(write_temp("bad.txt",
                                "stalloc-trace 1\n"
                                "a 0 1 8\n"
                                "f 0 1\n"
                                "f 0 1\n"       // double free
                                "f 0 42\n"      // never allocated
                                "r 0 43 2 8\n"  // realloc of an unknown id: becomes an alloc
                                "f 0 2\n")),
                Point{});
  EXPECT_EQ(w.trace_warnings(), 3u);
  CheckingMalloc a;
  EXPECT_EQ(w.run(a, 0), 4u);
  EXPECT_EQ(a.errors(), 0u);
  EXPECT_EQ(a.live_blocks(), 0u);
}

TEST(Replay, AFullArenaFailsRequestsAndTheReplayGoesOn) {
  // 1000 bytes: blocks 1 (600) fits, 2 (600) fails, its free is skipped; the
  // realloc of 1 to 900 fits only after... no: 600 live + 900 > 1000 fails,
  // which releases block 1 (the program's old block is unreachable).
  TraceReplay w(opts(write_temp("cap.txt",
                                "stalloc-trace 1\n"
                                "a 0 1 600\n"
                                "a 0 2 600\n"
                                "f 0 2\n"
                                "r 0 1 3 900\n"
                                "f 0 3\n"
                                "a 0 4 300\n"
                                "f 0 4\n")),
                Point{});
  CappedAllocator a(1000);
  EXPECT_EQ(w.run(a, 0), 7u);
  EXPECT_EQ(w.failed_requests(), 2u);  // alloc of 2, realloc of 1
  EXPECT_EQ(w.skipped_ops(), 2u);      // free of 2, free of 3
  EXPECT_EQ(a.inner().errors(), 0u);
  EXPECT_EQ(a.inner().live_blocks(), 0u);
  EXPECT_EQ(a.inner().allocations(), 2u);  // blocks 1 and 4
  EXPECT_EQ(w.corruptions(), 0u);
}

TEST(Replay, CheckModeCatchesAnAllocatorThatLosesData) {
  TraceReplay w(opts(write_temp("grow.txt", "stalloc-trace 1\na 0 1 64\nr 0 1 2 128\nf 0 2\n")),
                Point{});
  CheckingMalloc a;
  a.break_realloc();
  w.run(a, 0);
  EXPECT_GT(w.corruptions(), 0u);
}

TEST(Replay, CallocBlocksAreZeroedAndChecksumsAreDeterministic) {
  std::string path = write_temp("c.txt", "stalloc-trace 1\nc 0 1 100 10\nf 0 1\n");
  TraceReplay a(opts(path), Point{}), b(opts(path), Point{});
  EXPECT_EQ(a.request_checksum(), b.request_checksum());
  TraceReplay other(opts(write_temp("d.txt", "stalloc-trace 1\nc 0 1 100 11\nf 0 1\n")), Point{});
  EXPECT_NE(a.request_checksum(), other.request_checksum());
  CheckingMalloc m;
  a.run(m, 0);
  EXPECT_EQ(m.errors(), 0u);
}

TEST(Replay, MissingOrBadFilesAreClearErrors) {
  Options none;
  try {
    TraceReplay w(none, Point{});
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "workload 'trace' needs a trace file: --workload trace:FILE");
  }
  try {
    TraceReplay w(opts("/nonexistent/x.trace"), Point{});
    FAIL() << "no error";
  } catch (const workloads::trace::TraceError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/x.trace: cannot open: No such file or directory");
  }
  EXPECT_THROW(TraceReplay(opts(write_temp("junk", "junk\n")), Point{}),
               workloads::trace::TraceError);
  std::string empty = write_temp("empty.txt", "stalloc-trace 1\nprogram nothing\n");
  try {
    TraceReplay w(opts(empty), Point{});
    FAIL() << "no error";
  } catch (const workloads::trace::TraceError& e) {
    EXPECT_EQ(std::string(e.what()), empty + ": the trace has no operations to replay");
  }
}

TEST(Replay, QuickModeReplaysAPrefix) {
  std::string body = "stalloc-trace 1\n";
  for (int i = 1; i <= 150000; ++i) body += "a 0 " + std::to_string(i) + " 16\n";
  Options o = opts(write_temp("long.txt", body));
  o.quick = true;
  TraceReplay w(o, Point{});
  EXPECT_TRUE(w.program().truncated);
  EXPECT_EQ(w.ops_per_round(), 2 * TraceReplay::kQuickOps);  // the prefix, then frees of all of it
}

// Every shipped trace replays cleanly (quick prefix) against a checking
// allocator: no corruption, no size or alignment mismatch, nothing left.
TEST(Replay, ShippedTracesReplayCleanly) {
  int seen = 0;
  for (const auto& e : fs::directory_iterator(STALLOC_SHIPPED_TRACES)) {
    if (e.path().extension() != ".zst") continue;
    ++seen;
    Options o = opts(e.path().string());
    o.quick = true;
    TraceReplay w(o, Point{});
    CheckingMalloc a;
    w.run(a, 0);
    EXPECT_EQ(w.corruptions(), 0u) << e.path();
    EXPECT_EQ(a.errors(), 0u) << e.path();
    EXPECT_EQ(a.live_blocks(), 0u) << e.path();
    EXPECT_EQ(w.trace_warnings(), 0u) << e.path();
  }
  if (seen == 0) GTEST_SKIP() << "no shipped traces yet";
}

// ---- keeping the recorded threads ---------------------------------------------

namespace {

// CheckingMalloc behind a lock: the threaded replay calls it concurrently.
class LockedChecking {
 public:
  void* allocate(std::size_t s, std::size_t a) {
    std::lock_guard l(mu_);
    return inner_.allocate(s, a);
  }
  void deallocate(void* p, std::size_t s, std::size_t a) {
    std::lock_guard l(mu_);
    inner_.deallocate(p, s, a);
  }
  void* reallocate(void* p, std::size_t o, std::size_t n, std::size_t a) {
    std::lock_guard l(mu_);
    return inner_.reallocate(p, o, n, a);
  }
  CheckingMalloc inner_;
  std::mutex mu_;
};

template <class W>
void run_threads(W& w, LockedChecking& a, unsigned threads, int rounds) {
  std::vector<std::thread> ts;
  for (unsigned t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      for (int r = 0; r < rounds; ++r) w.run(a, t);
    });
  for (auto& t : ts) t.join();
}

}  // namespace

TEST(ReplayThreads, CrossThreadFreesWaitForTheirAllocation) {
  // Thread 1 frees what thread 0 allocates and vice versa, interleaved, so
  // any reordering would free a block before it exists.
  std::string body = "stalloc-trace 1\n";
  for (int i = 1; i <= 3000; i += 2) {
    body += "a 0 " + std::to_string(i) + " " + std::to_string(16 + i % 200) + "\n";
    body += "a 1 " + std::to_string(i + 1) + " 24\n";
    body += "f 1 " + std::to_string(i) + "\n";
    if (i % 4 == 1)
      body += "r 0 " + std::to_string(i + 1) + " " + std::to_string(100000 + i) + " 300\n";
    else
      body += "f 0 " + std::to_string(i + 1) + "\n";
  }
  Options o = opts(write_temp("xthreads.txt", body));
  for (unsigned threads : {1u, 2u, 3u}) {
    o.threads = threads;
    TraceReplayThreads w(o, Point{});
    LockedChecking a;
    run_threads(w, a, threads, 4);
    EXPECT_EQ(a.inner_.errors(), 0u) << threads;
    EXPECT_EQ(a.inner_.live_blocks(), 0u) << threads;
    EXPECT_EQ(w.corruptions(), 0u) << threads;
    EXPECT_EQ(w.failed_requests(), 0u);
  }
}

TEST(ReplayThreads, ShippedMultithreadedTraceReplaysCleanly) {
  std::string path = std::string(STALLOC_SHIPPED_TRACES) + "/git-grep.trace.zst";
  if (!fs::exists(path)) GTEST_SKIP() << "no " << path;
  Options o = opts(path);
  TraceReplay serial(o, Point{});
  o.threads = serial.program().threads;
  ASSERT_GT(o.threads, 1u);
  TraceReplayThreads w(o, Point{});
  LockedChecking a;
  run_threads(w, a, o.threads, 2);
  EXPECT_EQ(a.inner_.errors(), 0u);
  EXPECT_EQ(a.inner_.live_blocks(), 0u);
  EXPECT_EQ(w.corruptions(), 0u);
}

// Issue 16: a 41-byte file must not make the replay zero 1 GiB, nor a small
// .zst hold hundreds of millions of ops.
TEST(ReplayLimits, AOneGiBCallocIsRefusedUnderTheDefaultCap) {
  const std::string path = write_temp("calloc-1g.txt", "stalloc-trace 1\nc 0 1 1 1073741824\n");
  EXPECT_LT(fs::file_size(path), 41u);
  ::unsetenv("STALLOC_TRACE_MAX_LIVE");
  try {
    TraceReplay w(opts(path), Point{});
    FAIL() << "a 1 GiB request was accepted";
  } catch (const workloads::trace::TraceError& e) {
    EXPECT_EQ(std::string(e.what()),
              path +
                  ": line 2: the program would have 1073741824 bytes live, over the replay "
                  "limit of 268435456 (raise it with --max-live SIZE or STALLOC_TRACE_MAX_LIVE)");
  }
  // Raised, the same trace loads (loading allocates nothing of the request).
  workloads::trace::ReplayLimits raised;
  raised.max_live_bytes = std::uint64_t{2} << 30;
  EXPECT_EQ(workloads::trace::compile_replay(path, 0, raised).peak_bytes, 1u << 30);
}

TEST(ReplayLimits, TheLiveSetCountsEveryBlockAndReallocsToo) {
  const std::string path =
      write_temp("live.txt", "stalloc-trace 1\na 0 1 600\nc 0 2 4 100\nf 0 1\nf 0 2\n");
  workloads::trace::ReplayLimits l;
  l.max_live_bytes = 1000;
  EXPECT_EQ(workloads::trace::compile_replay(path, 0, l).peak_bytes, 1000u);
  l.max_live_bytes = 999;
  EXPECT_THROW(workloads::trace::compile_replay(path, 0, l), workloads::trace::TraceError);
  // The realloc to 1001 bytes is what crosses 1000.
  l.max_live_bytes = 1000;
  const std::string grown =
      write_temp("grown.txt", "stalloc-trace 1\na 0 1 600\nf 0 1\na 0 2 400\nr 0 2 3 1001\n");
  try {
    workloads::trace::compile_replay(grown, 0, l);
    FAIL() << "no error";
  } catch (const workloads::trace::TraceError& e) {
    EXPECT_NE(std::string(e.what()).find(": line 5: the program would have 1001 bytes live"),
              std::string::npos)
        << e.what();
  }
}

TEST(ReplayLimits, OpCountAndEnvironmentAndSizes) {
  const std::string path = write_temp("ops.txt", kTrace);
  workloads::trace::ReplayLimits l;
  l.max_ops = 10;
  EXPECT_THROW(workloads::trace::compile_replay(path, 0, l), workloads::trace::TraceError);
  l.max_ops = 11;
  EXPECT_NO_THROW(workloads::trace::compile_replay(path, 0, l));
  ::setenv("STALLOC_TRACE_MAX_LIVE", "1K", 1);
  EXPECT_EQ(workloads::trace::ReplayLimits::from_environment().max_live_bytes, 1024u);
  ::setenv("STALLOC_TRACE_MAX_LIVE", "lots", 1);
  EXPECT_THROW(workloads::trace::ReplayLimits::from_environment(), workloads::trace::TraceError);
  ::unsetenv("STALLOC_TRACE_MAX_LIVE");
  using workloads::trace::parse_byte_size;
  EXPECT_EQ(parse_byte_size("512M"), std::uint64_t{512} << 20);
  EXPECT_EQ(parse_byte_size("2G"), std::uint64_t{2} << 30);
  EXPECT_EQ(parse_byte_size("12345"), 12345u);
  EXPECT_FALSE(parse_byte_size("0"));
  EXPECT_FALSE(parse_byte_size("-1"));
  EXPECT_FALSE(parse_byte_size("1X"));
  EXPECT_FALSE(parse_byte_size("99999999999T"));
}
