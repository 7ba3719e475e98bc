// Byte-exact vectors for every MQTT 5.0 packet type, with properties of every value type
// (Byte, Two and Four Byte Integer, Variable Byte Integer, UTF-8 string, Binary Data, string
// pair), Will Properties, and the short forms of §3.4.2.1, §3.14.2.1 and §3.15.2.1. The bytes are
// written by hand from the field tables of MQTT 5.0 chapters 2 and 3.
#include <catch2/catch.hpp>

#include <cstdint>

#include "protocol/codec.hpp"
#include "protocol/tests/codec_vector_support.hpp"

using namespace mqttsim::protocol;
using namespace mqttsim::protocol::test;

namespace {
constexpr Version k5 = Version::v5;
constexpr std::uint8_t kAuthData[] = {0x01, 0x02};
constexpr std::uint8_t kAuthData3[] = {0x01, 0x02, 0x03};
constexpr std::uint8_t kCorrelationAB[] = {0xAB};
constexpr std::uint8_t kCorrelationDEAD[] = {0xDE, 0xAD};
}  // namespace

TEST_CASE("The 5.0 CONNECT variable header example of §3.1.2.12 matches its bytes",
          "[vectors][v5]") {
  // Flags 0xCE, Keep Alive 10, Properties: Session Expiry Interval 10.
  const Bytes wire = {0x10, 0x1E, 0x00, 0x04, 'M',  'Q',  'T',  'T',  0x05,
                      0xCE, 0x00, 0x0A, 0x05, 0x11, 0x00, 0x00, 0x00, 0x0A,  // properties
                      0x00, 0x01, 'c',                                       // client id
                      0x00,                           // Will Properties: none
                      0x00, 0x01, 'w',  0x00, 0x00,   // will topic, empty will payload
                      0x00, 0x01, 'u',  0x00, 0x00};  // user name, empty password
  Connect expected;
  expected.version = k5;
  expected.keep_alive_s = 10;
  expected.properties.session_expiry_interval_s = 10;
  expected.client_id = "c";
  expected.will = Will{QoS::at_least_once, false, "w", ByteView{}, {}};
  expected.username = "u";
  expected.password = ByteView{};
  check_vector(wire, expected, k5, Sender::client);
}

TEST_CASE("A 5.0 CONNECT with every CONNECT property and every Will property matches its bytes",
          "[vectors][v5]") {
  const Bytes wire = {0x10, 0x71, 0x00, 0x04, 'M',  'Q',  'T', 'T', 0x05, 0xCE, 0x00, 0x0A,
                      0x2F,                                          // Property Length 47
                      0x11, 0x00, 0x00, 0x00, 0x0A,                  // Session Expiry Interval 10
                      0x15, 0x00, 0x05, 'S',  'C',  'R',  'A', 'M',  // Authentication Method
                      0x16, 0x00, 0x02, 0x01, 0x02,                  // Authentication Data
                      0x17, 0x00,                               // Request Problem Information 0
                      0x19, 0x01,                               // Request Response Information 1
                      0x21, 0x00, 0x14,                         // Receive Maximum 20
                      0x22, 0x00, 0x05,                         // Topic Alias Maximum 5
                      0x26, 0x00, 0x01, 'a',  0x00, 0x01, '1',  // User Property a=1
                      0x26, 0x00, 0x01, 'b',  0x00, 0x01, '2',  // User Property b=2
                      0x27, 0x00, 0x00, 0x04, 0x00,             // Maximum Packet Size 1024
                      0x00, 0x03, 'c',  'i',  'd',              // client id
                      0x22,                                     // Will Property Length 34
                      0x01, 0x01,                               // Payload Format Indicator 1
                      0x02, 0x00, 0x00, 0x01, 0x2C,             // Message Expiry Interval 300
                      0x03, 0x00, 0x04, 't',  'e',  'x',  't',  // Content Type
                      0x08, 0x00, 0x01, 'r',                    // Response Topic
                      0x09, 0x00, 0x01, 0xAB,                   // Correlation Data
                      0x18, 0x00, 0x00, 0x00, 0x05,             // Will Delay Interval 5
                      0x26, 0x00, 0x01, 'k',  0x00, 0x01, 'v',  // User Property k=v
                      0x00, 0x01, 'w',  0x00, 0x03, 'b',  'y', 'e',  // will topic and payload
                      0x00, 0x01, 'u',  0x00, 0x02, 'p',  'w'};      // user name, password
  Connect expected;
  expected.version = k5;
  expected.keep_alive_s = 10;
  Properties& p = expected.properties;
  p.session_expiry_interval_s = 10;
  p.authentication_method = "SCRAM";
  p.authentication_data = ByteView(kAuthData, 2);
  p.request_problem_information = false;
  p.request_response_information = true;
  p.receive_maximum = 20;
  p.topic_alias_maximum = 5;
  p.user_properties = {{"a", "1"}, {"b", "2"}};
  p.maximum_packet_size_bytes = 1024;
  expected.client_id = "cid";
  Properties will_props;
  will_props.payload_format_indicator = 1;
  will_props.message_expiry_interval_s = 300;
  will_props.content_type = "text";
  will_props.response_topic = "r";
  will_props.correlation_data = ByteView(kCorrelationAB, 1);
  will_props.will_delay_interval_s = 5;
  will_props.user_properties = {{"k", "v"}};
  expected.will = Will{QoS::at_least_once, false, "w", ByteView::of("bye"), will_props};
  expected.username = "u";
  expected.password = ByteView::of("pw");
  check_vector(wire, expected, k5, Sender::client);
}

