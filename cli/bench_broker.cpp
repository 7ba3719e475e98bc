// `mqttsim bench broker`: routing through BrokerCore at fan-out 1, 10 and 1000 among 100k
// subscriptions (issue target: at least 5 M deliveries/s on one core at fan-out 10).
#include <cstdio>

#include "cli/commands.hpp"
#include "protocol/bench/broker_bench.hpp"

namespace mqttsim::cli {

void add_broker_bench(CLI::App& bench, int& exit_code) {
  auto options = std::make_shared<protocol::bench::BrokerBenchOptions>();
  CLI::App* cmd = bench.add_subcommand(
      "broker", "BrokerCore routing: QoS 0 PUBLISH bytes in, one PUBLISH per subscriber out");
  cmd->add_option("--sessions", options->sessions, "Connected subscriber sessions")
      ->check(CLI::Range(1, 1'000'000));
  cmd->add_option("--per-session", options->subscriptions_per_session,
                  "Subscriptions per session (sessions x this = the total)")
      ->check(CLI::Range(4, 1000));
  cmd->add_option("--deliveries", options->deliveries_per_rep, "Deliveries per repetition")
      ->check(CLI::Range(1, 1'000'000'000));
  cmd->add_option("--reps", options->repetitions, "Repetitions; the median is reported")
      ->check(CLI::Range(1, 1000));
  cmd->callback([options, &exit_code] {
    const auto r = protocol::bench::run_broker_bench(*options);
    std::printf(
        "broker bench: %zu subscriptions over %zu sessions (setup %.1f s), QoS 0, "
        "64-byte payload, medians of %zu reps, one core\n",
        r.subscriptions, options->sessions, r.setup_s, options->repetitions);
    for (const auto& row : r.rows) {
      std::printf("fan-out %5zu  %8.2f M deliveries/s  %10.0f publishes/s\n", row.fan_out,
                  row.median_deliveries_per_s / 1e6, row.median_publishes_per_s);
    }
    exit_code = kExitOk;
  });
}

}  // namespace mqttsim::cli
