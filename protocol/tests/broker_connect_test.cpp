// BrokerCore: CONNECT handling, client identifiers, authentication, takeover, keep alive and
// the Will. Each test names the normative statement it checks.
#include "broker_harness.hpp"

using namespace mqttsim::protocol;
using namespace mqttsim::protocol::testing;

namespace {
constexpr TimeNs kSecond = 1'000'000'000;
}

TEST_CASE("a CONNECT is answered by CONNACK 0 without a session present (MQTT-3.2.2-1)",
          "[broker]") {
  for (Version v : {Version::v3_1, Version::v3_1_1, Version::v5}) {
    BrokerHarness h;
    ScriptedClient& c = h.client(v);
    const Connack ack = c.connect(make_connect("TempSensor0042", v));
    CHECK(ack.reason_code == ReasonCode::success);
    CHECK_FALSE(ack.session_present);
    CHECK_FALSE(c.closed());
  }
}

TEST_CASE("an empty client id is assigned one under 5.0 (MQTT-3.1.3-7)", "[broker]") {
  BrokerHarness h;
  ScriptedClient& c = h.client(Version::v5);
  const Connack ack = c.connect(make_connect("", Version::v5));
  CHECK(ack.reason_code == ReasonCode::success);
  REQUIRE(ack.properties.assigned_client_identifier.has_value());
  CHECK_FALSE(ack.properties.assigned_client_identifier->empty());
}

TEST_CASE("an empty client id with Clean Session 0 is refused with 0x02 (MQTT-3.1.3-8)",
          "[broker]") {
  BrokerHarness h;
  ScriptedClient& c = h.client(Version::v3_1_1);
  const Connack ack = c.connect(make_connect("", Version::v3_1_1, /*clean_start=*/false));
  CHECK(static_cast<int>(ack.reason_code) == 2);
  CHECK(c.closed());
}

TEST_CASE("credentials are checked: 4/0x86 for a bad password, 5/0x87 for anonymous", "[broker]") {
  BrokerConfig config;
  config.allow_anonymous = false;
  config.credentials = {{"device", "tok-3f9a"}};
  for (Version v : {Version::v3_1_1, Version::v5}) {
    BrokerHarness h(config);
    Connect good = make_connect("a", v);
    good.username = "device";
    good.password = ByteView::of("tok-3f9a");
    CHECK(h.client(v).connect(good).reason_code == ReasonCode::success);
    Connect bad = good;
    bad.client_id = "b";
    bad.password = ByteView::of("wrong");
    const auto refused = h.client(v).connect(bad).reason_code;
    CHECK(static_cast<int>(refused) == (is_v5(v) ? 0x86 : 4));
    const auto anonymous = h.client(v).connect(make_connect("c", v)).reason_code;
    CHECK(static_cast<int>(anonymous) == (is_v5(v) ? 0x87 : 5));
  }
}

TEST_CASE("a second connection with the same client id takes the session over (MQTT-3.1.4-3)",
          "[broker]") {
  BrokerHarness h;
  ScriptedClient& first = h.client(Version::v5);
  first.connect(make_connect("phone-1", Version::v5));
  ScriptedClient& second = h.client(Version::v5);
  CHECK(second.connect(make_connect("phone-1", Version::v5)).reason_code == ReasonCode::success);
  const auto d = first.take_as<Disconnect>();
  CHECK(d.reason_code == ReasonCode::session_taken_over);
  CHECK(first.closed());
  CHECK_FALSE(second.closed());
}

TEST_CASE("keep alive is enforced at 1.5 times the interval (MQTT-3.1.2-22 in 5.0)", "[broker]") {
  BrokerHarness h;
  ScriptedClient& c = h.client(Version::v5);
  Connect connect = make_connect("sensor", Version::v5);
  connect.keep_alive_s = 10;
  c.connect(connect);
  h.advance(14 * kSecond);
  CHECK_FALSE(c.closed());
  c.send(Pingreq{});
  c.take_as<Pingresp>();
  h.advance(14 * kSecond);  // 14 s after the PINGREQ: still within 15 s
  CHECK_FALSE(c.closed());
  h.advance(2 * kSecond);
  REQUIRE(c.closed());
  CHECK(c.take_as<Disconnect>().reason_code == ReasonCode::keep_alive_timeout);
}

