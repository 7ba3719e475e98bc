// Builds the fleet (topology, network, TCP, broker host, virtual clients), runs it, and measures
// wall time, events, memory and what QoS 1 delivered. Wall clock and /proc are read here only:
// sim/bench/ is outside the determinism rules, the simulation itself never sees them.
#include "sim/bench/fleet_bench.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "sim/distributions.hpp"
#include "sim/net/network.hpp"
#include "sim/net/profiles.hpp"
#include "sim/net/tcp.hpp"
#include "sim/nodes/broker_host.hpp"
#include "sim/nodes/virtual_client.hpp"

namespace mqttsim::sim::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM"); 0 when unavailable.
std::int64_t proc_status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

net::LinkConfig wifi_link(const std::string& name, double loss_p) {
  net::LinkConfig c = net::make_link_config(net::find_profile("wifi"), name);
  c.loss = net::LossConfig{};
  if (loss_p > 0) c.loss = net::LossConfig{net::LossKind::bernoulli, loss_p};
  return c;
}

struct Fleet {
  explicit Fleet(const FleetBenchOptions& o) : options(o), rng(o.seed), topology(rng) {
    gateway = topology.add_node(net::NodeKind::gateway, "gateway");
    broker_node = topology.add_node(net::NodeKind::broker, "broker");
    topology.connect(gateway, broker_node, wifi_link("gateway-broker/up", o.loss_p),
                     wifi_link("gateway-broker/down", o.loss_p));
    network.emplace(kernel, topology, trace);
    tcp.emplace(*network);
    world.emplace(nodes::NodeWorld{kernel, *tcp, trace, ledger});
    broker.emplace(*world, broker_node, protocol::BrokerConfig{});
    broker->start();
    build_behaviours();
  }

  void build_behaviours() {
    nodes::PublishBehaviour p;
    p.topic_template = "fleet/g{group}/{id}/telemetry";
    p.qos = protocol::QoS::at_least_once;
    p.interval_ns = round_to_ns(options.publish_interval_s * 1e9);
    p.payload_size_bytes = nodes::Distribution::fixed(static_cast<double>(options.payload_bytes));
    device.publishes.push_back(p);
    device.connect_spread_ns = p.interval_ns;  // devices power up over one publish interval
    const std::size_t groups = std::max<std::size_t>(options.subscribers, 1);
    for (std::size_t g = 0; g < groups; ++g) device.values["group"].push_back(std::to_string(g));
    viewers.resize(options.subscribers);
    for (std::size_t g = 0; g < options.subscribers; ++g) {
      viewers[g].subscriptions.push_back(
          {"fleet/g" + std::to_string(g) + "/+/telemetry", {protocol::QoS::at_least_once}});
    }
  }

  void add(const std::string& name, bool persistent, const nodes::ClientBehaviour& behaviour) {
    const net::NodeId node = topology.add_node(net::NodeKind::client, name);
    topology.connect(node, gateway, wifi_link(name + "/up", options.loss_p),
                     wifi_link(name + "/down", options.loss_p));
    protocol::ClientConfig config;
    config.client_id = name;
    config.clean_start = !persistent;
    config.session_expiry_interval_s = persistent ? 3600 : 0;
    config.keep_alive_s = 60;
    clients.push_back(std::make_unique<nodes::VirtualClient>(
        *world, node, name, broker_node, static_cast<std::uint32_t>(clients.size()), config,
        behaviour, rng));
    clients.back()->start();
  }

  const FleetBenchOptions& options;
  Kernel kernel;
  Trace trace;
  nodes::DeliveryLedger ledger;
  Rng rng;
  net::Topology topology;
  net::NodeId gateway = 0, broker_node = 0;
  std::optional<net::Network> network;
  std::optional<net::TcpTransport> tcp;
  std::optional<nodes::NodeWorld> world;
  std::optional<nodes::BrokerHost> broker;
  nodes::ClientBehaviour device;
  std::vector<nodes::ClientBehaviour> viewers;
  std::vector<std::unique_ptr<nodes::VirtualClient>> clients;  // destroyed before the broker
};

double percentile_ms(std::vector<TimeNs>& samples, double q) {
  if (samples.empty()) return 0;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1));
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(k),
                   samples.end());
  return static_cast<double>(samples[k]) / 1e6;
}

void collect(const Fleet& fleet, FleetBenchResult& r) {
  const TimeNs cutoff = round_to_ns((r.virtual_s - 60) * 1e9);
  const nodes::QosCounts c = fleet.ledger.counts(protocol::QoS::at_least_once, cutoff);
  r.sent = c.sent;
  r.acked = c.acked;
  r.delivered = c.delivered;
  r.lost = c.lost;
  r.duplicated = c.duplicated;
  auto latencies = fleet.ledger.latency_samples_ns(protocol::QoS::at_least_once, cutoff);
  r.latency_p50_ms = percentile_ms(latencies, 0.5);
  r.latency_p99_ms = percentile_ms(latencies, 0.99);
  nodes::WireCounters wire = fleet.broker->sent();
  for (const auto& client : fleet.clients) wire += client->sent();
  r.mqtt_packets = wire.total_packets();
  r.mqtt_bytes = wire.total_bytes();
  r.tcp_segments = fleet.tcp->stats().segments_sent;
  r.tcp_retransmits = fleet.tcp->stats().timeout_retransmits + fleet.tcp->stats().fast_retransmits;
  r.tcp_breaks = fleet.tcp->stats().connections_broken;
  r.trace_digest = fleet.trace.digest();
}

}  // namespace

FleetBenchResult run_fleet_bench(const FleetBenchOptions& options) {
  FleetBenchResult r;
  const auto setup_start = Clock::now();
  const std::int64_t rss_before = proc_status_bytes("VmRSS");
  auto fleet = std::make_unique<Fleet>(options);
  for (std::size_t g = 0; g < options.subscribers; ++g) {
    fleet->add("viewer" + std::to_string(g), /*persistent=*/true, fleet->viewers[g]);
  }
  for (std::size_t i = 0; i < options.clients; ++i) {
    fleet->add("device" + std::to_string(i), /*persistent=*/false, fleet->device);
  }
  r.setup_rss_bytes = proc_status_bytes("VmRSS") - rss_before;
  r.setup_wall_s = seconds_since(setup_start);

  const auto run_start = Clock::now();
  const double cpu_start = cpu_seconds();
  fleet->kernel.run_until(round_to_ns(options.duration_s * 1e9));
  r.run_wall_s = seconds_since(run_start);
  r.run_cpu_s = cpu_seconds() - cpu_start;
  r.virtual_s = options.duration_s;
  r.events = fleet->kernel.fired_count();
  r.events_per_s = static_cast<double>(r.events) / std::max(r.run_wall_s, 1e-9);
  r.virtual_per_wall = r.virtual_s / std::max(r.run_wall_s, 1e-9);
  r.events_per_cpu_s = static_cast<double>(r.events) / std::max(r.run_cpu_s, 1e-9);
  r.virtual_per_cpu = r.virtual_s / std::max(r.run_cpu_s, 1e-9);
  r.peak_rss_bytes = proc_status_bytes("VmHWM");
  const double n = static_cast<double>(std::max<std::size_t>(options.clients, 1));
  r.bytes_per_client = static_cast<double>(r.setup_rss_bytes) / n;
  r.peak_bytes_per_client = static_cast<double>(r.peak_rss_bytes) / n;
  collect(*fleet, r);
  return r;
}

}  // namespace mqttsim::sim::bench
