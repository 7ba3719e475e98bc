// Tests of the MQTT-SN 1.2 codec: byte vectors written by hand from the spec's field tables
// (§5.4, §5.5), one per rejection class, and RapidCheck properties for round trips and for
// arbitrary or mutated datagrams.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <deque>
#include <set>
#include <string>
#include <vector>

#include "protocol/mqttsn.hpp"

namespace sn = mqttsim::protocol::sn;
using mqttsim::protocol::ByteView;
using mqttsim::protocol::Malformed;
using Bytes = std::vector<std::uint8_t>;

namespace {

ByteView view(const Bytes& b) {
  return ByteView(b.data(), b.size());
}
ByteView text(const char* s) {
  return ByteView::of(s);
}

Bytes encoded(const sn::Packet& p) {
  Bytes out;
  const auto error = sn::encode(p, out);
  INFO((error ? error->reason : std::string("ok")));
  REQUIRE_FALSE(error);
  return out;
}

Malformed rejected(const Bytes& b) {
  const auto result = sn::decode(view(b));
  REQUIRE(std::holds_alternative<Malformed>(result));
  return std::get<Malformed>(result);
}

Bytes publish_with_data(Bytes header, std::size_t data_size) {
  header.insert(header.end(), data_size, 'x');
  return header;
}

const std::string& long_data() {
  static const std::string data(300, 'x');
  return data;
}

struct Vector {
  const char* what;
  Bytes bytes;
  sn::Packet packet;
};

// Each message laid out field by field as in the tables of §5.4 (Length, MsgType, ...).
const std::vector<Vector>& vectors() {
  using RC = sn::ReturnCode;
  using Q = sn::QoS;
  using T = sn::TopicIdType;
  static const std::vector<Vector> all = {
      {"ADVERTISE", {0x05, 0x00, 0x2A, 0x03, 0x84}, sn::Advertise{0x2A, 900}},
      {"SEARCHGW", {0x03, 0x01, 0x01}, sn::SearchGw{1}},
      {"GWINFO from a gateway", {0x03, 0x02, 0x2A}, sn::GwInfo{0x2A, {}}},
      {"GWINFO from a client",
       {0x07, 0x02, 0x2A, 0xC0, 0xA8, 0x00, 0x01},
       sn::GwInfo{0x2A, ByteView::of(std::string_view("\xC0\xA8\x00\x01", 4))}},
      {"CONNECT",
       {0x09, 0x04, 0x0C, 0x01, 0x00, 0x3C, 'a', 'b', 'c'},
       sn::Connect{true, true, 60, "abc"}},
      {"CONNACK", {0x03, 0x05, 0x01}, sn::ConnAck{RC::rejected_congestion}},
      {"WILLTOPICREQ", {0x02, 0x06}, sn::WillTopicReq{}},
      {"WILLTOPIC",
       {0x06, 0x07, 0x30, 'w', '/', 't'},
       sn::WillTopic{Q::at_least_once, true, "w/t"}},
      {"empty WILLTOPIC", {0x02, 0x07}, sn::WillTopic{}},
      {"WILLMSGREQ", {0x02, 0x08}, sn::WillMsgReq{}},
      {"WILLMSG", {0x05, 0x09, 'b', 'y', 'e'}, sn::WillMsg{text("bye")}},
      {"REGISTER", {0x09, 0x0A, 0x00, 0x00, 0x00, 0x01, 'a', '/', 'b'}, sn::Register{0, 1, "a/b"}},
      {"REGACK", {0x07, 0x0B, 0x00, 0x05, 0x00, 0x01, 0x00}, sn::RegAck{5, 1, RC::accepted}},
      {"PUBLISH QoS 1",
       {0x09, 0x0C, 0x20, 0x00, 0x05, 0x00, 0x07, 'h', 'i'},
       sn::Publish{false, Q::at_least_once, false, T::normal, 5, 7, text("hi")}},
      {"PUBLISH QoS 2 DUP Retain predefined, no data",
       {0x07, 0x0C, 0xD1, 0x01, 0x02, 0x03, 0x04},
       sn::Publish{true, Q::exactly_once, true, T::predefined, 0x0102, 0x0304, {}}},
      {"PUBLISH QoS -1 to a predefined topic id",
       {0x08, 0x0C, 0x61, 0x00, 0x01, 0x00, 0x00, 'x'},
       sn::Publish{false, Q::fire_and_forget, false, T::predefined, 1, 0, text("x")}},
      {"PUBLISH QoS -1 to a short topic name",
       {0x08, 0x0C, 0x62, 'a', 'b', 0x00, 0x00, 'x'},
       sn::Publish{false, Q::fire_and_forget, false, T::short_name, sn::short_topic_id('a', 'b'), 0,
                   text("x")}},
      {"PUBACK",
       {0x07, 0x0D, 0x00, 0x05, 0x00, 0x07, 0x02},
       sn::PubAck{5, 7, RC::rejected_invalid_topic_id}},
      {"PUBCOMP", {0x04, 0x0E, 0x00, 0x07}, sn::PubComp{7}},
      {"PUBREC", {0x04, 0x0F, 0x00, 0x07}, sn::PubRec{7}},
      {"PUBREL", {0x04, 0x10, 0x00, 0x07}, sn::PubRel{7}},
      {"SUBSCRIBE by topic name",
       {0x08, 0x12, 0x20, 0x00, 0x02, 'a', '/', '#'},
       sn::Subscribe{false, Q::at_least_once, T::normal, 2, "a/#", 0}},
      {"SUBSCRIBE by predefined id",
       {0x07, 0x12, 0xC1, 0x00, 0x02, 0x00, 0x10},
       sn::Subscribe{true, Q::exactly_once, T::predefined, 2, {}, 0x10}},
      {"SUBSCRIBE by short name",
       {0x07, 0x12, 0x02, 0x00, 0x02, 'a', 'b'},
       sn::Subscribe{false, Q::at_most_once, T::short_name, 2, "ab", 0}},
      {"SUBACK",
       {0x08, 0x13, 0x20, 0x00, 0x05, 0x00, 0x02, 0x00},
       sn::SubAck{Q::at_least_once, 5, 2, RC::accepted}},
      {"UNSUBSCRIBE by topic name",
       {0x08, 0x14, 0x00, 0x00, 0x03, 'a', '/', '#'},
       sn::Unsubscribe{T::normal, 3, "a/#", 0}},
      {"UNSUBSCRIBE by predefined id",
       {0x07, 0x14, 0x01, 0x00, 0x03, 0x00, 0x10},
       sn::Unsubscribe{T::predefined, 3, {}, 0x10}},
      {"UNSUBACK", {0x04, 0x15, 0x00, 0x03}, sn::UnsubAck{3}},
      {"PINGREQ", {0x02, 0x16}, sn::PingReq{}},
      {"PINGREQ of a sleeping client", {0x05, 0x16, 'a', 'b', 'c'}, sn::PingReq{"abc"}},
      {"PINGRESP", {0x02, 0x17}, sn::PingResp{}},
      {"DISCONNECT", {0x02, 0x18}, sn::Disconnect{}},
      {"DISCONNECT to sleep", {0x04, 0x18, 0x00, 0x3C}, sn::Disconnect{60}},
      {"WILLTOPICUPD", {0x04, 0x1A, 0x00, 'w'}, sn::WillTopicUpd{Q::at_most_once, false, "w"}},
      {"empty WILLTOPICUPD", {0x02, 0x1A}, sn::WillTopicUpd{}},
      {"WILLTOPICRESP", {0x03, 0x1B, 0x03}, sn::WillTopicResp{RC::rejected_not_supported}},
      {"WILLMSGUPD", {0x05, 0x1C, 'b', 'y', 'e'}, sn::WillMsgUpd{text("bye")}},
      {"WILLMSGRESP", {0x03, 0x1D, 0x00}, sn::WillMsgResp{RC::accepted}},
      {"Forwarder Encapsulation of a PINGREQ",
       {0x05, 0xFE, 0x01, 0xAB, 0xCD, 0x02, 0x16},
       sn::Encapsulated{1, ByteView::of("\xAB\xCD"), sn::PingReq{}}},
      {"3-octet Length for a 309-octet PUBLISH",
       publish_with_data({0x01, 0x01, 0x35, 0x0C, 0x00, 0x00, 0x05, 0x00, 0x00}, 300),
       sn::Publish{false, Q::at_most_once, false, T::normal, 5, 0, ByteView::of(long_data())}},
  };
  return all;
}

}  // namespace