namespace {
// A subscriber on `status/#` and a client with a Will on status/<id>.
struct WillSetup {
  BrokerHarness h;
  ScriptedClient& watcher;
  ScriptedClient& device;
  explicit WillSetup(Version v, std::uint32_t will_delay_s = 0, std::uint32_t session_expiry_s = 0)
      : watcher(h.client(v)), device(h.client(v)) {
    watcher.connect(make_connect("watcher", v));
    watcher.send(make_subscribe(1, "status/#", QoS::at_least_once));
    watcher.take_as<Suback>();
    Connect c = make_connect("device", v);
    c.will.emplace();
    c.will->topic = "status/device";
    c.will->payload = ByteView::of("offline");
    c.will->qos = QoS::at_least_once;
    if (will_delay_s > 0) c.will->properties.will_delay_interval_s = will_delay_s;
    if (session_expiry_s > 0) c.properties.session_expiry_interval_s = session_expiry_s;
    device.connect(c);
  }
};
}  // namespace

TEST_CASE("the Will is published when the connection drops (MQTT-3.1.2-8)", "[broker]") {
  for (Version v : {Version::v3_1_1, Version::v5}) {
    WillSetup s(v);
    s.device.close();
    const auto will = s.watcher.take_as<Publish>();
    CHECK(will.topic == "status/device");
    CHECK(will.payload == ByteView::of("offline"));
  }
}

TEST_CASE("a normal DISCONNECT discards the Will (MQTT-3.1.2-10)", "[broker]") {
  for (Version v : {Version::v3_1_1, Version::v5}) {
    WillSetup s(v);
    s.device.send(Disconnect{});
    s.device.close();
    CHECK_FALSE(s.watcher.has_packet());
  }
}

TEST_CASE("DISCONNECT with reason 0x04 publishes the Will (MQTT-5.0 §3.14.2.1)", "[broker]") {
  WillSetup s(Version::v5);
  s.device.send(Disconnect{ReasonCode::disconnect_with_will_message, {}});
  CHECK(s.watcher.take_as<Publish>().topic == "status/device");
}

TEST_CASE("a delayed Will waits, and a reconnect in time cancels it (MQTT-3.1.3-9)", "[broker]") {
  WillSetup s(Version::v5, /*will_delay_s=*/30, /*session_expiry_s=*/300);
  s.device.close();
  s.h.advance(29 * kSecond);
  CHECK_FALSE(s.watcher.has_packet());
  ScriptedClient& again = s.h.client(Version::v5);
  CHECK(again.connect(make_connect("device", Version::v5, false)).session_present);
  s.h.advance(60 * kSecond);
  CHECK_FALSE(s.watcher.has_packet());
}

TEST_CASE("a delayed Will goes out after its delay", "[broker]") {
  WillSetup s(Version::v5, /*will_delay_s=*/30, /*session_expiry_s=*/300);
  s.device.close();
  s.h.advance(31 * kSecond);
  CHECK(s.watcher.take_as<Publish>().topic == "status/device");
}

TEST_CASE("a malformed packet ends only its sender's connection", "[broker]") {
  BrokerHarness h;
  ScriptedClient& sub = h.client(Version::v5);
  sub.connect(make_connect("sub", Version::v5));
  sub.send(make_subscribe(1, "a/#", QoS::at_least_once));
  sub.take_as<Suback>();
  ScriptedClient& bad = h.client(Version::v5);
  bad.connect(make_connect("bad", Version::v5));
  bad.send_raw({0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01});  // QoS 3
  REQUIRE(bad.closed());
  CHECK(bad.take_as<Disconnect>().reason_code == ReasonCode::malformed_packet);
  ScriptedClient& pub = h.client(Version::v5);
  pub.connect(make_connect("pub", Version::v5));
  pub.send(make_publish("a/b", "still here", QoS::at_least_once, 1));
  pub.take_as<Puback>();
  CHECK(sub.take_as<Publish>().payload == ByteView::of("still here"));
}
