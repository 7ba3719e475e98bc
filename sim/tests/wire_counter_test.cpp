// Wire counters: fixed headers read from codec-encoded packets, the incremental scanner giving
// the same counts for any split of a stream, and PUBLISH headers read under 3.1.1 and 5.0.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocol/codec.hpp"
#include "sim/nodes/wire_counter.hpp"

using namespace mqttsim::protocol;
using namespace mqttsim::sim::nodes;

namespace {

std::vector<std::uint8_t> encoded(const Packet& p, Version v, Sender s) {
  std::vector<std::uint8_t> out;
  REQUIRE_FALSE(encode(p, v, s, out).has_value());
  return out;
}

// A stream of a CONNECT-free mix: a big PUBLISH (3-byte Remaining Length), acks, pings.
std::vector<std::uint8_t> sample_stream(const std::string& big_payload) {
  std::vector<std::uint8_t> stream;
  const Publish big{false, QoS::at_least_once, false, "a/b", 7, {}, ByteView::of(big_payload)};
  for (const Packet& p : std::vector<Packet>{big, Puback{7}, Pingreq{}, Pubrec{9}, Pubrel{9}}) {
    const auto bytes = encoded(p, Version::v3_1_1, Sender::client);
    stream.insert(stream.end(), bytes.begin(), bytes.end());
  }
  return stream;
}

}  // namespace

TEST_CASE("fixed headers give each packet's type and total size, multi-byte lengths included") {
  const std::string payload(20000, 'x');
  const auto stream = sample_stream(payload);
  WireCounters counters;
  std::vector<std::uint8_t> types;
  const std::size_t left = for_each_packet(stream, [&](const PacketHeader& h, auto bytes) {
    counters.add(h.type, h.size_bytes);
    types.push_back(h.type);
    CHECK(bytes.size() == h.size_bytes);
  });
  CHECK(left == 0);
  CHECK(types == std::vector<std::uint8_t>{3, 4, 12, 5, 6});
  CHECK(counters.total_bytes() == stream.size());
  CHECK(counters.bytes_of(PacketType::publish) == 1 + 3 + 5 + 2 + payload.size());  // 3-byte length
  CHECK(counters.packets_of(PacketType::pingreq) == 1);
  CHECK(counters.publish_flow_packets() == 4);
}

TEST_CASE("a truncated packet is left over, not counted") {
  auto stream = sample_stream("hello");
  stream.pop_back();
  std::size_t packets = 0;
  const std::size_t left = for_each_packet(stream, [&](const PacketHeader&, auto) { ++packets; });
  CHECK(packets == 4);
  CHECK(left == 3);  // PUBREL is 4 bytes
}

TEST_CASE("the scanner counts the same packets for any split of the stream") {
  const std::string payload(300, 'y');
  const auto stream = sample_stream(payload);
  WireCounters whole;
  for_each_packet(stream, [&](const PacketHeader& h, auto) { whole.add(h.type, h.size_bytes); });
  rc::prop("any split", [&] {
    const auto cuts = *rc::gen::container<std::vector<std::size_t>>(
        rc::gen::inRange<std::size_t>(0, stream.size()));
    std::vector<std::size_t> sorted = cuts;
    std::sort(sorted.begin(), sorted.end());
    PacketScanner scanner;
    WireCounters split;
    std::size_t from = 0;
    for (const std::size_t cut : sorted) {
      scanner.feed(std::span(stream).subspan(from, cut - from), split);
      from = cut;
    }
    scanner.feed(std::span(stream).subspan(from), split);
    RC_ASSERT(split.by_type == whole.by_type);
  });
}

TEST_CASE("a PUBLISH header reads the same under 3.1.1 and 5.0 with properties") {
  Publish p{true, QoS::exactly_once,        true, "Zürich/Florastrasse", 513,
            {},   ByteView::of("<payload>")};
  const auto v3 = encoded(p, Version::v3_1_1, Sender::client);
  p.properties.user_properties.push_back({"k", "v"});
  p.properties.message_expiry_interval_s = 60;
  const auto v5 = encoded(p, Version::v5, Sender::client);
  for (const auto& [bytes, is_v5] : {std::pair{v3, false}, std::pair{v5, true}}) {
    const auto view = read_publish(bytes, is_v5);
    REQUIRE(view);
    CHECK(view->qos == QoS::exactly_once);
    CHECK(view->dup);
    CHECK(view->retain);
    CHECK(view->packet_id == 513);
    CHECK(view->topic == "Zürich/Florastrasse");
    CHECK(std::string(view->payload.begin(), view->payload.end()) == "<payload>");
  }
  CHECK_FALSE(read_publish(encoded(Puback{1}, Version::v3_1_1, Sender::client), false));
}