TEST_CASE("every message type decodes from its hand-written spec bytes and encodes back") {
  std::set<sn::MsgType> covered;
  for (const auto& v : vectors()) {
    INFO(v.what);
    const auto result = sn::decode(view(v.bytes));
    if (const auto* error = std::get_if<Malformed>(&result)) FAIL(error->reason);
    const auto& packet = std::get<sn::Packet>(result);
    covered.insert(sn::message_type(packet));
    CHECK(packet == v.packet);
    CHECK(encoded(v.packet) == v.bytes);
    CHECK(sn::encoded_size(v.packet) == v.bytes.size());
  }
  CHECK(covered.size() == 28);  // 27 message types and the Forwarder Encapsulation
}

TEST_CASE("the Length form switches from 1 to 3 octets exactly when 255 octets are exceeded") {
  const Bytes largest_short = publish_with_data({0xFF, 0x0C, 0x00, 0x00, 0x05, 0x00, 0x00}, 248);
  const Bytes smallest_long =
      publish_with_data({0x01, 0x01, 0x02, 0x0C, 0x00, 0x00, 0x05, 0x00, 0x00}, 249);
  const std::string data(249, 'x');
  sn::Publish p{false, sn::QoS::at_most_once, false, sn::TopicIdType::normal, 5, 0, {}};
  p.data = ByteView::of(std::string_view(data).substr(0, 248));
  CHECK(encoded(p) == largest_short);
  p.data = ByteView::of(data);
  CHECK(encoded(p) == smallest_long);
  CHECK(std::holds_alternative<sn::Packet>(sn::decode(view(largest_short))));
  CHECK(std::holds_alternative<sn::Packet>(sn::decode(view(smallest_long))));
}