TEST_CASE("A 5.0 CONNACK with every CONNACK-only property matches its bytes", "[vectors][v5]") {
  const Bytes wire = {0x20, 0x35, 0x01, 0x00, 0x32, 0x11,
                      0xFF, 0xFF, 0xFF, 0xFF,               // Session Expiry Interval max
                      0x12, 0x00, 0x03, 'i',  'd',  '1',    // Assigned Client Identifier
                      0x13, 0x00, 0x1E,                     // Server Keep Alive 30
                      0x1A, 0x00, 0x02, 'r',  'i',          // Response Information
                      0x1C, 0x00, 0x02, 's',  '2',          // Server Reference
                      0x1F, 0x00, 0x02, 'o',  'k',          // Reason String
                      0x21, 0x00, 0x64,                     // Receive Maximum 100
                      0x22, 0x00, 0x0A,                     // Topic Alias Maximum 10
                      0x24, 0x01,                           // Maximum QoS 1
                      0x25, 0x00,                           // Retain Available 0
                      0x27, 0x00, 0x01, 0x00, 0x00,         // Maximum Packet Size 65536
                      0x28, 0x01, 0x29, 0x00, 0x2A, 0x01};  // availability flags
  Connack expected;
  expected.session_present = true;
  Properties& p = expected.properties;
  p.session_expiry_interval_s = 0xFFFFFFFFu;
  p.assigned_client_identifier = "id1";
  p.server_keep_alive_s = 30;
  p.response_information = "ri";
  p.server_reference = "s2";
  p.reason_string = "ok";
  p.receive_maximum = 100;
  p.topic_alias_maximum = 10;
  p.maximum_qos = 1;
  p.retain_available = false;
  p.maximum_packet_size_bytes = 65536;
  p.wildcard_subscription_available = true;
  p.subscription_identifier_available = false;
  p.shared_subscription_available = true;
  check_vector(wire, expected, k5, Sender::server);
}

TEST_CASE("A refusing 5.0 CONNACK has a reason code and an empty property list", "[vectors][v5]") {
  check_vector({0x20, 0x03, 0x00, 0x87, 0x00}, Connack{false, ReasonCode::not_authorized, {}}, k5,
               Sender::server);
}

TEST_CASE("A 5.0 QoS 0 PUBLISH carries a zero Property Length", "[vectors][v5]") {
  Publish expected;
  expected.topic = "a/b";
  expected.payload = ByteView::of("hi");
  check_vector({0x30, 0x08, 0x00, 0x03, 'a', '/', 'b', 0x00, 'h', 'i'}, expected, k5,
               Sender::client);
}

