// The stream decoder's contract: zero-copy for whole packets, gathering only split ones,
// size and order rules judged on the fixed header before the body is buffered.
#include <catch2/catch.hpp>

#include "protocol/codec.hpp"

using namespace mqttsim::protocol;

namespace {

std::vector<std::uint8_t> bytes_of(const Packet& p, Version v, Sender s = Sender::client) {
  std::vector<std::uint8_t> out;
  REQUIRE_FALSE(encode(p, v, s, out).has_value());
  return out;
}

Publish publish(std::string_view topic, std::string_view payload, std::uint16_t id = 1) {
  Publish p;
  p.qos = QoS::at_least_once;
  p.packet_id = id;
  p.topic = topic;
  p.payload = ByteView::of(payload);
  return p;
}

}  // namespace

TEST_CASE("a packet inside one fed chunk is decoded in place without copying") {
  const auto stream = bytes_of(publish("plant/line-07/sensor/temp", "21.5"), Version::v3_1_1);
  StreamOptions options;
  options.version = Version::v3_1_1;
  StreamDecoder decoder(options);
  decoder.feed(ByteView(stream.data(), stream.size()));
  Packet packet;
  REQUIRE(decoder.next(packet) == StreamDecoder::Status::packet);
  const auto& p = std::get<Publish>(packet);
  const auto* topic = reinterpret_cast<const std::uint8_t*>(p.topic.data());
  CHECK(topic >= stream.data());
  CHECK(topic < stream.data() + stream.size());
  CHECK(p.payload.data() >= stream.data());
  CHECK(decoder.next(packet) == StreamDecoder::Status::need_more);
}

TEST_CASE("a packet split byte by byte is gathered and decoded once complete") {
  const auto stream = bytes_of(publish("a/b", "payload", 9), Version::v5);
  StreamOptions options;
  options.version = Version::v5;
  StreamDecoder decoder(options);
  Packet packet;
  for (std::size_t i = 0; i + 1 < stream.size(); ++i) {
    decoder.feed(ByteView(&stream[i], 1));
    REQUIRE(decoder.next(packet) == StreamDecoder::Status::need_more);
  }
  decoder.feed(ByteView(&stream.back(), 1));
  REQUIRE(decoder.next(packet) == StreamDecoder::Status::packet);
  CHECK(std::get<Publish>(packet).packet_id == 9);
  CHECK(decoder.last_packet_bytes().size() == stream.size());
}

TEST_CASE("an oversized packet is refused from its fixed header, before its body is buffered") {
  StreamOptions options;
  options.version = Version::v5;
  options.limits.max_packet_size_bytes = 1024;
  StreamDecoder decoder(options);
  const std::uint8_t header[] = {0x30, 0xFF, 0xFF, 0x03};  // PUBLISH announcing 65535 bytes
  decoder.feed(ByteView(header, sizeof header));
  Packet packet;
  REQUIRE(decoder.next(packet) == StreamDecoder::Status::malformed);
  CHECK(decoder.error().kind == ErrorKind::packet_too_large);
  CHECK(decoder.buffered_bytes() == 0);
}

TEST_CASE("a server-side stream learns the version from CONNECT and enforces connect order") {
  Connect connect;
  connect.version = Version::v5;
  connect.client_id = "TempSensor-0042";
  auto stream = bytes_of(connect, Version::v5);
  const auto pub = bytes_of(publish("t", "x"), Version::v5);
  stream.insert(stream.end(), pub.begin(), pub.end());
  stream.insert(stream.end(), stream.begin(), stream.begin() + 5);  // a second CONNECT starts
  StreamDecoder decoder(StreamOptions{});
  decoder.feed(ByteView(stream.data(), stream.size()));
  Packet packet;
  REQUIRE(decoder.next(packet) == StreamDecoder::Status::packet);
  CHECK(decoder.version() == Version::v5);
  REQUIRE(decoder.next(packet) == StreamDecoder::Status::packet);
  CHECK(std::holds_alternative<Publish>(packet));
  REQUIRE(decoder.next(packet) == StreamDecoder::Status::malformed);
  CHECK(decoder.error().spec_ref == "MQTT-3.1.0-2");
}

TEST_CASE("feeding again before draining keeps the byte order") {
  const auto a = bytes_of(publish("first", "1", 1), Version::v3_1_1);
  const auto b = bytes_of(publish("second", "2", 2), Version::v3_1_1);
  StreamOptions options;
  options.version = Version::v3_1_1;
  StreamDecoder decoder(options);
  decoder.feed(ByteView(a.data(), a.size()));
  decoder.feed(ByteView(b.data(), b.size()));
  Packet packet;
  REQUIRE(decoder.next(packet) == StreamDecoder::Status::packet);
  CHECK(std::get<Publish>(packet).topic == "first");
  REQUIRE(decoder.next(packet) == StreamDecoder::Status::packet);
  CHECK(std::get<Publish>(packet).topic == "second");
  CHECK(decoder.next(packet) == StreamDecoder::Status::need_more);
}

TEST_CASE("after a malformed packet the stream stays dead") {
  const std::uint8_t bad[] = {0xC0, 0x01, 0x00, 0xC0,
                              0x00};  // PINGREQ with a body, then a good one
  StreamOptions options;
  options.version = Version::v3_1_1;
  StreamDecoder decoder(options);
  decoder.feed(ByteView(bad, sizeof bad));
  Packet packet;
  REQUIRE(decoder.next(packet) == StreamDecoder::Status::malformed);
  CHECK(decoder.next(packet) == StreamDecoder::Status::malformed);
  CHECK_FALSE(decoder.error().reason.empty());
}
