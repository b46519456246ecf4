#include "preload.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

namespace harness {
namespace {

struct Known {
  const char* env;
  std::vector<std::string_view> sonames;
  const char* package;
};

Known known(MallocProvider p) {
  switch (p) {
    case MallocProvider::mimalloc:
      return {"STALLOC_BENCH_MIMALLOC_LIBRARY",
              {"libmimalloc.so.2", "libmimalloc.so"},
              "libmimalloc2.0 (libmimalloc-dev)"};
    case MallocProvider::jemalloc:
      return {"STALLOC_BENCH_JEMALLOC_LIBRARY",
              {"libjemalloc.so.2", "libjemalloc.so"},
              "libjemalloc2 (libjemalloc-dev)"};
    case MallocProvider::tcmalloc:
      // The minimal build first: no heap profiler or checker hooks, the
      // allocator alone.
      return {"STALLOC_BENCH_TCMALLOC_LIBRARY",
              {"libtcmalloc_minimal.so.4", "libtcmalloc.so.4", "libtcmalloc_minimal.so"},
              "libgoogle-perftools4 (libgoogle-perftools-dev)"};
    case MallocProvider::glibc:
      break;
  }
  return {"", {}, ""};
}

bool readable(const std::string& path) {
  return ::access(path.c_str(), R_OK) == 0;
}

// `ldconfig -p` lines look like: "\tlibmimalloc.so.2 (libc6,x86-64) =>
// /usr/lib/.../libmimalloc.so.2"
std::string from_ldconfig(std::string_view soname) {
  for (const char* ldconfig : {"/sbin/ldconfig", "/usr/sbin/ldconfig"}) {
    if (::access(ldconfig, X_OK) != 0) continue;
    const std::string command = std::string(ldconfig) + " -p 2>/dev/null";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
    if (!pipe) return {};
    std::array<char, 1024> line{};
    while (std::fgets(line.data(), static_cast<int>(line.size()), pipe.get()) != nullptr) {
      std::string_view l(line.data());
      const auto start = l.find_first_not_of(" \t");
      if (start == std::string_view::npos) continue;
      l.remove_prefix(start);
      if (l.substr(0, soname.size()) != soname || l.size() <= soname.size() ||
          l[soname.size()] != ' ')
        continue;
      // A 64-bit process can only preload a 64-bit library ("x86-64", "AArch64"...).
      if (sizeof(void*) == 8 && l.find("64") == std::string_view::npos) continue;
      const auto arrow = l.find("=> ");
      if (arrow == std::string_view::npos) continue;
      std::string path(l.substr(arrow + 3));
      while (!path.empty() && (path.back() == '\n' || path.back() == ' ')) path.pop_back();
      if (readable(path)) return path;
    }
    return {};
  }
  return {};
}

}  // namespace

std::variant<std::string, LibraryNotFound> locate_malloc_library(MallocProvider provider) {
  if (provider == MallocProvider::glibc) return std::string{};
  const Known k = known(provider);
  if (const char* forced = std::getenv(k.env); forced != nullptr) {
    if (readable(forced)) return std::string(forced);
    return LibraryNotFound{std::string(k.env) + "=" + forced + " is not a readable file"};
  }
  for (std::string_view soname : k.sonames) {
    if (std::string path = from_ldconfig(soname); !path.empty()) return path;
  }
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64",
                          "/usr/lib", "/usr/local/lib"}) {
    for (std::string_view soname : k.sonames) {
      std::string path = std::string(dir) + "/" + std::string(soname);
      if (readable(path)) return path;
    }
  }
  std::string names;
  for (std::string_view soname : k.sonames)
    names += (names.empty() ? "" : ", ") + std::string(soname);
  return LibraryNotFound{"no " + names + " found (install Debian package " + k.package + ")"};
}

}  // namespace harness
