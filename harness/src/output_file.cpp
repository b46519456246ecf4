#include "output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <workloads/support/write_all.hpp>

#include "context.hpp"

namespace harness {
namespace {

enum class Kind { missing, regular, through, directory, dangling, unsupported };

struct Target {
  Kind kind = Kind::missing;
  std::string path;  // what to write: the symlink's target for a link to a regular file
};

Target classify(const std::string& path) {
  struct stat link {};
  if (::lstat(path.c_str(), &link) != 0) return {Kind::missing, path};
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {Kind::dangling, path};
  if (S_ISDIR(st.st_mode)) return {Kind::directory, path};
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode))
    return {Kind::through, path};
  if (!S_ISREG(st.st_mode)) return {Kind::unsupported, path};
  if (!S_ISLNK(link.st_mode)) return {Kind::regular, path};
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) return {Kind::dangling, path};
  return {Kind::regular, resolved};
}

std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return path.substr(0, slash == 0 ? 1 : slash);
}

// All of `content`, or an exception naming the file and the reason.
void write_or_throw(int fd, const std::string& content, const std::string& name) {
  if (!workloads::support::write_all(fd, content.data(), content.size()))
    throw std::runtime_error("cannot write " + name + ": " + std::strerror(errno));
}

void write_atomically(const std::string& path, const std::string& content) {
  std::string tmp = directory_of(path) + "/.stalloc-bench-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    throw std::runtime_error("cannot create a file in " + directory_of(path) + ": " +
                             std::strerror(errno));
  try {
    write_or_throw(fd, content, tmp);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  // mkstemp makes the file 0600; results are meant to be shared like any file.
  ::fchmod(fd, 0644);
  if (::fsync(fd) != 0 || ::close(fd) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(e));
  }
}

}  // namespace

std::string unwritable_reason(const std::string& option, const std::string& path) {
  const std::string what = option + " " + path;
  const Target t = classify(path);
  switch (t.kind) {
    case Kind::directory:
      return what + " is a directory";
    case Kind::dangling:
      return what + " is a symlink to a file that does not exist";
    case Kind::unsupported:
      return what + " is neither a file, a device nor a FIFO";
    case Kind::through:
      // Not opened here: opening a FIFO for writing waits for its reader.
      if (::access(t.path.c_str(), W_OK) != 0)
        return what + " is not writable: " + std::strerror(errno);
      return {};
    case Kind::missing:
    case Kind::regular:
      break;
  }
  const std::string dir = directory_of(t.path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return what + ": directory " + dir + " does not exist";
  // Tried rather than judged from permission bits: root passes access(W_OK)
  // on /proc, where nothing can be created.
  std::string probe = dir + "/.stalloc-bench-XXXXXX";
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) return what + ": cannot create a file in " + dir + ": " + std::strerror(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  if (t.kind == Kind::regular) {
    const int existing = ::open(t.path.c_str(), O_WRONLY | O_CLOEXEC);
    if (existing < 0) return what + " is not writable: " + std::strerror(errno);
    ::close(existing);
  }
  return {};
}

void write_output(const std::string& path, const std::string& content) {
  const Target t = classify(path);
  switch (t.kind) {
    case Kind::missing:
    case Kind::regular:
      write_atomically(t.path, content);
      return;
    case Kind::through: {
      const int fd = ::open(t.path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
      try {
        write_or_throw(fd, content, path);
      } catch (...) {
        ::close(fd);
        throw;
      }
      ::close(fd);
      return;
    }
    case Kind::directory:
    case Kind::dangling:
    case Kind::unsupported:
      throw std::runtime_error(unwritable_reason("output", path));
  }
}

std::string default_results_path(const std::string& stem) {
  const char* env = std::getenv("STALLOC_BENCH_RESULTS_DIR");
  const std::string dir = env != nullptr && *env ? env : "results";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  return dir + "/" + stem + "-" + utc_timestamp(true) + ".json";
}

}  // namespace harness
