// Reason code tables: names per packet type and the set each packet type may carry, written
// from the per-packet reason code tables of MQTT 5.0 chapter 3 and 3.1.1 §3.2.2.3 / §3.9.3.
#include "protocol/reason_codes.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>

namespace mqttsim::protocol {
namespace {

struct CodeName {
  std::uint8_t code;
  std::string_view name;
};

constexpr std::array kNames = {
    CodeName{0x00, "Success"},
    CodeName{0x01, "Granted QoS 1"},
    CodeName{0x02, "Granted QoS 2"},
    CodeName{0x04, "Disconnect with Will Message"},
    CodeName{0x10, "No matching subscribers"},
    CodeName{0x11, "No subscription existed"},
    CodeName{0x18, "Continue authentication"},
    CodeName{0x19, "Re-authenticate"},
    CodeName{0x80, "Unspecified error"},
    CodeName{0x81, "Malformed Packet"},
    CodeName{0x82, "Protocol Error"},
    CodeName{0x83, "Implementation specific error"},
    CodeName{0x84, "Unsupported Protocol Version"},
    CodeName{0x85, "Client Identifier not valid"},
    CodeName{0x86, "Bad User Name or Password"},
    CodeName{0x87, "Not authorized"},
    CodeName{0x88, "Server unavailable"},
    CodeName{0x89, "Server busy"},
    CodeName{0x8A, "Banned"},
    CodeName{0x8B, "Server shutting down"},
    CodeName{0x8C, "Bad authentication method"},
    CodeName{0x8D, "Keep Alive timeout"},
    CodeName{0x8E, "Session taken over"},
    CodeName{0x8F, "Topic Filter invalid"},
    CodeName{0x90, "Topic Name invalid"},
    CodeName{0x91, "Packet Identifier in use"},
    CodeName{0x92, "Packet Identifier not found"},
    CodeName{0x93, "Receive Maximum exceeded"},
    CodeName{0x94, "Topic Alias invalid"},
    CodeName{0x95, "Packet too large"},
    CodeName{0x96, "Message rate too high"},
    CodeName{0x97, "Quota exceeded"},
    CodeName{0x98, "Administrative action"},
    CodeName{0x99, "Payload format invalid"},
    CodeName{0x9A, "Retain not supported"},
    CodeName{0x9B, "QoS not supported"},
    CodeName{0x9C, "Use another server"},
    CodeName{0x9D, "Server moved"},
    CodeName{0x9E, "Shared Subscriptions not supported"},
    CodeName{0x9F, "Connection rate exceeded"},
    CodeName{0xA0, "Maximum connect time"},
    CodeName{0xA1, "Subscription Identifiers not supported"},
    CodeName{0xA2, "Wildcard Subscriptions not supported"},
};

constexpr std::array<std::string_view, 6> kConnectReturnNames = {
    "Connection Accepted",
    "Connection Refused, unacceptable protocol version",
    "Connection Refused, identifier rejected",
    "Connection Refused, Server unavailable",
    "Connection Refused, bad user name or password",
    "Connection Refused, not authorized",
};

bool contains(std::initializer_list<std::uint8_t> codes, std::uint8_t code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

bool v5_allowed(PacketType type, std::uint8_t code) {
  switch (type) {
    case PacketType::connack:
      return contains({0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                       0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F},
                      code);
    case PacketType::puback:
    case PacketType::pubrec:
      return contains({0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99}, code);
    case PacketType::pubrel:
    case PacketType::pubcomp:
      return code == 0x00 || code == 0x92;
    case PacketType::suback:
      return contains({0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2},
                      code);
    case PacketType::unsuback:
      return contains({0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91}, code);
    case PacketType::disconnect:
      return contains(
          {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
           0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2},
          code);
    case PacketType::auth:
      return code == 0x00 || code == 0x18 || code == 0x19;
    default:
      return false;
  }
}

}  // namespace

bool reason_code_allowed(PacketType type, std::uint8_t code, Version version) {
  if (is_v5(version)) return v5_allowed(type, code);
  if (type == PacketType::connack) return code <= 5;
  if (type == PacketType::suback) return contains({0x00, 0x01, 0x02, 0x80}, code);
  return false;
}

std::string_view reason_code_name(PacketType type, std::uint8_t code, Version version) {
  if (!is_v5(version)) {
    if (type == PacketType::connack && code < kConnectReturnNames.size()) {
      return kConnectReturnNames[code];
    }
    if (type == PacketType::suback) {
      switch (code) {
        case 0x00:
          return "Success - Maximum QoS 0";
        case 0x01:
          return "Success - Maximum QoS 1";
        case 0x02:
          return "Success - Maximum QoS 2";
        case 0x80:
          return "Failure";
        default:
          return "unknown";
      }
    }
    return "unknown";
  }
  if (code == 0x00) {
    if (type == PacketType::disconnect) return "Normal disconnection";
    if (type == PacketType::suback) return "Granted QoS 0";
  }
  for (const CodeName& entry : kNames) {
    if (entry.code == code) return entry.name;
  }
  return "unknown";
}

}  // namespace mqttsim::protocol