namespace {

struct Rejection {
  const char* what;
  Bytes bytes;
  std::string_view spec_ref;
  std::size_t offset;
};

const std::vector<Rejection>& rejections() {
  static const std::vector<Rejection> all = {
      {"an empty datagram", {}, "MQTT-SN 1.2 §5.2.1", 0},
      {"Length 0", {0x00, 0x01}, "MQTT-SN 1.2 §5.2.1", 0},
      {"a truncated 3-octet Length", {0x01, 0x00}, "MQTT-SN 1.2 §5.2.1", 0},
      {"the 3-octet form for a 7-octet message",
       {0x01, 0x00, 0x07, 0x00, 0x2A, 0x03, 0x84},
       "MQTT-SN 1.2 §5.2.1",
       0},
      {"the 3-octet form for 257 octets (fits the 1-octet form as 255)",
       publish_with_data({0x01, 0x01, 0x01, 0x0C, 0x00, 0x00, 0x05, 0x00, 0x00}, 248),
       "MQTT-SN 1.2 §5.2.1", 0},
      {"a Length beyond the datagram", {0x05, 0x00, 0x2A, 0x03}, "MQTT-SN 1.2 §5.2.1", 0},
      {"octets after the message", {0x03, 0x05, 0x00, 0x00}, "MQTT-SN 1.2 §5.2.1", 0},
      {"reserved MsgType 0x03", {0x02, 0x03}, "MQTT-SN 1.2 §5.2.2", 1},
      {"reserved MsgType 0x11", {0x02, 0x11}, "MQTT-SN 1.2 §5.2.2", 1},
      {"reserved MsgType 0x19", {0x02, 0x19}, "MQTT-SN 1.2 §5.2.2", 1},
      {"reserved MsgType 0x1E", {0x02, 0x1E}, "MQTT-SN 1.2 §5.2.2", 1},
      {"reserved MsgType 0xFF", {0x02, 0xFF}, "MQTT-SN 1.2 §5.2.2", 1},
      {"CONNECT cut before Duration", {0x05, 0x04, 0x0C, 0x01, 0x00}, "MQTT-SN 1.2 §5.4.4", 4},
      {"a fixed-length CONNACK one octet long", {0x04, 0x05, 0x00, 0x00}, "MQTT-SN 1.2 §5.4.5", 0},
      {"TopicIdType 0b11",
       {0x08, 0x0C, 0x03, 0x00, 0x01, 0x00, 0x00, 'x'},
       "MQTT-SN 1.2 §5.3.4",
       2},
      {"DUP in CONNECT",
       {0x09, 0x04, 0x8C, 0x01, 0x00, 0x3C, 'a', 'b', 'c'},
       "MQTT-SN 1.2 §5.3.4",
       2},
      {"Retain in SUBACK",
       {0x08, 0x13, 0x30, 0x00, 0x05, 0x00, 0x02, 0x00},
       "MQTT-SN 1.2 §5.3.4",
       2},
      {"TopicIdType in WILLTOPIC", {0x04, 0x07, 0x01, 'w'}, "MQTT-SN 1.2 §5.3.4", 2},
      {"reserved ReturnCode 0x04", {0x03, 0x05, 0x04}, "MQTT-SN 1.2 §5.3.10", 2},
      {"ProtocolId 0x02",
       {0x09, 0x04, 0x0C, 0x02, 0x00, 0x3C, 'a', 'b', 'c'},
       "MQTT-SN 1.2 §5.3.8",
       3},
      {"an empty ClientId", {0x06, 0x04, 0x00, 0x01, 0x00, 0x3C}, "MQTT-SN 1.2 §5.3.1", 6},
      {"QoS -1 to a normal topic id",
       {0x08, 0x0C, 0x60, 0x00, 0x01, 0x00, 0x00, 'x'},
       "MQTT-SN 1.2 §6.8",
       2},
      {"a MsgId in a QoS 0 PUBLISH",
       {0x08, 0x0C, 0x00, 0x00, 0x01, 0x00, 0x09, 'x'},
       "MQTT-SN 1.2 §5.4.12",
       5},
      {"DUP in a QoS 0 PUBLISH",
       {0x08, 0x0C, 0x80, 0x00, 0x01, 0x00, 0x00, 'x'},
       "MQTT-SN 1.2 §5.3.4",
       2},
      {"QoS -1 in SUBSCRIBE",
       {0x08, 0x12, 0x60, 0x00, 0x02, 'a', '/', '#'},
       "MQTT-SN 1.2 §5.3.4",
       2},
      {"a 3-octet short topic name",
       {0x08, 0x12, 0x02, 0x00, 0x02, 'a', 'b', 'c'},
       "MQTT-SN 1.2 §6.7",
       5},
      {"a predefined SUBSCRIBE with an extra octet",
       {0x08, 0x12, 0x01, 0x00, 0x02, 0x00, 0x10, 0},
       "MQTT-SN 1.2 §5.4.15",
       7},
      {"an empty REGISTER TopicName",
       {0x06, 0x0A, 0x00, 0x00, 0x00, 0x01},
       "MQTT-SN 1.2 §5.3.12",
       6},
      {"DISCONNECT with a 1-octet Duration", {0x03, 0x18, 0x00}, "MQTT-SN 1.2 §5.4.21", 0},
      {"WILLTOPIC with Flags but no topic", {0x03, 0x07, 0x00}, "MQTT-SN 1.2 §5.4.7", 3},
      {"reserved Ctrl bits", {0x05, 0xFE, 0x05, 0xAB, 0xCD, 0x02, 0x16}, "MQTT-SN 1.2 §5.5", 2},
      {"an encapsulation inside an encapsulation",
       {0x03, 0xFE, 0x00, 0x03, 0xFE, 0x00, 0x02, 0x16},
       "MQTT-SN 1.2 §5.5",
       4},
      {"an encapsulation with a 3-octet Length", {0x01, 0x01, 0x02, 0xFE}, "MQTT-SN 1.2 §5.5", 3},
      {"an encapsulation carrying nothing", {0x03, 0xFE, 0x00}, "MQTT-SN 1.2 §5.5", 3},
      {"an encapsulation header past the datagram",
       {0x06, 0xFE, 0x00, 0xAB},
       "MQTT-SN 1.2 §5.5",
       4},
      {"a bad message inside an encapsulation",
       {0x05, 0xFE, 0x01, 0xAB, 0xCD, 0x03, 0x05, 0x04},
       "MQTT-SN 1.2 §5.3.10",
       7},
  };
  return all;
}

}  // namespace

