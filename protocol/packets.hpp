// The MQTT control packets of 3.1, 3.1.1 and 5.0 as value types, and `Packet`, their variant.
// Strings and binary fields are views: into the decoder's input for decoded packets, into the
// caller's storage for packets being encoded. 5.0-only fields are empty under 3.1.1.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/properties.hpp"
#include "protocol/reason_codes.hpp"
#include "protocol/types.hpp"

namespace mqttsim::protocol {

struct Will {
  QoS qos = QoS::at_most_once;
  bool retain = false;
  std::string_view topic;
  ByteView payload;
  Properties properties;  // 5.0 Will Properties
  friend bool operator==(const Will&, const Will&) = default;
};

struct Connect {
  Version version = Version::v3_1_1;  // protocol level; the protocol name follows from it
  bool clean_start = true;            // "Clean Session" in 3.1.1
  std::uint16_t keep_alive_s = 60;
  std::string_view client_id;
  std::optional<Will> will;
  std::optional<std::string_view> username;
  std::optional<ByteView> password;
  Properties properties;
  friend bool operator==(const Connect&, const Connect&) = default;
};

struct Connack {
  bool session_present = false;
  ReasonCode reason_code = ReasonCode::success;  // 3.1.1: the Connect Return Code, 0-5
  Properties properties;
  friend bool operator==(const Connack&, const Connack&) = default;
};

struct Publish {
  bool dup = false;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  std::string_view topic;       // may be empty under 5.0 when a Topic Alias is set
  std::uint16_t packet_id = 0;  // present on the wire only for QoS 1 and 2
  Properties properties;
  ByteView payload;
  friend bool operator==(const Publish&, const Publish&) = default;
};

// PUBACK, PUBREC, PUBREL and PUBCOMP share one layout; the tag keeps them distinct types.
template <PacketType kType>
struct PublishAck {
  static constexpr PacketType type = kType;
  std::uint16_t packet_id = 0;
  ReasonCode reason_code = ReasonCode::success;  // 5.0 only
  Properties properties;
  friend bool operator==(const PublishAck&, const PublishAck&) = default;
};
using Puback = PublishAck<PacketType::puback>;
using Pubrec = PublishAck<PacketType::pubrec>;
using Pubrel = PublishAck<PacketType::pubrel>;
using Pubcomp = PublishAck<PacketType::pubcomp>;

enum class RetainHandling : std::uint8_t {
  send_on_subscribe = 0,
  send_if_new_subscription = 1,
  do_not_send = 2,
};

struct SubscriptionOptions {
  QoS max_qos = QoS::at_most_once;
  bool no_local = false;                                               // 5.0
  bool retain_as_published = false;                                    // 5.0
  RetainHandling retain_handling = RetainHandling::send_on_subscribe;  // 5.0
  friend bool operator==(const SubscriptionOptions&, const SubscriptionOptions&) = default;
};

struct Subscription {
  std::string_view filter;
  SubscriptionOptions options;
  friend bool operator==(const Subscription&, const Subscription&) = default;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<Subscription> subscriptions;
  friend bool operator==(const Subscribe&, const Subscribe&) = default;
};

struct Suback {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<ReasonCode> reason_codes;  // 3.1.1: return codes 0x00-0x02, 0x80
  friend bool operator==(const Suback&, const Suback&) = default;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::string_view> filters;
  friend bool operator==(const Unsubscribe&, const Unsubscribe&) = default;
};

struct Unsuback {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<ReasonCode> reason_codes;  // 5.0 only; 3.1.1 UNSUBACK has no payload
  friend bool operator==(const Unsuback&, const Unsuback&) = default;
};

struct Pingreq {
  friend bool operator==(const Pingreq&, const Pingreq&) = default;
};
struct Pingresp {
  friend bool operator==(const Pingresp&, const Pingresp&) = default;
};

struct Disconnect {
  ReasonCode reason_code = ReasonCode::success;  // 5.0 only
  Properties properties;
  friend bool operator==(const Disconnect&, const Disconnect&) = default;
};

struct Auth {  // 5.0 only
  ReasonCode reason_code = ReasonCode::success;
  Properties properties;
  friend bool operator==(const Auth&, const Auth&) = default;
};

// Alternative i holds packet type i + 1, so index() and the wire type stay in step.
using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe,
                            Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

inline PacketType packet_type(const Packet& p) {
  return static_cast<PacketType>(p.index() + 1);
}

// Which side may send a packet type: CONNECT/SUBSCRIBE/... only clients, CONNACK/SUBACK/...
// only servers; PUBLISH, its acknowledgements, DISCONNECT and AUTH both (DISCONNECT from a
// server only under 5.0).
bool may_send(Sender sender, PacketType type, Version version);

}  // namespace mqttsim::protocol
