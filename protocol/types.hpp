// Vocabulary shared by every part of the MQTT codec: protocol versions, QoS, packet types,
// byte views, and the error value a strict decoder returns. No I/O, no clocks, no allocation
// beyond the error message.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mqttsim::protocol {

// The protocol level byte of CONNECT. 3.1 ("MQIsdp") shares the 3.1.1 wire format except for
// the protocol name and the CONNACK session-present bit.
enum class Version : std::uint8_t { v3_1 = 3, v3_1_1 = 4, v5 = 5 };

constexpr bool is_v5(Version v) {
  return v == Version::v5;
}
std::string_view version_name(Version v);  // "3.1", "3.1.1", "5.0"

// Time in integer nanoseconds on whatever clock drives a sans-I/O object: virtual time in the
// simulator, a steady clock behind real sockets, a hand-stepped counter in tests.
using TimeNs = std::int64_t;

enum class QoS : std::uint8_t { at_most_once = 0, at_least_once = 1, exactly_once = 2 };

enum class PacketType : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
  auth = 15,
};

std::string_view packet_type_name(PacketType t);  // "CONNECT", "PUBLISH", ...

// Which side of a connection a decoder reads from. A broker reads packets sent by clients, so
// a CONNACK arriving at a broker is malformed, and the other way round.
enum class Sender : std::uint8_t { client, server };

// A read-only view of raw bytes that compares by content, so packets holding binary fields
// (payloads, correlation data, passwords) can use defaulted equality.
struct ByteView : std::span<const std::uint8_t> {
  using std::span<const std::uint8_t>::span;
  ByteView() = default;
  ByteView(std::span<const std::uint8_t> s) : std::span<const std::uint8_t>(s) {}
  // Text as bytes, e.g. a payload given as a string literal in a test or a JSON document.
  static ByteView of(std::string_view text) {
    return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  }
  std::string_view as_chars() const { return {reinterpret_cast<const char*>(data()), size()}; }
  friend bool operator==(ByteView a, ByteView b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }
};

// The MQTT 5.0 reason code a receiver answers with when it rejects a packet (it also selects
// the 3.1.1 behaviour: close the network connection).
enum class ErrorKind : std::uint8_t {
  malformed_packet = 0x81,
  protocol_error = 0x82,
  packet_too_large = 0x95,
  topic_name_invalid = 0x90,
  topic_filter_invalid = 0x8F,
  unsupported_protocol_version = 0x84,  // CONNECT with a protocol level we do not speak
  // Beyond the specification: a limit of this implementation (topic depth, user property
  // count) that protects the receiver from floods. Reported with a "mqttsim-limit" spec_ref.
  implementation_limit = 0x83,
};

// Why bytes were rejected, and which normative statement they break. `spec_ref` is either a
// numbered statement such as "MQTT-3.3.1-4" or, where the rule has no number, a section such
// as "MQTT-5.0 §2.2.2.2". `offset` counts bytes from the start of the packet.
struct Malformed {
  ErrorKind kind = ErrorKind::malformed_packet;
  std::string reason;
  std::string_view spec_ref;
  std::size_t offset = 0;
  friend bool operator==(const Malformed&, const Malformed&) = default;
};

}  // namespace mqttsim::protocol