TEST_CASE("A 5.0 QoS 1 PUBLISH with message properties keeps its user properties in order",
          "[vectors][v5]") {
  const Bytes wire = {0x32, 0x3D, 0x00, 0x03, 'a',  '/',  'b', 0x00, 0x01,
                      0x31,                                     // Property Length 49
                      0x01, 0x01,                               // Payload Format Indicator
                      0x02, 0x00, 0x00, 0x00, 0x3C,             // Message Expiry 60
                      0x03, 0x00, 0x04, 'j',  's',  'o',  'n',  // Content Type
                      0x08, 0x00, 0x03, 'r',  '/',  '1',        // Response Topic
                      0x09, 0x00, 0x02, 0xDE, 0xAD,             // Correlation Data
                      0x23, 0x00, 0x07,                         // Topic Alias 7
                      0x26, 0x00, 0x01, 'x',  0x00, 0x01, '1',  // x=1
                      0x26, 0x00, 0x01, 'y',  0x00, 0x01, '2',  // y=2
                      0x26, 0x00, 0x01, 'x',  0x00, 0x01, '3',  // x=3 (same name again)
                      'd',  'a',  't',  'a'};
  Publish expected;
  expected.qos = QoS::at_least_once;
  expected.topic = "a/b";
  expected.packet_id = 1;
  Properties& p = expected.properties;
  p.payload_format_indicator = 1;
  p.message_expiry_interval_s = 60;
  p.content_type = "json";
  p.response_topic = "r/1";
  p.correlation_data = ByteView(kCorrelationDEAD, 2);
  p.topic_alias = 7;
  p.user_properties = {{"x", "1"}, {"y", "2"}, {"x", "3"}};
  expected.payload = ByteView::of("data");
  check_vector(wire, expected, k5, Sender::client);
}

TEST_CASE("A 5.0 QoS 2 PUBLISH from the server carries Subscription Identifiers as VBIs",
          "[vectors][v5]") {
  // DUP, QoS 2, RETAIN; identifiers 1 (01), 200 (C8 01) and 268,435,455 (FF FF FF 7F).
  const Bytes wire = {0x3D, 0x10, 0x00, 0x01, 't',  0x01, 0x02, 0x0A, 0x0B,
                      0x01, 0x0B, 0xC8, 0x01, 0x0B, 0xFF, 0xFF, 0xFF, 0x7F};
  Publish expected;
  expected.dup = true;
  expected.qos = QoS::exactly_once;
  expected.retain = true;
  expected.topic = "t";
  expected.packet_id = 0x0102;
  expected.properties.subscription_identifiers = {1, 200, 268'435'455};
  check_vector(wire, expected, k5, Sender::server);
}

TEST_CASE("A 5.0 PUBLISH may replace its topic by a Topic Alias", "[vectors][v5]") {
  Publish expected;
  expected.properties.topic_alias = 1;
  check_vector({0x30, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01}, expected, k5, Sender::client);
}

TEST_CASE("A 5.0 PUBACK with a reason string and a user property matches its bytes",
          "[vectors][v5]") {
  const Bytes wire = {0x40, 0x12, 0x00, 0x01, 0x97, 0x0E, 0x1F, 0x00, 0x04, 'f',
                      'u',  'l',  'l',  0x26, 0x00, 0x01, 'k',  0x00, 0x01, 'v'};
  Puback expected{1, ReasonCode::quota_exceeded, {}};
  expected.properties.reason_string = "full";
  expected.properties.user_properties = {{"k", "v"}};
  check_vector(wire, expected, k5, Sender::server);
}

