// Packet accounting shared by the broker host and the virtual clients: fixed headers counted per
// type, one trace record per packet sent, and packet ids of first transmissions into the ledger.
#include "sim/nodes/node_world.hpp"

namespace mqttsim::sim::nodes {

void account_sent(NodeWorld& world, net::NodeId node, std::uint32_t peer, bool v5,
                  bool is_publisher, std::span<const std::uint8_t> bytes, WireCounters& counters) {
  const TimeNs now = world.kernel.now_ns();
  const std::size_t left = for_each_packet(bytes, [&](const PacketHeader& header,
                                                      std::span<const std::uint8_t> packet) {
    counters.add(header.type, header.size_bytes);
    TraceRecord r;
    r.time_ns = now;
    r.kind = TraceKind::packet_sent;
    r.layer = TraceLayer::mqtt;
    r.packet_type = header.type;
    r.node = node;
    r.peer = peer;
    r.size_bytes = header.size_bytes;
    if (header.type == 3) {
      if (const auto publish = read_publish(packet, v5)) {
        r.qos = static_cast<std::int8_t>(publish->qos);
        r.packet_id = publish->packet_id;
        const std::string_view payload(reinterpret_cast<const char*>(publish->payload.data()),
                                       publish->payload.size());
        if (const auto key = read_tag(payload)) {
          r.message_id = *key;
          if (is_publisher && publish->packet_id != 0 && !publish->dup) {
            world.ledger.record_packet_id(*key, publish->packet_id);
          }
        }
        // A tagged message's hops count at the level it was published with (an MQTT-SN QoS -1
        // message travels on at QoS 0 from its gateway); untagged ones at their own QoS.
        int level = r.qos;
        if (r.message_id != 0 && r.message_id <= world.ledger.message_count()) {
          const MessageRecord& m = world.ledger.message(r.message_id);
          level = m.level();
        }
        counters.by_flow[static_cast<std::size_t>(level + 1)].count(header.size_bytes);
      }
    } else if (header.type >= 4 && header.type <= 7 && packet.size() >= header.header_bytes + 2u) {
      r.packet_id = static_cast<std::uint16_t>(packet[header.header_bytes] << 8 |
                                               packet[header.header_bytes + 1u]);
      const std::size_t level = header.type == 4 ? 2 : 3;  // PUBACK: QoS 1; the rest QoS 2
      counters.by_flow[level].count(header.size_bytes);
    }
    world.trace.record(r);
  });
  counters.by_type[0].bytes += left;
}

void trace_protocol_event(NodeWorld& world, net::NodeId node, std::string_view label,
                          std::uint8_t reason, std::uint64_t message) {
  TraceRecord r;
  r.time_ns = world.kernel.now_ns();
  r.kind = TraceKind::protocol_event;
  r.reason = reason;
  r.node = node;
  r.message_id = message;
  r.label = label;
  world.trace.record(r);
}

}  // namespace mqttsim::sim::nodes
