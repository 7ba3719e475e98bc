// Packet capture taps: the TCP and UDP models hand every segment and datagram they send, with
// its bytes, to an optional PacketCapture, so a run can be written as capture.pcap. Captured at
// the sender, like a capture on each host's interface: a lost segment still appears once.
#pragma once

#include <cstdint>
#include <span>

#include "sim/net/topology.hpp"
#include "sim/net/transport.hpp"
#include "sim/time.hpp"

namespace mqttsim::sim::net {

struct CapturedSegment {
  TimeNs time_ns = 0;
  NodeId from = 0;
  NodeId to = 0;
  StreamId stream = 0;
  bool from_client = true;
  std::uint8_t flags = 0;  // TCP flag bits: FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10
  // Wire sequence numbers with an initial sequence number of 0: the SYN is 0, data starts at 1.
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::span<const std::uint8_t> payload;
};

struct CapturedDatagram {
  TimeNs time_ns = 0;
  NodeId from = 0;
  NodeId to = 0;
  std::span<const std::uint8_t> payload;
};

class PacketCapture {
 public:
  virtual ~PacketCapture() = default;
  virtual void on_tcp_segment(const CapturedSegment& segment) = 0;
  virtual void on_udp_datagram(const CapturedDatagram& datagram) = 0;
};

}  // namespace mqttsim::sim::net
