#include <iostream>

#include "app.hpp"
#include "cli.hpp"
#include "program_run.hpp"
#include "record.hpp"

int main(int argc, char** argv) {
  if (harness::is_worker_command(argc, argv)) return harness::worker_main();
  if (harness::is_record_command(argc, argv)) return harness::record_main(argc, argv, std::cerr);
  if (harness::is_run_command(argc, argv))
    return harness::run_command_main(argc, argv, std::cout, std::cerr);
  harness::Config config;
  const harness::CliResult cli =
      harness::parse_command_line(argc, argv, config, std::cout, std::cerr);
  if (!cli.proceed) return cli.exit_code;
  if (config.list) return harness::list_catalog(config.format);
  return harness::run_benchmarks(config);
}
