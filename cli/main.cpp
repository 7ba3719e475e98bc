// Entry point of `mqttsim`: registers the subcommands and maps errors to exit codes. Commands
// whose issue is not built yet say so and exit 3, rather than pretending.
#include <iostream>
#include <string>

#include "cli/commands.hpp"

namespace {

void add_not_built(CLI::App& app, const std::string& name, const std::string& what,
                   const std::string& issue, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(name, what + " (not built yet: " + issue + ")");
  cmd->allow_extras();
  cmd->callback([&exit_code, name, issue] {
    std::cerr << "mqttsim " << name << ": not built yet (" << issue
              << "); this version has decode, encode, bench, run, broker, conform and fuzz\n";
    exit_code = mqttsim::cli::kExitNotBuilt;
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mqttsim: deterministic MQTT simulator and conformance harness"};
  app.set_version_flag("--version", std::string("mqttsim ") + MQTTSIM_VERSION);
  app.require_subcommand(1);
  int exit_code = mqttsim::cli::kExitOk;
  mqttsim::cli::add_decode_command(app, exit_code);
  mqttsim::cli::add_encode_command(app, exit_code);
  mqttsim::cli::add_bench_command(app, exit_code);
  mqttsim::cli::add_run_command(app, exit_code);
  add_not_built(app, "check", "property-based QoS exploration", "issue 6, QoS checking", exit_code);
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
