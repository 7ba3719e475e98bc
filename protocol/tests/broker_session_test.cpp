// BrokerCore sessions and connection rules, byte-level with scripted clients: session expiry
// (at CONNECT and DISCONNECT), clean session, offline queues and their limits, assigned client
// identifiers, server keep alive, and the packets a connection must start with.
#include <algorithm>

#include "broker_harness.hpp"

using namespace mqttsim::protocol;
using namespace mqttsim::protocol::testing;

namespace {
constexpr TimeNs kSecond = 1'000'000'000;

Connect v5_session(std::string_view id, std::uint32_t expiry_s, bool clean_start) {
  Connect c = make_connect(id, Version::v5, clean_start);
  if (expiry_s > 0) c.properties.session_expiry_interval_s = expiry_s;
  return c;
}

void subscribe(ScriptedClient& c, std::string_view filter, QoS qos) {
  c.send(make_subscribe(1, filter, qos));
  c.take_as<Suback>();
}

// Publishes `payload` on `topic` at QoS 1 from `pub` and consumes the PUBACK.
void publish_q1(ScriptedClient& pub, std::string_view topic, std::string_view payload,
                std::uint16_t id) {
  pub.send(make_publish(topic, payload, QoS::at_least_once, id));
  pub.take_as<Puback>();
}
}  // namespace

TEST_CASE("a 5.0 session outlives its connection for its Session Expiry Interval (MQTT-3.1.2-23)",
          "[broker]") {
  BrokerHarness h;
  ScriptedClient& meter = h.client(Version::v5);
  meter.connect(v5_session("meter", 10, true));
  subscribe(meter, "cmd", QoS::at_least_once);
  meter.close();
  h.advance(9 * kSecond);
  ScriptedClient& back = h.client(Version::v5);
  CHECK(back.connect(v5_session("meter", 10, false)).session_present);
  ScriptedClient& pub = h.client(Version::v5);
  pub.connect(make_connect("ctl", Version::v5));
  publish_q1(pub, "cmd", "on", 1);
  CHECK(back.take_as<Publish>().payload == ByteView::of("on"));  // the subscription survived
}

TEST_CASE("a 5.0 session is gone once its Session Expiry Interval has passed", "[broker]") {
  BrokerHarness h;
  ScriptedClient& meter = h.client(Version::v5);
  meter.connect(v5_session("meter", 10, true));
  subscribe(meter, "cmd", QoS::at_least_once);
  meter.close();
  h.advance(11 * kSecond);
  CHECK(h.broker.session_count() == 0);
  CHECK(h.broker.metrics().sessions_expired == 1);
  ScriptedClient& back = h.client(Version::v5);
  CHECK_FALSE(back.connect(v5_session("meter", 10, false)).session_present);
}

TEST_CASE(
    "the Session Expiry Interval sent in DISCONNECT replaces the one from CONNECT "
    "(MQTT-5.0 §3.14.2.2.2)",
    "[broker]") {
  BrokerHarness h;
  ScriptedClient& longer = h.client(Version::v5);
  longer.connect(v5_session("longer", 10, true));
  Disconnect d;
  d.properties.session_expiry_interval_s = 100;
  longer.send(d);
  CHECK(longer.closed());
  ScriptedClient& shorter = h.client(Version::v5);
  shorter.connect(v5_session("shorter", 100, true));
  d.properties.session_expiry_interval_s = 0;
  shorter.send(d);
  h.advance(50 * kSecond);
  CHECK(h.client(Version::v5).connect(v5_session("longer", 10, false)).session_present);
  CHECK_FALSE(h.client(Version::v5).connect(v5_session("shorter", 10, false)).session_present);
}

