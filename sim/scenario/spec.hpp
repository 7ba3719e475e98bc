// A scenario as plain data: what scenarios/*.yaml says, resolved against the built-in link
// profiles and checked, with the YAML position of every name so that later checks (names that
// do not resolve) can still point at file:line:col. scenarios/README.md documents every key.
#pragma once

#include <yaml-cpp/mark.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/broker/broker_config.hpp"
#include "protocol/types.hpp"
#include "sim/net/link.hpp"
#include "sim/net/topology.hpp"
#include "sim/time.hpp"

namespace mqttsim::sim::scenario {

inline constexpr int kSchemaVersion = 1;

struct NodeSpec {
  std::string name;
  net::NodeKind kind = net::NodeKind::router;
  YAML::Mark mark;
};

// A pair of links a → b and b → a with the same configuration (profile plus overrides).
struct LinkSpec {
  std::string name;
  std::string a, b;
  std::string profile;
  net::LinkConfig config;   // a → b; config.name is the link name, directions add "/ab", "/ba"
  net::LinkConfig reverse;  // b → a: config with the overrides under `reverse:`
  YAML::Mark mark;
};

struct PayloadSpec {
  enum class Kind : std::uint8_t {
    fixed,
    uniform,
    exponential,  // mean
    normal,       // mean, stddev
    lognormal,    // mean, stddev of the sizes (not of their logarithm)
    pareto,       // scale (the smallest size), shape
    json_temperature
  };
  Kind kind = Kind::fixed;
  std::int64_t size_bytes = 64;      // fixed size, or the lower bound of uniform
  std::int64_t max_size_bytes = 64;  // upper bound of uniform (inclusive), or of any draw
  double mean_bytes = 0;             // exponential, normal, lognormal; pareto: its scale
  double spread = 0;                 // normal, lognormal: stddev in bytes; pareto: shape
};

struct PublishSpec {
  // Expanded per client: {n} (1-based index in the group), {id} (client id), {group}, and any
  // name in `values`, picked round-robin by {n} so every run picks the same.
  std::string topic;
  std::map<std::string, std::vector<std::string>> values;
  TimeNs interval_ns = 10 * kNsPerS;
  TimeNs jitter_ns = 0;  // each interval is uniform in [interval - jitter, interval + jitter]
  int qos = 0;           // -1 only for MQTT-SN clients
  bool retain = false;
  PayloadSpec payload;
  TimeNs start_ns = 0;     // first publish no earlier than this (plus a uniform phase)
  std::int64_t count = 0;  // messages per client; 0 = until the end
};

struct SubscriptionSpec {
  std::string filter;  // expanded like PublishSpec::topic
  int qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  int retain_handling = 0;
};

struct SessionSpec {
  bool clean_start = true;
  TimeNs expiry_ns = 0;  // 5.0 Session Expiry Interval (whole seconds); 3.1.1: > 0 = persistent
  TimeNs keep_alive_ns = 60 * kNsPerS;
};

struct WillSpec {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  TimeNs delay_ns = 0;
};

struct ChurnSpec {
  bool enabled = false;
  TimeNs mean_online_ns = 0;   // exponential online periods
  TimeNs mean_offline_ns = 0;  // exponential offline periods
  bool graceful = true;        // DISCONNECT before going offline (false: the link just drops)
};

enum class ClientProtocol : std::uint8_t { mqtt, mqtt_sn };

struct ClientGroupSpec {
  std::string name;
  YAML::Mark mark;
  std::int64_t count = 1;
  ClientProtocol protocol = ClientProtocol::mqtt;
  protocol::Version version = protocol::Version::v5;
  std::string client_id = "{group}-{n}";  // template; also the client's node name
  // Each client gets its own node and an access link pair to `attach_to`: a node name, or a
  // pattern with '*' whose matches (in node order) take the clients round-robin.
  std::string attach_to;
  YAML::Mark attach_mark;
  std::string attach_profile;
  net::LinkConfig attach_link;     // client → attach.to
  net::LinkConfig attach_reverse;  // attach.to → client: with the overrides under `reverse:`
  std::string gateway;             // MQTT-SN: the gateway node that bridges to the broker
  SessionSpec session;
  std::optional<std::string> username;  // templates, like the topic
  std::optional<std::string> password;
  std::optional<WillSpec> will;
  std::optional<PublishSpec> publish;
  std::vector<SubscriptionSpec> subscribe;
  ChurnSpec churn;
  TimeNs start_ns = 0;  // clients connect at start + uniform(0, connect_spread)
  TimeNs connect_spread_ns = kNsPerS;
};

enum class FaultKind : std::uint8_t {
  link_down,
  loss,
  partition,
  broker_crash,
  client_crash,
};

struct FaultSpec {
  FaultKind kind = FaultKind::link_down;
  TimeNs at_ns = 0;
  std::optional<TimeNs> for_ns;      // undone after this long (link up, loss back, heal, restart)
  std::vector<std::string> targets;  // links (link_down, loss), nodes or patterns (others)
  std::vector<std::string> other_side;  // partition: the second node set
  net::LossConfig loss;
  std::optional<bool> persistence;  // broker_crash: overrides broker.persistence
  YAML::Mark mark;
};

struct MeasureSpec {
  bool trace = false;          // write trace.jsonl
  bool pcap = false;           // write capture.pcap
  TimeNs bucket_ns = kNsPerS;  // time resolution of the report's over-time series
  // Messages published in the last `settle` of the run are left out of delivery figures: they
  // may still be on their way when the run ends.
  TimeNs settle_ns = 10 * kNsPerS;
};

enum class CompareOp : std::uint8_t { ge, gt, le, lt, eq, ne };

struct ExpectationSpec {
  std::string text;    // as written, for the report
  std::string metric;  // see kExpectationMetrics
  CompareOp op = CompareOp::ge;
  double value = 0;  // latencies in ns
  std::optional<int> qos;
  YAML::Mark mark;
};

// Metrics an expectation may name; latencies take a duration ("500ms").
inline const std::vector<std::string> kExpectationMetrics = {
    "delivery_ratio", "sent",
    "delivered",      "lost",
    "duplicates",     "latency_p50",
    "latency_p90",    "latency_p99",
    "latency_max",    "connection_breaks",
    "queue_drops",    "connections_refused"};

struct TcpSpec {
  std::int64_t mss_bytes = 1460;
  TimeNs min_rto_ns = 200 * kNsPerMs;
  std::int64_t max_retries = 8;
  TimeNs user_timeout_ns = 60 * kNsPerS;
};

struct MqttSnSpec {
  TimeNs retry_ns = 10 * kNsPerS;  // T_retry
  std::int64_t max_retries = 3;    // N_retry
};

struct BrokerSpec {
  std::string node = "broker";
  protocol::BrokerConfig config;
};

struct ScenarioSpec {
  std::string file;  // where it came from, for messages
  // The YAML after --set overrides, re-emitted by yaml-cpp, and its xxh64: a report names the
  // exact scenario it ran, so `--set` experiments stay reproducible.
  std::string canonical_yaml;
  std::uint64_t digest = 0;
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  TimeNs duration_ns = 60 * kNsPerS;
  BrokerSpec broker;
  std::vector<NodeSpec> nodes;  // explicit and generated, in the order they were declared
  std::vector<LinkSpec> links;
  std::vector<ClientGroupSpec> clients;
  std::vector<FaultSpec> faults;  // sorted by time (stable)
  MeasureSpec measure;
  std::vector<ExpectationSpec> expectations;
  TcpSpec tcp;
  MqttSnSpec mqtt_sn;

  // measure.settle, at most half the run: messages published later are left out of delivery
  // figures and checks. One definition for the report, the checks and the Python arrays.
  TimeNs settle_ns() const { return std::min(measure.settle_ns, duration_ns / 2); }
};

}  // namespace mqttsim::sim::scenario
