// MqttSnClient through MqttSnGateway and BrokerCore to MQTT ClientSessions, in memory with time
// stepped by hand: connection and Will, registration, QoS -1 to 2 both ways, retransmission
// after T_retry, loss reported after N_retry, QoS 2 without duplicates, keep alive, disconnect.
#include <catch2/catch.hpp>

#include "mqttsn_world.hpp"

using namespace mqttsim::protocol;
using namespace mqttsim::protocol::testing;
namespace ev = mqttsim::protocol::sn::sn_event;
using sn::SnTopic;

namespace {

sn::MqttSnClientConfig sn_config(std::string id, std::uint16_t keep_alive_s = 60) {
  sn::MqttSnClientConfig c;
  c.client_id = std::move(id);
  c.keep_alive_s = keep_alive_s;
  return c;
}

ClientConfig mqtt_config(std::string id) {
  ClientConfig c;
  c.version = Version::v3_1_1;
  c.client_id = std::move(id);
  return c;
}

// An MQTT subscriber to `filter` at QoS 2 and an MQTT-SN client, both connected.
struct Setup {
  explicit Setup(std::string filter = "#", sn::MqttSnGatewayConfig gw = {},
                 sn::MqttSnClientConfig client = sn_config("sn-1"))
      : world(std::move(gw)) {
    sub = world.add_mqtt_client(mqtt_config("subscriber"));
    REQUIRE(world.mqtt_client(sub).subscribe(world.now_ns, {{filter, {QoS::exactly_once}}}));
    world.flush();
    sn = world.add_sn_client(std::move(client));
    world.sn_client(sn).connect(world.now_ns);
    world.flush();
    INFO(world.trace());
    REQUIRE(world.sn_client(sn).state() == sn::SnClientState::connected);
  }
  std::vector<client_event::Message> received() const {
    return of_type<client_event::Message>(world.mqtt_events(sub));
  }
  std::vector<ev::PublishAcked> acks() const {
    return of_type<ev::PublishAcked>(world.sn_events(sn));
  }
  std::size_t sent_to_gateway(sn::MsgType type) const {
    std::size_t n = 0;
    for (const auto& d : world.datagrams()) {
      if (d.to_gateway && d.bytes.size() > 1 &&
          d.bytes[d.bytes[0] == 0x01 ? 3 : 1] == static_cast<std::uint8_t>(type)) {
        ++n;
      }
    }
    return n;
  }
  SnWorld world;
  std::size_t sub = 0;
  std::size_t sn = 0;
};

}  // namespace

TEST_CASE("an MQTT-SN client registers its topic and publishes at QoS 0, 1 and 2 to MQTT") {
  Setup s;
  auto& c = s.world.sn_client(s.sn);
  for (auto qos : {sn::QoS::at_most_once, sn::QoS::at_least_once, sn::QoS::exactly_once}) {
    REQUIRE(c.publish(s.world.now_ns, SnTopic::named("sensors/t1"), "q" + std::to_string(int(qos)),
                      qos));
  }
  s.world.flush();
  INFO(s.world.trace());
  const auto got = s.received();
  REQUIRE(got.size() == 3);
  for (int q = 0; q < 3; ++q) {
    CHECK(got[q].topic == "sensors/t1");
    CHECK(got[q].payload == "q" + std::to_string(q));
    CHECK(int(got[q].qos) == q);
  }
  const auto acks = s.acks();
  REQUIRE(acks.size() == 3);
  CHECK(acks[0].outcome == sn::PublishOutcome::sent);
  CHECK(acks[1].outcome == sn::PublishOutcome::accepted);
  CHECK(acks[2].outcome == sn::PublishOutcome::accepted);
  // One REGISTER for the topic, then its id is reused.
  CHECK(s.sent_to_gateway(sn::MsgType::register_topic) == 1);
  CHECK(c.topic_id("sensors/t1").has_value());
}

