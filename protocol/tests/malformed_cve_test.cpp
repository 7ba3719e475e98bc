// One regression test per broker CVE or crash report listed in
// /work/shared/reference/malformed-packets.md: the trigger bytes, fed to the decoder, give a
// clean and named rejection (or, where the input is well-formed, a clean decode).
#include <catch2/catch.hpp>

#include <string>

#include "protocol/codec.hpp"
#include "protocol/tests/codec_vector_support.hpp"

using namespace mqttsim::protocol;
using namespace mqttsim::protocol::test;

namespace {
constexpr Version k311 = Version::v3_1_1;
constexpr Version k5 = Version::v5;
constexpr ErrorKind kMalformed = ErrorKind::malformed_packet;
using Status = StreamDecoder::Status;

const Bytes kConnect5 = {0x10, 0x0D, 0x00, 0x04, 'M',  'Q',  'T', 'T',
                         0x05, 0x02, 0x00, 0x3C, 0x00, 0x00, 0x00};
}  // namespace

TEST_CASE("CVE-2021-34432: PUBLISH with a zero-length topic is rejected", "[malformed][cve]") {
  check_rejected({0x30, 0x02, 0x00, 0x00}, k311, Sender::client, "MQTT-4.7.3-1",
                 ErrorKind::topic_name_invalid);
  check_rejected({0x32, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00}, k5, Sender::client, "MQTT-4.7.3-1",
                 ErrorKind::topic_name_invalid);
}

TEST_CASE("CVE-2021-28166: a CONNACK sent by a client after a v5 CONNECT is rejected",
          "[malformed][cve]") {
  StreamDecoder decoder(broker_stream());
  Bytes stream = kConnect5;
  stream.insert(stream.end(),
                {0x20, 0x0B, 0x00, 0x00, 0x80, 0xFF, 0xFF, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00});
  const StreamRun run = run_stream(decoder, stream);
  CHECK(run.packets == 1);
  check_stream_rejected(decoder, run, "MQTT-5.0 §2.1.2", ErrorKind::protocol_error);
}

// Session layer (issue 3): remembering the id and answering without storing a second copy.
TEST_CASE("CVE-2023-28366: a repeated QoS 2 PUBLISH with DUP and the same id decodes cleanly",
          "[malformed][cve]") {
  StreamDecoder decoder(broker_stream());
  Bytes stream = kConnect5;
  for (int i = 0; i < 100; ++i) {
    stream.insert(stream.end(), {0x3C, 0x06, 0x00, 0x01, 't', 0x12, 0x34, 0x00});
  }
  const StreamRun run = run_stream(decoder, stream);
  CHECK(run.status == Status::need_more);
  CHECK(run.packets == 101);
  CHECK(decoder.buffered_bytes() == 0);
}

TEST_CASE(
    "CVE-2023-0809: a non-CONNECT first packet announcing 100 MB is rejected after five "
    "bytes",
    "[malformed][cve]") {
  StreamDecoder decoder(broker_stream());
  const StreamRun run = run_stream(decoder, {0x30, 0x80, 0xC2, 0xD7, 0x2F});  // RL 100,000,000
  check_stream_rejected(decoder, run, "MQTT-3.1.0-1", ErrorKind::protocol_error);
  CHECK(decoder.buffered_bytes() == 0);
}

TEST_CASE(
    "CVE-2023-3592 / CVE-2021-34431: v5 Will Properties of a type not allowed in a Will "
    "are rejected",
    "[malformed][cve]") {
  // Will Properties carrying Session Expiry Interval (a CONNECT property, not a Will property).
  const Bytes wire = {0x10, 0x19, 0x00, 0x04, 'M',  'Q',  'T', 'T',  0x05,
                      0x06, 0x00, 0x3C, 0x00, 0x00, 0x01, 'c', 0x05, 0x11,
                      0x00, 0x00, 0x00, 0x0A, 0x00, 0x01, 'w', 0x00, 0x00};
  check_rejected(wire, k5, Sender::client, "MQTT-5.0 §2.2.2.2", kMalformed);
}

