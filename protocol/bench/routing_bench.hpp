// The routing benchmark behind `mqttsim bench routing`: SubscriptionIndex::match throughput on
// 100k subscriptions (per-device exact filters plus wildcards) at fan-outs 1, 10 and 1000, and
// over 1M distinct topic names. Prints figures; asserts only that every publish matched as built.
#pragma once

#include <cstddef>
#include <vector>

namespace mqttsim::protocol::bench {

struct RoutingBenchOptions {
  std::size_t publishes = 1'000'000;  // per repetition at fan-out 1 and 10 (1000: a hundredth)
  std::size_t repetitions = 7;        // the median of these is reported
  bool distinct_topics = true;        // also route 1M distinct topic names
};

struct RoutingFigures {
  std::size_t fanout = 0;  // matched subscribers per publish (0: varies, see matches)
  std::size_t publishes = 0;
  std::size_t matches = 0;  // per repetition
  double median_publishes_per_s = 0;
  double median_matches_per_s = 0;
  double min_matches_per_s = 0;
  double max_matches_per_s = 0;
};

struct RoutingBenchResult {
  std::size_t subscriptions = 0;
  std::size_t exact_subscriptions = 0;
  std::size_t subscribers = 0;
  std::size_t trie_nodes = 0;
  std::size_t index_bytes = 0;  // heap growth while building the index; 0 if not measurable
  double build_s = 0;
  std::vector<RoutingFigures> fanouts;  // 1, 10, 1000
  RoutingFigures distinct;              // 1M distinct topics (fanout 0)
};

RoutingBenchResult run_routing_bench(const RoutingBenchOptions& options);

}  // namespace mqttsim::protocol::bench
