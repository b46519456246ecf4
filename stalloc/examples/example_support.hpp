// What every example shares: the command line, the timing, the side-by-side
// report, and the check of the result. Standard library only.
//
//   <example> [--short] [--only=stalloc|default]
//     --short         a run of about a thousandth of the work (what ctest
//                     runs); also STALLOC_EXAMPLES_SHORT=1 in the environment
//     --only=WHICH    time one side only (for hyperfine and profilers)
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace examples {

// Keeps the optimiser from deleting work whose result is otherwise unused
// (the crate's black_box).
template <class T>
inline void keep(T const& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

// An object that is built and never destroyed: the C++ spelling of the
// crate's mem::forget, for the examples that drop a whole arena at once
// instead of freeing each allocation.
template <class T>
class Forgotten {
 public:
  template <class... Args>
  explicit Forgotten(Args&&... args) {
    ::new (static_cast<void*>(storage_)) T(static_cast<Args&&>(args)...);
  }
  Forgotten(const Forgotten&) = delete;
  Forgotten& operator=(const Forgotten&) = delete;
  T& operator*() noexcept { return *std::launder(reinterpret_cast<T*>(storage_)); }
  T* operator->() noexcept { return std::launder(reinterpret_cast<T*>(storage_)); }

 private:
  alignas(T) unsigned char storage_[sizeof(T)];
};

struct Options {
  bool short_run = false;
  bool run_stalloc = true;
  bool run_default = true;
};

inline Options parse_options(int argc, char** argv) {
  Options o;
  if (const char* env = std::getenv("STALLOC_EXAMPLES_SHORT"); env && std::strcmp(env, "0") != 0) {
    o.short_run = true;
  }
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--short") {
      o.short_run = true;
    } else if (arg == "--only=stalloc") {
      o.run_default = false;
    } else if (arg == "--only=default") {
      o.run_stalloc = false;
    } else if (arg == "--help" || arg == "-h") {
      std::printf("usage: %s [--short] [--only=stalloc|default]\n", argv[0]);
      std::exit(0);
    } else {
      std::fprintf(stderr,
                   "%s: unknown argument '%s'\nusage: %s [--short] [--only=stalloc|default]\n",
                   argv[0], argv[i], argv[0]);
      std::exit(2);
    }
  }
  return o;
}

// Runs `work` once, prints its time, and checks its result. Returns the
// elapsed milliseconds, or exits with status 1 when the result is wrong.
template <class Work>
double timed(const char* label, std::uint64_t expected, Work&& work) {
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t result = work();
  const std::chrono::duration<double, std::milli> elapsed =
      std::chrono::steady_clock::now() - start;
  std::printf("  %-8s %10.1f ms\n", label, elapsed.count());
  if (result != expected) {
    std::fprintf(stderr, "%s: wrong result %llu, expected %llu\n", label,
                 static_cast<unsigned long long>(result),
                 static_cast<unsigned long long>(expected));
    std::exit(1);
  }
  return elapsed.count();
}

// The example's whole report: both sides, then the ratio.
template <class StallocWork, class DefaultWork>
int run_side_by_side(const char* name, const Options& o, std::uint64_t iterations,
                     std::uint64_t expected, StallocWork&& with_stalloc,
                     DefaultWork&& with_default) {
  std::printf("%s: %llu iterations%s\n", name, static_cast<unsigned long long>(iterations),
              o.short_run ? " (short run)" : "");
  double stalloc_ms = 0;
  double default_ms = 0;
  if (o.run_stalloc) stalloc_ms = timed("stalloc", expected, with_stalloc);
  if (o.run_default) default_ms = timed("default", expected, with_default);
  if (o.run_stalloc && o.run_default && stalloc_ms > 0) {
    std::printf("  stalloc is %.2fx as fast as the default allocator\n", default_ms / stalloc_ms);
  }
  std::printf("  result ok\n");
  return 0;
}

}  // namespace examples