TEST_CASE("each class of malformed datagram is rejected with its section and offset") {
  for (const auto& r : rejections()) {
    INFO(r.what);
    const Malformed m = rejected(r.bytes);
    INFO(m.reason);
    CHECK_FALSE(m.reason.empty());
    CHECK(m.spec_ref == r.spec_ref);
    CHECK(m.offset == r.offset);
  }
}

TEST_CASE("a ClientId of 24 octets is rejected, 23 accepted") {
  Bytes connect = {0x1D, 0x04, 0x04, 0x01, 0x00, 0x3C};
  connect.insert(connect.end(), 23, 'c');
  CHECK(std::holds_alternative<sn::Packet>(sn::decode(view(connect))));
  connect.push_back('c');
  connect[0] = 0x1E;
  CHECK(rejected(connect).spec_ref == "MQTT-SN 1.2 §5.3.1");
}

namespace {

// Owns the strings that generated packets view.
using Pool = std::deque<std::string>;

std::string_view gen_text(Pool& pool, std::size_t min, std::size_t max) {
  const auto size = *rc::gen::inRange<std::size_t>(min, max + 1);
  return pool.emplace_back(*rc::gen::container<std::string>(size, rc::gen::arbitrary<char>()));
}
ByteView gen_bytes(Pool& pool, std::size_t max) {
  return ByteView::of(gen_text(pool, 0, max));
}
std::uint16_t gen_u16() {
  return *rc::gen::arbitrary<std::uint16_t>();
}
std::uint8_t gen_u8() {
  return *rc::gen::arbitrary<std::uint8_t>();
}
bool gen_bool() {
  return *rc::gen::arbitrary<bool>();
}
sn::QoS gen_qos(bool minus_one) {
  return static_cast<sn::QoS>(*rc::gen::inRange(0, minus_one ? 4 : 3));
}
sn::ReturnCode gen_code() {
  return static_cast<sn::ReturnCode>(*rc::gen::inRange(0, 4));
}
sn::TopicIdType gen_topic_type() {
  return static_cast<sn::TopicIdType>(*rc::gen::inRange(0, 3));
}

sn::Publish gen_publish(Pool& pool) {
  sn::Publish p;
  p.qos = gen_qos(true);
  p.topic_id_type = gen_topic_type();
  if (p.qos == sn::QoS::fire_and_forget && p.topic_id_type == sn::TopicIdType::normal) {
    p.topic_id_type = sn::TopicIdType::predefined;
  }
  const bool acknowledged = p.qos == sn::QoS::at_least_once || p.qos == sn::QoS::exactly_once;
  p.dup = acknowledged && gen_bool();
  p.msg_id = acknowledged ? gen_u16() : 0;
  p.retain = gen_bool();
  p.topic_id = gen_u16();
  p.data = gen_bytes(pool, *rc::gen::element<std::size_t>(20, 400));  // sometimes long form
  return p;
}

template <class Sub>
Sub gen_selector(Pool& pool) {
  Sub p;
  p.topic_id_type = gen_topic_type();
  p.msg_id = gen_u16();
  if (p.topic_id_type == sn::TopicIdType::predefined) p.topic_id = gen_u16();
  if (p.topic_id_type == sn::TopicIdType::short_name) p.topic_name = gen_text(pool, 2, 2);
  if (p.topic_id_type == sn::TopicIdType::normal) p.topic_name = gen_text(pool, 1, 40);
  return p;
}

template <class Will>
Will gen_will_topic(Pool& pool) {
  Will p;
  p.topic = gen_text(pool, 0, 30);
  if (!p.topic.empty()) {
    p.qos = gen_qos(false);
    p.retain = gen_bool();
  }
  return p;
}

// A valid message of the `index`-th Message alternative, fields drawn at random.
sn::Message gen_message(std::size_t index, Pool& pool) {
  switch (index) {
    case 0:
      return sn::Advertise{gen_u8(), gen_u16()};
    case 1:
      return sn::SearchGw{gen_u8()};
    case 2:
      return sn::GwInfo{gen_u8(), gen_bytes(pool, 16)};
    case 3:
      return sn::Connect{gen_bool(), gen_bool(), gen_u16(), gen_text(pool, 1, 23)};
    case 4:
      return sn::ConnAck{gen_code()};
    case 5:
      return sn::WillTopicReq{};
    case 6:
      return gen_will_topic<sn::WillTopic>(pool);
    case 7:
      return sn::WillMsgReq{};
    case 8:
      return sn::WillMsg{gen_bytes(pool, 300)};
    case 9:
      return sn::Register{gen_u16(), gen_u16(), gen_text(pool, 1, 40)};
    case 10:
      return sn::RegAck{gen_u16(), gen_u16(), gen_code()};
    case 11:
      return gen_publish(pool);
    case 12:
      return sn::PubAck{gen_u16(), gen_u16(), gen_code()};
    case 13:
      return sn::PubComp{gen_u16()};
    case 14:
      return sn::PubRec{gen_u16()};
    case 15:
      return sn::PubRel{gen_u16()};
    case 16: {
      auto p = gen_selector<sn::Subscribe>(pool);
      p.dup = gen_bool();
      p.qos = gen_qos(false);
      return p;
    }
    case 17:
      return sn::SubAck{gen_qos(false), gen_u16(), gen_u16(), gen_code()};
    case 18:
      return gen_selector<sn::Unsubscribe>(pool);
    case 19:
      return sn::UnsubAck{gen_u16()};
    case 20:
      return sn::PingReq{gen_text(pool, 0, 23)};
    case 21:
      return sn::PingResp{};
    case 22:
      return gen_bool() ? sn::Disconnect{} : sn::Disconnect{gen_u16()};
    case 23:
      return gen_will_topic<sn::WillTopicUpd>(pool);
    case 24:
      return sn::WillTopicResp{gen_code()};
    case 25:
      return sn::WillMsgUpd{gen_bytes(pool, 300)};
    default:
      return sn::WillMsgResp{gen_code()};
  }
}

sn::Packet gen_packet(std::size_t index, Pool& pool) {
  if (index < std::variant_size_v<sn::Message>) return sn::to_packet(gen_message(index, pool));
  const auto inner = *rc::gen::inRange<std::size_t>(0, std::variant_size_v<sn::Message>);
  return sn::Encapsulated{static_cast<std::uint8_t>(*rc::gen::inRange(0, 4)), gen_bytes(pool, 20),
                          gen_message(inner, pool)};
}

}  // namespace

