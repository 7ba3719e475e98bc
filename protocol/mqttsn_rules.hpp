// Internal to the MQTT-SN codec: spec references, the Flags octet layout, and the field rules
// that both the decoder and the encoder's validation apply, so an encoder can never write a
// message its own decoder rejects.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/mqttsn.hpp"

namespace mqttsim::protocol::sn::detail {

namespace ref {
inline constexpr std::string_view length = "MQTT-SN 1.2 §5.2.1";
inline constexpr std::string_view msg_type = "MQTT-SN 1.2 §5.2.2";
inline constexpr std::string_view client_id = "MQTT-SN 1.2 §5.3.1";
inline constexpr std::string_view flags = "MQTT-SN 1.2 §5.3.4";
inline constexpr std::string_view msg_id = "MQTT-SN 1.2 §5.3.7";
inline constexpr std::string_view protocol_id = "MQTT-SN 1.2 §5.3.8";
inline constexpr std::string_view return_code = "MQTT-SN 1.2 §5.3.10";
inline constexpr std::string_view topic_name = "MQTT-SN 1.2 §5.3.12";
inline constexpr std::string_view encapsulation = "MQTT-SN 1.2 §5.5";
inline constexpr std::string_view short_topic = "MQTT-SN 1.2 §6.7";
inline constexpr std::string_view qos_minus_one = "MQTT-SN 1.2 §6.8";
}  // namespace ref

// The section that defines a message's layout, e.g. "MQTT-SN 1.2 §5.4.12" for PUBLISH.
std::string_view section_of(MsgType type);

// True for the MsgType values §5.2.2 assigns (encapsulation included).
bool is_assigned(std::uint8_t msg_type);

// Flags octet (§5.3.4): DUP | QoS(2) | Retain | Will | CleanSession | TopicIdType(2).
inline constexpr std::uint8_t kDup = 0x80;
inline constexpr std::uint8_t kQos = 0x60;
inline constexpr int kQosShift = 5;
inline constexpr std::uint8_t kRetain = 0x10;
inline constexpr std::uint8_t kWill = 0x08;
inline constexpr std::uint8_t kCleanSession = 0x04;
inline constexpr std::uint8_t kTopicIdType = 0x03;
// Ctrl octet of the Forwarder Encapsulation: only the Radius bits are defined.
inline constexpr std::uint8_t kCtrlRadius = 0x03;

// The shortest 3-octet Length that the 1-octet form cannot express: a message whose total with a
// 1-octet Length is at most 255 is non-minimal in the 3-octet form (255 - 1 + 3 = 257).
inline constexpr std::size_t kMinLongLength = 258;

// Octets of the Length field for a message with `after_length` octets after it (MsgType on).
constexpr std::size_t length_field_size(std::size_t after_length) {
  return after_length + 1 <= 255 ? 1 : 3;
}

// "0x1e": how octet values appear in error reasons.
inline std::string hex_octet(std::uint8_t value) {
  constexpr char kDigits[] = "0123456789abcdef";
  return std::string{'0', 'x', kDigits[value >> 4], kDigits[value & 0x0F]};
}

inline Malformed fail(std::string reason, std::string_view spec_ref, std::size_t offset) {
  return Malformed{ErrorKind::malformed_packet, std::move(reason), spec_ref, offset};
}

// The rules a decoded value must still satisfy (lengths, QoS -1 topics, empty forms, enum
// ranges). `body` is the offset of the octet after MsgType, so errors point at the field.
std::optional<Malformed> check_message(const Message& message, std::size_t body);

}  // namespace mqttsim::protocol::sn::detail
