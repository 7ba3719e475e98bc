// The one configuration of BrokerCore: limits, and features that can be switched off so the
// same core behaves like brokers with fewer features (no QoS 2, no retain, no wildcards, ...).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "protocol/mutants.hpp"
#include "protocol/types.hpp"

namespace mqttsim::protocol {

struct Credential {
  std::string username;
  std::string password;
};

// What happens when a session's queue is full: the oldest queued message or the new one is
// dropped. Either way it is counted in BrokerMetrics::messages_dropped_queue_full.
enum class QueueDropPolicy : std::uint8_t { drop_oldest, drop_newest };

struct BrokerConfig {
  // Features (advertised in the 5.0 CONNACK; enforced for every version).
  QoS maximum_qos = QoS::exactly_once;
  bool retain_available = true;
  bool wildcard_subscriptions_available = true;
  bool shared_subscriptions_available = true;
  bool subscription_identifiers_available = true;

  // Authentication: with allow_anonymous false, a CONNECT must carry one of `credentials`.
  bool allow_anonymous = true;
  std::vector<Credential> credentials;

  // Client identifiers: an empty id is given one ("mqttsim-N") when allowed (always under 5.0
  // with this on; under 3.1.1 only with Clean Session 1, MQTT-3.1.3-8).
  bool assign_client_ids = true;

  // Flow control and sizes.
  std::uint16_t receive_maximum = 100;  // QoS 1/2 PUBLISH a client may have unacknowledged
  std::uint32_t maximum_packet_size_bytes = 1u << 20;
  std::uint16_t topic_alias_maximum = 16;            // aliases a 5.0 client may use towards us
  std::optional<std::uint16_t> server_keep_alive_s;  // overrides the client's (5.0)
  std::uint32_t maximum_session_expiry_s = std::numeric_limits<std::uint32_t>::max();

  // Offline and backlog queueing, per session.
  std::size_t max_queued_messages = 1000;
  QueueDropPolicy queue_drop_policy = QueueDropPolicy::drop_oldest;
  bool queue_qos0_offline = false;

  // Whether sessions, inflight messages and retained messages survive a crash: the simulator
  // restarts a persistent broker from snapshot(), a volatile one from nothing.
  bool persistence = false;

  std::size_t max_topic_levels = 1024;

  // Fault switches for issue 6's proof that the checks catch real bugs. Only tests and
  // `mqttsim check --mutant` set them: on purpose, no YAML or config file key reaches this.
  MutantSet mutants;
};

}  // namespace mqttsim::protocol
