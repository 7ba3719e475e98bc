// MQTT packets on the wire, counted per control packet type from the raw bytes a node sends or
// receives: only the fixed header (type nibble, flags, Remaining Length) is read, so counting
// costs next to nothing and works for any version. PUBLISH headers can be read a little further.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "protocol/types.hpp"

namespace mqttsim::sim::nodes {

// Packets and bytes per MQTT control packet type (index 1-15; 0 counts bytes that did not form a
// packet, e.g. a malformed Remaining Length).
struct WireCounters {
  struct Tally {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
    void count(std::uint64_t size_bytes) {
      ++packets;
      bytes += size_bytes;
    }
    Tally& operator+=(const Tally& other) {
      packets += other.packets;
      bytes += other.bytes;
      return *this;
    }
    friend bool operator==(const Tally&, const Tally&) = default;
  };
  // Packets and bytes of one kind side by side: counting a packet touches one cache line, not
  // two (a fleet's counters are cold between its messages).
  std::array<Tally, 16> by_type{};  // by MQTT control packet type; 0: bytes that do not parse
  // Publish-flow packets (PUBLISH … PUBCOMP) by the QoS level of their flow, index level + 1
  // (level -1: MQTT-SN QoS -1). Filled by account_sent (node_world.hpp), not by add().
  std::array<Tally, 4> by_flow{};

  void add(std::uint8_t type, std::uint64_t size_bytes) { by_type[type & 0x0F].count(size_bytes); }
  std::uint64_t packets_of(protocol::PacketType type) const {
    return by_type[static_cast<std::uint8_t>(type)].packets;
  }
  std::uint64_t bytes_of(protocol::PacketType type) const {
    return by_type[static_cast<std::uint8_t>(type)].bytes;
  }
  std::uint64_t total_packets() const;
  std::uint64_t total_bytes() const;
  // PUBLISH, PUBACK, PUBREC, PUBREL and PUBCOMP: the packets a QoS flow costs.
  std::uint64_t publish_flow_packets() const;
  WireCounters& operator+=(const WireCounters& other);
};

struct PacketHeader {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::uint32_t size_bytes = 0;
  std::uint8_t header_bytes = 0;  // 2 to 5
};

// Reads the fixed header at the start of `bytes`; nullopt if incomplete or malformed.
std::optional<PacketHeader> read_fixed_header(std::span<const std::uint8_t> bytes);

// Calls `on_packet(header, packet_bytes)` for each whole packet in `bytes`, which must start at
// a packet boundary (a node's own transmit buffers always do). Returns the bytes left over that
// do not form a whole packet (0 for well-formed output).
template <class F>
std::size_t for_each_packet(std::span<const std::uint8_t> bytes, F&& on_packet) {
  while (!bytes.empty()) {
    const auto header = read_fixed_header(bytes);
    if (!header || header->size_bytes > bytes.size()) return bytes.size();
    on_packet(*header, bytes.first(header->size_bytes));
    bytes = bytes.subspan(header->size_bytes);
  }
  return 0;
}

// Splits a received byte stream into packets by their fixed headers, across any split of the
// stream, in a few bytes of state. Malformed headers stop the scan (counted as type 0 bytes).
class PacketScanner {
 public:
  void feed(std::span<const std::uint8_t> bytes, WireCounters& counters);
  void reset() { *this = PacketScanner{}; }

 private:
  std::uint32_t body_left_ = 0;  // bytes of the current packet's body still to come
  std::uint32_t length_ = 0;     // Remaining Length decoded so far
  std::uint8_t type_ = 0;
  std::uint8_t header_bytes_ = 0;  // 0: at a packet boundary
  bool in_body_ = false;
  bool broken_ = false;
};

// What a node reads of a PUBLISH it sends: flags, packet id, topic and payload (views into
// `packet`). `v5` says whether a property block follows the packet id.
struct PublishView {
  protocol::QoS qos = protocol::QoS::at_most_once;
  bool dup = false;
  bool retain = false;
  std::uint16_t packet_id = 0;
  std::string_view topic;
  std::span<const std::uint8_t> payload;
};
std::optional<PublishView> read_publish(std::span<const std::uint8_t> packet, bool v5);

}  // namespace mqttsim::sim::nodes
