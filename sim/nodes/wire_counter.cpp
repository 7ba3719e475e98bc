// Fixed-header reading for the wire counters: MQTT's Remaining Length is a variable byte integer
// of at most four bytes (MQTT-1.5.5-1); anything longer is counted as unparsed bytes.
#include "sim/nodes/wire_counter.hpp"

namespace mqttsim::sim::nodes {

std::uint64_t WireCounters::total_packets() const {
  std::uint64_t sum = 0;
  for (std::size_t t = 1; t < by_type.size(); ++t) sum += by_type[t].packets;
  return sum;
}

std::uint64_t WireCounters::total_bytes() const {
  std::uint64_t sum = 0;
  for (const Tally& t : by_type) sum += t.bytes;
  return sum;
}

std::uint64_t WireCounters::publish_flow_packets() const {
  std::uint64_t sum = 0;
  for (std::size_t t = 3; t <= 7; ++t) sum += by_type[t].packets;
  return sum;
}

WireCounters& WireCounters::operator+=(const WireCounters& other) {
  for (std::size_t t = 0; t < by_type.size(); ++t) by_type[t] += other.by_type[t];
  for (std::size_t i = 0; i < by_flow.size(); ++i) by_flow[i] += other.by_flow[i];
  return *this;
}

std::optional<PacketHeader> read_fixed_header(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 2) return std::nullopt;
  std::uint32_t length = 0;
  for (std::size_t i = 1; i <= 4 && i < bytes.size(); ++i) {
    length |= static_cast<std::uint32_t>(bytes[i] & 0x7F) << (7 * (i - 1));
    if ((bytes[i] & 0x80) == 0) {
      const auto header_bytes = static_cast<std::uint8_t>(i + 1);
      return PacketHeader{static_cast<std::uint8_t>(bytes[0] >> 4),
                          static_cast<std::uint8_t>(bytes[0] & 0x0F), length + header_bytes,
                          header_bytes};
    }
  }
  return std::nullopt;
}

void PacketScanner::feed(std::span<const std::uint8_t> bytes, WireCounters& counters) {
  if (broken_) {
    counters.by_type[0].bytes += bytes.size();
    return;
  }
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (in_body_) {
      const std::size_t take = std::min<std::size_t>(body_left_, bytes.size() - i);
      i += take;
      body_left_ -= static_cast<std::uint32_t>(take);
      if (body_left_ == 0) in_body_ = false;
      continue;
    }
    const std::uint8_t b = bytes[i++];
    if (header_bytes_ == 0) {
      type_ = static_cast<std::uint8_t>(b >> 4);
      length_ = 0;
      header_bytes_ = 1;
      continue;
    }
    length_ |= static_cast<std::uint32_t>(b & 0x7F) << (7 * (header_bytes_ - 1));
    ++header_bytes_;
    if (b & 0x80) {
      if (header_bytes_ == 5) {  // a fifth length byte: not MQTT
        broken_ = true;
        counters.by_type[0].bytes += bytes.size() - i + header_bytes_;
        return;
      }
      continue;
    }
    counters.add(type_, length_ + header_bytes_);
    header_bytes_ = 0;
    body_left_ = length_;
    in_body_ = length_ > 0;
  }
}

std::optional<PublishView> read_publish(std::span<const std::uint8_t> packet, bool v5) {
  const auto header = read_fixed_header(packet);
  if (!header || header->type != 3 || header->size_bytes > packet.size()) return std::nullopt;
  PublishView view;
  view.qos = static_cast<protocol::QoS>((header->flags >> 1) & 0x03);
  view.dup = (header->flags & 0x08) != 0;
  view.retain = (header->flags & 0x01) != 0;
  std::span<const std::uint8_t> rest = packet.subspan(header->header_bytes);
  if (rest.size() < 2) return std::nullopt;
  const std::size_t topic_len = static_cast<std::size_t>(rest[0] << 8 | rest[1]);
  if (rest.size() < 2 + topic_len) return std::nullopt;
  view.topic = std::string_view(reinterpret_cast<const char*>(rest.data() + 2), topic_len);
  rest = rest.subspan(2 + topic_len);
  if (view.qos != protocol::QoS::at_most_once) {
    if (rest.size() < 2) return std::nullopt;
    view.packet_id = static_cast<std::uint16_t>(rest[0] << 8 | rest[1]);
    rest = rest.subspan(2);
  }
  if (v5) {
    std::uint32_t props = 0;
    std::size_t used = 0;
    for (;; ++used) {
      if (used == 4 || used >= rest.size()) return std::nullopt;
      props |= static_cast<std::uint32_t>(rest[used] & 0x7F) << (7 * used);
      if ((rest[used] & 0x80) == 0) break;
    }
    ++used;
    if (rest.size() < used + props) return std::nullopt;
    rest = rest.subspan(used + props);
  }
  view.payload = rest;
  return view;
}

}  // namespace mqttsim::sim::nodes
