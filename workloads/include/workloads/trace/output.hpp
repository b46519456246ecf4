// Writing a trace (or anything) to a path the user named, without ever
// replacing what the path is: a regular file is replaced atomically (a
// temporary file renamed over it, so an interrupted write never leaves half
// a file), a symlink is followed first, and a device or FIFO (/dev/null,
// /dev/stdout, a named pipe) is written through, never turned into a file.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "workloads/trace/op.hpp"

namespace workloads::trace {

// The path writes go to: a symlink's final target, even a dangling one
// (writing creates it, as writing through the link would).
inline std::string output_target(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p = path;
  std::error_code ec;
  for (int hops = 0; hops < 40 && fs::is_symlink(p, ec); ++hops) {
    const fs::path next = fs::read_symlink(p, ec);
    if (ec) break;
    p = next.is_absolute() ? next : p.parent_path() / next;
  }
  return p.string();
}

// Why `path` cannot be written, or "" if it can. Checked before any work, so
// that an unwritable output does not cost a whole conversion or recording.
inline std::string output_problem(const std::string& path) {
  namespace fs = std::filesystem;
  const std::string target = output_target(path);
  struct stat st;
  if (::stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return path + " is a directory";
    if (::access(target.c_str(), W_OK) != 0) return path + " is not writable";
    if (!S_ISREG(st.st_mode)) return {};  // written through
  } else if (errno != ENOENT) {
    return path + ": " + std::strerror(errno);
  }
  fs::path dir = fs::path(target).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return path + ": directory " + dir.string() + " does not exist";
  if (::access(dir.c_str(), W_OK) != 0)
    return path + ": directory " + dir.string() + " is not writable";
  return {};
}

// Calls write(FILE*, name) with a stream for `path`, as described above.
// Throws TraceError on failure; a regular target is then left as it was.
template <class WriteFn>
void write_output(const std::string& path, WriteFn write) {
  const std::string target = output_target(path);
  struct stat st;
  const bool through = ::stat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
  const std::string tmp =
      through ? target : target + ".tmp." + std::to_string(static_cast<long>(::getpid()));
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw TraceError(path + ": cannot write: " + std::strerror(errno));
  try {
    write(f, path);
  } catch (...) {
    std::fclose(f);
    if (!through) std::remove(tmp.c_str());
    throw;
  }
  if (std::fclose(f) != 0) {
    const int e = errno;
    if (!through) std::remove(tmp.c_str());
    throw TraceError(path + ": write failed: " + std::strerror(e));
  }
  if (!through && std::rename(tmp.c_str(), target.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    throw TraceError(path + ": write failed: " + std::strerror(e));
  }
}

}  // namespace workloads::trace
