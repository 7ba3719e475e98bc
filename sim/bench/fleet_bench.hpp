// The fleet benchmark behind `mqttsim bench fleet` (issue 4's fleet-10k): N devices each publish
// QoS 1 every 10 s (64-byte payload) to their own topic, 100 subscribers on wildcard filters, all
// on wifi links with 1% loss around one gateway in front of the broker, over the TCP model.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mqttsim::sim::bench {

struct FleetBenchOptions {
  std::size_t clients = 10'000;
  std::size_t subscribers = 100;  // subscriber k takes fleet/g<k>/+/telemetry
  double duration_s = 3600;       // virtual
  double publish_interval_s = 10;
  std::size_t payload_bytes = 64;
  double loss_p = 0.01;  // Bernoulli loss on every link, both ways
  std::uint64_t seed = 1;
};

struct FleetBenchResult {
  double setup_wall_s = 0;
  double run_wall_s = 0;
  double run_cpu_s = 0;  // user + system CPU of the run: the honest figure on a shared machine
  double virtual_s = 0;
  std::uint64_t events = 0;
  double events_per_s = 0;  // per wall second
  double events_per_cpu_s = 0;
  double virtual_per_wall = 0;
  double virtual_per_cpu = 0;
  std::int64_t peak_rss_bytes = 0;   // VmHWM; 0 when /proc cannot say
  std::int64_t setup_rss_bytes = 0;  // RSS growth while building the clients
  double bytes_per_client = 0;       // setup_rss_bytes / clients (state before any traffic)
  double peak_bytes_per_client = 0;  // peak RSS / clients, ledger and in-flight state included
  // Delivery of QoS 1 messages published before the last 60 s (those may still be in flight).
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  double latency_p50_ms = 0;
  double latency_p99_ms = 0;
  std::uint64_t mqtt_packets = 0;  // sent by all nodes
  std::uint64_t mqtt_bytes = 0;
  std::uint64_t tcp_segments = 0;
  std::uint64_t tcp_retransmits = 0;
  std::uint64_t tcp_breaks = 0;
  std::uint64_t trace_digest = 0;
};

FleetBenchResult run_fleet_bench(const FleetBenchOptions& options);

}  // namespace mqttsim::sim::bench
