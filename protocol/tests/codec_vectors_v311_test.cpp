// Byte-exact vectors for every MQTT 3.1.1 packet type, one MQTT 3.1 ("MQIsdp") CONNECT, and the
// Remaining Length boundaries. The bytes are written by hand from the field tables of MQTT
// 3.1.1 chapter 3 (and its §3.1.2.10 / §3.8.3 examples); each is checked both ways.
#include <catch2/catch.hpp>

#include "protocol/codec.hpp"
#include "protocol/tests/codec_vector_support.hpp"

using namespace mqttsim::protocol;
using namespace mqttsim::protocol::test;

namespace {
constexpr Version k311 = Version::v3_1_1;
}  // namespace

TEST_CASE("A 3.1.1 CONNECT with Will, user name and password matches its bytes",
          "[vectors][v311]") {
  // Variable header as in MQTT 3.1.1 §3.1.2.10: "MQTT", level 4, flags 0xCE (user name,
  // password, Will QoS 1, Will flag, Clean Session), Keep Alive 10.
  const Bytes wire = {0x10, 0x1D,                             // CONNECT, RL 29
                      0x00, 0x04, 'M',  'Q', 'T', 'T', 0x04,  // protocol name, level
                      0xCE, 0x00, 0x0A,                       // flags, keep alive
                      0x00, 0x02, 'c',  '1',                  // client id
                      0x00, 0x01, 'w',                        // will topic
                      0x00, 0x03, 'b',  'y', 'e',             // will message
                      0x00, 0x01, 'u',                        // user name
                      0x00, 0x02, 'p',  'w'};                 // password
  Connect expected;
  expected.version = k311;
  expected.clean_start = true;
  expected.keep_alive_s = 10;
  expected.client_id = "c1";
  expected.will = Will{QoS::at_least_once, false, "w", ByteView::of("bye"), {}};
  expected.username = "u";
  expected.password = ByteView::of("pw");
  check_vector(wire, expected, k311, Sender::client);
}

TEST_CASE("A minimal 3.1.1 CONNECT with an empty client id matches its bytes", "[vectors][v311]") {
  const Bytes wire = {0x10, 0x0C, 0x00, 0x04, 'M',  'Q',  'T',
                      'T',  0x04, 0x02, 0x00, 0x3C, 0x00, 0x00};
  Connect expected;  // Clean Session, Keep Alive 60
  check_vector(wire, expected, k311, Sender::client);
}

TEST_CASE("A 3.1.1 CONNECT with a retained QoS 2 Will and Clean Session 0 matches its bytes",
          "[vectors][v311]") {
  // Flags 0x34: Will Retain, Will QoS 2, Will flag; Clean Session 0.
  const Bytes wire = {0x10, 0x14, 0x00, 0x04, 'M',  'Q',  'T', 'T', 0x04, 0x34, 0x00,
                      0x00, 0x00, 0x01, 'x',  0x00, 0x03, 'w', '/', 't',  0x00, 0x00};
  Connect expected;
  expected.clean_start = false;
  expected.keep_alive_s = 0;
  expected.client_id = "x";
  expected.will = Will{QoS::exactly_once, true, "w/t", ByteView{}, {}};
  check_vector(wire, expected, k311, Sender::client);
}

TEST_CASE("An MQTT 3.1 MQIsdp CONNECT matches its bytes", "[vectors][v31]") {
  const Bytes wire = {0x10, 0x11, 0x00, 0x06, 'M',  'Q',  'I', 's', 'd', 'p',
                      0x03, 0x02, 0x00, 0x3C, 0x00, 0x03, 'a', 'b', 'c'};
  Connect expected;
  expected.version = Version::v3_1;
  expected.client_id = "abc";
  check_vector(wire, expected, Version::v3_1, Sender::client);
}

TEST_CASE("3.1.1 CONNACK return codes and Session Present match their bytes", "[vectors][v311]") {
  check_vector({0x20, 0x02, 0x00, 0x00}, Connack{}, k311, Sender::server);
  check_vector({0x20, 0x02, 0x01, 0x00}, Connack{true, ReasonCode::success, {}}, k311,
               Sender::server);
  // Return code 5: Connection Refused, not authorized (stored as the raw value 5).
  check_vector({0x20, 0x02, 0x00, 0x05}, Connack{false, static_cast<ReasonCode>(5), {}}, k311,
               Sender::server);
}

TEST_CASE("A 3.1.1 QoS 0 PUBLISH matches its bytes", "[vectors][v311]") {
  const Bytes wire = {0x30, 0x0A, 0x00, 0x03, 'a', '/', 'b', 'h', 'e', 'l', 'l', 'o'};
  Publish expected;
  expected.topic = "a/b";
  expected.payload = ByteView::of("hello");
  check_vector(wire, expected, k311, Sender::client);
}

TEST_CASE("A 3.1.1 retained QoS 0 PUBLISH with an empty payload matches its bytes",
          "[vectors][v311]") {
  Publish expected;
  expected.retain = true;
  expected.topic = "t";
  check_vector({0x31, 0x03, 0x00, 0x01, 't'}, expected, k311, Sender::client);
}

TEST_CASE("A 3.1.1 QoS 1 PUBLISH carries its packet identifier after the topic",
          "[vectors][v311]") {
  const Bytes wire = {0x32, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'i'};
  Publish expected;
  expected.qos = QoS::at_least_once;
  expected.topic = "a/b";
  expected.packet_id = 10;
  expected.payload = ByteView::of("hi");
  check_vector(wire, expected, k311, Sender::client);
}