TEST_CASE("a QoS -1 publish needs no connection and goes out on the gateway's own connection") {
  sn::MqttSnGatewayConfig gw;
  gw.predefined_topics = {{7, "plant/boiler"}};
  SnWorld world(gw);
  const auto sub = world.add_mqtt_client(mqtt_config("subscriber"));
  REQUIRE(world.mqtt_client(sub).subscribe(world.now_ns, {{"#", {QoS::at_most_once}}}));
  world.flush();
  const auto dev = world.add_sn_client(sn_config("never-connects"));
  auto& c = world.sn_client(dev);
  REQUIRE(c.state() == sn::SnClientState::disconnected);
  REQUIRE(c.publish(world.now_ns, SnTopic::predefined(7), "hot", sn::QoS::fire_and_forget));
  REQUIRE(c.publish(world.now_ns, SnTopic::short_name("ab"), "x", sn::QoS::fire_and_forget));
  CHECK_FALSE(c.publish(world.now_ns, SnTopic::named("long/name"), "x", sn::QoS::fire_and_forget));
  CHECK_FALSE(c.publish(world.now_ns, SnTopic::named("t"), "x", sn::QoS::at_least_once));
  world.flush();
  const auto got = of_type<client_event::Message>(world.mqtt_events(sub));
  REQUIRE(got.size() == 2);
  CHECK(got[0].topic == "plant/boiler");
  CHECK(got[0].payload == "hot");
  CHECK(got[1].topic == "ab");
  CHECK(world.gateway.metrics().qos_minus_one_forwarded == 2);
  CHECK(world.gateway.client_count() == 0);  // no per-client state for QoS -1
  CHECK(world.gateway.link_count() == 1);    // the forwarder connection only
}

TEST_CASE("a dropped PUBLISH is retransmitted with DUP after T_retry and delivered once") {
  Setup s;
  int publishes = 0;
  s.world.drop = [&](const SnDatagramRecord& d) {
    return d.to_gateway && d.summary().find("PUBLISH") != std::string::npos && publishes++ == 0;
  };
  auto& c = s.world.sn_client(s.sn);
  REQUIRE(c.publish(s.world.now_ns, SnTopic::named("a/b"), "m", sn::QoS::at_least_once));
  s.world.flush();
  CHECK(s.received().empty());
  s.world.advance(9 * kSecondNs);
  CHECK(s.received().empty());
  s.world.advance(1 * kSecondNs);  // T_retry = 10 s (§6.13)
  INFO(s.world.trace());
  REQUIRE(s.received().size() == 1);
  const auto& last = s.world.datagrams();
  bool dup_seen = false;
  for (const auto& d : last) dup_seen |= d.summary().find("PUBLISH id=2 dup") != std::string::npos;
  CHECK(dup_seen);
  REQUIRE(s.acks().size() == 1);
  CHECK(s.acks()[0].outcome == sn::PublishOutcome::accepted);
}

TEST_CASE("after N_retry unanswered retransmissions the publish is reported lost") {
  sn::MqttSnClientConfig config = sn_config("sn-1");
  config.retry_interval_ns = 12 * kSecondNs;
  config.max_retries = 4;
  Setup s("#", {}, config);
  s.world.drop = [](const SnDatagramRecord& d) { return d.to_gateway; };
  auto& c = s.world.sn_client(s.sn);
  REQUIRE(c.publish(s.world.now_ns, SnTopic::named("a/b"), "m", sn::QoS::exactly_once));
  s.world.advance(5 * 12 * kSecondNs - 1);
  CHECK(s.acks().empty());
  s.world.advance(1);
  INFO(s.world.trace());
  REQUIRE(s.acks().size() == 1);
  CHECK(s.acks()[0].outcome == sn::PublishOutcome::lost);
  CHECK(s.sent_to_gateway(sn::MsgType::register_topic) == 5);  // 1 send + N_retry = 4
  const auto ends = of_type<ev::Disconnected>(s.world.sn_events(s.sn));
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].cause == sn::DisconnectCause::gateway_lost);
  CHECK(c.state() == sn::SnClientState::disconnected);
  CHECK_FALSE(c.publish(s.world.now_ns, SnTopic::named("a/b"), "m", sn::QoS::at_least_once));
}