TEST_CASE("decoding an encoded packet of any type gives the packet back") {
  rc::prop("decode(encode(p)) == p for every message type", [] {
    Pool pool;
    for (std::size_t i = 0; i < std::variant_size_v<sn::Packet>; ++i) {
      const sn::Packet p = gen_packet(i, pool);
      Bytes out;
      const auto error = sn::encode(p, out);
      RC_ASSERT(!error);
      RC_ASSERT(out.size() == sn::encoded_size(p));
      const auto result = sn::decode(view(out));
      RC_ASSERT(std::holds_alternative<sn::Packet>(result));
      RC_ASSERT(std::get<sn::Packet>(result) == p);
    }
  });
}

namespace {

// Arbitrary input either decodes, and then re-encodes to exactly the same octets (the decoder
// accepts only canonical encodings), or is rejected with a reason and a section.
void check_any_datagram(const Bytes& bytes) {
  const auto result = sn::decode(view(bytes));
  if (const auto* error = std::get_if<Malformed>(&result)) {
    RC_ASSERT(!error->reason.empty());
    RC_ASSERT(error->spec_ref.rfind("MQTT-SN 1.2 §", 0) == 0);
    RC_ASSERT(error->offset <= bytes.size());
    return;
  }
  Bytes again;
  RC_ASSERT(!sn::encode(std::get<sn::Packet>(result), again));
  RC_ASSERT(again == bytes);
}

}  // namespace

