// Routing throughput of the subscription index on a fleet: 100 sites of 989 devices, each device
// watched through its exact `fleet/{site}/{device}/temp` filter, plus wildcard watchers. Timing
// uses the wall clock (benchmarks are outside the deterministic core); topic order is seeded.
#include "protocol/bench/routing_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/subscription_index.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace mqttsim::protocol::bench {
namespace {

constexpr std::size_t kSites = 100;
constexpr std::size_t kDevicesPerSite = 989;      // exact filters: 98,900
constexpr std::size_t kWatchedSites = 10;         // sites 0..9 have 9 wildcard watchers each
constexpr std::size_t kDistinctDevices = 10'000;  // 100 sites x 10,000 devices = 1M topics

// Topic names packed in one buffer: a million small strings would cost as much again in
// allocator overhead, and scatter the benchmark's own reads across the heap.
struct TopicList {
  std::string bytes;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;
  void add(std::string_view topic) {
    spans.emplace_back(static_cast<std::uint32_t>(bytes.size()),
                       static_cast<std::uint32_t>(topic.size()));
    bytes.append(topic);
  }
  std::string_view operator[](std::size_t i) const {
    return std::string_view(bytes).substr(spans[i].first, spans[i].second);
  }
  std::size_t size() const { return spans.size(); }
};

std::string device_topic(std::size_t site, std::size_t device) {
  return "fleet/site-" + std::to_string(site) + "/dev-" + std::to_string(device) + "/temp";
}

// SplitMix64: a seeded shuffle, so every run routes the same topics in the same order.
void shuffle(TopicList& list, std::uint64_t seed) {
  for (std::size_t i = list.spans.size(); i > 1; --i) {
    seed += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    std::swap(list.spans[i - 1], list.spans[z % i]);
  }
}

std::size_t heap_in_use() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
#else
  return 0;
#endif
}

SubscriptionOptions at_least_once() {
  SubscriptionOptions options;
  options.max_qos = QoS::at_least_once;
  return options;
}

// 98,900 exact device filters, 90 site watchers, 1,000 broadcast listeners on four filters
// that all match `broadcast/fw/notice`, and 10 `$SYS/#` monitors: 100,000 subscriptions.
void subscribe_fleet(SubscriptionIndex& index, RoutingBenchResult& result) {
  SubscriberId next = 0;
  for (std::size_t site = 0; site < kSites; ++site) {
    for (std::size_t device = 0; device < kDevicesPerSite; ++device) {
      index.add(next++, device_topic(site, device), at_least_once());
    }
  }
  result.exact_subscriptions = index.size();
  for (std::size_t site = 0; site < kWatchedSites; ++site) {
    const std::string prefix = "fleet/site-" + std::to_string(site);
    for (int i = 0; i < 5; ++i) index.add(next++, prefix + "/+/temp", at_least_once(), 1u);
    for (int i = 0; i < 4; ++i) index.add(next++, prefix + "/#", at_least_once(), 2u);
  }
  const std::pair<const char*, int> broadcast[] = {{"broadcast/+/notice", 400},
                                                   {"broadcast/#", 300},
                                                   {"+/fw/notice", 200},
                                                   {"broadcast/fw/notice", 100}};
  for (const auto& [filter, count] : broadcast) {
    for (int i = 0; i < count; ++i) index.add(next++, filter, at_least_once(), 3u);
  }
  for (int i = 0; i < 10; ++i) index.add(next++, "$SYS/#", at_least_once());
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Routes `publishes` publishes, cycling through `topics`; returns seconds, counts matches.
double time_routing(const SubscriptionIndex& index, const TopicList& topics, std::size_t publishes,
                    std::size_t& matches) {
  MatchResult result;
  matches = 0;
  std::size_t at = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < publishes; ++i) {
    index.match(topics[at], result);
    matches += result.deliveries();
    if (++at == topics.size()) at = 0;
  }
  return seconds_since(start);
}

RoutingFigures measure(const SubscriptionIndex& index, const TopicList& topics,
                       std::size_t publishes, std::size_t reps) {
  RoutingFigures figures;
  figures.publishes = publishes;
  std::vector<double> seconds;
  for (std::size_t r = 0; r < std::max<std::size_t>(1, reps); ++r) {
    std::size_t matches = 0;
    seconds.push_back(time_routing(index, topics, publishes, matches));
    if (r > 0 && matches != figures.matches) throw std::runtime_error("routing bench: unstable");
    figures.matches = matches;
  }
  std::sort(seconds.begin(), seconds.end());
  const double median = seconds[seconds.size() / 2];
  const auto matches = static_cast<double>(figures.matches);
  figures.median_publishes_per_s = static_cast<double>(publishes) / median;
  figures.median_matches_per_s = matches / median;
  figures.min_matches_per_s = matches / seconds.back();
  figures.max_matches_per_s = matches / seconds.front();
  return figures;
}

RoutingFigures measure_fanout(const SubscriptionIndex& index, const TopicList& topics,
                              std::size_t fanout, std::size_t publishes, std::size_t reps) {
  RoutingFigures figures = measure(index, topics, publishes, reps);
  figures.fanout = fanout;
  if (figures.matches != fanout * publishes) {
    throw std::runtime_error("routing bench: fan-out " + std::to_string(fanout) + " routed " +
                             std::to_string(figures.matches) + " matches");
  }
  return figures;
}

TopicList device_topics(std::size_t first_site, std::size_t end_site, std::size_t devices) {
  TopicList list;
  for (std::size_t site = first_site; site < end_site; ++site) {
    for (std::size_t device = 0; device < devices; ++device) list.add(device_topic(site, device));
  }
  shuffle(list, 0x5EED0000 + first_site);
  return list;
}

}  // namespace

RoutingBenchResult run_routing_bench(const RoutingBenchOptions& o) {
  RoutingBenchResult result;
  SubscriptionIndex index;
  const std::size_t heap_before = heap_in_use();
  const auto build_start = std::chrono::steady_clock::now();
  subscribe_fleet(index, result);
  result.build_s = seconds_since(build_start);
  const std::size_t heap_after = heap_in_use();
  result.index_bytes = heap_after > heap_before ? heap_after - heap_before : 0;
  result.subscriptions = index.size();
  result.subscribers = index.subscriber_count();
  result.trie_nodes = index.node_count();

  const TopicList unwatched = device_topics(kWatchedSites, kSites, kDevicesPerSite);
  const TopicList watched = device_topics(0, kWatchedSites, kDevicesPerSite);
  TopicList broadcast;
  broadcast.add("broadcast/fw/notice");
  const std::size_t reps = o.repetitions;
  result.fanouts.push_back(measure_fanout(index, unwatched, 1, o.publishes, reps));
  result.fanouts.push_back(measure_fanout(index, watched, 10, o.publishes, reps));
  result.fanouts.push_back(
      measure_fanout(index, broadcast, 1000, std::max<std::size_t>(1, o.publishes / 100), reps));
  if (o.distinct_topics) {
    const TopicList distinct = device_topics(0, kSites, kDistinctDevices);
    result.distinct = measure(index, distinct, distinct.size(), reps);
    // Every subscribed device matches once; watched sites add 9 watchers to each topic.
    const std::size_t expected = kSites * kDevicesPerSite + kWatchedSites * kDistinctDevices * 9;
    if (result.distinct.matches != expected) {
      throw std::runtime_error("routing bench: distinct topics routed a wrong number of matches");
    }
  }
  return result;
}

}  // namespace mqttsim::protocol::bench