TEST_CASE("MQTT messages reach an MQTT-SN subscriber at QoS 0, 1 and 2") {
  Setup s("unused");
  auto& c = s.world.sn_client(s.sn);
  REQUIRE(c.subscribe(s.world.now_ns, SnTopic::named("cmd/valve"), sn::QoS::exactly_once));
  s.world.flush();
  const auto subs = of_type<ev::Subscribed>(s.world.sn_events(s.sn));
  REQUIRE(subs.size() == 1);
  REQUIRE(subs[0].return_code == sn::ReturnCode::accepted);
  CHECK(subs[0].granted_qos == sn::QoS::exactly_once);
  CHECK(subs[0].topic_id != 0);  // a topic name without wildcards gets its id in SUBACK
  CHECK(c.topic_id("cmd/valve") == subs[0].topic_id);
  auto& pub = s.world.mqtt_client(s.sub);
  for (auto qos : {QoS::at_most_once, QoS::at_least_once, QoS::exactly_once}) {
    REQUIRE(pub.publish(s.world.now_ns, "cmd/valve", "v" + std::to_string(int(qos)), qos));
  }
  s.world.flush();
  INFO(s.world.trace());
  const auto got = of_type<ev::Message>(s.world.sn_events(s.sn));
  REQUIRE(got.size() == 3);
  for (int q = 0; q < 3; ++q) {
    CHECK(got[q].topic == "cmd/valve");
    CHECK(got[q].topic_id == subs[0].topic_id);
    CHECK(got[q].payload == "v" + std::to_string(q));
    CHECK(int(got[q].qos) == q);
  }
  CHECK(of_type<ev::Registered>(s.world.sn_events(s.sn)).empty());  // no REGISTER needed
}

TEST_CASE("a wildcard subscription makes the gateway REGISTER each new topic before its PUBLISH") {
  Setup s("unused");
  auto& c = s.world.sn_client(s.sn);
  REQUIRE(c.subscribe(s.world.now_ns, SnTopic::named("room/+/temp"), sn::QoS::at_least_once));
  s.world.flush();
  const auto subs = of_type<ev::Subscribed>(s.world.sn_events(s.sn));
  REQUIRE(subs.size() == 1);
  CHECK(subs[0].topic_id == 0);
  auto& pub = s.world.mqtt_client(s.sub);
  REQUIRE(pub.publish(s.world.now_ns, "room/1/temp", "20", QoS::at_least_once));
  REQUIRE(pub.publish(s.world.now_ns, "room/2/temp", "21", QoS::at_least_once));
  REQUIRE(pub.publish(s.world.now_ns, "room/1/temp", "22", QoS::at_least_once));
  s.world.flush();
  INFO(s.world.trace());
  const auto regs = of_type<ev::Registered>(s.world.sn_events(s.sn));
  REQUIRE(regs.size() == 2);
  CHECK(regs[0].id == 0);
  CHECK(regs[0].topic == "room/1/temp");
  CHECK(regs[1].topic == "room/2/temp");
  const auto got = of_type<ev::Message>(s.world.sn_events(s.sn));
  REQUIRE(got.size() == 3);
  CHECK(got[0].topic == "room/1/temp");
  CHECK(got[1].topic == "room/2/temp");
  CHECK(got[2].topic == "room/1/temp");
  CHECK(got[2].topic_id == regs[0].topic_id);
}

TEST_CASE("a retransmitted QoS 2 PUBLISH is delivered to the MQTT-SN client only once") {
  Setup s("unused");
  auto& c = s.world.sn_client(s.sn);
  REQUIRE(c.subscribe(s.world.now_ns, SnTopic::named("q2"), sn::QoS::exactly_once));
  s.world.flush();
  int pubrecs = 0;
  s.world.drop = [&](const SnDatagramRecord& d) {
    return d.to_gateway && d.summary().find("PUBREC") != std::string::npos && pubrecs++ < 2;
  };
  REQUIRE(s.world.mqtt_client(s.sub).publish(s.world.now_ns, "q2", "once", QoS::exactly_once));
  s.world.advance(25 * kSecondNs);
  INFO(s.world.trace());
  CHECK(pubrecs == 3);  // two PUBRECs lost, so the PUBLISH went three times
  const auto got = of_type<ev::Message>(s.world.sn_events(s.sn));
  REQUIRE(got.size() == 1);
  CHECK(got[0].payload == "once");
  CHECK_FALSE(got[0].dup);
  CHECK(s.world.gateway.metrics().delivered_to_clients == 1);
}

