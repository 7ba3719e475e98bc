// Regression tests for classes 11-20 of /work/shared/reference/malformed-packets.md: topics,
// UTF-8, 5.0 properties, floods, CONNECT and SUBSCRIBE fields, and the stateful cases the codec
// must let through to the session layer. Each checks the named rule and the kind of rejection.
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
constexpr ErrorKind kProtocolError = ErrorKind::protocol_error;

// A CONNECT with an empty client id and the given flags byte.
Bytes connect_with_flags(Version version, std::uint8_t flags) {
  Bytes body = {0x00,  0x04, 'M', 'Q', 'T', 'T', static_cast<std::uint8_t>(version),
                flags, 0x00, 0x3C};
  if (is_v5(version)) body.push_back(0x00);  // Property Length
  body.insert(body.end(), {0x00, 0x00});     // client id
  return with_header(0x10, body);
}

// A 5.0 CONNECT carrying the given CONNECT properties and an empty client id.
Bytes connect_v5_with_properties(const Bytes& properties) {
  Bytes body = {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C};
  append_varint(body, properties.size());
  body.insert(body.end(), properties.begin(), properties.end());
  body.insert(body.end(), {0x00, 0x00});
  return with_header(0x10, body);
}

// A 5.0 CONNACK (Success) carrying the given properties.
Bytes connack_v5_with_properties(const Bytes& properties) {
  Bytes body = {0x00, 0x00};
  append_varint(body, properties.size());
  body.insert(body.end(), properties.begin(), properties.end());
  return with_header(0x20, body);
}

// A SUBSCRIBE with packet identifier 1 and one filter with its options byte.
Bytes subscribe_one(Version version, std::string_view filter, std::uint8_t options) {
  Bytes body = {0x00, 0x01};
  if (is_v5(version)) body.push_back(0x00);
  append_prefixed(body, filter);
  body.push_back(options);
  return with_header(0x82, body);
}
}  // namespace

TEST_CASE("class 11: PUBLISH with an empty topic and no Topic Alias is rejected (MQTT-4.7.3-1)",
          "[malformed][class11]") {
  check_rejected({0x30, 0x02, 0x00, 0x00}, k311, Sender::client, "MQTT-4.7.3-1",
                 ErrorKind::topic_name_invalid);
  check_rejected({0x30, 0x03, 0x00, 0x00, 0x00}, k5, Sender::client, "MQTT-4.7.3-1",
                 ErrorKind::topic_name_invalid);
}

TEST_CASE("class 11: PUBLISH topics with + or # are rejected (MQTT-3.3.2-2)",
          "[malformed][class11]") {
  check_rejected({0x30, 0x05, 0x00, 0x03, 'a', '/', '+'}, k311, Sender::client, "MQTT-3.3.2-2",
                 ErrorKind::topic_name_invalid);
  check_rejected({0x30, 0x06, 0x00, 0x03, 'a', '/', '#', 0x00}, k5, Sender::server, "MQTT-3.3.2-2",
                 ErrorKind::topic_name_invalid);
}

TEST_CASE("class 12: bad UTF-8 in a PUBLISH topic is rejected", "[malformed][class12]") {
  // U+0000.
  check_rejected({0x30, 0x05, 0x00, 0x03, 'a', 0x00, 'b'}, k311, Sender::client, "MQTT-1.5.3-2",
                 kMalformed);
  check_rejected({0x30, 0x06, 0x00, 0x03, 'a', 0x00, 'b', 0x00}, k5, Sender::client, "MQTT-1.5.4-2",
                 kMalformed);
  // A surrogate, U+D800.
  check_rejected({0x30, 0x05, 0x00, 0x03, 0xED, 0xA0, 0x80}, k311, Sender::client, "MQTT-1.5.3-1",
                 kMalformed);
  check_rejected({0x30, 0x06, 0x00, 0x03, 0xED, 0xA0, 0x80, 0x00}, k5, Sender::client,
                 "MQTT-1.5.4-1", kMalformed);
}

