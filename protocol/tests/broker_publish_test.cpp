// BrokerCore: QoS 0/1/2 in both directions, retained messages, offline queueing and
// redelivery, shared subscriptions, no-local and persistence through a snapshot.
#include "broker_harness.hpp"

using namespace mqttsim::protocol;
using namespace mqttsim::protocol::testing;

TEST_CASE("messages are delivered at min(publish QoS, granted QoS) (MQTT-3.8.4-8)", "[broker]") {
  for (Version v : {Version::v3_1_1, Version::v5}) {
    BrokerHarness h;
    ScriptedClient& sub = h.client(v);
    sub.connect(make_connect("dashboard", v));
    sub.send(make_subscribe(1, "Zürich/#", QoS::at_least_once));
    CHECK(sub.take_as<Suback>().reason_codes == std::vector<ReasonCode>{ReasonCode::granted_qos_1});
    ScriptedClient& pub = h.client(v);
    pub.connect(make_connect("sensor", v));
    pub.send(make_publish("Zürich/Florastrasse", "21.5", QoS::exactly_once, 7));
    CHECK(pub.take_as<Pubrec>().packet_id == 7);
    pub.send(Pubrel{7, {}, {}});
    CHECK(pub.take_as<Pubcomp>().packet_id == 7);
    const auto got = sub.take_as<Publish>();
    CHECK(got.qos == QoS::at_least_once);
    CHECK(got.topic == "Zürich/Florastrasse");
    sub.send(Puback{got.packet_id, {}, {}});
    pub.send(make_publish("Zürich/Hornbachstrasse/50", "19.0", QoS::at_most_once));
    CHECK(sub.take_as<Publish>().qos == QoS::at_most_once);
  }
}

TEST_CASE("a repeated QoS 2 PUBLISH before PUBREL is delivered once (MQTT-4.3.3-10)", "[broker]") {
  BrokerHarness h;
  ScriptedClient& sub = h.client(Version::v3_1_1);
  sub.connect(make_connect("sub", Version::v3_1_1));
  sub.send(make_subscribe(1, "t", QoS::exactly_once));
  sub.take_as<Suback>();
  ScriptedClient& pub = h.client(Version::v3_1_1);
  pub.connect(make_connect("pub", Version::v3_1_1));
  Publish p = make_publish("t", "once", QoS::exactly_once, 9);
  pub.send(p);
  pub.take_as<Pubrec>();
  p.dup = true;
  pub.send(p);  // the PUBREC was lost, say: same id, DUP=1
  CHECK(pub.take_as<Pubrec>().packet_id == 9);
  pub.send(Pubrel{9, {}, {}});
  pub.take_as<Pubcomp>();
  CHECK(sub.take_as<Publish>().payload == ByteView::of("once"));
  CHECK_FALSE(sub.has_packet());
}

TEST_CASE(
    "retained messages are sent on subscribe with RETAIN=1 and cleared by an empty payload "
    "(MQTT-3.3.1-8, MQTT-3.3.1-10)",
    "[broker]") {
  BrokerHarness h;
  ScriptedClient& pub = h.client(Version::v3_1_1);
  pub.connect(make_connect("pub", Version::v3_1_1));
  pub.send(make_publish("sensors/a", "21.5", QoS::at_most_once, 0, /*retain=*/true));
  ScriptedClient& sub = h.client(Version::v3_1_1);
  sub.connect(make_connect("sub", Version::v3_1_1));
  sub.send(make_subscribe(1, "sensors/+", QoS::at_least_once));
  sub.take_as<Suback>();
  const auto retained = sub.take_as<Publish>();
  CHECK(retained.retain);
  CHECK(retained.payload == ByteView::of("21.5"));
  CHECK(h.broker.retained_count() == 1);
  pub.send(make_publish("sensors/a", "", QoS::at_most_once, 0, /*retain=*/true));
  CHECK(h.broker.retained_count() == 0);
}

