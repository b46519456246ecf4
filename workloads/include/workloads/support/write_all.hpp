// write_all(fd, data, len): write(2) until every byte is out. The one copy of
// this loop for every layer that writes to a raw file descriptor: the
// recorder (workloads/recorder) and the harness (the worker's result pipe,
// the results file). It lives here, in the lowest layer both may use
// (harness/ may depend on workloads/, never the reverse).
//
// Async-signal-safe: the recorder calls it from signal handlers and from
// inside the malloc it interposes, so it uses only write(2) and errno (no
// allocation, no lock, no stdio).
#pragma once

#include <errno.h>
#include <unistd.h>

#include <cstddef>

namespace workloads::support {

// Writes [data, data + len) to fd, retrying after EINTR and after short
// writes. Returns true when all len bytes were written; false at the first
// failure, with errno from write(2), or ENOSPC when write(2) wrote nothing
// without reporting an error (what a full disk can look like). The bytes
// written before a failure stay written. fd must be open for writing and
// data must hold len bytes. One write(2) per partial write: O(len) bytes
// copied.
inline bool write_all(int fd, const void* data, std::size_t len) noexcept {
  const auto* p = static_cast<const char*>(data);
  while (len > 0) {
    const ssize_t k = ::write(fd, p, len);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return false;
    if (k == 0) {
      errno = ENOSPC;
      return false;
    }
    p += k;
    len -= static_cast<std::size_t>(k);
  }
  return true;
}

}  // namespace workloads::support
