// MqttSnGateway: bad datagrams, unknown clients and topic ids, bounded per-client state, giving
// up on a client after N_retry, and a RapidCheck property: under random datagram loss every QoS
// 1/2 message, in both directions, is delivered (QoS 2 exactly once) or reported lost.
#include <rapidcheck/catch.h>

#include <map>

#include "mqttsn_world.hpp"

using namespace mqttsim::protocol;
using namespace mqttsim::protocol::testing;
namespace ev = mqttsim::protocol::sn::sn_event;
namespace gev = mqttsim::protocol::sn::gateway_event;
using sn::SnTopic;
using Bytes = std::vector<std::uint8_t>;

namespace {

sn::MqttSnClientConfig sn_config(std::string id) {
  sn::MqttSnClientConfig c;
  c.client_id = std::move(id);
  return c;
}

std::size_t connected_sn_client(SnWorld& w, std::string id) {
  const std::size_t i = w.add_sn_client(sn_config(std::move(id)));
  w.sn_client(i).connect(w.now_ns);
  w.flush();
  REQUIRE(w.sn_client(i).state() == sn::SnClientState::connected);
  return i;
}

ClientConfig mqtt_config(std::string id) {
  ClientConfig c;
  c.version = Version::v3_1_1;
  c.client_id = std::move(id);
  return c;
}

Bytes encoded(const sn::Packet& p) {
  Bytes out;
  REQUIRE_FALSE(sn::encode(p, out));
  return out;
}

// The datagrams the gateway sent to `address`, decoded.
std::vector<sn::MsgType> sent_to(const SnWorld& w, sn::ClientAddress address) {
  std::vector<sn::MsgType> out;
  for (const auto& d : w.datagrams()) {
    if (d.to_gateway || d.address != address) continue;
    const auto r = sn::decode(ByteView(d.bytes.data(), d.bytes.size()));
    REQUIRE(std::holds_alternative<sn::Packet>(r));
    out.push_back(sn::message_type(std::get<sn::Packet>(r)));
  }
  return out;
}

}  // namespace

TEST_CASE("a malformed datagram is reported with its rule and does not affect other clients") {
  SnWorld w;
  const auto sub = w.add_mqtt_client(mqtt_config("subscriber"));
  REQUIRE(w.mqtt_client(sub).subscribe(w.now_ns, {{"#", {QoS::at_least_once}}}));
  const auto a = connected_sn_client(w, "a");
  const auto b = connected_sn_client(w, "b");
  // Length says 5 octets, the datagram has 4 (MQTT-SN 1.2 §5.2.1).
  w.inject(SnWorld::address_of(a), Bytes{0x05, 0x0C, 0x00, 0x01});
  w.inject(SnWorld::address_of(b), Bytes{0x02, 0x03});  // reserved MsgType (§5.2.2)
  const auto rejected = of_type<gev::DatagramRejected>(w.gateway_events());
  REQUIRE(rejected.size() == 2);
  CHECK(rejected[0].address == SnWorld::address_of(a));
  CHECK(rejected[0].error.spec_ref == "MQTT-SN 1.2 §5.2.1");
  CHECK_FALSE(rejected[0].error.reason.empty());
  CHECK(rejected[1].error.spec_ref == "MQTT-SN 1.2 §5.2.2");
  CHECK(w.gateway.metrics().datagrams_rejected == 2);
  // Both clients keep their connections and go on publishing.
  CHECK(w.gateway.connected_count() == 2);
  REQUIRE(w.sn_client(a).publish(w.now_ns, SnTopic::named("t/a"), "1", sn::QoS::at_least_once));
  REQUIRE(w.sn_client(b).publish(w.now_ns, SnTopic::named("t/b"), "2", sn::QoS::at_least_once));
  w.flush();
  CHECK(of_type<client_event::Message>(w.mqtt_events(sub)).size() == 2);
}

TEST_CASE("a request from an address without a connection is answered with DISCONNECT") {
  SnWorld w;
  w.inject(42, encoded(sn::Publish{false, sn::QoS::at_least_once, false, sn::TopicIdType::normal, 1,
                                   7, ByteView::of("x")}));
  w.inject(43, encoded(sn::Register{0, 1, "a/b"}));
  CHECK(sent_to(w, 42) == std::vector<sn::MsgType>{sn::MsgType::disconnect});
  CHECK(sent_to(w, 43) == std::vector<sn::MsgType>{sn::MsgType::disconnect});
  CHECK(w.gateway.client_count() == 0);
  CHECK(w.gateway.link_count() == 0);
}

TEST_CASE("a PUBLISH with a topic id the gateway never assigned gets PUBACK invalid topic id") {
  SnWorld w;
  const auto a = connected_sn_client(w, "a");
  w.inject(SnWorld::address_of(a),
           encoded(sn::Publish{false, sn::QoS::at_least_once, false, sn::TopicIdType::normal, 77, 5,
                               ByteView::of("x")}));
  const auto replies = sent_to(w, SnWorld::address_of(a));
  REQUIRE(replies.back() == sn::MsgType::puback);
  const auto& last = w.datagrams().back();
  const auto p = std::get<sn::Packet>(sn::decode(ByteView(last.bytes.data(), last.bytes.size())));
  CHECK(std::get<sn::PubAck>(p) == sn::PubAck{77, 5, sn::ReturnCode::rejected_invalid_topic_id});
}