TEST_CASE(
    "a persistent session queues QoS 1 while offline and redelivers unacknowledged "
    "PUBLISH with DUP=1 (MQTT-4.4.0-1)",
    "[broker]") {
  BrokerHarness h;
  ScriptedClient& sub = h.client(Version::v3_1_1);
  sub.connect(make_connect("phone", Version::v3_1_1, /*clean_start=*/false));
  sub.send(make_subscribe(1, "chat/#", QoS::at_least_once));
  sub.take_as<Suback>();
  ScriptedClient& pub = h.client(Version::v3_1_1);
  pub.connect(make_connect("friend", Version::v3_1_1));
  pub.send(make_publish("chat/1", "first", QoS::at_least_once, 1));
  pub.take_as<Puback>();
  const auto unacked = sub.take_as<Publish>();  // never acknowledged
  sub.close();
  pub.send(make_publish("chat/1", "second", QoS::at_least_once, 2));
  pub.take_as<Puback>();
  ScriptedClient& back = h.client(Version::v3_1_1);
  CHECK(back.connect(make_connect("phone", Version::v3_1_1, false)).session_present);
  const auto again = back.take_as<Publish>();
  CHECK(again.dup);
  CHECK(again.packet_id == unacked.packet_id);
  CHECK(again.payload == ByteView::of("first"));
  const auto queued = back.take_as<Publish>();
  CHECK_FALSE(queued.dup);
  CHECK(queued.payload == ByteView::of("second"));
}

TEST_CASE("the client's Receive Maximum limits unacknowledged deliveries (MQTT-3.3.4-9)",
          "[broker]") {
  BrokerHarness h;
  ScriptedClient& sub = h.client(Version::v5);
  Connect c = make_connect("slow", Version::v5);
  c.properties.receive_maximum = 2;
  sub.connect(c);
  sub.send(make_subscribe(1, "t", QoS::at_least_once));
  sub.take_as<Suback>();
  ScriptedClient& pub = h.client(Version::v5);
  pub.connect(make_connect("pub", Version::v5));
  for (std::uint16_t i = 1; i <= 4; ++i) {
    pub.send(make_publish("t", "m", QoS::at_least_once, i));
    pub.take_as<Puback>();
  }
  CHECK(sub.pending() == 2);
  const auto first = sub.take_as<Publish>();
  sub.take_as<Publish>();
  sub.send(Puback{first.packet_id, {}, {}});
  CHECK(sub.pending() == 1);  // one more once a slot frees up
}

TEST_CASE("a shared subscription delivers each message to one member, in turn", "[broker]") {
  BrokerHarness h;
  ScriptedClient& a = h.client(Version::v5);
  ScriptedClient& b = h.client(Version::v5);
  a.connect(make_connect("worker-a", Version::v5));
  b.connect(make_connect("worker-b", Version::v5));
  for (ScriptedClient* w : {&a, &b}) {
    w->send(make_subscribe(1, "$share/workers/jobs/+", QoS::at_most_once));
    w->take_as<Suback>();
  }
  ScriptedClient& pub = h.client(Version::v5);
  pub.connect(make_connect("pub", Version::v5));
  for (int i = 0; i < 4; ++i) pub.send(make_publish("jobs/x", "job", QoS::at_most_once));
  CHECK(a.pending() == 2);
  CHECK(b.pending() == 2);
}

TEST_CASE("No Local keeps a client's own messages from it (MQTT-3.8.3-3)", "[broker]") {
  BrokerHarness h;
  ScriptedClient& c = h.client(Version::v5);
  c.connect(make_connect("chat", Version::v5));
  Subscribe s = make_subscribe(1, "room/1", QoS::at_most_once);
  s.subscriptions[0].options.no_local = true;
  c.send(s);
  c.take_as<Suback>();
  c.send(make_publish("room/1", "me", QoS::at_most_once));
  CHECK_FALSE(c.has_packet());
}

TEST_CASE("with persistence, a restarted broker keeps sessions and inflight messages", "[broker]") {
  BrokerConfig config;
  config.persistence = true;
  BrokerHarness h(config);
  ScriptedClient& sub = h.client(Version::v3_1_1);
  sub.connect(make_connect("meter", Version::v3_1_1, false));
  sub.send(make_subscribe(1, "cmd", QoS::exactly_once));
  sub.take_as<Suback>();
  ScriptedClient& pub = h.client(Version::v3_1_1);
  pub.connect(make_connect("ctl", Version::v3_1_1));
  pub.send(make_publish("cmd", "reboot", QoS::exactly_once, 3));
  pub.take_as<Pubrec>();
  pub.send(Pubrel{3, {}, {}});
  const auto delivered = sub.take_as<Publish>();
  const BrokerState saved = h.broker.snapshot();  // the crash
  BrokerHarness restarted(config);
  restarted.broker = BrokerCore(config, saved, restarted.now_ns);
  ScriptedClient& back = restarted.client(Version::v3_1_1);
  CHECK(back.connect(make_connect("meter", Version::v3_1_1, false)).session_present);
  const auto again = back.take_as<Publish>();
  CHECK(again.dup);
  CHECK(again.packet_id == delivered.packet_id);
  CHECK(again.payload == ByteView::of("reboot"));
}