TEST_CASE("class 12: an overlong form in a CONNECT client id is rejected", "[malformed][class12]") {
  // C0 AF is an overlong '/'.
  check_rejected(
      {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x02, 0xC0, 0xAF},
      k311, Sender::client, "MQTT-1.5.3-1", kMalformed);
  check_rejected({0x10, 0x0F, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C, 0x00, 0x00,
                  0x02, 0xC0, 0xAF},
                 k5, Sender::client, "MQTT-1.5.4-1", kMalformed);
}

TEST_CASE("class 12: a code point above U+10FFFF in a user property is rejected (MQTT-1.5.7-1)",
          "[malformed][class12]") {
  // F4 90 80 80 would be U+110000. User Properties are UTF-8 String Pairs, whose statement is
  // MQTT-1.5.7-1 (5.0 §1.5.7).
  const Bytes wire = {0x30, 0x0E, 0x00, 0x01, 't',  0x0A, 0x26, 0x00,
                      0x01, 'k',  0x00, 0x04, 0xF4, 0x90, 0x80, 0x80};
  check_rejected(wire, k5, Sender::client, "MQTT-1.5.7-1", kMalformed);
}

TEST_CASE("class 12: control characters are discouraged but accepted", "[malformed][class12]") {
  const Bytes wire = {0x30, 0x04, 0x00, 0x02, 'a', 0x01};
  const Packet packet = accepted(wire, k311);
  CHECK(std::get<Publish>(packet).topic == std::string_view("a\x01", 2));
}

TEST_CASE("class 13: a Property Length larger than the remaining length is rejected",
          "[malformed][class13]") {
  check_rejected({0x30, 0x05, 0x00, 0x01, 't', 0x05, 0x01}, k5, Sender::client, "MQTT-5.0 §2.2.2.1",
                 kMalformed);
}

TEST_CASE("class 13: a property that does not end exactly on the Property Length is rejected",
          "[malformed][class13]") {
  // Property Length 3 covers the id of a Four Byte Integer and two of its bytes.
  check_rejected({0x30, 0x08, 0x00, 0x01, 't', 0x03, 0x02, 0x00, 0x00, 0x00}, k5, Sender::client,
                 "MQTT-5.0 §2.2.2.1", kMalformed);
  // A User Property name of length 5 inside a Property Length of 6.
  check_rejected({0xE0, 0x08, 0x00, 0x06, 0x26, 0x00, 0x05, 'k', 0x00, 0x00}, k5, Sender::client,
                 "MQTT-5.0 §2.2.2.1", kMalformed);
}

TEST_CASE("class 14: unknown property identifiers 0x00, 0x7F and 0x80 0x01 are rejected",
          "[malformed][class14]") {
  check_rejected({0xE0, 0x03, 0x00, 0x01, 0x00}, k5, Sender::client, "MQTT-5.0 §2.2.2.2",
                 kMalformed);
  check_rejected({0xE0, 0x03, 0x00, 0x01, 0x7F}, k5, Sender::client, "MQTT-5.0 §2.2.2.2",
                 kMalformed);
  check_rejected({0xE0, 0x04, 0x00, 0x02, 0x80, 0x01}, k5, Sender::client, "MQTT-5.0 §2.2.2.2",
                 kMalformed);
}

TEST_CASE("class 14: a property not allowed in the packet type is a Malformed Packet",
          "[malformed][class14]") {
  // §2.2.2.2: "an Identifier which is not valid for its packet type ... is a Malformed Packet".
  // Session Expiry Interval in PUBACK; Server Reference in PUBLISH.
  check_rejected({0x40, 0x09, 0x00, 0x01, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x0A}, k5,
                 Sender::client, "MQTT-5.0 §2.2.2.2", kMalformed);
  check_rejected({0x30, 0x09, 0x00, 0x01, 't', 0x05, 0x1C, 0x00, 0x02, 's', '1'}, k5,
                 Sender::client, "MQTT-5.0 §2.2.2.2", kMalformed);
}

