#include "context.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <benchmark/benchmark.h>
#include <cstdlib>
#include <ctime>
#include <fstream>

#include "build_info.hpp"
#include "git_info.hpp"
#include "malloc_provider.hpp"

namespace harness {

MachineInfo machine_info() {
  MachineInfo m;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) m.host = host;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos)
        m.cpu_model = line.substr(line.find_first_not_of(' ', colon + 1));
      break;
    }
  }
  if (m.cpu_model.empty()) m.cpu_model = "unknown";
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  m.cores = n > 0 ? static_cast<unsigned>(n) : 1;
  utsname u{};
  if (::uname(&u) == 0) m.os = std::string(u.sysname) + " " + u.release;
  return m;
}

nlohmann::json build_context() {
  nlohmann::json j;
  j["tool"] = "stalloc-bench";
  j["tool_version"] = STALLOC_BENCH_VERSION;
  j["compiler"] = STALLOC_BENCH_COMPILER;
  j["compiler_flags"] = STALLOC_BENCH_CXX_FLAGS;
  j["build_type"] = STALLOC_BENCH_BUILD_TYPE;
  j["git_commit"] = STALLOC_BENCH_GIT_COMMIT;
  const int dirty = STALLOC_BENCH_GIT_DIRTY;
  j["git_dirty"] = dirty < 0 ? nlohmann::json(nullptr) : nlohmann::json(dirty == 1);
  return j;
}

std::string utc_timestamp(bool compact) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string source_results_dir() {
  return std::string(STALLOC_BENCH_SOURCE_DIR) + "/results";
}

std::string tool_version() {
  return STALLOC_BENCH_VERSION;
}

nlohmann::json load_average() {
  double l[3] = {0, 0, 0};
  if (::getloadavg(l, 3) != 3) return nullptr;
  return {l[0], l[1], l[2]};
}

// What Google Benchmark reports of the CPU (it reads /proc and /sys the same
// way on every platform it supports), in this schema's units.
void add_cpu_context(nlohmann::json& context) {
  using nlohmann::json;
  const benchmark::CPUInfo& cpu = benchmark::CPUInfo::Get();
  context["cpu_mhz"] = cpu.cycles_per_second / 1e6;
  context["cpu_scaling"] = cpu.scaling == benchmark::CPUInfo::ENABLED    ? json("enabled")
                           : cpu.scaling == benchmark::CPUInfo::DISABLED ? json("disabled")
                                                                         : json(nullptr);
  json caches = json::array();
  for (const auto& c : cpu.caches)
    caches.push_back({{"type", c.type},
                      {"level", c.level},
                      {"size_bytes", c.size},
                      {"num_sharing", c.num_sharing}});
  context["caches"] = caches;
}

nlohmann::json run_context(const RunDescription& run) {
  using nlohmann::json;
  json context = build_context();
  const MachineInfo machine = machine_info();
  context["host"] = machine.host;
  context["cpu_model"] = machine.cpu_model;
  context["cores"] = machine.cores;
  context["os"] = machine.os;
  add_cpu_context(context);
  context["load_average_start"] = run.load_average_start;
  json versions = {
      {"glibc", glibc_version()}, {"stalloc", STALLOC_BENCH_STALLOC_VERSION},
      {"mimalloc", nullptr},      {"jemalloc", nullptr},
      {"tcmalloc", nullptr},      {"benchmark", STALLOC_BENCH_BENCHMARK_VERSION_STRING}};
  for (const auto& [library, version] : run.library_versions) versions[library] = version;
  context["library_versions"] = versions;
  context["date"] = run.date;
  context["command_line"] = run.command_line;
  context["seed"] = run.seed;
  context["quick"] = run.quick;
  context["quick_scope"] = run.quick_scope;
  context["repetitions"] = run.repetitions;
  context["interleaved"] = run.interleaved;
  context["min_time_s"] = run.min_time_s;
  context["threads"] = run.threads;
  context["interrupted"] = false;
  context["duration_s"] = 0.0;
  return context;
}

void finish_context(nlohmann::json& context, bool interrupted, double duration_s) {
  context["interrupted"] = interrupted;
  context["duration_s"] = duration_s;
  context["load_average_end"] = load_average();
}

}  // namespace harness
