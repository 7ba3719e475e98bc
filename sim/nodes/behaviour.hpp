// What a virtual client does, as data: periodic publishing (interval, jitter, payload sizes,
// QoS, retain, topic template), subscriptions, connect/disconnect churn and crash handling. A
// group of clients shares one ClientBehaviour; each client expands the templates for itself.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/client/client_session.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace mqttsim::sim::nodes {

// A distribution as data: constant(a), uniform(a, b), exponential(mean a), normal(mean a,
// stddev b), lognormal(mu a, sigma b), pareto(scale a, shape b). Units are the user's.
struct Distribution {
  enum class Kind : std::uint8_t { constant, uniform, exponential, normal, lognormal, pareto };
  Kind kind = Kind::constant;
  double a = 0;
  double b = 0;

  double sample(Rng& rng) const;
  static Distribution fixed(double value) { return {Kind::constant, value, 0}; }
};

struct PublishBehaviour {
  // "Zürich/{street}/{id}": {id} is the client's index, {node} its node name, and any other
  // {name} one entry of ClientBehaviour::values[name], drawn from the client's stream
  // "client/<i>/topic" forked by the name: one client gets the same value in all its templates.
  std::string topic_template;
  protocol::QoS qos = protocol::QoS::at_most_once;
  // MQTT-SN QoS -1 (SnClientNode only; `qos` is then ignored): to a predefined topic id or a
  // two-character short topic name, without a connection.
  bool qos_minus_one = false;
  bool retain = false;
  TimeNs interval_ns = 10'000'000'000;  // mean time between publishes (1 / rate)
  Distribution jitter_ns;               // added to each interval; the sum is clamped at 0
  Distribution payload_size_bytes = Distribution::fixed(64);  // at least kTagBytes
  double payload_max_bytes = 256.0 * 1024 * 1024;             // draws are clamped to [0, max]
  // A JSON temperature event instead of filler bytes (payload_size_bytes is then ignored):
  // {"m":"<tag>","d":{"temperature_c":21.37,"seq":7},"ts_ms":12345}, the shape of a sensor
  // event on a cloud IoT platform, with the ledger's tag as the first field.
  bool json_temperature = false;
  // The first publish comes at start_ns + a uniform phase in [0, interval_ns), so that a fleet
  // does not publish in lockstep; none after stop_ns.
  TimeNs start_ns = 0;
  TimeNs stop_ns = kTimeMaxNs;
  std::uint64_t max_messages = 0;  // 0: no limit
};

// Online and offline periods, exponentially distributed. Going offline is a DISCONNECT when
// graceful, otherwise the connection is aborted (the broker publishes the Will).
struct ChurnBehaviour {
  double mean_online_s = 600;
  double mean_offline_s = 60;
  bool graceful = true;
};

struct ClientBehaviour {
  std::map<std::string, std::vector<std::string>> values;  // for {names} in templates
  std::vector<PublishBehaviour> publishes;
  // Filters may use the same {names} as topic templates; subscribed once at start.
  std::vector<protocol::SubscribeFilter> subscriptions;
  std::optional<ChurnBehaviour> churn;
  // The client starts (connects, subscribes, starts its publish timers) at connect_at_ns plus a
  // uniform draw in [0, connect_spread_ns) from its stream "client/<i>/publish", so that a fleet
  // does not connect in one storm.
  TimeNs connect_at_ns = 0;
  TimeNs connect_spread_ns = 0;
  // A crashed client loses its session state (inflight, queued, packet ids) unless this is
  // set, which models a client that keeps its session in flash.
  bool persistent_state = false;
};

// Expands {id}, {node} and {name} from `values` for client `index`; std::invalid_argument on
// an unknown or empty name or an unclosed brace.
std::string expand_template(std::string_view text, std::uint32_t index, std::string_view node,
                            const std::map<std::string, std::vector<std::string>>& values,
                            const Rng& topic_rng);

}  // namespace mqttsim::sim::nodes
