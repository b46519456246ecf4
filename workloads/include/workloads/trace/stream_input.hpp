// Traces from pipes and FIFOs (trace:/dev/stdin, trace:<(zstdcat t.zst), a
// named pipe). The harness opens a trace more than once (it checks it before
// the run, then every allocator's worker loads it), and a pipe can be read
// only once: a second open finds it empty, or waits for ever for a writer
// that is gone. So a trace that is not a regular file is read once, into a
// private temporary file, and that file is what gets opened.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "workloads/trace/op.hpp"

namespace workloads::trace {

// Temporary copies made by this process, deleted when it exits.
class StreamCopies {
 public:
  static StreamCopies& instance() {
    static StreamCopies copies;
    return copies;
  }
  void add(std::string path) { paths_.push_back(std::move(path)); }
  ~StreamCopies() {
    for (const std::string& p : paths_) std::remove(p.c_str());
  }

 private:
  StreamCopies() = default;
  std::vector<std::string> paths_;
};

// `path` itself when it is a regular file (or does not exist: opening it
// reports that), else the path of a regular file holding what it streamed.
inline std::string regular_trace_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return path;
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (!in) throw TraceError(path + ": cannot open: " + std::strerror(errno));
  const char* tmpdir = std::getenv("TMPDIR");
  // The stream's name stays in the copy's, for the messages that name it.
  std::string from = path.substr(path.rfind('/') + 1);
  for (char& c : from)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
  const std::string suffix = ".from-" + from;
  std::string copy =
      std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/stalloc-trace-XXXXXX" + suffix;
  const int fd = ::mkstemps(copy.data(), static_cast<int>(suffix.size()));
  if (fd < 0) {
    std::fclose(in);
    throw TraceError(path + ": cannot make a temporary copy: " + std::strerror(errno));
  }
  StreamCopies::instance().add(copy);
  std::FILE* out = ::fdopen(fd, "wb");
  std::vector<char> buf(1 << 20);
  bool ok = out != nullptr;
  while (ok) {
    const std::size_t n = std::fread(buf.data(), 1, buf.size(), in);
    if (n == 0) {
      ok = !std::ferror(in);
      break;
    }
    ok = std::fwrite(buf.data(), 1, n, out) == n;
  }
  const int e = errno;
  std::fclose(in);
  if (out == nullptr || std::fclose(out) != 0) ok = false;
  if (!ok) throw TraceError(path + ": reading the stream failed: " + std::strerror(e));
  return copy;
}

}  // namespace workloads::trace
