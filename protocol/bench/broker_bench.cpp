// Routing throughput of BrokerCore. Sessions subscribe to per-device filters (most of the 100k
// subscriptions) plus `bench/fanout-K` for the first K sessions; one publisher then sends QoS 0
// PUBLISH bytes to `bench/fanout-K` and every Transmit is drained as a socket would be.
#include "protocol/bench/broker_bench.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

#include "protocol/broker/broker_core.hpp"

namespace mqttsim::protocol::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::uint8_t> bytes_of(const Packet& p, Version v) {
  std::vector<std::uint8_t> out;
  if (auto e = encode(p, v, Sender::client, out)) throw std::runtime_error(e->reason);
  return out;
}

std::size_t drain(BrokerCore& broker) {
  std::size_t bytes = 0;
  while (auto t = broker.poll_transmit()) bytes += t->bytes.size();
  return bytes;
}

void connect(BrokerCore& broker, ConnectionId id, const std::string& client_id, TimeNs now) {
  Connect c;
  c.version = Version::v5;
  c.client_id = client_id;
  c.keep_alive_s = 0;
  const auto bytes = bytes_of(c, Version::v5);
  broker.connection_opened(id, now);
  broker.handle_bytes(id, now, ByteView(bytes.data(), bytes.size()));
}

void subscribe_all(BrokerCore& broker, const BrokerBenchOptions& o, std::size_t max_fan_out) {
  for (std::size_t j = 0; j < o.sessions; ++j) {
    const ConnectionId id = j + 2;
    connect(broker, id, "sub-" + std::to_string(j), 0);
    std::vector<std::string> filters;
    for (std::size_t k = 0; k < o.subscriptions_per_session; ++k) {
      filters.push_back("fleet/site-" + std::to_string(j % 100) + "/dev-" + std::to_string(j) +
                        "/" + (k == 0 ? std::string("+") : "metric-" + std::to_string(k)));
    }
    // The first K sessions trade one per-device filter for `bench/fanout-K`: the total stays
    // sessions x subscriptions_per_session.
    for (std::size_t i = 0; i < o.fan_outs.size() && i < filters.size(); ++i) {
      const std::size_t k = o.fan_outs[i];
      if (j < k && k <= max_fan_out)
        filters[filters.size() - 1 - i] = "bench/fanout-" + std::to_string(k);
    }
    Subscribe s;
    s.packet_id = 1;
    for (const std::string& f : filters)
      s.subscriptions.push_back({f, {QoS::at_most_once, false, false, {}}});
    const auto bytes = bytes_of(s, Version::v5);
    broker.handle_bytes(id, 0, ByteView(bytes.data(), bytes.size()));
    drain(broker);
  }
}

double run_fan_out(BrokerCore& broker, std::size_t fan_out, std::size_t publishes) {
  const std::string topic = "bench/fanout-" + std::to_string(fan_out);
  Publish p;
  p.topic = topic;
  static const std::string payload(64, 'x');
  p.payload = ByteView::of(payload);
  const auto bytes = bytes_of(p, Version::v5);
  const auto start = Clock::now();
  for (std::size_t i = 0; i < publishes; ++i) {
    broker.handle_bytes(1, 1, ByteView(bytes.data(), bytes.size()));
    drain(broker);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (broker.metrics().messages_delivered == 0) throw std::runtime_error("nothing was delivered");
  return seconds;
}

}  // namespace

BrokerBenchResult run_broker_bench(const BrokerBenchOptions& o) {
  const std::size_t max_fan_out = std::min(o.sessions, std::size_t{1000});
  BrokerConfig config;
  config.max_queued_messages = 10;
  BrokerCore broker(config);
  BrokerBenchResult result;
  const auto setup_start = Clock::now();
  connect(broker, 1, "publisher", 0);
  subscribe_all(broker, o, max_fan_out);
  drain(broker);
  while (broker.poll_event()) {
  }
  result.setup_s = std::chrono::duration<double>(Clock::now() - setup_start).count();
  result.subscriptions = o.sessions * o.subscriptions_per_session;
  for (std::size_t fan_out : o.fan_outs) {
    if (fan_out > max_fan_out) continue;
    const std::size_t publishes = std::max<std::size_t>(1, o.deliveries_per_rep / fan_out);
    std::vector<double> seconds;
    for (std::size_t r = 0; r < std::max<std::size_t>(1, o.repetitions); ++r) {
      const std::uint64_t before = broker.metrics().messages_delivered;
      seconds.push_back(run_fan_out(broker, fan_out, publishes));
      if (broker.metrics().messages_delivered - before != publishes * fan_out) {
        throw std::runtime_error("fan-out " + std::to_string(fan_out) + " delivered a wrong count");
      }
      while (broker.poll_event()) {
      }
    }
    std::sort(seconds.begin(), seconds.end());
    const double median = seconds[seconds.size() / 2];
    const auto n = static_cast<double>(publishes);
    result.rows.push_back({fan_out, n * static_cast<double>(fan_out) / median, n / median});
  }
  return result;
}

}  // namespace mqttsim::protocol::bench
