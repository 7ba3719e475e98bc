// capture.pcap of a run: the TCP and UDP models' capture taps, written through the reports
// library's pcap writer. Node n is 10.0.0.(n+1); the broker listens on 1883 (MQTT over TCP),
// MQTT-SN gateways on UDP 1884, and a client's side of a stream uses an ephemeral port.
#pragma once

#include <ostream>

#include "reports/pcap_writer.hpp"
#include "sim/net/capture.hpp"

namespace mqttsim::sim::scenario {

class PcapCapture final : public net::PacketCapture {
 public:
  explicit PcapCapture(std::ostream& out) : writer_(out) {}
  void on_tcp_segment(const net::CapturedSegment& s) override;
  void on_udp_datagram(const net::CapturedDatagram& d) override;

 private:
  reports::PcapWriter writer_;
};

}  // namespace mqttsim::sim::scenario
