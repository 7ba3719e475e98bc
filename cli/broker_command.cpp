// `mqttsim broker`: serves BrokerCore over TCP until SIGINT/SIGTERM.
#include <iostream>
#include <variant>

#include "cli/commands.hpp"
#include "conformance/tcp_broker.hpp"
#include "sim/scenario/broker_yaml.hpp"

namespace mqttsim::cli {
namespace {

struct BrokerArgs {
  std::string listen = "127.0.0.1:1883";
  std::string config_path;
  bool log = false;
  std::string test_fault;
};

int run_broker(const BrokerArgs& args) {
  conformance::TcpBrokerOptions options;
  const auto colon = args.listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "mqttsim broker: --listen: expected HOST:PORT, got " << args.listen << "\n";
    return kExitUsage;
  }
  options.host = args.listen.substr(0, colon);
  try {
    const unsigned long port = std::stoul(args.listen.substr(colon + 1));
    if (port > 65535) throw std::out_of_range("port");
    options.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    std::cerr << "mqttsim broker: --listen: bad port in " << args.listen << "\n";
    return kExitUsage;
  }
  if (!args.config_path.empty()) {
    auto loaded = sim::scenario::load_broker_config(args.config_path);
    if (auto* errors = std::get_if<std::vector<std::string>>(&loaded)) {
      for (const std::string& e : *errors) std::cerr << e << "\n";
      return kExitUsage;
    }
    options.config = std::get<protocol::BrokerConfig>(loaded);
  }
  options.log_events = args.log;
  if (!args.test_fault.empty() && !conformance::is_test_fault(args.test_fault)) {
    std::cerr << "mqttsim broker: --test-fault: unknown fault " << args.test_fault << "\n";
    return kExitUsage;
  }
  options.test_fault = args.test_fault;
  options.on_listening = [&](std::uint16_t port) {
    std::cout << "mqttsim broker: listening on " << options.host << ":" << port << std::endl;
  };
  return conformance::run_tcp_broker(options);
}

}  // namespace

void add_broker_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BrokerArgs>();
  CLI::App* cmd = app.add_subcommand("broker", "Serve the reference broker (BrokerCore) over TCP");
  cmd->add_option("--listen", args->listen, "HOST:PORT to listen on (port 0 picks a free one)");
  cmd->add_option("--config", args->config_path, "YAML file with BrokerConfig settings")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--log", args->log, "Log connections and protocol violations on stderr");
  // Test only, hidden from --help: a deliberate fault for the fuzzer's own tests.
  cmd->add_option("--test-fault", args->test_fault,
                  "test only: stop-, restart- or stall-on-qos3-publish")
      ->group("");
  cmd->callback([args, &exit_code] { exit_code = run_broker(*args); });
}

}  // namespace mqttsim::cli