TEST_CASE(
    "a DISCONNECT that sets a Session Expiry Interval after CONNECT had 0 is a Protocol "
    "Error and not a normal disconnection (MQTT-5.0 §3.14.2.2.2)",
    "[broker]") {
  BrokerHarness h;
  ScriptedClient& watcher = h.client(Version::v5);
  watcher.connect(make_connect("watcher", Version::v5));
  subscribe(watcher, "status/#", QoS::at_most_once);
  ScriptedClient& device = h.client(Version::v5);
  Connect c = make_connect("device", Version::v5);
  c.will.emplace();
  c.will->topic = "status/device";
  c.will->payload = ByteView::of("offline");
  device.connect(c);
  Disconnect d;
  d.properties.session_expiry_interval_s = 30;
  device.send(d);
  REQUIRE(device.closed());
  CHECK(device.take_as<Disconnect>().reason_code == ReasonCode::protocol_error);
  CHECK(watcher.take_as<Publish>().topic == "status/device");  // the Will was not discarded
  CHECK_FALSE(h.client(Version::v5).connect(v5_session("device", 0, false)).session_present);
}

TEST_CASE("a 3.1.1 Clean Session 1 discards the stored session and its queue (MQTT-3.1.2-6)",
          "[broker]") {
  BrokerHarness h;
  ScriptedClient& phone = h.client(Version::v3_1_1);
  phone.connect(make_connect("phone", Version::v3_1_1, /*clean_start=*/false));
  subscribe(phone, "chat", QoS::at_least_once);
  phone.close();
  ScriptedClient& pub = h.client(Version::v3_1_1);
  pub.connect(make_connect("friend", Version::v3_1_1));
  publish_q1(pub, "chat", "queued", 1);
  ScriptedClient& clean = h.client(Version::v3_1_1);
  CHECK_FALSE(clean.connect(make_connect("phone", Version::v3_1_1, true)).session_present);
  publish_q1(pub, "chat", "after", 2);
  CHECK_FALSE(clean.has_packet());  // neither the queued message nor the subscription survived
  clean.close();
  ScriptedClient& again = h.client(Version::v3_1_1);
  CHECK_FALSE(again.connect(make_connect("phone", Version::v3_1_1, false)).session_present);
}

namespace {
// A 3.1.1 persistent subscriber that goes offline while three QoS 1 messages arrive; returns
// the payloads it receives on resuming.
std::vector<std::string> queued_while_offline(BrokerHarness& h) {
  ScriptedClient& sub = h.client(Version::v3_1_1);
  sub.connect(make_connect("logger", Version::v3_1_1, false));
  subscribe(sub, "log", QoS::at_least_once);
  sub.close();
  ScriptedClient& pub = h.client(Version::v3_1_1);
  pub.connect(make_connect("app", Version::v3_1_1));
  publish_q1(pub, "log", "1", 1);
  publish_q1(pub, "log", "2", 2);
  publish_q1(pub, "log", "3", 3);
  ScriptedClient& back = h.client(Version::v3_1_1);
  back.connect(make_connect("logger", Version::v3_1_1, false));
  std::vector<std::string> got;
  while (back.has_packet()) {
    const auto p = back.take_as<Publish>();
    got.emplace_back(p.payload.as_chars());
  }
  return got;
}
}  // namespace

TEST_CASE("a full offline queue drops its oldest message under drop_oldest, and counts it",
          "[broker]") {
  BrokerConfig config;
  config.max_queued_messages = 2;
  config.queue_drop_policy = QueueDropPolicy::drop_oldest;
  BrokerHarness h(config);
  CHECK(queued_while_offline(h) == std::vector<std::string>{"2", "3"});
  CHECK(h.broker.metrics().messages_dropped_queue_full == 1);
}

TEST_CASE("a full offline queue refuses the new message under drop_newest, and counts it",
          "[broker]") {
  BrokerConfig config;
  config.max_queued_messages = 2;
  config.queue_drop_policy = QueueDropPolicy::drop_newest;
  BrokerHarness h(config);
  CHECK(queued_while_offline(h) == std::vector<std::string>{"1", "2"});
  CHECK(h.broker.metrics().messages_dropped_queue_full == 1);
}

