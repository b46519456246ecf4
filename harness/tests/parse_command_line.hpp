// Runs parse_command_line (cli.hpp) on an argument list, as main() would
// with "stalloc-bench" in front, and keeps what it printed.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"

namespace harness::test {

struct Parsed {
  harness::CliResult result;
  harness::Config config;
  std::string out, err;
};

inline Parsed parse(std::vector<std::string> args) {
  args.insert(args.begin(), "stalloc-bench");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  Parsed p;
  std::ostringstream out, err;
  p.result =
      harness::parse_command_line(static_cast<int>(argv.size()), argv.data(), p.config, out, err);
  p.out = out.str();
  p.err = err.str();
  return p;
}

}  // namespace harness::test
