// `mqttsim bench broker`: in-process routing through the whole BrokerCore: PUBLISH bytes in,
// one PUBLISH per matching subscriber out, among 100k subscriptions. A benchmark, not a test.
#pragma once

#include <cstddef>
#include <vector>

namespace mqttsim::protocol::bench {

struct BrokerBenchOptions {
  std::size_t sessions = 10'000;               // connected subscribers
  std::size_t subscriptions_per_session = 10;  // 100k subscriptions in all
  std::vector<std::size_t> fan_outs = {1, 10, 1000};
  std::size_t deliveries_per_rep = 2'000'000;  // publishes = this / fan-out
  std::size_t repetitions = 5;
};

struct BrokerBenchRow {
  std::size_t fan_out = 0;
  double median_deliveries_per_s = 0;
  double median_publishes_per_s = 0;
};

struct BrokerBenchResult {
  std::size_t subscriptions = 0;
  double setup_s = 0;  // connecting and subscribing everyone
  std::vector<BrokerBenchRow> rows;
};

BrokerBenchResult run_broker_bench(const BrokerBenchOptions& options);

}  // namespace mqttsim::protocol::bench
