// The capture taps to pcap records (see pcap_capture.hpp).
#include "sim/scenario/pcap_capture.hpp"

namespace mqttsim::sim::scenario {
namespace {

// Ephemeral ports 49152–65535 from the stream's serial (StreamId = serial << 24 | slot), so a
// reconnection that reuses a slot still gets a new port and Wireshark keeps the connections
// apart.
std::uint16_t client_port(net::StreamId stream) {
  return static_cast<std::uint16_t>(49152 + (stream >> 24) % 16384);
}

}  // namespace

void PcapCapture::on_tcp_segment(const net::CapturedSegment& s) {
  const reports::PcapEndpoint client_end{0, client_port(s.stream)};
  const reports::PcapEndpoint server_end{0, reports::PcapWriter::kMqttPort};
  reports::PcapEndpoint src = s.from_client ? client_end : server_end;
  reports::PcapEndpoint dst = s.from_client ? server_end : client_end;
  src.ipv4 = reports::PcapWriter::node_ipv4(s.from);
  dst.ipv4 = reports::PcapWriter::node_ipv4(s.to);
  std::uint8_t flags = s.flags;
  if (!s.payload.empty()) flags |= reports::tcp_flag::psh;
  writer_.tcp(s.time_ns, src, dst, s.seq, s.ack, flags, s.payload);
}

void PcapCapture::on_udp_datagram(const net::CapturedDatagram& d) {
  // Which end is the gateway is not known here; both ends use the MQTT-SN port, as a gateway
  // and sensors configured with the same port do.
  writer_.udp(d.time_ns, {reports::PcapWriter::node_ipv4(d.from), reports::PcapWriter::kMqttSnPort},
              {reports::PcapWriter::node_ipv4(d.to), reports::PcapWriter::kMqttSnPort}, d.payload);
}

}  // namespace mqttsim::sim::scenario