TEST_CASE("a QoS 2 PUBLISH retransmitted by the client reaches MQTT subscribers once") {
  Setup s;
  int pubrecs = 0;
  s.world.drop = [&](const SnDatagramRecord& d) {
    return !d.to_gateway && d.summary().find("PUBREC") != std::string::npos && pubrecs++ == 0;
  };
  REQUIRE(s.world.sn_client(s.sn).publish(s.world.now_ns, SnTopic::named("x/y"), "one",
                                          sn::QoS::exactly_once));
  s.world.advance(30 * kSecondNs);
  INFO(s.world.trace());
  CHECK(pubrecs == 2);
  CHECK(s.received().size() == 1);
  REQUIRE(s.acks().size() == 1);
  CHECK(s.acks()[0].outcome == sn::PublishOutcome::accepted);
}

TEST_CASE("an idle client sends PINGREQ every keep alive period and stays connected") {
  Setup s("#", {}, sn_config("sn-1", 10));
  s.world.advance(35 * kSecondNs);
  CHECK(s.sent_to_gateway(sn::MsgType::pingreq) == 3);
  CHECK(s.world.sn_client(s.sn).state() == sn::SnClientState::connected);
  CHECK(s.world.gateway.connected_count() == 1);
}

TEST_CASE("a client that goes silent is dropped after 1.5 keep alive periods and its Will sent") {
  sn::MqttSnClientConfig config = sn_config("sn-1", 10);
  config.will = sn::SnWill{"status/sn-1", "gone", sn::QoS::at_least_once, false};
  Setup s("status/#", {}, config);
  CHECK(s.sent_to_gateway(sn::MsgType::willtopic) == 1);
  CHECK(s.sent_to_gateway(sn::MsgType::willmsg) == 1);
  s.world.drop = [](const SnDatagramRecord& d) { return d.to_gateway; };
  s.world.advance(14 * kSecondNs);
  CHECK(s.received().empty());
  s.world.advance(1 * kSecondNs);  // 1.5 × 10 s since the last datagram heard at t=0
  INFO(s.world.trace());
  const auto got = s.received();
  REQUIRE(got.size() == 1);
  CHECK(got[0].topic == "status/sn-1");
  CHECK(got[0].payload == "gone");
  const auto ends = of_type<sn::gateway_event::ClientDisconnected>(s.world.gateway_events());
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].cause == sn::ClientEndCause::keep_alive);
}

TEST_CASE("DISCONNECT ends the client's connection and its Will is not published") {
  sn::MqttSnClientConfig config = sn_config("sn-1", 10);
  config.will = sn::SnWill{"status/sn-1", "gone", sn::QoS::at_most_once, false};
  Setup s("status/#", {}, config);
  auto& c = s.world.sn_client(s.sn);
  c.disconnect(s.world.now_ns);
  s.world.flush();
  CHECK(c.state() == sn::SnClientState::disconnected);
  const auto ends = of_type<ev::Disconnected>(s.world.sn_events(s.sn));
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].cause == sn::DisconnectCause::requested);
  CHECK(s.world.gateway.connected_count() == 0);
  CHECK(s.world.gateway.link_count() == 0);
  s.world.advance(60 * kSecondNs);
  CHECK(s.received().empty());
}

TEST_CASE("a predefined topic id works both ways without REGISTER") {
  sn::MqttSnGatewayConfig gw;
  gw.predefined_topics = {{1, "fleet/cmd"}, {2, "fleet/telemetry"}};
  sn::MqttSnClientConfig config = sn_config("sn-1");
  config.predefined_topics = gw.predefined_topics;
  Setup s("fleet/telemetry", gw, config);
  auto& c = s.world.sn_client(s.sn);
  REQUIRE(c.subscribe(s.world.now_ns, SnTopic::predefined(1), sn::QoS::at_least_once));
  REQUIRE(c.publish(s.world.now_ns, SnTopic::predefined(2), "42", sn::QoS::at_least_once));
  REQUIRE(c.publish(s.world.now_ns, SnTopic::predefined(9), "?", sn::QoS::at_least_once));
  s.world.flush();
  REQUIRE(
      s.world.mqtt_client(s.sub).publish(s.world.now_ns, "fleet/cmd", "go", QoS::at_least_once));
  s.world.flush();
  INFO(s.world.trace());
  CHECK(s.sent_to_gateway(sn::MsgType::register_topic) == 0);
  REQUIRE(s.received().size() == 1);
  CHECK(s.received()[0].topic == "fleet/telemetry");
  REQUIRE(s.acks().size() == 2);
  CHECK(s.acks()[0].outcome == sn::PublishOutcome::accepted);
  CHECK(s.acks()[1].outcome == sn::PublishOutcome::rejected_invalid_topic_id);
  const auto got = of_type<ev::Message>(s.world.sn_events(s.sn));
  REQUIRE(got.size() == 1);
  CHECK(got[0].topic_id_type == sn::TopicIdType::predefined);
  CHECK(got[0].topic == "fleet/cmd");
}

