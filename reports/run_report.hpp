// The report of one simulated run, as plain data the simulator fills in, and its writers:
// report.json (versioned schema), a one-file offline report.html with SVG charts, and the
// terminal summary table. A leaf: it knows nothing of how the numbers were produced.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace mqttsim::reports {

inline constexpr int kRunReportSchemaVersion = 1;

struct QosStats {
  int qos = 0;                   // -1 for MQTT-SN QoS -1
  std::uint64_t sent = 0;        // messages published (per publish, not per subscriber)
  std::uint64_t expected = 0;    // deliveries that should happen (publish × matching subscriber)
  std::uint64_t delivered = 0;   // distinct expected deliveries that happened
  std::uint64_t lost = 0;        // expected − delivered
  std::uint64_t duplicated = 0;  // extra copies beyond the first
  double delivery_ratio = 0;     // delivered / expected (1 when nothing was expected)
  std::optional<std::int64_t> latency_p50_ns, latency_p90_ns, latency_p99_ns, latency_max_ns;
  // Sorted latencies, thinned to at most a few thousand points: the CDF chart's data.
  std::vector<std::int64_t> latency_cdf_ns;
  // Publish-flow packets (PUBLISH … PUBCOMP, MQTT and MQTT-SN) every node sent for messages of
  // this QoS, retransmissions included: the wire cost of the level.
  std::uint64_t wire_packets = 0;
  std::uint64_t wire_bytes = 0;
  // Messages of this QoS published over the whole run, the denominator of the wire cost per
  // message (`sent` leaves out the settle window, but wire_packets covers the whole run).
  std::uint64_t wire_messages = 0;
  double packets_per_message() const {
    return wire_messages == 0
               ? 0.0
               : static_cast<double>(wire_packets) / static_cast<double>(wire_messages);
  }
};

struct WireStats {
  std::string packet_type;  // "PUBLISH", "PUBACK", ... or MQTT-SN names
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

struct LinkReport {
  std::string name, from, to;
  std::uint64_t offered = 0;
  std::uint64_t delivered = 0;
  std::map<std::string, std::uint64_t> dropped;  // reason → count
};

// One time bucket of the over-time series.
struct TimeBucket {
  std::int64_t start_ns = 0;
  std::uint64_t published = 0;
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;  // expected deliveries of messages published in this bucket, missing
};

struct TopologyNodeReport {
  std::string name;
  std::string kind;  // client, gateway, router, broker
};
struct TopologyEdgeReport {
  std::string a, b, name;
};

struct ExpectationReport {
  std::string text;
  bool met = false;
  double actual = 0;
  std::string actual_text;  // as people read it ("13.1 ms", "0.9990"); "none" without a figure
};

struct RunReport {
  std::string program_version;
  std::string scenario_name;
  std::string scenario_file;
  std::string scenario_digest;  // 16 hex digits of the scenario's canonical text
  std::uint64_t seed = 0;
  std::int64_t duration_ns = 0;
  std::string trace_digest;  // 16 hex digits
  std::uint64_t events = 0;
  double wall_s = 0;          // the only wall-clock figure; never part of a digest
  std::vector<QosStats> qos;  // ascending QoS, only those that were used
  std::vector<WireStats> wire;
  std::vector<LinkReport> links;
  std::uint64_t connection_breaks = 0;
  std::uint64_t queue_drops = 0;
  std::uint64_t connections_refused = 0;
  std::int64_t bucket_ns = 1'000'000'000;
  std::vector<TimeBucket> timeline;
  std::vector<TopologyNodeReport> nodes;
  std::vector<TopologyEdgeReport> edges;
  std::vector<ExpectationReport> expectations;
  bool passed() const;
};

void write_run_json(const RunReport& report, std::ostream& out);
void write_run_html(const RunReport& report, std::ostream& out);
// The table printed at the end of `mqttsim run`.
void write_run_summary(const RunReport& report, std::ostream& out);

// Nanoseconds as a short human figure: "850 µs", "12.3 ms", "4.07 s".
std::string format_duration(std::int64_t ns);

}  // namespace mqttsim::reports
