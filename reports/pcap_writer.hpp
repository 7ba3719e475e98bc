// capture.pcap: packets of a simulated run as a classic pcap file with nanosecond timestamps,
// each wrapped in synthesised Ethernet, IPv4 and TCP or UDP headers (valid checksums), so that
// Wireshark's MQTT and MQTT-SN dissectors decode every packet. A leaf: bytes in, file out.
#pragma once

#include <cstdint>
#include <ostream>
#include <span>

namespace mqttsim::reports {

struct PcapEndpoint {
  std::uint32_t ipv4 = 0;  // host order, e.g. 0x0A000001 for 10.0.0.1
  std::uint16_t port = 0;
};

namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t psh = 0x08;
inline constexpr std::uint8_t ack = 0x10;
}  // namespace tcp_flag

class PcapWriter {
 public:
  static constexpr std::uint16_t kMqttPort = 1883;
  static constexpr std::uint16_t kMqttSnPort =
      1884;  // Wireshark: Decode As udp.port 1884 → MQTT-SN
  // Payloads above these are refused (std::length_error): an IPv4 packet holds 65535 bytes,
  // headers included (IPv4 20, TCP 20, UDP 8).
  static constexpr std::size_t kMaxTcpPayloadBytes = 65'535 - 20 - 20;
  static constexpr std::size_t kMaxUdpPayloadBytes = 65'535 - 20 - 8;

  // Writes the file header at once.
  explicit PcapWriter(std::ostream& out);

  void tcp(std::int64_t time_ns, PcapEndpoint src, PcapEndpoint dst, std::uint32_t seq,
           std::uint32_t ack, std::uint8_t flags, std::span<const std::uint8_t> payload);
  void udp(std::int64_t time_ns, PcapEndpoint src, PcapEndpoint dst,
           std::span<const std::uint8_t> payload);

  std::uint64_t packets_written() const { return packets_; }

  // The address a simulated node gets in captures: 10.0.0.0 + index + 1 (so 10.0.0.1 first).
  static std::uint32_t node_ipv4(std::uint32_t node_index);

 private:
  void record(std::int64_t time_ns, std::span<const std::uint8_t> frame);

  std::ostream& out_;
  std::uint64_t packets_ = 0;
  std::uint16_t ip_id_ = 0;
};

}  // namespace mqttsim::reports