TEST_CASE("class 15: a property that may appear once, appearing twice, is a Protocol Error",
          "[malformed][class15]") {
  // No general statement: each property's own subsection says so.
  check_rejected(
      connect_v5_with_properties({0x11, 0x00, 0x00, 0x00, 0x0A, 0x11, 0x00, 0x00, 0x00, 0x0B}), k5,
      Sender::client, "MQTT-5.0 §3.1.2.11.2", kProtocolError);
  check_rejected({0x30, 0x0A, 0x00, 0x01, 't', 0x06, 0x23, 0x00, 0x01, 0x23, 0x00, 0x02}, k5,
                 Sender::client, "MQTT-5.0 §3.3.2.3.4", kProtocolError);
  check_rejected({0x82, 0x0B, 0x00, 0x01, 0x04, 0x0B, 0x01, 0x0B, 0x02, 0x00, 0x01, 'a', 0x00}, k5,
                 Sender::client, "MQTT-5.0 §3.8.2.1.2", kProtocolError);
}

TEST_CASE(
    "class 16: zero Receive Maximum, Maximum Packet Size, Topic Alias and Subscription "
    "Identifier are rejected",
    "[malformed][class16]") {
  check_rejected(connect_v5_with_properties({0x21, 0x00, 0x00}), k5, Sender::client,
                 "MQTT-5.0 §3.1.2.11.3", kProtocolError);
  check_rejected(connect_v5_with_properties({0x27, 0x00, 0x00, 0x00, 0x00}), k5, Sender::client,
                 "MQTT-5.0 §3.1.2.11.4", kProtocolError);
  check_rejected({0x30, 0x07, 0x00, 0x01, 't', 0x03, 0x23, 0x00, 0x00}, k5, Sender::client,
                 "MQTT-3.3.2-8", kProtocolError);
  check_rejected({0x82, 0x09, 0x00, 0x01, 0x02, 0x0B, 0x00, 0x00, 0x01, 'a', 0x00}, k5,
                 Sender::client, "MQTT-5.0 §3.8.2.1.2", kProtocolError);
}

TEST_CASE("class 16: Payload Format Indicator 2 and Maximum QoS 2 in CONNACK are rejected",
          "[malformed][class16]") {
  check_rejected({0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x01, 0x02}, k5, Sender::client,
                 "MQTT-5.0 §3.3.2.3.2", kProtocolError);
  check_rejected(connack_v5_with_properties({0x24, 0x02}), k5, Sender::server,
                 "MQTT-5.0 §3.2.2.3.4", kProtocolError);
}

TEST_CASE(
    "class 16: zero Receive Maximum and Maximum Packet Size in CONNACK cite the CONNACK "
    "sections",
    "[malformed][class16]") {
  check_rejected(connack_v5_with_properties({0x21, 0x00, 0x00}), k5, Sender::server,
                 "MQTT-5.0 §3.2.2.3.3", kProtocolError);
  check_rejected(connack_v5_with_properties({0x27, 0x00, 0x00, 0x00, 0x00}), k5, Sender::server,
                 "MQTT-5.0 §3.2.2.3.6", kProtocolError);
}

TEST_CASE("class 16: Request Problem and Response Information outside 0/1 cite their sections",
          "[malformed][class16]") {
  check_rejected(connect_v5_with_properties({0x17, 0x02}), k5, Sender::client,
                 "MQTT-5.0 §3.1.2.11.7", kProtocolError);
  check_rejected(connect_v5_with_properties({0x19, 0x02}), k5, Sender::client,
                 "MQTT-5.0 §3.1.2.11.6", kProtocolError);
}

TEST_CASE("class 16: CONNACK availability flags outside 0/1 cite their sections",
          "[malformed][class16]") {
  check_rejected(connack_v5_with_properties({0x25, 0x02}), k5, Sender::server,
                 "MQTT-5.0 §3.2.2.3.5", kProtocolError);
  check_rejected(connack_v5_with_properties({0x28, 0x02}), k5, Sender::server,
                 "MQTT-5.0 §3.2.2.3.11", kProtocolError);
  check_rejected(connack_v5_with_properties({0x29, 0x02}), k5, Sender::server,
                 "MQTT-5.0 §3.2.2.3.12", kProtocolError);
  check_rejected(connack_v5_with_properties({0x2A, 0x02}), k5, Sender::server,
                 "MQTT-5.0 §3.2.2.3.13", kProtocolError);
}

