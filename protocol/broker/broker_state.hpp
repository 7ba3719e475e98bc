// The broker's state as a value: sessions (subscriptions, inflight and queued messages, QoS 2
// receiver state), retained messages and counters. snapshot() returns it and a restarted
// persistent broker is built from it, which is how a crash with persistence is modelled.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol/broker/message.hpp"
#include "protocol/fifo.hpp"

namespace mqttsim::protocol {

struct SubscriptionEntry {
  SubscriptionOptions options;  // max_qos is the granted QoS
  std::optional<std::uint32_t> identifier;
  friend bool operator==(const SubscriptionEntry&, const SubscriptionEntry&) = default;
};

// One message on its way to one session, as queued or as inflight.
struct Delivery {
  MessagePtr message;
  QoS qos = QoS::at_most_once;  // min(message QoS, granted QoS)
  bool retain = false;          // the RETAIN flag this copy carries
  std::vector<std::uint32_t> subscription_identifiers;
};

enum class OutboundStage : std::uint8_t {
  awaiting_puback,   // QoS 1 PUBLISH sent
  awaiting_pubrec,   // QoS 2 PUBLISH sent
  awaiting_pubcomp,  // QoS 2 PUBREL sent
};

struct Inflight {
  std::uint16_t packet_id = 0;
  OutboundStage stage = OutboundStage::awaiting_puback;
  Delivery delivery;
};

struct SessionWill {
  MessagePtr message;
  std::uint32_t delay_s = 0;
};

struct Session {
  std::string client_id;
  Version version = Version::v3_1_1;
  // Seconds the session outlives its connection; UINT32_MAX never expires (3.1.1 Clean
  // Session 0 maps to the broker's maximum).
  std::uint32_t expiry_interval_s = 0;
  std::map<std::string, SubscriptionEntry> subscriptions;  // by filter, $share/... included
  Fifo<Inflight> inflight;  // in send order: redelivered in this order (MQTT-4.6.0-1)
  Fifo<Delivery> queue;     // waiting for the window or for a connection
  std::set<std::uint16_t> awaiting_pubrel;  // QoS 2 ids received, not yet released
  std::uint16_t next_packet_id = 1;
  std::optional<SessionWill> will;    // of the current or last connection
  std::optional<TimeNs> will_due_ns;  // a delayed Will waiting to go out
  std::optional<TimeNs> expires_ns;   // set while disconnected
  std::uint32_t subscriber = 0;       // its handle in the SubscriptionIndex (runtime only)
  bool connected = false;        // a snapshot taken while connected restores as just disconnected
  std::uint64_t connection = 0;  // the ConnectionId while connected
};

struct BrokerState {
  std::map<std::string, Session> sessions;     // by client id: deterministic order
  std::map<std::string, MessagePtr> retained;  // by topic
  std::uint64_t next_message_sequence = 1;
  std::uint64_t next_assigned_client_id = 1;
};

}  // namespace mqttsim::protocol
