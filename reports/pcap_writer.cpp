// The pcap framing (see pcap_writer.hpp): file and record headers little-endian as libpcap
// writes them, network headers big-endian, checksums per RFC 791 / 793 / 768.
#include "reports/pcap_writer.hpp"

#include <stdexcept>
#include <vector>

namespace mqttsim::reports {
namespace {

constexpr std::uint32_t kMagicNanoseconds = 0xa1b23c4d;
constexpr std::uint32_t kLinkTypeEthernet = 1;
constexpr std::uint32_t kSnapLen = 262'144;
constexpr std::size_t kEthernetBytes = 14;
constexpr std::size_t kIpv4Bytes = 20;
constexpr std::size_t kTcpBytes = 20;
constexpr std::size_t kUdpBytes = 8;

void put_le32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_le16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put_be16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void set_be16(std::vector<std::uint8_t>& out, std::size_t at, std::uint16_t v) {
  out[at] = static_cast<std::uint8_t>(v >> 8);
  out[at + 1] = static_cast<std::uint8_t>(v);
}

// One's-complement sum of 16-bit big-endian words, not yet folded.
std::uint32_t ones_sum(std::span<const std::uint8_t> bytes, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (bytes.size() % 2) sum += bytes.back() << 8;
  return sum;
}
std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// MAC 02:00:<ipv4>: locally administered, one per node, so Wireshark's conversations match IPs.
void put_mac(std::vector<std::uint8_t>& out, std::uint32_t ipv4) {
  out.push_back(0x02);
  out.push_back(0x00);
  put_be32(out, ipv4);
}

// Ethernet + IPv4 headers for `l4_bytes` of transport header and payload; returns the offset
// of the IPv4 header.
std::size_t put_ip(std::vector<std::uint8_t>& frame, PcapEndpoint src, PcapEndpoint dst,
                   std::uint8_t protocol, std::size_t l4_bytes, std::uint16_t id) {
  put_mac(frame, dst.ipv4);
  put_mac(frame, src.ipv4);
  put_be16(frame, 0x0800);
  const std::size_t ip = frame.size();
  frame.push_back(0x45);  // version 4, 5 words
  frame.push_back(0);
  put_be16(frame, static_cast<std::uint16_t>(kIpv4Bytes + l4_bytes));
  put_be16(frame, id);
  put_be16(frame, 0x4000);  // don't fragment
  frame.push_back(64);      // TTL
  frame.push_back(protocol);
  put_be16(frame, 0);  // checksum, below
  put_be32(frame, src.ipv4);
  put_be32(frame, dst.ipv4);
  set_be16(frame, ip + 10,
           fold(ones_sum(std::span<const std::uint8_t>(frame).subspan(ip, kIpv4Bytes))));
  return ip;
}

// The TCP/UDP checksum over the pseudo-header and the segment at `l4`.
std::uint16_t l4_checksum(const std::vector<std::uint8_t>& frame, std::size_t l4, PcapEndpoint src,
                          PcapEndpoint dst, std::uint8_t protocol) {
  const std::size_t length = frame.size() - l4;
  std::uint32_t sum = (src.ipv4 >> 16) + (src.ipv4 & 0xffff) + (dst.ipv4 >> 16) +
                      (dst.ipv4 & 0xffff) + protocol + static_cast<std::uint32_t>(length);
  return fold(ones_sum(std::span<const std::uint8_t>(frame).subspan(l4), sum));
}

}  // namespace

PcapWriter::PcapWriter(std::ostream& out) : out_(out) {
  std::vector<std::uint8_t> header;
  put_le32(header, kMagicNanoseconds);
  put_le16(header, 2);
  put_le16(header, 4);
  put_le32(header, 0);  // thiszone
  put_le32(header, 0);  // sigfigs
  put_le32(header, kSnapLen);
  put_le32(header, kLinkTypeEthernet);
  out_.write(reinterpret_cast<const char*>(header.data()),
             static_cast<std::streamsize>(header.size()));
}

std::uint32_t PcapWriter::node_ipv4(std::uint32_t node_index) {
  return 0x0A000000u + node_index + 1;
}

void PcapWriter::tcp(std::int64_t time_ns, PcapEndpoint src, PcapEndpoint dst, std::uint32_t seq,
                     std::uint32_t ack, std::uint8_t flags, std::span<const std::uint8_t> payload) {
  if (payload.size() > kMaxTcpPayloadBytes) throw std::length_error("pcap: TCP payload too large");
  std::vector<std::uint8_t> frame;
  frame.reserve(kEthernetBytes + kIpv4Bytes + kTcpBytes + payload.size());
  put_ip(frame, src, dst, 6, kTcpBytes + payload.size(), ip_id_++);
  const std::size_t l4 = frame.size();
  put_be16(frame, src.port);
  put_be16(frame, dst.port);
  put_be32(frame, seq);
  put_be32(frame, ack);
  frame.push_back(5 << 4);  // data offset: 5 words, no options
  frame.push_back(flags);
  put_be16(frame, 65'535);  // window
  put_be16(frame, 0);       // checksum, below
  put_be16(frame, 0);       // urgent pointer
  frame.insert(frame.end(), payload.begin(), payload.end());
  set_be16(frame, l4 + 16, l4_checksum(frame, l4, src, dst, 6));
  record(time_ns, frame);
}

void PcapWriter::udp(std::int64_t time_ns, PcapEndpoint src, PcapEndpoint dst,
                     std::span<const std::uint8_t> payload) {
  if (payload.size() > kMaxUdpPayloadBytes) throw std::length_error("pcap: UDP payload too large");
  std::vector<std::uint8_t> frame;
  frame.reserve(kEthernetBytes + kIpv4Bytes + kUdpBytes + payload.size());
  put_ip(frame, src, dst, 17, kUdpBytes + payload.size(), ip_id_++);
  const std::size_t l4 = frame.size();
  put_be16(frame, src.port);
  put_be16(frame, dst.port);
  put_be16(frame, static_cast<std::uint16_t>(kUdpBytes + payload.size()));
  put_be16(frame, 0);
  frame.insert(frame.end(), payload.begin(), payload.end());
  std::uint16_t checksum = l4_checksum(frame, l4, src, dst, 17);
  set_be16(frame, l4 + 6, checksum == 0 ? 0xffff : checksum);  // 0 means "none" in UDP
  record(time_ns, frame);
}

void PcapWriter::record(std::int64_t time_ns, std::span<const std::uint8_t> frame) {
  if (time_ns < 0) throw std::invalid_argument("pcap: negative timestamp");
  std::vector<std::uint8_t> header;
  put_le32(header, static_cast<std::uint32_t>(time_ns / 1'000'000'000));
  put_le32(header, static_cast<std::uint32_t>(time_ns % 1'000'000'000));
  put_le32(header, static_cast<std::uint32_t>(frame.size()));
  put_le32(header, static_cast<std::uint32_t>(frame.size()));
  out_.write(reinterpret_cast<const char*>(header.data()),
             static_cast<std::streamsize>(header.size()));
  out_.write(reinterpret_cast<const char*>(frame.data()),
             static_cast<std::streamsize>(frame.size()));
  ++packets_;
}

}  // namespace mqttsim::reports
