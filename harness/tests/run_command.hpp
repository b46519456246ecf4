// Runs stalloc-bench (or any command) as a child process for the tests and
// captures its exit status, stdout and stderr.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace harness::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `env` entries are NAME=VALUE pairs put before the command.
inline CommandResult run_command(const std::vector<std::string>& args,
                                 const std::vector<std::string>& env = {}) {
  static int counter = 0;
  const std::string base =
      "/tmp/harness-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  std::string cmd = "env";
  for (const auto& e : env) cmd += " " + quote(e);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " >" + base + ".out 2>" + base + ".err </dev/null";
  const int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return r;
}

inline std::string temp_path(const std::string& name) {
  return "/tmp/harness-test-" + std::to_string(::getpid()) + "-" + name;
}

}  // namespace harness::test