TEST_CASE("arbitrary octets never crash the decoder") {
  rc::prop("decode accepts canonically or rejects with a reason",
           [](const Bytes& bytes) { check_any_datagram(bytes); });
}

TEST_CASE("mutated valid datagrams are rejected or re-encode byte for byte") {
  rc::prop("one flipped, dropped or added octet", [] {
    Pool pool;
    const auto index = *rc::gen::inRange<std::size_t>(0, std::variant_size_v<sn::Packet>);
    Bytes bytes;
    RC_ASSERT(!sn::encode(gen_packet(index, pool), bytes));
    const auto at = *rc::gen::inRange<std::size_t>(0, bytes.size());
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        bytes[at] ^= *rc::gen::inRange<std::uint8_t>(1, 255);
        break;
      case 1:
        bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(at));
        break;
      default:
        bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), gen_u8());
        break;
    }
    check_any_datagram(bytes);
  });
}

TEST_CASE("the encoder refuses packets its decoder would reject and writes nothing") {
  const std::string long_id(24, 'c');
  const std::vector<std::pair<const char*, sn::Packet>> invalid = {
      {"a 24-octet ClientId", sn::Connect{false, false, 0, long_id}},
      {"QoS -1 to a normal topic id",
       sn::Publish{false, sn::QoS::fire_and_forget, false, sn::TopicIdType::normal, 1, 0, {}}},
      {"a MsgId at QoS 0",
       sn::Publish{false, sn::QoS::at_most_once, false, sn::TopicIdType::normal, 1, 9, {}}},
      {"a 1-octet short topic name",
       sn::Subscribe{false, sn::QoS::at_most_once, sn::TopicIdType::short_name, 1, "a", 0}},
      {"a predefined SUBSCRIBE with a name",
       sn::Subscribe{false, sn::QoS::at_most_once, sn::TopicIdType::predefined, 1, "a/b", 7}},
      {"an empty WILLTOPIC with Retain", sn::WillTopic{sn::QoS::at_most_once, true, ""}},
      {"a reserved ReturnCode", sn::ConnAck{static_cast<sn::ReturnCode>(9)}},
      {"Radius 4", sn::Encapsulated{4, {}, sn::PingResp{}}},
      {"a 65536-octet message", sn::WillMsg{ByteView::of(std::string_view(long_data().data(), 0))}},
  };
  const std::string huge(65'533, 'x');  // 3 + 1 + 65533 = 65537 octets
  for (auto [what, packet] : invalid) {
    INFO(what);
    if (std::holds_alternative<sn::WillMsg>(packet)) packet = sn::WillMsg{ByteView::of(huge)};
    Bytes out = {0xAA};
    const auto error = sn::encode(packet, out);
    REQUIRE(error);
    CHECK_FALSE(error->reason.empty());
    CHECK(out == Bytes{0xAA});
  }
}