TEST_CASE("class 16: Subscription Identifier 0 in a server PUBLISH cites §3.3.2.3.8",
          "[malformed][class16]") {
  check_rejected({0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x0B, 0x00}, k5, Sender::server,
                 "MQTT-5.0 §3.3.2.3.8", kProtocolError);
}

TEST_CASE("class 17: tens of thousands of User Properties hit max_user_properties cleanly",
          "[malformed][class17][flood]") {
  Bytes properties;
  for (int i = 0; i < 30'000; ++i)
    properties.insert(properties.end(), {0x26, 0, 1, 'k', 0, 1, 'v'});
  Bytes body = {0x00, 0x01};  // PUBACK packet identifier 1
  body.push_back(0x00);       // Success
  append_varint(body, properties.size());
  body.insert(body.end(), properties.begin(), properties.end());
  const Bytes wire = with_header(0x40, body);
  check_rejected(wire, k5, Sender::client, "mqttsim-limit", ErrorKind::implementation_limit);
  DecodeLimits roomy;
  roomy.max_user_properties = 50'000;
  const Packet packet = accepted(wire, k5, Sender::client, roomy);
  CHECK(std::get<Puback>(packet).properties.user_properties.size() == 30'000);
}

TEST_CASE("class 17: a topic of tens of thousands of levels hits TopicLimits.max_levels cleanly",
          "[malformed][class17][flood]") {
  std::string topic;
  for (int i = 0; i < 30'000; ++i) topic += "a/";
  topic += "a";  // 30,001 levels
  Bytes body;
  append_prefixed(body, topic);
  const Bytes wire = with_header(0x30, body);
  check_rejected(wire, k311, Sender::client, "mqttsim-limit", ErrorKind::implementation_limit);
  DecodeLimits roomy;
  roomy.topic.max_levels = 40'000;
  CHECK(std::get<Publish>(accepted(wire, k311, Sender::client, roomy)).topic.size() ==
        topic.size());
}

TEST_CASE("class 18: CONNECT with the reserved flag set is rejected (MQTT-3.1.2-3)",
          "[malformed][class18]") {
  check_rejected(connect_with_flags(k311, 0x03), k311, Sender::client, "MQTT-3.1.2-3", kMalformed);
  check_rejected(connect_with_flags(k5, 0x03), k5, Sender::client, "MQTT-3.1.2-3", kMalformed);
}

TEST_CASE("class 18: CONNECT with Will QoS 3 is rejected", "[malformed][class18]") {
  check_rejected(connect_with_flags(k311, 0x1E), k311, Sender::client, "MQTT-3.1.2-14", kMalformed);
  check_rejected(connect_with_flags(k5, 0x1E), k5, Sender::client, "MQTT-3.1.2-12", kMalformed);
}

TEST_CASE("a Will QoS 3 is refused before encoding, citing the version's own statement",
          "[malformed][class18]") {
  // 3.1.1 numbers the rule MQTT-3.1.2-14; 5.0 numbers it MQTT-3.1.2-12 (its -14 is Will Retain).
  for (const Version v : {k311, k5}) {
    Connect c;
    c.version = v;
    c.client_id = "w";
    c.will = Will{};
    c.will->topic = "t";
    c.will->qos = static_cast<QoS>(3);
    const auto error = validate(Packet{c}, v, Sender::client);
    REQUIRE(error);
    CHECK(error->spec_ref == (is_v5(v) ? "MQTT-3.1.2-12" : "MQTT-3.1.2-14"));
  }
}

TEST_CASE("class 18: CONNECT with Will QoS but no Will flag is rejected", "[malformed][class18]") {
  check_rejected(connect_with_flags(k311, 0x0A), k311, Sender::client, "MQTT-3.1.2-13", kMalformed);
  check_rejected(connect_with_flags(k5, 0x0A), k5, Sender::client, "MQTT-3.1.2-11", kMalformed);
}

TEST_CASE("class 18: CONNECT with Will Retain but no Will flag cites the Will Retain statement",
          "[malformed][class18]") {
  // 3.1.1 §3.1.2.7: MQTT-3.1.2-15; 5.0 §3.1.2.7: MQTT-3.1.2-13.
  check_rejected(connect_with_flags(k311, 0x22), k311, Sender::client, "MQTT-3.1.2-15", kMalformed);
  check_rejected(connect_with_flags(k5, 0x22), k5, Sender::client, "MQTT-3.1.2-13", kMalformed);
}

TEST_CASE("class 18: a password without a user name is rejected in 3.1.1 only",
          "[malformed][class18]") {
  check_rejected(connect_with_flags(k311, 0x42), k311, Sender::client, "MQTT-3.1.2-22", kMalformed);
  const Bytes v5 = {0x10, 0x11, 0x00, 0x04, 'M',  'Q',  'T',  'T', 0x05, 0x42,
                    0x00, 0x3C, 0x00, 0x00, 0x00, 0x00, 0x02, 'p', 'w'};
  CHECK(std::get<Connect>(accepted(v5, k5)).password == ByteView::of("pw"));
}

TEST_CASE("class 18: a wrong protocol name or level is rejected", "[malformed][class18]") {
  const ErrorKind kUnsupported = ErrorKind::unsupported_protocol_version;
  check_rejected({0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'X', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x00},
                 k311, Sender::client, "MQTT-3.1.2-1", kUnsupported);
  check_rejected({0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x06, 0x02, 0x00, 0x3C, 0x00, 0x00},
                 k311, Sender::client, "MQTT-3.1.2-2", kUnsupported);
  check_rejected(
      {0x10, 0x0E, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x00},
      k311, Sender::client, "MQTT-3.1.2-2", kUnsupported);
}

TEST_CASE("class 19: SUBSCRIBE options with reserved bits or Retain Handling 3 are rejected",
          "[malformed][class19]") {
  check_rejected(subscribe_one(k311, "a", 0x04), k311, Sender::client, "MQTT-3-8.3-4", kMalformed);
  check_rejected(subscribe_one(k311, "a", 0x03), k311, Sender::client, "MQTT-3-8.3-4", kMalformed);
  check_rejected(subscribe_one(k5, "a", 0x40), k5, Sender::client, "MQTT-3.8.3-5", kMalformed);
  check_rejected(subscribe_one(k5, "a", 0x30), k5, Sender::client, "MQTT-5.0 §3.8.3.1",
                 kProtocolError);
}

TEST_CASE("class 19: a 5.0 SUBSCRIBE with Maximum QoS 3 is a Protocol Error",
          "[malformed][class19]") {
  // 5.0 §3.8.3.1: "It is a Protocol Error if the Maximum QoS field has the value 3."
  check_rejected(subscribe_one(k5, "a", 0x03), k5, Sender::client, "MQTT-5.0 §3.8.3.1",
                 kProtocolError);
}

TEST_CASE("class 19: SUBSCRIBE and UNSUBSCRIBE with no payload are rejected",
          "[malformed][class19]") {
  check_rejected({0x82, 0x02, 0x00, 0x01}, k311, Sender::client, "MQTT-3.8.3-3", kProtocolError);
  check_rejected({0x82, 0x03, 0x00, 0x01, 0x00}, k5, Sender::client, "MQTT-3.8.3-2",
                 kProtocolError);
  check_rejected({0xA2, 0x03, 0x00, 0x01, 0x00}, k5, Sender::client, "MQTT-3.10.3-2",
                 kProtocolError);
}

TEST_CASE("class 19: invalid topic filters a/#/b, a+ and a# are rejected", "[malformed][class19]") {
  const ErrorKind kInvalid = ErrorKind::topic_filter_invalid;
  check_rejected(subscribe_one(k311, "a/#/b", 0), k311, Sender::client, "MQTT-4.7.1-2", kInvalid);
  check_rejected(subscribe_one(k311, "a+", 0), k311, Sender::client, "MQTT-4.7.1-3", kInvalid);
  check_rejected(subscribe_one(k5, "a/#/b", 0), k5, Sender::client, "MQTT-4.7.1-1", kInvalid);
  check_rejected(subscribe_one(k5, "a+", 0), k5, Sender::client, "MQTT-4.7.1-2", kInvalid);
  check_rejected(subscribe_one(k5, "a#", 0), k5, Sender::client, "MQTT-4.7.1-1", kInvalid);
}

TEST_CASE("class 19: shared subscriptions with a bad ShareName are rejected",
          "[malformed][class19]") {
  const ErrorKind kInvalid = ErrorKind::topic_filter_invalid;
  check_rejected(subscribe_one(k5, "$share/g+/x", 0), k5, Sender::client, "MQTT-4.8.2-2", kInvalid);
  check_rejected(subscribe_one(k5, "$share/g#/x", 0), k5, Sender::client, "MQTT-4.8.2-2", kInvalid);
  check_rejected(subscribe_one(k5, "$share//x", 0), k5, Sender::client, "MQTT-4.8.2-1", kInvalid);
  check_rejected(subscribe_one(k5, "$share/g", 0), k5, Sender::client, "MQTT-4.8.2-2", kInvalid);
  // A '/' ends the ShareName, so "$share/a/b/c" is ShareName "a" with filter "b/c": valid.
  CHECK(std::get<Subscribe>(accepted(subscribe_one(k5, "$share/a/b/c", 0), k5))
            .subscriptions.size() == 1);
  check_rejected(subscribe_one(k5, "$share/g/x", 0x04), k5, Sender::client, "MQTT-3.8.3-4",
                 kProtocolError);
}

// Class 20 rules need session state (which ids are in flight, what was sent, the Session
// Expiry in effect). They belong to the session layer (issue 3); the codec must pass each of
// these well-formed packets through unchanged.
TEST_CASE("class 20: a repeated QoS 2 PUBLISH with DUP and the same id decodes every time",
          "[malformed][class20]") {
  StreamDecoder decoder(broker_stream());
  Bytes stream = {0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x00};
  for (int i = 0; i < 3; ++i)
    stream.insert(stream.end(), {0x3C, 0x05, 0x00, 0x01, 't', 0x00, 0x07});
  const StreamRun run = run_stream(decoder, stream);
  CHECK(run.status == StreamDecoder::Status::need_more);
  CHECK(run.packets == 4);
}

TEST_CASE("class 20: PUBREL for an unknown id and PUBREC answering QoS 1 decode",
          "[malformed][class20]") {
  CHECK(std::get<Pubrel>(accepted({0x62, 0x02, 0x00, 0x63}, k311)).packet_id == 0x63);
  CHECK(std::get<Pubrec>(accepted({0x50, 0x02, 0x00, 0x05}, k311, Sender::server)).packet_id == 5);
}

TEST_CASE("class 20: a Will Delay Interval longer than the Session Expiry Interval decodes",
          "[malformed][class20]") {
  const Bytes wire = {0x10, 0x1E, 0x00, 0x04, 'M',  'Q',  'T',  'T',  0x05, 0x06, 0x00,
                      0x3C, 0x05, 0x11, 0x00, 0x00, 0x00, 0x0A, 0x00, 0x01, 'c',  0x05,
                      0x18, 0x00, 0x00, 0x00, 0x64, 0x00, 0x01, 'w',  0x00, 0x00};
  const Connect connect = std::get<Connect>(accepted(wire, k5));
  REQUIRE(connect.will.has_value());
  CHECK(connect.will->properties.will_delay_interval_s == 100u);
  CHECK(connect.properties.session_expiry_interval_s == 10u);
}