TEST_CASE("CVE-2021-41039: a v5 CONNECT with 40,000 User Properties is refused at the limit",
          "[malformed][cve][flood]") {
  Bytes properties;
  for (int i = 0; i < 40'000; ++i)
    properties.insert(properties.end(), {0x26, 0, 1, 'k', 0, 1, 'v'});
  Bytes body = {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C};
  append_varint(body, properties.size());
  body.insert(body.end(), properties.begin(), properties.end());
  body.insert(body.end(), {0x00, 0x00});
  const Bytes wire = with_header(0x10, body);
  check_rejected(wire, k5, Sender::client, "mqttsim-limit", ErrorKind::implementation_limit);
  DecodeLimits tight;
  tight.max_user_properties = 10;
  check_rejected(wire, k5, Sender::client, "mqttsim-limit", ErrorKind::implementation_limit, tight);
}

TEST_CASE("CVE-2019-11779: SUBSCRIBE to a topic of 65,400 slashes is refused cleanly",
          "[malformed][cve][flood]") {
  Bytes body = {0x00, 0x01};
  append_prefixed(body, std::string(65'400, '/'));
  body.push_back(0x00);
  const Bytes wire = with_header(0x82, body);
  check_rejected(wire, k311, Sender::client, "mqttsim-limit", ErrorKind::implementation_limit);
  // Within a raised limit the filter is valid: 65,401 empty levels.
  DecodeLimits roomy;
  roomy.topic.max_levels = 70'000;
  CHECK(std::get<Subscribe>(accepted(wire, k311, Sender::client, roomy)).subscriptions.size() == 1);
}

TEST_CASE("CVE-2019-11779: PUBLISH to a topic of 65,400 slashes is refused cleanly",
          "[malformed][cve][flood]") {
  Bytes body;
  append_prefixed(body, std::string(65'400, '/'));
  const Bytes wire = with_header(0x30, body);
  check_rejected(wire, k311, Sender::client, "mqttsim-limit", ErrorKind::implementation_limit);
}

// Session layer (issue 3): the Will is sent when the session ends, whichever comes first.
TEST_CASE("CVE-2019-11778: a Will Delay Interval above the Session Expiry Interval decodes",
          "[malformed][cve]") {
  const Bytes wire = {0x10, 0x1E, 0x00, 0x04, 'M',  'Q',  'T',  'T',  0x05, 0x06, 0x00,
                      0x3C, 0x05, 0x11, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'c',  0x05,
                      0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01, 'w',  0x00, 0x00};
  const Connect connect = std::get<Connect>(accepted(wire, k5));
  REQUIRE(connect.will.has_value());
  CHECK(connect.will->properties.will_delay_interval_s == 0xFFFFFFFFu);
}

// '$' topics are legal in PUBLISH; keeping them away from wildcard subscribers is matching
// (MQTT-4.7.2-1), and refusing them is broker policy.
TEST_CASE("CVE-2018-12543: a topic starting with $ that is not $SYS decodes", "[malformed][cve]") {
  const Bytes wire = {0x30, 0x0A, 0x00, 0x08, '$', 'f', 'o', 'o', '/', 'b', 'a', 'r'};
  const Packet packet = accepted(wire, k311);
  CHECK(std::get<Publish>(packet).topic == "$foo/bar");
}

TEST_CASE("CVE-2017-7651: a huge Remaining Length before authentication is refused at the limit",
          "[malformed][cve]") {
  StreamOptions options = broker_stream();
  options.limits.max_packet_size_bytes = 64 * 1024;
  StreamDecoder limited(options);
  const StreamRun run = run_stream(limited, {0x10, 0xFF, 0xFF, 0xFF, 0x7F});
  check_stream_rejected(limited, run, "MQTT-5.0 §3.2.2.3.6", ErrorKind::packet_too_large);
  // Without a limit nothing is reserved up front: only the bytes received are held.
  StreamDecoder unlimited(broker_stream());
  CHECK(run_stream(unlimited, {0x10, 0xFF, 0xFF, 0xFF, 0x7F}).status == Status::need_more);
  CHECK(unlimited.buffered_bytes() == 5);
}

TEST_CASE(
    "aedes/mqtt-packet: DISCONNECT whose Property Length exceeds its Remaining Length is "
    "rejected",
    "[malformed][cve]") {
  check_rejected({0xE0, 0x02, 0x00, 0x20}, k5, Sender::client, "MQTT-5.0 §2.2.2.1", kMalformed);
}

TEST_CASE("mqtt-packet: SUBSCRIBE whose filter length swallows the options byte is rejected",
          "[malformed][cve]") {
  check_rejected({0x82, 0x08, 0x00, 0x01, 0x00, 0x04, 'a', '/', 'b', 0x01}, k311, Sender::client,
                 "MQTT-3.1.1 §2.2.3", kMalformed);
}

TEST_CASE("NanoMQ CVE-2026-21888: a CONNECT Property Length of five varint bytes is rejected",
          "[malformed][cve]") {
  const Bytes wire = {0x10, 0x11, 0x00, 0x04, 'M',  'Q',  'T',  'T',  0x05, 0x02,
                      0x00, 0x3C, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x00};
  check_rejected(wire, k5, Sender::client, "MQTT-5.0 §1.5.5", kMalformed);
}

TEST_CASE("NanoMQ: a QoS 1 PUBLISH ending right after the topic is rejected", "[malformed][cve]") {
  check_rejected({0x32, 0x03, 0x00, 0x01, 't'}, k5, Sender::client, "MQTT-5.0 §2.1.4", kMalformed);
}

TEST_CASE("paho.mqtt.c: CONNACK 20 0B 00 00 80 FF FF 0A with a bad Property Length is rejected",
          "[malformed][cve]") {
  check_rejected({0x20, 0x0B, 0x00, 0x00, 0x80, 0xFF, 0xFF, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00}, k5,
                 Sender::server, "MQTT-5.0 §2.2.2.1", kMalformed);
}

TEST_CASE("VerneMQ CVE-2021-33176: a topic of 60,000 levels is refused cleanly",
          "[malformed][cve][flood]") {
  std::string topic;
  for (int i = 0; i < 30'000; ++i) topic += "a/";
  Bytes body;
  append_prefixed(body, topic + "a");
  body.push_back(0x00);  // Property Length
  const Bytes wire = with_header(0x30, body);
  check_rejected(wire, k5, Sender::client, "mqttsim-limit", ErrorKind::implementation_limit);
}

TEST_CASE("VerneMQ: a PUBLISH carrying Server Reference is a Malformed Packet",
          "[malformed][cve]") {
  check_rejected({0x30, 0x09, 0x00, 0x01, 't', 0x05, 0x1C, 0x00, 0x02, 's', '1'}, k5,
                 Sender::server, "MQTT-5.0 §2.2.2.2", kMalformed);
}
