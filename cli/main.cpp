// Entry point of `mqttsim`: registers the subcommands and maps errors to exit codes (0 ok, 1 the
// run or input failed, 2 bad usage, 3 a feature not built yet, which says so rather than pretend).
#include <iostream>
#include <string>

#include "cli/commands.hpp"
#include "cli/huge_pages.hpp"

int main(int argc, char** argv) {
  mqttsim::cli::reexec_with_huge_pages(argv);
  CLI::App app{"mqttsim: deterministic MQTT simulator and conformance harness"};
  app.set_version_flag("--version", std::string("mqttsim ") + MQTTSIM_VERSION);
  app.require_subcommand(1);
  int exit_code = mqttsim::cli::kExitOk;
  mqttsim::cli::add_decode_command(app, exit_code);
  mqttsim::cli::add_encode_command(app, exit_code);
  mqttsim::cli::add_bench_command(app, exit_code);
  mqttsim::cli::add_run_command(app, exit_code);
  mqttsim::cli::add_check_command(app, exit_code);
  mqttsim::cli::add_conform_command(app, exit_code);
  mqttsim::cli::add_fuzz_command(app, exit_code);
  mqttsim::cli::add_broker_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? mqttsim::cli::kExitOk : mqttsim::cli::kExitUsage;
  }
  return exit_code;
}
