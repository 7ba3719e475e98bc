// UdpTransport: datagram bytes wait in pooled buffers while their packet crosses the Network;
// a duplicated packet gets its own copy, so each copy is released exactly once.
#include "sim/net/udp.hpp"

#include <stdexcept>

namespace mqttsim::sim::net {

UdpTransport::UdpTransport(Network& network) : network_(network) {
  network_.set_handler(TraceLayer::udp, this);
}

UdpTransport::~UdpTransport() {
  network_.set_handler(TraceLayer::udp, nullptr);
}

void UdpTransport::bind(NodeId node, DatagramReceiver* receiver) {
  if (node >= network_.topology().node_count()) throw std::invalid_argument("bind: unknown node");
  if (receivers_.size() <= node) receivers_.resize(network_.topology().node_count(), nullptr);
  receivers_[node] = receiver;
}

std::uint32_t UdpTransport::acquire_buffer() {
  if (!free_buffers_.empty()) {
    const std::uint32_t index = free_buffers_.back();
    free_buffers_.pop_back();
    return index;
  }
  buffers_.emplace_back();
  return static_cast<std::uint32_t>(buffers_.size() - 1);
}

void UdpTransport::send(NodeId from, NodeId to, std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxPayloadBytes) throw std::invalid_argument("UDP datagram too large");
  const std::uint32_t index = acquire_buffer();
  buffers_[index].assign(bytes.begin(), bytes.end());
  ++stats_.datagrams_sent;
  if (capture_ != nullptr) {
    capture_->on_udp_datagram({network_.kernel().now_ns(), from, to, buffers_[index]});
  }
  const auto size =
      static_cast<std::uint32_t>(kHeaderBytes + static_cast<std::int64_t>(bytes.size()));
  network_.send(Packet{from, to, size, TraceLayer::udp, 0, index});
}

bool UdpTransport::can_receive(const Packet& packet) {
  return packet.to < receivers_.size() && receivers_[packet.to] != nullptr;
}

void UdpTransport::on_packet(const Packet& packet) {
  const auto index = static_cast<std::uint32_t>(packet.payload);
  // The receiver may send from the callback, which can grow buffers_: hand it a copy.
  scratch_.swap(buffers_[index]);
  free_buffers_.push_back(index);
  ++stats_.datagrams_delivered;
  std::vector<std::uint8_t> bytes;
  bytes.swap(scratch_);
  receivers_[packet.to]->on_datagram(packet.from, bytes);
  bytes.clear();
  scratch_.swap(bytes);  // keep the capacity for the next delivery
}

void UdpTransport::on_packet_dropped(const Packet& packet) {
  free_buffers_.push_back(static_cast<std::uint32_t>(packet.payload));
}

std::uint64_t UdpTransport::duplicate_payload(const Packet& packet) {
  const std::uint32_t copy = acquire_buffer();  // may move buffers_: index afterwards
  buffers_[copy] = buffers_[static_cast<std::uint32_t>(packet.payload)];
  return copy;
}

}  // namespace mqttsim::sim::net
