// MQTT 5.0 properties (§2.2.2), typed: one field per property with its value type, and one
// table that maps each property id to its name, its field, and the packets it may appear in.
// The decoder, the encoder and the JSON conversion all walk that table, so they cannot drift.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/types.hpp"

namespace mqttsim::protocol {

enum class PropertyId : std::uint8_t {
  payload_format_indicator = 0x01,
  message_expiry_interval = 0x02,
  content_type = 0x03,
  response_topic = 0x08,
  correlation_data = 0x09,
  subscription_identifier = 0x0B,
  session_expiry_interval = 0x11,
  assigned_client_identifier = 0x12,
  server_keep_alive = 0x13,
  authentication_method = 0x15,
  authentication_data = 0x16,
  request_problem_information = 0x17,
  will_delay_interval = 0x18,
  request_response_information = 0x19,
  response_information = 0x1A,
  server_reference = 0x1C,
  reason_string = 0x1F,
  receive_maximum = 0x21,
  topic_alias_maximum = 0x22,
  topic_alias = 0x23,
  maximum_qos = 0x24,
  retain_available = 0x25,
  user_property = 0x26,
  maximum_packet_size = 0x27,
  wildcard_subscription_available = 0x28,
  subscription_identifier_available = 0x29,
  shared_subscription_available = 0x2A,
};

struct UserProperty {
  std::string_view key;
  std::string_view value;
  friend bool operator==(const UserProperty&, const UserProperty&) = default;
};

// All properties of one packet (or of a Will). Absent properties are empty optionals; the
// decoder rejects duplicates, so one slot per property is enough, except User Property
// (repeatable, order kept) and Subscription Identifier (repeatable in PUBLISH).
struct Properties {  // kPropertyTable and PropertyFields (property_fields.hpp) list every field
  std::optional<std::uint8_t> payload_format_indicator;  // 0 bytes, 1 UTF-8
  std::optional<std::uint32_t> message_expiry_interval_s;
  std::optional<std::string_view> content_type;
  std::optional<std::string_view> response_topic;
  std::optional<ByteView> correlation_data;
  std::vector<std::uint32_t> subscription_identifiers;
  std::optional<std::uint32_t> session_expiry_interval_s;
  std::optional<std::string_view> assigned_client_identifier;
  std::optional<std::uint16_t> server_keep_alive_s;
  std::optional<std::string_view> authentication_method;
  std::optional<ByteView> authentication_data;
  std::optional<bool> request_problem_information;
  std::optional<std::uint32_t> will_delay_interval_s;
  std::optional<bool> request_response_information;
  std::optional<std::string_view> response_information;
  std::optional<std::string_view> server_reference;
  std::optional<std::string_view> reason_string;
  std::optional<std::uint16_t> receive_maximum;
  std::optional<std::uint16_t> topic_alias_maximum;
  std::optional<std::uint16_t> topic_alias;
  std::optional<std::uint8_t> maximum_qos;
  std::optional<bool> retain_available;
  std::vector<UserProperty> user_properties;
  std::optional<std::uint32_t> maximum_packet_size_bytes;
  std::optional<bool> wildcard_subscription_available;
  std::optional<bool> subscription_identifier_available;
  std::optional<bool> shared_subscription_available;

  bool empty() const;
  friend bool operator==(const Properties&, const Properties&) = default;
};

// Where a property may appear: a bit per packet type (1 << PacketType), plus bit 0 for the
// Will Properties of CONNECT (packet type 0 is reserved, so the bit is free).
using PacketMask = std::uint16_t;
inline constexpr PacketMask kWillProperties = 1;
constexpr PacketMask mask_of(PacketType t) {
  return static_cast<PacketMask>(1u << static_cast<unsigned>(t));
}

// The field a property is stored in; its type decides the wire encoding: bool and uint8_t are
// a Byte (bool only 0/1), uint16_t a Two Byte Integer, uint32_t a Four Byte Integer, the vector
// of uint32_t Variable Byte Integers, string_view a UTF-8 string, ByteView Binary Data, and
// UserProperty a UTF-8 string pair.
using PropertyField = std::variant<
    std::optional<bool> Properties::*, std::optional<std::uint8_t> Properties::*,
    std::optional<std::uint16_t> Properties::*, std::optional<std::uint32_t> Properties::*,
    std::vector<std::uint32_t> Properties::*, std::optional<std::string_view> Properties::*,
    std::optional<ByteView> Properties::*, std::vector<UserProperty> Properties::*>;

struct PropertyInfo {
  PropertyId id;
  std::string_view name;      // as in the specification, e.g. "Receive Maximum"
  std::string_view json_key;  // snake_case, as in `mqttsim decode` output
  PacketMask allowed_in;
  PropertyField field;
};

// Every property, in id order. Encoding writes properties in this order.
extern const std::array<PropertyInfo, 27> kPropertyTable;

// The entry for a wire id, or nullptr for an id the specification does not define.
const PropertyInfo* property_info(std::uint8_t id);

// The section that defines property `id` in the packet (or Will) `where`, e.g.
// "MQTT-5.0 §3.2.2.3.3" for Receive Maximum in CONNACK. Duplicates and out-of-range values
// are Protocol Errors by these sections; none of them has a numbered statement.
std::string_view property_spec_ref(PropertyId id, PacketMask where);

}  // namespace mqttsim::protocol
