// The catalog of real programs for `stalloc-bench run --program NAME|all`:
// workloads/programs/catalog.json, the one list of them (this reader, the
// run command, --list-programs and the tests all read it). Each program is a
// command from Debian packages with fixed inputs, shipped there or made by
// its setup commands, chosen to run 0.3 to 5 s on a 2-core machine.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace harness {

struct CatalogProgram {
  std::string name;
  std::string description;
  std::vector<std::string> packages;
  std::vector<std::vector<std::string>> setup;  // run first, in the work directory, not timed
  std::vector<std::string> command;
  std::map<std::string, std::string> env;
  int threads = 1;
  bool compare_output = true;
};

// The catalog's directory: $STALLOC_BENCH_PROGRAMS_DIR, else the source
// tree's workloads/programs.
std::string program_catalog_dir();

// Reads and checks the catalog. Throws std::runtime_error naming the file
// and the problem.
std::vector<CatalogProgram> load_program_catalog(const std::string& dir);

// `s` with {programs} and {work} replaced.
std::string expand_placeholders(const std::string& s, const std::string& programs,
                                const std::string& work);

}  // namespace harness
