// Names of versions and packet types, and which side may send each packet type (the
// direction column of MQTT 3.1.1 §2.2.1 and 5.0 §2.1.2).
#include "protocol/packets.hpp"

#include <array>

namespace mqttsim::protocol {

std::string_view version_name(Version v) {
  switch (v) {
    case Version::v3_1:
      return "3.1";
    case Version::v3_1_1:
      return "3.1.1";
    case Version::v5:
      return "5.0";
  }
  return "unknown";
}

std::string_view packet_type_name(PacketType t) {
  static constexpr std::array<std::string_view, 16> kNames = {
      "Reserved", "CONNECT",  "CONNACK",    "PUBLISH", "PUBACK",      "PUBREC",
      "PUBREL",   "PUBCOMP",  "SUBSCRIBE",  "SUBACK",  "UNSUBSCRIBE", "UNSUBACK",
      "PINGREQ",  "PINGRESP", "DISCONNECT", "AUTH"};
  const auto index = static_cast<std::size_t>(t);
  return index < kNames.size() ? kNames[index] : "unknown";
}

bool may_send(Sender sender, PacketType type, Version version) {
  switch (type) {
    case PacketType::connect:
    case PacketType::subscribe:
    case PacketType::unsubscribe:
    case PacketType::pingreq:
      return sender == Sender::client;
    case PacketType::connack:
    case PacketType::suback:
    case PacketType::unsuback:
    case PacketType::pingresp:
      return sender == Sender::server;
    case PacketType::disconnect:
      return sender == Sender::client || is_v5(version);
    case PacketType::auth:
      return is_v5(version);
    default:
      return true;
  }
}

}  // namespace mqttsim::protocol
