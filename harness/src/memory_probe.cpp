#include "memory_probe.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>

namespace harness {

std::size_t current_rss_bytes() noexcept {
  // Plain syscalls, no iostreams: this runs between allocator calls and must
  // not allocate itself.
  const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  // Fields: size resident shared ... (pages). Resident minus shared (file-
  // backed) leaves the anonymous pages: the heap, not code paged in as the
  // workload first runs.
  char* end = nullptr;
  std::strtoull(buf, &end, 10);
  const unsigned long long resident = std::strtoull(end, &end, 10);
  const unsigned long long shared = std::strtoull(end, nullptr, 10);
  const unsigned long long anon = resident > shared ? resident - shared : 0;
  return static_cast<std::size_t>(anon) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

std::size_t peak_rss_bytes() noexcept {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::size_t>(usage.ru_maxrss) * 1024;  // ru_maxrss is in KiB on Linux
}

std::size_t glibc_held_bytes() noexcept {
  const struct mallinfo2 info = ::mallinfo2();
  return info.arena + info.hblkhd;
}

std::size_t glibc_in_use_bytes() noexcept {
  const struct mallinfo2 info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
}

}  // namespace harness