TEST_CASE("QoS 0 messages are queued for an offline session only with queue_qos0_offline",
          "[broker]") {
  for (const bool queue_qos0 : {false, true}) {
    BrokerConfig config;
    config.queue_qos0_offline = queue_qos0;
    BrokerHarness h(config);
    ScriptedClient& sub = h.client(Version::v3_1_1);
    sub.connect(make_connect("display", Version::v3_1_1, false));
    subscribe(sub, "temp", QoS::at_most_once);
    sub.close();
    ScriptedClient& pub = h.client(Version::v3_1_1);
    pub.connect(make_connect("sensor", Version::v3_1_1));
    pub.send(make_publish("temp", "21.5", QoS::at_most_once));
    ScriptedClient& back = h.client(Version::v3_1_1);
    back.connect(make_connect("display", Version::v3_1_1, false));
    INFO("queue_qos0_offline = " << queue_qos0);
    CHECK(back.has_packet() == queue_qos0);
  }
}

TEST_CASE(
    "an empty client id gets a new, unused id that names a resumable session "
    "(MQTT-3.2.2-16)",
    "[broker]") {
  BrokerHarness h;
  ScriptedClient& first = h.client(Version::v5);
  const Connack a = first.connect(v5_session("", 60, true));
  const Connack b = h.client(Version::v5).connect(v5_session("", 60, true));
  REQUIRE(a.properties.assigned_client_identifier.has_value());
  REQUIRE(b.properties.assigned_client_identifier.has_value());
  const std::string assigned(*a.properties.assigned_client_identifier);
  CHECK(assigned != std::string(*b.properties.assigned_client_identifier));
  first.close();
  CHECK(h.client(Version::v5).connect(v5_session(assigned, 60, false)).session_present);
}

TEST_CASE(
    "the server's Keep Alive is returned in CONNACK and replaces the client's "
    "(MQTT-3.2.2-21, MQTT-3.1.2-22)",
    "[broker]") {
  BrokerConfig config;
  config.server_keep_alive_s = 4;
  BrokerHarness h(config);
  ScriptedClient& c = h.client(Version::v5);
  Connect connect = make_connect("sensor", Version::v5);
  connect.keep_alive_s = 600;
  const Connack ack = c.connect(connect);
  CHECK(ack.properties.server_keep_alive_s == std::optional<std::uint16_t>(4));
  h.advance(5 * kSecond);
  CHECK_FALSE(c.closed());
  h.advance(2 * kSecond);  // 7 s > 1.5 × 4 s
  REQUIRE(c.closed());
  CHECK(c.take_as<Disconnect>().reason_code == ReasonCode::keep_alive_timeout);
}

TEST_CASE(
    "an unsupported protocol level is answered with CONNACK 0x01 and the connection "
    "closed (MQTT-3.1.2-2)",
    "[broker]") {
  BrokerHarness h;
  ScriptedClient& c = h.client(Version::v3_1_1);
  // CONNECT, protocol name "MQTT", level 6, Clean Session, keep alive 60, client id "a".
  c.send_raw({0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x06, 0x02, 0x00, 0x3C, 0x00, 0x01, 'a'});
  REQUIRE(c.closed());
  const auto ack = c.take_as<Connack>();
  CHECK(static_cast<int>(ack.reason_code) == 1);
  CHECK_FALSE(ack.session_present);
  CHECK(h.broker.session_count() == 0);
}

TEST_CASE("a packet before CONNECT closes the connection without an answer (MQTT-3.1.0-1)",
          "[broker]") {
  BrokerHarness h;
  ScriptedClient& c = h.client(Version::v3_1_1);
  c.send_raw({0xC0, 0x00});  // PINGREQ
  CHECK(c.closed());
  CHECK_FALSE(c.has_packet());
  CHECK(h.broker.metrics().connections_accepted == 0);
}

TEST_CASE("a second CONNECT is a protocol violation that closes the connection (MQTT-3.1.0-2)",
          "[broker]") {
  for (Version v : {Version::v3_1_1, Version::v5}) {
    BrokerHarness h;
    ScriptedClient& c = h.client(v);
    c.connect(make_connect("twice", v));
    Connect again = make_connect("twice", v);
    c.send(again);
    INFO("version " << static_cast<int>(v));
    REQUIRE(c.closed());
    if (is_v5(v)) {
      CHECK(c.take_as<Disconnect>().reason_code == ReasonCode::protocol_error);
    }
    CHECK_FALSE(c.has_packet());  // never a second CONNACK (MQTT-3.2.0-2)
    CHECK(h.broker.metrics().protocol_violations == 1);
  }
}
