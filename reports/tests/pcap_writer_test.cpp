// capture.pcap framing: the file header, nanosecond timestamps, and IPv4/TCP/UDP checksums that
// verify (a receiver summing the covered words gets 0xffff).
#include <catch2/catch.hpp>
#include <sstream>

#include "reports/pcap_writer.hpp"

using namespace mqttsim::reports;

namespace {

std::vector<std::uint8_t> bytes_of(const std::ostringstream& out) {
  const std::string s = out.str();
  return {s.begin(), s.end()};
}

std::uint32_t le32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
}

// The one's-complement sum a receiver computes; 0xffff means the checksum verifies.
std::uint16_t verify(const std::vector<std::uint8_t>& b, std::size_t from, std::size_t to,
                     std::uint32_t sum = 0) {
  for (std::size_t i = from; i < to; i += 2) {
    sum += (b[i] << 8) | (i + 1 < to ? b[i + 1] : 0);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

std::uint32_t pseudo_header(const std::vector<std::uint8_t>& b, std::size_t ip, std::uint8_t proto,
                            std::size_t l4_length) {
  std::uint32_t sum = proto + static_cast<std::uint32_t>(l4_length);
  for (std::size_t i = ip + 12; i < ip + 20; i += 2) sum += (b[i] << 8) | b[i + 1];
  return sum;
}

constexpr std::size_t kFileHeader = 24, kRecordHeader = 16, kEthernet = 14, kIp = 20;

}  // namespace

TEST_CASE("the pcap file header says nanoseconds and Ethernet", "[pcap]") {
  std::ostringstream out;
  PcapWriter writer(out);
  const auto b = bytes_of(out);
  REQUIRE(b.size() == kFileHeader);
  CHECK(le32(b, 0) == 0xa1b23c4d);
  CHECK(le32(b, 20) == 1);
}

TEST_CASE("a TCP segment carries the MQTT bytes with checksums that verify", "[pcap]") {
  std::ostringstream out;
  PcapWriter writer(out);
  const std::uint8_t pingreq[] = {0xC0, 0x00, 0x42};  // odd length exercises the padding
  writer.tcp(3'000'000'123, {PcapWriter::node_ipv4(1), 40000}, {PcapWriter::node_ipv4(0), 1883},
             1000, 2000, tcp_flag::psh | tcp_flag::ack, pingreq);
  const auto b = bytes_of(out);
  REQUIRE(b.size() == kFileHeader + kRecordHeader + kEthernet + kIp + 20 + 3);
  CHECK(le32(b, kFileHeader) == 3);
  CHECK(le32(b, kFileHeader + 4) == 123);
  const std::size_t ip = kFileHeader + kRecordHeader + kEthernet;
  CHECK(b[ip - 2] == 0x08);
  CHECK(b[ip + 9] == 6);
  CHECK(verify(b, ip, ip + kIp) == 0xffff);
  CHECK(b[ip + 15] == 2);  // 10.0.0.2
  CHECK(verify(b, ip + kIp, b.size(), pseudo_header(b, ip, 6, 23)) == 0xffff);
  CHECK(b[b.size() - 3] == 0xC0);
  CHECK(writer.packets_written() == 1);
}

TEST_CASE("a UDP datagram for MQTT-SN has a verifying checksum", "[pcap]") {
  std::ostringstream out;
  PcapWriter writer(out);
  const std::uint8_t sn_pingreq[] = {0x02, 0x16};
  writer.udp(5, {PcapWriter::node_ipv4(7), 50000}, {PcapWriter::node_ipv4(0), 1884}, sn_pingreq);
  const auto b = bytes_of(out);
  const std::size_t ip = kFileHeader + kRecordHeader + kEthernet;
  CHECK(b[ip + 9] == 17);
  CHECK(verify(b, ip, ip + kIp) == 0xffff);
  CHECK(verify(b, ip + kIp, b.size(), pseudo_header(b, ip, 17, 10)) == 0xffff);
}

TEST_CASE("a payload too large for one IPv4 packet is refused", "[pcap]") {
  std::ostringstream out;
  PcapWriter writer(out);
  const std::vector<std::uint8_t> big(70'000);
  CHECK_THROWS_AS(writer.tcp(0, {1, 1}, {2, 2}, 0, 0, 0, big), std::length_error);
  // The largest datagram a UDP socket sends (65535 − 28 bytes) still fits.
  const std::vector<std::uint8_t> largest_datagram(65'507);
  CHECK_NOTHROW(writer.udp(0, {1, 1}, {2, 2}, largest_datagram));
  CHECK_THROWS_AS(writer.udp(0, {1, 1}, {2, 2}, std::vector<std::uint8_t>(65'508)),
                  std::length_error);
}
