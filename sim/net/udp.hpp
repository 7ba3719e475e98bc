// The UDP model behind DatagramTransport (MQTT-SN): each datagram is one Network packet, so the
// links' loss, duplication (LinkConfig::duplicate_p) and jitter reordering (in_order = false)
// all reach the application. No retransmission, no ordering, no fragmentation.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sim/net/capture.hpp"
#include "sim/net/network.hpp"
#include "sim/net/transport.hpp"

namespace mqttsim::sim::net {

struct UdpStats {
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_delivered = 0;  // copies handed to a receiver (duplicates count)
};

class UdpTransport final : public DatagramTransport, private PacketHandler {
 public:
  static constexpr std::int64_t kHeaderBytes = 8 + 20;     // UDP + IPv4 without options
  static constexpr std::size_t kMaxPayloadBytes = 65'507;  // 65535 − 28: the IPv4 length field

  // Registers itself as the Network's udp handler; destroy it before the Network.
  explicit UdpTransport(Network& network);
  ~UdpTransport() override;
  UdpTransport(const UdpTransport&) = delete;
  UdpTransport& operator=(const UdpTransport&) = delete;

  void bind(NodeId node, DatagramReceiver* receiver) override;
  // A datagram larger than the path MTU is dropped by the first link it does not fit (trace
  // reason over_mtu): there is no IP fragmentation, because IoT stacks (6LoWPAN aside) and
  // MQTT-SN gateways avoid it and a lost fragment loses the whole datagram anyway; MQTT-SN
  // clients are expected to keep packets under the path MTU. Over kMaxPayloadBytes throws
  // std::invalid_argument, as a real socket refuses with EMSGSIZE.
  void send(NodeId from, NodeId to, std::span<const std::uint8_t> bytes) override;

  const UdpStats& stats() const { return stats_; }
  // Every datagram sent goes to `capture` (nullptr: none; must outlive its use).
  void set_capture(PacketCapture* capture) { capture_ = capture; }
  std::size_t buffers_in_use() const { return buffers_.size() - free_buffers_.size(); }

 private:
  bool can_receive(const Packet& packet) override;
  void on_packet(const Packet& packet) override;
  void on_packet_dropped(const Packet& packet) override;
  std::uint64_t duplicate_payload(const Packet& packet) override;
  std::uint32_t acquire_buffer();

  Network& network_;
  std::vector<DatagramReceiver*> receivers_;  // by node
  // Datagram bytes in flight, by the Packet's payload handle; freed buffers keep their capacity.
  std::vector<std::vector<std::uint8_t>> buffers_;
  std::vector<std::uint32_t> free_buffers_;
  std::vector<std::uint8_t> scratch_;
  PacketCapture* capture_ = nullptr;
  UdpStats stats_;
};

}  // namespace mqttsim::sim::net
