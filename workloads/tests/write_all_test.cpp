// workloads::support::write_all, the one write loop of the recorder and the
// harness: it finishes a write that signals interrupt (EINTR, or a short
// write into a pipe), and reports a failure through errno.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "workloads/support/write_all.hpp"

namespace {

std::atomic<int> g_signals{0};
extern "C" void count_signal(int) {
  g_signals.fetch_add(1, std::memory_order_relaxed);
}

// A writer blocked on a full pipe is interrupted by signals whose handler
// has no SA_RESTART: each one ends its write(2) early (a short count, or -1
// with EINTR). Every byte must still arrive, in order, exactly once.
TEST(WriteAll, FinishesAWriteThatSignalsInterrupt) {
  struct sigaction sa {};
  sa.sa_handler = count_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART
  struct sigaction old {};
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::vector<unsigned char> data(1 << 20);  // far more than a pipe holds
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 131 + 7);

  std::atomic<bool> ok{false};
  std::thread writer([&] {
    ok = workloads::support::write_all(fds[1], data.data(), data.size());
    close(fds[1]);  // the reader sees the end even when the write gave up early
  });
  // The pipe fills at once and the writer blocks; interrupt it repeatedly.
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    pthread_kill(writer.native_handle(), SIGUSR1);
  }
  std::vector<unsigned char> got;
  got.reserve(data.size());
  unsigned char buf[1 << 16];
  for (;;) {
    const ssize_t k = read(fds[0], buf, sizeof buf);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    got.insert(got.end(), buf, buf + k);
  }
  writer.join();
  close(fds[0]);
  sigaction(SIGUSR1, &old, nullptr);
  EXPECT_TRUE(ok);
  EXPECT_GT(g_signals.load(), 0);
  EXPECT_TRUE(got == data) << "bytes lost, repeated or reordered";
}

TEST(WriteAll, ReportsAFailureThroughErrno) {
  const char text[] = "x";
  errno = 0;
  EXPECT_FALSE(workloads::support::write_all(-1, text, 1));
  EXPECT_EQ(errno, EBADF);
  const int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
  if (full >= 0) {
    errno = 0;
    EXPECT_FALSE(workloads::support::write_all(full, text, 1));
    EXPECT_EQ(errno, ENOSPC);
    close(full);
  }
  EXPECT_TRUE(workloads::support::write_all(-1, text, 0)) << "nothing to write: no call";
}

}  // namespace
