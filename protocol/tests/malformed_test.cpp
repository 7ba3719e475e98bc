// Regression tests for classes 1-10 of /work/shared/reference/malformed-packets.md: framing,
// fixed-header flags, reserved packet types, connect order, and field lengths. Each feeds the
// exact bytes and checks the named rule (spec_ref) and the kind of rejection.
#include <catch2/catch.hpp>

#include "protocol/codec.hpp"
#include "protocol/tests/codec_vector_support.hpp"

using namespace mqttsim::protocol;
using namespace mqttsim::protocol::test;

namespace {
constexpr Version k311 = Version::v3_1_1;
constexpr Version k5 = Version::v5;
constexpr ErrorKind kMalformed = ErrorKind::malformed_packet;
constexpr ErrorKind kProtocolError = ErrorKind::protocol_error;
using Status = StreamDecoder::Status;

const Bytes kConnect311 = {0x10, 0x0C, 0x00, 0x04, 'M',  'Q',  'T',
                           'T',  0x04, 0x02, 0x00, 0x3C, 0x00, 0x00};

StreamOptions stream_with(Version version) {
  StreamOptions options;
  options.sender = Sender::client;
  options.version = version;
  return options;
}
}  // namespace

TEST_CASE("class 1: a Remaining Length of five bytes is rejected", "[malformed][class1]") {
  const Bytes wire = {0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
  check_rejected(wire, k311, Sender::client, "MQTT-3.1.1 §2.2.3", kMalformed);
  // 5.0 §1.5.5 sets the four-byte maximum for every Variable Byte Integer.
  check_rejected(wire, k5, Sender::client, "MQTT-5.0 §1.5.5", kMalformed);
}

TEST_CASE("class 1: a Remaining Length that never terminates is rejected by the stream",
          "[malformed][class1]") {
  StreamDecoder decoder(stream_with(k5));
  const StreamRun run = run_stream(decoder, {0xC0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  check_stream_rejected(decoder, run, "MQTT-5.0 §1.5.5", kMalformed);
}

// Decision: non-minimal Variable Byte Integers are rejected in every version. 5.0 forbids them
// (MQTT-1.5.5-1); 3.1.1 has no numbered rule, so there the section defining the encoding is cited.
TEST_CASE("class 2: a non-minimal Remaining Length 80 00 is rejected (MQTT-1.5.5-1 in 5.0)",
          "[malformed][class2]") {
  const Bytes wire = {0xC0, 0x80, 0x00};
  check_rejected(wire, k5, Sender::client, "MQTT-1.5.5-1", kMalformed);
  StreamDecoder decoder(stream_with(k5));
  check_stream_rejected(decoder, run_stream(decoder, wire), "MQTT-1.5.5-1", kMalformed);
}

TEST_CASE("class 2: a non-minimal Remaining Length 80 00 under 3.1.1 cites §2.2.3",
          "[malformed][class2]") {
  const Bytes wire = {0xC0, 0x80, 0x00};
  check_rejected(wire, k311, Sender::client, "MQTT-3.1.1 §2.2.3", kMalformed);
  StreamDecoder decoder(stream_with(k311));
  check_stream_rejected(decoder, run_stream(decoder, wire), "MQTT-3.1.1 §2.2.3", kMalformed);
}

TEST_CASE("class 2: a non-minimal Property Length 80 00 is rejected (MQTT-1.5.5-1)",
          "[malformed][class2]") {
  check_rejected({0xE0, 0x03, 0x00, 0x80, 0x00}, k5, Sender::client, "MQTT-1.5.5-1", kMalformed);
}

TEST_CASE("class 3: a Remaining Length larger than the bytes given is rejected",
          "[malformed][class3]") {
  check_rejected({0x40, 0x03, 0x00, 0x01}, k311, Sender::client, "MQTT-3.1.1 §2.2.3", kMalformed);
  // On a stream the same bytes are only an incomplete packet: wait, do not fail.
  StreamDecoder decoder(stream_with(k311));
  const StreamRun run = run_stream(decoder, {0x40, 0x03, 0x00, 0x01});
  CHECK(run.status == Status::need_more);
  CHECK(run.packets == 0);
}

TEST_CASE("class 3: a Remaining Length smaller than the content is rejected",
          "[malformed][class3]") {
  // PUBACK with RL 1: the packet identifier is cut in half.
  check_rejected({0x40, 0x01, 0x00}, k311, Sender::client, "MQTT-3.1.1 §2.2.3", kMalformed);
  // PINGREQ with RL 1: one byte too many for an empty packet.
  check_rejected({0xC0, 0x01, 0x00}, k5, Sender::client, "MQTT-5.0 §2.1.4", kMalformed);
  StreamDecoder decoder(stream_with(k311));
  const StreamRun run = run_stream(decoder, {0x40, 0x01, 0x00, 0x01, 0xC0, 0x00});
  check_stream_rejected(decoder, run, "MQTT-3.1.1 §2.2.3", kMalformed);
}

TEST_CASE(
    "class 4: a huge Remaining Length on a first packet that is not CONNECT is rejected "
    "after five bytes",
    "[malformed][class4]") {
  StreamDecoder decoder(broker_stream());
  const StreamRun run = run_stream(decoder, {0x82, 0xFF, 0xFF, 0xFF, 0x7F});
  check_stream_rejected(decoder, run, "MQTT-3.1.0-1", kProtocolError);
  CHECK(decoder.buffered_bytes() == 0);
}

TEST_CASE(
    "class 4: after CONNECT a Remaining Length above the packet size limit is refused "
    "before the body",
    "[malformed][class4]") {
  StreamOptions options = stream_with(k311);
  options.limits.max_packet_size_bytes = 1 << 20;
  StreamDecoder decoder(options);
  const StreamRun run = run_stream(decoder, {0x30, 0x80, 0xC2, 0xD7, 0x2F});  // RL 100,000,000
  check_stream_rejected(decoder, run, "mqttsim-limit", ErrorKind::packet_too_large);
}

TEST_CASE(
    "class 5: reserved fixed-header flags of CONNECT, PUBACK, PUBREL, SUBSCRIBE and "
    "UNSUBSCRIBE must be exact",
    "[malformed][class5]") {
  check_rejected({0x11, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x00},
                 k311, Sender::client, "MQTT-2.2.2-1", kMalformed);
  check_rejected(
      {0x11, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C, 0x00, 0x00, 0x00}, k5,
      Sender::client, "MQTT-2.1.3-1", kMalformed);
  check_rejected({0x41, 0x02, 0x00, 0x01}, k311, Sender::client, "MQTT-2.2.2-1", kMalformed);
  check_rejected({0x41, 0x02, 0x00, 0x01}, k5, Sender::client, "MQTT-2.1.3-1", kMalformed);
  check_rejected({0x60, 0x02, 0x00, 0x01}, k311, Sender::client, "MQTT-3.6.1-1", kMalformed);
  check_rejected({0x60, 0x02, 0x00, 0x01}, k5, Sender::client, "MQTT-3.6.1-1", kMalformed);
  check_rejected({0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00}, k311, Sender::client,
                 "MQTT-3.8.1-1", kMalformed);
  check_rejected({0xA0, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'}, k311, Sender::client, "MQTT-3.10.1-1",
                 kMalformed);
  check_rejected({0xE2, 0x00}, k311, Sender::client, "MQTT-2.2.2-1", kMalformed);
}

TEST_CASE(
    "class 5: reserved flags of a 5.0 DISCONNECT and AUTH cite MQTT-3.14.1-1 and "
    "MQTT-3.15.1-1",
    "[malformed][class5]") {
  // Like PUBREL/SUBSCRIBE/UNSUBSCRIBE, these packets restate the rule with their own ids.
  check_rejected({0xE1, 0x00}, k5, Sender::client, "MQTT-3.14.1-1", kMalformed);
  check_rejected({0xF1, 0x00}, k5, Sender::client, "MQTT-3.15.1-1", kMalformed);
}

TEST_CASE("class 6: PUBLISH with QoS 3 is rejected (MQTT-3.3.1-4)", "[malformed][class6]") {
  const Bytes wire = {0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01};
  check_rejected(wire, k311, Sender::client, "MQTT-3.3.1-4", kMalformed);
  check_rejected(wire, k5, Sender::server, "MQTT-3.3.1-4", kMalformed);
}

TEST_CASE("class 6: PUBLISH with DUP 1 and QoS 0 is rejected (MQTT-3.3.1-2)",
          "[malformed][class6]") {
  check_rejected({0x38, 0x03, 0x00, 0x01, 't'}, k311, Sender::client, "MQTT-3.3.1-2", kMalformed);
  check_rejected({0x38, 0x04, 0x00, 0x01, 't', 0x00}, k5, Sender::client, "MQTT-3.3.1-2",
                 kMalformed);
}

TEST_CASE("class 7: packet type 0 is reserved", "[malformed][class7]") {
  check_rejected({0x00, 0x00}, k311, Sender::client, "MQTT-3.1.1 §2.2.1", kMalformed);
  check_rejected({0x00, 0x00}, k5, Sender::server, "MQTT-5.0 §2.1.2", kMalformed);
}

TEST_CASE("class 7: AUTH (type 15) is reserved under 3.1.1", "[malformed][class7]") {
  check_rejected({0xF0, 0x00}, k311, Sender::client, "MQTT-3.1.1 §2.2.1", kMalformed);
  check_rejected({0xF0, 0x00}, Version::v3_1, Sender::server, "MQTT-3.1.1 §2.2.1", kMalformed);
}

TEST_CASE("class 7: CONNACK and SUBACK sent to a broker are rejected", "[malformed][class7]") {
  check_rejected({0x20, 0x02, 0x00, 0x00}, k311, Sender::client, "MQTT-3.1.1 §2.2.1",
                 kProtocolError);
  check_rejected({0x90, 0x04, 0x00, 0x01, 0x00, 0x00}, k5, Sender::client, "MQTT-5.0 §2.1.2",
                 kProtocolError);
  // And the other way round: a client never receives SUBSCRIBE.
  check_rejected({0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00}, k311, Sender::server,
                 "MQTT-3.1.1 §2.2.1", kProtocolError);
}

TEST_CASE("class 8: a packet before CONNECT is rejected (MQTT-3.1.0-1)", "[malformed][class8]") {
  StreamDecoder unversioned(broker_stream());
  check_stream_rejected(unversioned, run_stream(unversioned, {0xC0, 0x00}), "MQTT-3.1.0-1",
                        kProtocolError);
  StreamOptions options = stream_with(k311);
  options.enforce_connect_order = true;
  StreamDecoder versioned(options);
  check_stream_rejected(versioned, run_stream(versioned, {0x30, 0x03, 0x00, 0x01, 't'}),
                        "MQTT-3.1.0-1", kProtocolError);
}

TEST_CASE("class 8: a second CONNECT is rejected (MQTT-3.1.0-2)", "[malformed][class8]") {
  StreamDecoder decoder(broker_stream());
  Bytes twice = kConnect311;
  twice.insert(twice.end(), kConnect311.begin(), kConnect311.end());
  const StreamRun run = run_stream(decoder, twice);
  CHECK(run.packets == 1);
  check_stream_rejected(decoder, run, "MQTT-3.1.0-2", kProtocolError);
}

TEST_CASE("class 9: a string length that runs past the packet end is rejected",
          "[malformed][class9]") {
  // Topic length 5, two bytes present.
  check_rejected({0x30, 0x04, 0x00, 0x05, 'a', 'b'}, k311, Sender::client, "MQTT-3.1.1 §2.2.3",
                 kMalformed);
}

TEST_CASE("class 9: a binary length that runs past the packet end is rejected",
          "[malformed][class9]") {
  // 5.0 CONNECT with only the Password flag: password length 5, one byte present.
  const Bytes wire = {0x10, 0x10, 0x00, 0x04, 'M',  'Q',  'T',  'T',  0x05,
                      0x42, 0x00, 0x3C, 0x00, 0x00, 0x00, 0x00, 0x05, 'p'};
  check_rejected(wire, k5, Sender::client, "MQTT-5.0 §2.1.4", kMalformed);
}

TEST_CASE("class 10: a QoS 1 PUBLISH without a packet identifier is rejected",
          "[malformed][class10]") {
  check_rejected({0x32, 0x03, 0x00, 0x01, 't'}, k311, Sender::client, "MQTT-3.1.1 §2.2.3",
                 kMalformed);
  check_rejected({0x34, 0x04, 0x00, 0x01, 't', 0x00}, k5, Sender::client, "MQTT-5.0 §2.1.4",
                 kMalformed);
}

TEST_CASE("class 10: packet identifier 0 is rejected in PUBLISH, SUBSCRIBE and UNSUBSCRIBE",
          "[malformed][class10]") {
  check_rejected({0x32, 0x05, 0x00, 0x01, 't', 0x00, 0x00}, k311, Sender::client, "MQTT-2.3.1-1",
                 kProtocolError);
  check_rejected({0x32, 0x06, 0x00, 0x01, 't', 0x00, 0x00, 0x00}, k5, Sender::client,
                 "MQTT-2.2.1-3", kProtocolError);
  check_rejected({0x82, 0x06, 0x00, 0x00, 0x00, 0x01, 'a', 0x00}, k311, Sender::client,
                 "MQTT-2.3.1-1", kProtocolError);
  check_rejected({0xA2, 0x06, 0x00, 0x00, 0x00, 0x00, 0x01, 'a'}, k5, Sender::client,
                 "MQTT-2.2.1-3", kProtocolError);
}

TEST_CASE("class 10: packet identifier 0 in a PUBLISH from a 5.0 server cites MQTT-2.2.1-4",
          "[malformed][class10]") {
  // MQTT-2.2.1-3 binds clients; the server's own statement is MQTT-2.2.1-4.
  check_rejected({0x32, 0x06, 0x00, 0x01, 't', 0x00, 0x00, 0x00}, k5, Sender::server,
                 "MQTT-2.2.1-4", kProtocolError);
}
