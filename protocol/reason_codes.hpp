// MQTT 5.0 reason codes and 3.1.1 CONNACK return codes: names, and which values each packet
// type may carry (MQTT 5.0 §2.4 and the per-packet tables of chapter 3).
#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/types.hpp"

namespace mqttsim::protocol {

// One enum for every reason code; a few values have a different name per packet type
// (0x00 is Success, Normal disconnection or Granted QoS 0), see reason_code_name().
enum class ReasonCode : std::uint8_t {
  success = 0x00,
  granted_qos_1 = 0x01,
  granted_qos_2 = 0x02,
  disconnect_with_will_message = 0x04,
  no_matching_subscribers = 0x10,
  no_subscription_existed = 0x11,
  continue_authentication = 0x18,
  re_authenticate = 0x19,
  unspecified_error = 0x80,
  malformed_packet = 0x81,
  protocol_error = 0x82,
  implementation_specific_error = 0x83,
  unsupported_protocol_version = 0x84,
  client_identifier_not_valid = 0x85,
  bad_user_name_or_password = 0x86,
  not_authorized = 0x87,
  server_unavailable = 0x88,
  server_busy = 0x89,
  banned = 0x8A,
  server_shutting_down = 0x8B,
  bad_authentication_method = 0x8C,
  keep_alive_timeout = 0x8D,
  session_taken_over = 0x8E,
  topic_filter_invalid = 0x8F,
  topic_name_invalid = 0x90,
  packet_identifier_in_use = 0x91,
  packet_identifier_not_found = 0x92,
  receive_maximum_exceeded = 0x93,
  topic_alias_invalid = 0x94,
  packet_too_large = 0x95,
  message_rate_too_high = 0x96,
  quota_exceeded = 0x97,
  administrative_action = 0x98,
  payload_format_invalid = 0x99,
  retain_not_supported = 0x9A,
  qos_not_supported = 0x9B,
  use_another_server = 0x9C,
  server_moved = 0x9D,
  shared_subscriptions_not_supported = 0x9E,
  connection_rate_exceeded = 0x9F,
  maximum_connect_time = 0xA0,
  subscription_identifiers_not_supported = 0xA1,
  wildcard_subscriptions_not_supported = 0xA2,
};

// 3.1.1 CONNACK return codes (§3.2.2.3). Stored in Connack::reason_code under 3.1.1.
enum class ConnectReturnCode : std::uint8_t {
  accepted = 0,
  unacceptable_protocol_version = 1,
  identifier_rejected = 2,
  server_unavailable = 3,
  bad_user_name_or_password = 4,
  not_authorized = 5,
};

// True when `code` may appear in a packet of type `type` under `version`. Under 3.1.1 only
// CONNACK (return codes 0-5) and SUBACK (0x00, 0x01, 0x02, 0x80) carry codes.
bool reason_code_allowed(PacketType type, std::uint8_t code, Version version);

// The specification's name of `code` in a packet of type `type`, e.g. "Granted QoS 0" in a
// SUBACK, "Normal disconnection" in a DISCONNECT; "unknown" when the code is not defined.
std::string_view reason_code_name(PacketType type, std::uint8_t code, Version version);

// 0x80 and above mean failure (MQTT 5.0 §2.4); for 3.1.1 CONNACK any non-zero code.
inline bool reason_code_is_failure(std::uint8_t code) {
  return code >= 0x80;
}

}  // namespace mqttsim::protocol