TEST_CASE("5.0 publish acknowledgements use the shortest form the spec allows",
          "[vectors][v5][short-form]") {
  // RL 2: Success without properties (§3.4.2.1); RL 3: reason code without Property Length.
  check_vector({0x40, 0x02, 0x00, 0x01}, Puback{1, ReasonCode::success, {}}, k5, Sender::client);
  check_vector({0x40, 0x03, 0x00, 0x01, 0x10}, Puback{1, ReasonCode::no_matching_subscribers, {}},
               k5, Sender::server);
  check_vector({0x50, 0x03, 0x00, 0x02, 0x80}, Pubrec{2, ReasonCode::unspecified_error, {}}, k5,
               Sender::client);
  check_vector({0x62, 0x03, 0x00, 0x03, 0x92},
               Pubrel{3, ReasonCode::packet_identifier_not_found, {}}, k5, Sender::server);
  check_vector({0x70, 0x02, 0x00, 0x04}, Pubcomp{4, ReasonCode::success, {}}, k5, Sender::client);
}

TEST_CASE("Long forms of 5.0 publish acknowledgements decode like the short forms",
          "[vectors][v5][short-form]") {
  check_decodes_to({0x40, 0x03, 0x00, 0x01, 0x00}, Puback{1, ReasonCode::success, {}}, k5,
                   Sender::client);
  check_decodes_to({0x40, 0x04, 0x00, 0x01, 0x00, 0x00}, Puback{1, ReasonCode::success, {}}, k5,
                   Sender::client);
  check_decodes_to({0x40, 0x04, 0x00, 0x01, 0x10, 0x00},
                   Puback{1, ReasonCode::no_matching_subscribers, {}}, k5, Sender::server);
  check_decodes_to({0x50, 0x04, 0x00, 0x02, 0x00, 0x00}, Pubrec{2, ReasonCode::success, {}}, k5,
                   Sender::client);
  check_decodes_to({0x62, 0x04, 0x00, 0x03, 0x00, 0x00}, Pubrel{3, ReasonCode::success, {}}, k5,
                   Sender::client);
  check_decodes_to({0x70, 0x04, 0x00, 0x04, 0x00, 0x00}, Pubcomp{4, ReasonCode::success, {}}, k5,
                   Sender::server);
}

TEST_CASE("A 5.0 SUBSCRIBE with a Subscription Identifier and every option matches its bytes",
          "[vectors][v5]") {
  const Bytes wire = {0x82, 0x21, 0x00, 0x0A, 0x09, 0x0B, 0x05,  // id 10, Sub. Id 5
                      0x26, 0x00, 0x01, 'k',  0x00, 0x01, 'v',   // User Property
                      0x00, 0x03, 'a',  '/',  'b',  0x2D,        // QoS 1, NL, RAP, RH 2
                      0x00, 0x0C, '$',  's',  'h',  'a',  'r',  'e',
                      '/',  'g',  '/',  'c',  '/',  '+',  0x10};  // QoS 0, RH 1
  Subscribe expected;
  expected.packet_id = 10;
  expected.properties.subscription_identifiers = {5};
  expected.properties.user_properties = {{"k", "v"}};
  expected.subscriptions = {
      {"a/b", {QoS::at_least_once, true, true, RetainHandling::do_not_send}},
      {"$share/g/c/+",
       {QoS::at_most_once, false, false, RetainHandling::send_if_new_subscription}}};
  check_vector(wire, expected, k5, Sender::client);
}

TEST_CASE("A 5.0 SUBACK with a reason string and three reason codes matches its bytes",
          "[vectors][v5]") {
  Suback expected;
  expected.packet_id = 10;
  expected.properties.reason_string = "ok";
  expected.reason_codes = {ReasonCode::granted_qos_1, ReasonCode::granted_qos_2,
                           ReasonCode::wildcard_subscriptions_not_supported};
  check_vector({0x90, 0x0B, 0x00, 0x0A, 0x05, 0x1F, 0x00, 0x02, 'o', 'k', 0x01, 0x02, 0xA2},
               expected, k5, Sender::server);
}