TEST_CASE("SEARCHGW is answered with GWINFO carrying the gateway id") {
  sn::MqttSnGatewayConfig gw;
  gw.gateway_id = 9;
  SnWorld w(gw);
  w.inject(5, encoded(sn::SearchGw{1}));
  const auto& d = w.datagrams().back();
  const auto p = std::get<sn::Packet>(sn::decode(ByteView(d.bytes.data(), d.bytes.size())));
  CHECK(std::get<sn::GwInfo>(p).gw_id == 9);
}

TEST_CASE("a client's topic registrations are bounded and the excess is refused with congestion") {
  sn::MqttSnGatewayConfig gw;
  gw.max_topics_per_client = 2;
  SnWorld w(gw);
  const auto a = connected_sn_client(w, "a");
  for (const char* t : {"t/1", "t/2", "t/3"}) REQUIRE(w.sn_client(a).register_topic(w.now_ns, t));
  REQUIRE(w.sn_client(a).publish(w.now_ns, SnTopic::named("t/4"), "x", sn::QoS::at_least_once));
  w.flush();
  const auto regs = of_type<ev::Registered>(w.sn_events(a));
  REQUIRE(regs.size() == 3);
  CHECK(regs[0].return_code == sn::ReturnCode::accepted);
  CHECK(regs[1].return_code == sn::ReturnCode::accepted);
  CHECK(regs[1].topic_id != regs[0].topic_id);
  CHECK(regs[2].return_code == sn::ReturnCode::rejected_congestion);
  const auto acks = of_type<ev::PublishAcked>(w.sn_events(a));
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].outcome == sn::PublishOutcome::rejected_congestion);
}

TEST_CASE("clients beyond max_clients are refused with congestion, kept sessions are evicted") {
  sn::MqttSnGatewayConfig gw;
  gw.max_clients = 2;
  SnWorld w(gw);
  connected_sn_client(w, "a");
  sn::MqttSnClientConfig kept = sn_config("b");
  kept.clean_session = false;
  const auto b = w.add_sn_client(kept);
  w.sn_client(b).connect(w.now_ns);
  w.flush();
  const auto c = w.add_sn_client(sn_config("c"));
  w.sn_client(c).connect(w.now_ns);
  w.flush();
  const auto failed = of_type<ev::ConnectFailed>(w.sn_events(c));
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].return_code == sn::ReturnCode::rejected_congestion);
  // b leaves; its session (clean flag 0) is kept until room is needed.
  w.sn_client(b).disconnect(w.now_ns);
  w.flush();
  CHECK(w.gateway.client_count() == 2);
  w.sn_client(c).connect(w.now_ns);
  w.flush();
  CHECK(w.sn_client(c).state() == sn::SnClientState::connected);
  CHECK(w.gateway.client_count() == 2);
}

TEST_CASE("a QoS -1 publish to a normal topic id or an unknown predefined id is dropped") {
  SnWorld w;
  w.inject(3, encoded(sn::Publish{false, sn::QoS::fire_and_forget, false,
                                  sn::TopicIdType::predefined, 99, 0, ByteView::of("x")}));
  const auto dropped = of_type<gev::PublishDropped>(w.gateway_events());
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].address == 3);
  CHECK(w.gateway.link_count() == 0);
  CHECK(sent_to(w, 3).empty());  // QoS -1 is never answered
}

TEST_CASE("the gateway reports a delivery lost after N_retry and treats the client as gone") {
  SnWorld w;
  const auto pub = w.add_mqtt_client(mqtt_config("publisher"));
  const auto a = connected_sn_client(w, "a");
  REQUIRE(w.sn_client(a).subscribe(w.now_ns, SnTopic::named("cmd"), sn::QoS::at_least_once));
  w.flush();
  w.drop = [](const SnDatagramRecord& d) { return !d.to_gateway; };
  REQUIRE(w.mqtt_client(pub).publish(w.now_ns, "cmd", "1", QoS::at_least_once));
  REQUIRE(w.mqtt_client(pub).publish(w.now_ns, "cmd", "2", QoS::at_least_once));
  w.advance(39 * kSecondNs);
  CHECK(of_type<gev::DeliveryLost>(w.gateway_events()).empty());
  w.advance(1 * kSecondNs);  // 1 send + 3 retransmissions, 10 s apart, then give up
  INFO(w.trace());
  const auto lost = of_type<gev::DeliveryLost>(w.gateway_events());
  REQUIRE(lost.size() == 2);  // the outstanding one and the one queued behind it
  CHECK(lost[0].topic == "cmd");
  CHECK(lost[0].qos == sn::QoS::at_least_once);
  const auto ends = of_type<gev::ClientDisconnected>(w.gateway_events());
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].cause == sn::ClientEndCause::retries_exhausted);
  CHECK(w.gateway.metrics().retransmissions == 3);
  CHECK(w.gateway.link_count() == 0);
}