TEST_CASE("UNSUBSCRIBE stops delivery") {
  Setup s("unused");
  auto& c = s.world.sn_client(s.sn);
  REQUIRE(c.subscribe(s.world.now_ns, SnTopic::named("a/#"), sn::QoS::at_most_once));
  REQUIRE(c.unsubscribe(s.world.now_ns, SnTopic::named("a/#")));
  s.world.flush();
  REQUIRE(of_type<ev::Unsubscribed>(s.world.sn_events(s.sn)).size() == 1);
  REQUIRE(s.world.mqtt_client(s.sub).publish(s.world.now_ns, "a/b", "x", QoS::at_most_once));
  s.world.flush();
  CHECK(of_type<ev::Message>(s.world.sn_events(s.sn)).empty());
}

TEST_CASE("with no gateway answering, CONNECT goes 1 + N_retry times, T_retry apart, then fails") {
  sn::MqttSnClient c(sn_config("alone"));
  c.connect(0);
  std::vector<TimeNs> sent_at;
  TimeNs now = 0;
  for (int i = 0; i < 10; ++i) {
    while (c.poll_transmit()) sent_at.push_back(now);
    const auto next = c.poll_timeout();
    if (!next) break;
    now = *next;
    c.handle_timeout(now);
  }
  CHECK(sent_at == std::vector<TimeNs>{0, 10 * kSecondNs, 20 * kSecondNs, 30 * kSecondNs});
  CHECK(now == 40 * kSecondNs);
  CHECK(c.state() == sn::SnClientState::disconnected);
  std::vector<sn::MqttSnClientEvent> events;
  while (auto e = c.poll_event()) events.push_back(*e);
  const auto failed = of_type<ev::ConnectFailed>(events);
  REQUIRE(failed.size() == 1);
  CHECK_FALSE(failed[0].return_code.has_value());
}

TEST_CASE("a session without clean flag keeps its topic ids and subscriptions across connections") {
  sn::MqttSnClientConfig config = sn_config("keeper");
  config.clean_session = false;
  Setup s("unused", {}, config);
  auto& c = s.world.sn_client(s.sn);
  REQUIRE(c.subscribe(s.world.now_ns, SnTopic::named("k/v"), sn::QoS::at_least_once));
  REQUIRE(c.publish(s.world.now_ns, SnTopic::named("k/w"), "1", sn::QoS::at_least_once));
  s.world.flush();
  c.disconnect(s.world.now_ns);
  s.world.flush();
  // Published while the client is away: the broker queues it in the kept session.
  REQUIRE(s.world.mqtt_client(s.sub).publish(s.world.now_ns, "k/v", "queued", QoS::at_least_once));
  s.world.flush();
  c.connect(s.world.now_ns);
  REQUIRE(c.publish(s.world.now_ns, SnTopic::named("k/w"), "2", sn::QoS::at_least_once));
  s.world.flush();
  INFO(s.world.trace());
  CHECK(s.sent_to_gateway(sn::MsgType::register_topic) == 1);  // k/w only once
  const auto got = of_type<ev::Message>(s.world.sn_events(s.sn));
  REQUIRE(got.size() == 1);
  CHECK(got[0].payload == "queued");
  CHECK(got[0].topic == "k/v");
  const auto acks = s.acks();
  REQUIRE(acks.size() == 2);
  CHECK(acks[1].outcome == sn::PublishOutcome::accepted);
}