TEST_CASE("A 3.1.1 QoS 1 PUBLISH with DUP matches its bytes", "[vectors][v311]") {
  Publish expected;
  expected.dup = true;
  expected.qos = QoS::at_least_once;
  expected.topic = "t";
  expected.packet_id = 0xFFFF;
  check_vector({0x3A, 0x05, 0x00, 0x01, 't', 0xFF, 0xFF}, expected, k311, Sender::server);
}

TEST_CASE("A 3.1.1 QoS 2 PUBLISH with DUP and RETAIN matches its bytes", "[vectors][v311]") {
  Publish expected;
  expected.dup = true;
  expected.qos = QoS::exactly_once;
  expected.retain = true;
  expected.topic = "t";
  expected.packet_id = 0x1234;
  check_vector({0x3D, 0x05, 0x00, 0x01, 't', 0x12, 0x34}, expected, k311, Sender::client);
}

TEST_CASE("3.1.1 PUBACK, PUBREC, PUBREL and PUBCOMP are two-byte packet identifiers",
          "[vectors][v311]") {
  check_vector({0x40, 0x02, 0x00, 0x0A}, Puback{10, ReasonCode::success, {}}, k311, Sender::client);
  check_vector({0x50, 0x02, 0x00, 0x0B}, Pubrec{11, ReasonCode::success, {}}, k311, Sender::server);
  check_vector({0x62, 0x02, 0x00, 0x0C}, Pubrel{12, ReasonCode::success, {}}, k311, Sender::client);
  check_vector({0x70, 0x02, 0x01, 0x00}, Pubcomp{256, ReasonCode::success, {}}, k311,
               Sender::server);
}

TEST_CASE("A 3.1.1 SUBSCRIBE to a/b at QoS 1 and c/d at QoS 2 matches the spec example",
          "[vectors][v311]") {
  // MQTT 3.1.1 §3.8.2 / §3.8.3 examples: packet identifier 10, two filters.
  const Bytes wire = {0x82, 0x0E, 0x00, 0x0A, 0x00, 0x03, 'a', '/',
                      'b',  0x01, 0x00, 0x03, 'c',  '/',  'd', 0x02};
  Subscribe expected;
  expected.packet_id = 10;
  expected.subscriptions = {{"a/b", {QoS::at_least_once}}, {"c/d", {QoS::exactly_once}}};
  check_vector(wire, expected, k311, Sender::client);
}

TEST_CASE("A 3.1.1 SUBACK with every return code matches the spec example", "[vectors][v311]") {
  // MQTT 3.1.1 §3.9.3 example: Success QoS 0, 1, 2 and Failure.
  Suback expected;
  expected.packet_id = 10;
  expected.reason_codes = {ReasonCode::success, ReasonCode::granted_qos_1,
                           ReasonCode::granted_qos_2, ReasonCode::unspecified_error};
  check_vector({0x90, 0x06, 0x00, 0x0A, 0x00, 0x01, 0x02, 0x80}, expected, k311, Sender::server);
}

TEST_CASE("A 3.1.1 UNSUBSCRIBE from a/b and c/d matches its bytes", "[vectors][v311]") {
  const Bytes wire = {0xA2, 0x0C, 0x00, 0x0B, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x03, 'c', '/', 'd'};
  Unsubscribe expected;
  expected.packet_id = 11;
  expected.filters = {"a/b", "c/d"};
  check_vector(wire, expected, k311, Sender::client);
}

TEST_CASE("A 3.1.1 UNSUBACK is only a packet identifier", "[vectors][v311]") {
  check_vector({0xB0, 0x02, 0x00, 0x0B}, Unsuback{11, {}, {}}, k311, Sender::server);
}

TEST_CASE("3.1.1 PINGREQ, PINGRESP and DISCONNECT are two bytes each", "[vectors][v311]") {
  check_vector({0xC0, 0x00}, Pingreq{}, k311, Sender::client);
  check_vector({0xD0, 0x00}, Pingresp{}, k311, Sender::server);
  check_vector({0xE0, 0x00}, Disconnect{}, k311, Sender::client);
}

namespace {

// A 3.1.1 QoS 0 PUBLISH to "t" whose payload makes the Remaining Length exactly
// `remaining_length`; `length_bytes` is the Remaining Length as the spec's Table 2.4 shows it.
void check_remaining_length_boundary(std::size_t remaining_length, const Bytes& length_bytes) {
  Bytes wire = {0x30};
  wire.insert(wire.end(), length_bytes.begin(), length_bytes.end());
  const std::size_t header_size = wire.size();
  wire.insert(wire.end(), {0x00, 0x01, 't'});
  wire.resize(header_size + remaining_length, 'x');
  Publish expected;
  expected.topic = "t";
  expected.payload = ByteView(wire.data() + header_size + 3, remaining_length - 3);
  CAPTURE(remaining_length);
  check_vector(wire, expected, k311, Sender::client);
}

}  // namespace

TEST_CASE("Remaining Length 127 is one byte 0x7F", "[vectors][v311][varint]") {
  check_remaining_length_boundary(127, {0x7F});
}

TEST_CASE("Remaining Length 128 is two bytes 0x80 0x01", "[vectors][v311][varint]") {
  check_remaining_length_boundary(128, {0x80, 0x01});
}

TEST_CASE("Remaining Length 16383 is two bytes 0xFF 0x7F", "[vectors][v311][varint]") {
  check_remaining_length_boundary(16383, {0xFF, 0x7F});
}

TEST_CASE("Remaining Length 16384 is three bytes 0x80 0x80 0x01", "[vectors][v311][varint]") {
  check_remaining_length_boundary(16384, {0x80, 0x80, 0x01});
}