TEST_CASE("A 5.0 UNSUBSCRIBE with a user property matches its bytes", "[vectors][v5]") {
  const Bytes wire = {0xA2, 0x14, 0x00, 0x0B, 0x07, 0x26, 0x00, 0x01, 'k', 0x00, 0x01,
                      'v',  0x00, 0x03, 'a',  '/',  'b',  0x00, 0x03, 'c', '/',  'd'};
  Unsubscribe expected;
  expected.packet_id = 11;
  expected.properties.user_properties = {{"k", "v"}};
  expected.filters = {"a/b", "c/d"};
  check_vector(wire, expected, k5, Sender::client);
}

TEST_CASE("A 5.0 UNSUBACK carries one reason code per filter", "[vectors][v5]") {
  Unsuback expected{11, {}, {ReasonCode::success, ReasonCode::no_subscription_existed}};
  check_vector({0xB0, 0x05, 0x00, 0x0B, 0x00, 0x00, 0x11}, expected, k5, Sender::server);
}

TEST_CASE("5.0 PINGREQ and PINGRESP are the same two bytes as in 3.1.1", "[vectors][v5]") {
  check_vector({0xC0, 0x00}, Pingreq{}, k5, Sender::client);
  check_vector({0xD0, 0x00}, Pingresp{}, k5, Sender::server);
}

TEST_CASE("5.0 DISCONNECT short forms: RL 0 is Normal disconnection, RL 1 a bare reason code",
          "[vectors][v5][short-form]") {
  check_vector({0xE0, 0x00}, Disconnect{}, k5, Sender::client);
  check_vector({0xE0, 0x01, 0x04}, Disconnect{ReasonCode::disconnect_with_will_message, {}}, k5,
               Sender::client);
  check_decodes_to({0xE0, 0x01, 0x00}, Disconnect{}, k5, Sender::client);
  check_decodes_to({0xE0, 0x02, 0x00, 0x00}, Disconnect{}, k5, Sender::client);
}

TEST_CASE("A 5.0 client DISCONNECT can change the Session Expiry Interval", "[vectors][v5]") {
  Disconnect expected;
  expected.properties.session_expiry_interval_s = 60;
  check_vector({0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x3C}, expected, k5,
               Sender::client);
}

TEST_CASE("A 5.0 server DISCONNECT with Server Reference and Reason String matches its bytes",
          "[vectors][v5]") {
  const Bytes wire = {0xE0, 0x0E, 0x9C, 0x0C, 0x1C, 0x00, 0x03, 's',
                      'r',  'v',  0x1F, 0x00, 0x03, 'b',  'y',  'e'};
  Disconnect expected{ReasonCode::use_another_server, {}};
  expected.properties.server_reference = "srv";
  expected.properties.reason_string = "bye";
  check_vector(wire, expected, k5, Sender::server);
}

TEST_CASE("AUTH with RL 0 means Success without properties", "[vectors][v5][short-form]") {
  check_vector({0xF0, 0x00}, Auth{}, k5, Sender::client);
  check_vector({0xF0, 0x00}, Auth{}, k5, Sender::server);
  check_decodes_to({0xF0, 0x02, 0x00, 0x00}, Auth{}, k5, Sender::server);
}

TEST_CASE("AUTH Continue authentication carries its method and data", "[vectors][v5]") {
  const Bytes wire = {0xF0, 0x10, 0x18, 0x0E, 0x15, 0x00, 0x05, 'S',  'C',
                      'R',  'A',  'M',  0x16, 0x00, 0x03, 0x01, 0x02, 0x03};
  Auth expected{ReasonCode::continue_authentication, {}};
  expected.properties.authentication_method = "SCRAM";
  expected.properties.authentication_data = ByteView(kAuthData3, 3);
  check_vector(wire, expected, k5, Sender::client);
}

TEST_CASE("AUTH with a non-zero reason and no properties keeps its Property Length byte",
          "[vectors][v5][short-form]") {
  // §3.15.2.1 lets AUTH omit reason code and Property Length only together (Success, no
  // properties), so Re-authenticate without properties is RL 2: 19 00.
  check_vector({0xF0, 0x02, 0x19, 0x00}, Auth{ReasonCode::re_authenticate, {}}, k5, Sender::client);
}
