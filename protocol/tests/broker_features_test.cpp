// BrokerCore 5.0 features and configured limits, byte-level with scripted clients: outbound
// topic aliases, message expiry, the client's Maximum Packet Size, subscription identifiers,
// retain handling and retain-as-published, and the Maximum QoS / feature switches.
#include <algorithm>

#include "broker_harness.hpp"

using namespace mqttsim::protocol;
using namespace mqttsim::protocol::testing;

namespace {
constexpr TimeNs kSecond = 1'000'000'000;

Connect with_alias_maximum(std::string_view id, std::uint16_t maximum) {
  Connect c = make_connect(id, Version::v5);
  c.properties.topic_alias_maximum = maximum;
  return c;
}

void subscribe(ScriptedClient& c, Subscribe s) {
  c.send(s);
  c.take_as<Suback>();
}

Subscribe subscribe_with(std::string_view filter, QoS qos, RetainHandling handling,
                         bool retain_as_published = false) {
  Subscribe s = make_subscribe(1, filter, qos);
  s.subscriptions[0].options.retain_handling = handling;
  s.subscriptions[0].options.retain_as_published = retain_as_published;
  return s;
}
}  // namespace

TEST_CASE(
    "outbound topic aliases are assigned first come, and never above the client's Topic "
    "Alias Maximum (MQTT-3.1.2-26, MQTT-3.3.2-11)",
    "[broker]") {
  BrokerHarness h;
  ScriptedClient& sub = h.client(Version::v5);
  sub.connect(with_alias_maximum("dashboard", 2));
  subscribe(sub, make_subscribe(1, "a/#", QoS::at_most_once));
  ScriptedClient& pub = h.client(Version::v5);
  pub.connect(make_connect("sensor", Version::v5));
  for (int round = 0; round < 2; ++round) {
    for (std::string_view topic : {"a/1", "a/2", "a/3"}) {
      pub.send(make_publish(topic, "x", QoS::at_most_once));
    }
  }
  struct Seen {
    std::string topic;
    std::optional<std::uint16_t> alias;
  };
  std::vector<Seen> seen;
  while (sub.has_packet()) {
    const auto p = sub.take_as<Publish>();
    seen.push_back({std::string(p.topic), p.properties.topic_alias});
  }
  REQUIRE(seen.size() == 6);
  const std::optional<std::uint16_t> none;
  CHECK((seen[0].topic == "a/1" && seen[0].alias == std::optional<std::uint16_t>(1)));
  CHECK((seen[1].topic == "a/2" && seen[1].alias == std::optional<std::uint16_t>(2)));
  CHECK((seen[2].topic == "a/3" && seen[2].alias == none));  // the maximum is reached
  CHECK((seen[3].topic.empty() && seen[3].alias == std::optional<std::uint16_t>(1)));
  CHECK((seen[4].topic.empty() && seen[4].alias == std::optional<std::uint16_t>(2)));
  CHECK((seen[5].topic == "a/3" && seen[5].alias == none));
}

TEST_CASE(
    "without a Topic Alias Maximum from the client the broker sends no aliases "
    "(MQTT-3.1.2-27)",
    "[broker]") {
  BrokerHarness h;
  ScriptedClient& sub = h.client(Version::v5);
  sub.connect(make_connect("dashboard", Version::v5));
  subscribe(sub, make_subscribe(1, "a/#", QoS::at_most_once));
  ScriptedClient& pub = h.client(Version::v5);
  pub.connect(make_connect("sensor", Version::v5));
  for (int i = 0; i < 2; ++i) {
    pub.send(make_publish("a/1", "x", QoS::at_most_once));
    const auto p = sub.take_as<Publish>();
    CHECK(p.topic == "a/1");
    CHECK_FALSE(p.properties.topic_alias.has_value());
  }
}

TEST_CASE(
    "a resumed session starts without topic aliases: redelivery carries the full topic "
    "(MQTT-3.3.2-7)",
    "[broker]") {
  BrokerHarness h;
  ScriptedClient& sub = h.client(Version::v5);
  Connect c = with_alias_maximum("phone", 4);
  c.properties.session_expiry_interval_s = 300;
  sub.connect(c);
  subscribe(sub, make_subscribe(1, "chat/#", QoS::at_least_once));
  ScriptedClient& pub = h.client(Version::v5);
  pub.connect(make_connect("friend", Version::v5));
  for (std::uint16_t id = 1; id <= 2; ++id) {
    pub.send(make_publish("chat/1", "hi", QoS::at_least_once, id));
    pub.take_as<Puback>();
  }
  CHECK(sub.take_as<Publish>().topic == "chat/1");
  CHECK(sub.take_as<Publish>().topic.empty());  // the alias is in use on this connection
  sub.close();                                  // nothing acknowledged
  ScriptedClient& back = h.client(Version::v5);
  c.clean_start = false;
  REQUIRE(back.connect(c).session_present);
  const auto first = back.take_as<Publish>();
  CHECK(first.dup);
  CHECK(first.topic == "chat/1");
  CHECK(first.properties.topic_alias == std::optional<std::uint16_t>(1));
}

TEST_CASE("an alias is not taken by a PUBLISH that was dropped as too large", "[broker]") {
  BrokerHarness h;
  ScriptedClient& sub = h.client(Version::v5);
  Connect c = with_alias_maximum("tiny", 4);
  c.properties.maximum_packet_size_bytes = 64;
  sub.connect(c);
  subscribe(sub, make_subscribe(1, "t", QoS::at_most_once));
  ScriptedClient& pub = h.client(Version::v5);
  pub.connect(make_connect("pub", Version::v5));
  const std::string big(200, 'x');
  pub.send(make_publish("t", big, QoS::at_most_once));
  pub.send(make_publish("t", "small", QoS::at_most_once));
  const auto p = sub.take_as<Publish>();
  CHECK(p.payload == ByteView::of("small"));
  CHECK(p.topic == "t");  // the dropped PUBLISH never told the client the alias
  CHECK_FALSE(sub.has_packet());
}

TEST_CASE(
    "a message whose Message Expiry Interval passed while queued is not delivered, and a "
    "delivered one carries the time left (MQTT-3.3.2-5, MQTT-3.3.2-6)",
    "[broker]") {
  BrokerHarness h;
  ScriptedClient& sub = h.client(Version::v5);
  Connect c = make_connect("sub", Version::v5);
  c.properties.session_expiry_interval_s = 300;
  sub.connect(c);
  subscribe(sub, make_subscribe(1, "m", QoS::at_least_once));
  sub.close();
  ScriptedClient& pub = h.client(Version::v5);
  pub.connect(make_connect("pub", Version::v5));
  Publish shortlived = make_publish("m", "short", QoS::at_least_once, 1);
  shortlived.properties.message_expiry_interval_s = 5;
  Publish longlived = make_publish("m", "long", QoS::at_least_once, 2);
  longlived.properties.message_expiry_interval_s = 60;
  pub.send(shortlived);
  pub.send(longlived);
  h.advance(10 * kSecond);
  ScriptedClient& back = h.client(Version::v5);
  c.clean_start = false;
  back.connect(c);
  const auto got = back.take_as<Publish>();
  CHECK(got.payload == ByteView::of("long"));
  CHECK(got.properties.message_expiry_interval_s == std::optional<std::uint32_t>(50));
  CHECK_FALSE(back.has_packet());
  CHECK(h.broker.metrics().messages_dropped_expired == 1);
}

TEST_CASE(
    "a message larger than the client's Maximum Packet Size is not sent, and is counted "
    "(MQTT-3.1.2-24, MQTT-3.1.2-25)",
    "[broker]") {
  BrokerHarness h;
  ScriptedClient& sub = h.client(Version::v5);
  Connect c = make_connect("tiny", Version::v5);
  c.properties.maximum_packet_size_bytes = 64;
  sub.connect(c);
  subscribe(sub, make_subscribe(1, "t", QoS::at_least_once));
  h.events();
  ScriptedClient& pub = h.client(Version::v5);
  pub.connect(make_connect("pub", Version::v5));
  const std::string big(200, 'x');
  pub.send(make_publish("t", big, QoS::at_least_once, 1));
  pub.send(make_publish("t", "small", QoS::at_least_once, 2));
  // The dropped one is as if sent: it holds no inflight slot and does not block the next.
  CHECK(sub.take_as<Publish>().payload == ByteView::of("small"));
  CHECK_FALSE(sub.has_packet());
  CHECK(h.broker.metrics().messages_dropped_too_large == 1);
  const auto events = h.events();
  CHECK(std::any_of(events.begin(), events.end(), [](const BrokerEvent& e) {
    const auto* d = std::get_if<broker_event::MessageDropped>(&e);
    return d != nullptr && d->client_id == "tiny";
  }));
}

TEST_CASE(
    "one PUBLISH carries the identifiers of every overlapping subscription "
    "(MQTT-3.3.4-3, MQTT-3.3.4-4)",
    "[broker]") {
  BrokerHarness h;
  ScriptedClient& sub = h.client(Version::v5);
  sub.connect(make_connect("home", Version::v5));
  Subscribe rooms = make_subscribe(1, "home/+/temp", QoS::at_most_once);
  rooms.properties.subscription_identifiers = {7};
  subscribe(sub, rooms);
  Subscribe kitchen = make_subscribe(2, "home/kitchen/#", QoS::at_most_once);
  kitchen.properties.subscription_identifiers = {9};
  subscribe(sub, kitchen);
  subscribe(sub, make_subscribe(3, "home/kitchen/temp", QoS::at_most_once));  // no identifier
  ScriptedClient& pub = h.client(Version::v5);
  pub.connect(make_connect("thermo", Version::v5));
  pub.send(make_publish("home/kitchen/temp", "21", QoS::at_most_once));
  auto ids = sub.take_as<Publish>().properties.subscription_identifiers;
  std::sort(ids.begin(), ids.end());  // their order is not significant
  CHECK(ids == std::vector<std::uint32_t>{7, 9});
  CHECK_FALSE(sub.has_packet());  // one copy for the session
  pub.send(make_publish("home/hall/temp", "19", QoS::at_most_once));
  CHECK(sub.take_as<Publish>().properties.subscription_identifiers ==
        std::vector<std::uint32_t>{7});
}

TEST_CASE(
    "Retain Handling 1 sends retained messages only for a new subscription, 2 never "
    "(MQTT-3.3.1-10, MQTT-3.3.1-11)",
    "[broker]") {
  BrokerHarness h;
  ScriptedClient& pub = h.client(Version::v5);
  pub.connect(make_connect("pub", Version::v5));
  pub.send(make_publish("r/1", "kept", QoS::at_most_once, 0, /*retain=*/true));
  ScriptedClient& sub = h.client(Version::v5);
  sub.connect(make_connect("sub", Version::v5));
  const auto if_new =
      subscribe_with("r/#", QoS::at_most_once, RetainHandling::send_if_new_subscription);
  subscribe(sub, if_new);
  CHECK(sub.take_as<Publish>().payload == ByteView::of("kept"));
  subscribe(sub, if_new);  // the subscription exists now
  CHECK_FALSE(sub.has_packet());
  subscribe(sub, subscribe_with("r/+", QoS::at_most_once, RetainHandling::do_not_send));
  CHECK_FALSE(sub.has_packet());
  subscribe(sub, subscribe_with("r/#", QoS::at_most_once, RetainHandling::send_on_subscribe));
  CHECK(sub.take_as<Publish>().retain);  // 0 sends them every time (MQTT-3.3.1-9)
}

TEST_CASE(
    "Retain As Published keeps the RETAIN flag; without it forwarded messages carry 0 "
    "(MQTT-3.3.1-12, MQTT-3.3.1-13)",
    "[broker]") {
  BrokerHarness h;
  ScriptedClient& kept = h.client(Version::v5);
  kept.connect(make_connect("bridge", Version::v5));
  subscribe(kept, subscribe_with("news", QoS::at_most_once, RetainHandling::send_on_subscribe,
                                 /*retain_as_published=*/true));
  ScriptedClient& plain = h.client(Version::v5);
  plain.connect(make_connect("reader", Version::v5));
  subscribe(plain, subscribe_with("news", QoS::at_most_once, RetainHandling::send_on_subscribe));
  ScriptedClient& pub = h.client(Version::v5);
  pub.connect(make_connect("pub", Version::v5));
  pub.send(make_publish("news", "headline", QoS::at_most_once, 0, /*retain=*/true));
  CHECK(kept.take_as<Publish>().retain);
  CHECK_FALSE(plain.take_as<Publish>().retain);
}

TEST_CASE(
    "more unacknowledged QoS 2 PUBLISH than the broker's Receive Maximum end the "
    "connection with 0x93 (MQTT-3.3.4-7)",
    "[broker]") {
  BrokerConfig config;
  config.receive_maximum = 2;
  BrokerHarness h(config);
  ScriptedClient& pub = h.client(Version::v5);
  CHECK(pub.connect(make_connect("burst", Version::v5)).properties.receive_maximum ==
        std::optional<std::uint16_t>(2));
  for (std::uint16_t id = 1; id <= 2; ++id) {
    pub.send(make_publish("t", "m", QoS::exactly_once, id));
    pub.take_as<Pubrec>();  // no PUBREL: the flow stays open
  }
  CHECK_FALSE(pub.closed());
  pub.send(make_publish("t", "m", QoS::exactly_once, 3));
  REQUIRE(pub.closed());
  CHECK(pub.take_as<Disconnect>().reason_code == ReasonCode::receive_maximum_exceeded);
}

TEST_CASE(
    "a Topic Alias above the broker's Topic Alias Maximum ends the connection with 0x94, "
    "one within it is accepted (MQTT-3.3.2-9, MQTT-3.3.2-12)",
    "[broker]") {
  BrokerConfig config;
  config.topic_alias_maximum = 4;
  BrokerHarness h(config);
  ScriptedClient& sub = h.client(Version::v5);
  sub.connect(make_connect("sub", Version::v5));
  subscribe(sub, make_subscribe(1, "a/#", QoS::at_most_once));
  ScriptedClient& pub = h.client(Version::v5);
  CHECK(pub.connect(make_connect("pub", Version::v5)).properties.topic_alias_maximum ==
        std::optional<std::uint16_t>(4));
  Publish set = make_publish("a/b", "1", QoS::at_most_once);
  set.properties.topic_alias = 4;
  pub.send(set);
  Publish use = make_publish("", "2", QoS::at_most_once);
  use.properties.topic_alias = 4;
  pub.send(use);
  CHECK(sub.take_as<Publish>().topic == "a/b");
  CHECK(sub.take_as<Publish>().topic == "a/b");
  Publish above = make_publish("a/c", "3", QoS::at_most_once);
  above.properties.topic_alias = 5;
  pub.send(above);
  REQUIRE(pub.closed());
  CHECK(pub.take_as<Disconnect>().reason_code == ReasonCode::topic_alias_invalid);
  CHECK_FALSE(sub.has_packet());
}

TEST_CASE(
    "with Maximum QoS 1 the broker says so, grants at most 1, and ends a QoS 2 PUBLISH "
    "with 0x9B (MQTT-3.2.2-9, MQTT-3.2.2-10, MQTT-3.2.2-11)",
    "[broker]") {
  BrokerConfig config;
  config.maximum_qos = QoS::at_least_once;
  BrokerHarness h(config);
  ScriptedClient& c = h.client(Version::v5);
  CHECK(c.connect(make_connect("c", Version::v5)).properties.maximum_qos ==
        std::optional<std::uint8_t>(1));
  c.send(make_subscribe(1, "t", QoS::exactly_once));
  CHECK(c.take_as<Suback>().reason_codes == std::vector<ReasonCode>{ReasonCode::granted_qos_1});
  c.send(make_publish("t", "m", QoS::exactly_once, 1));
  REQUIRE(c.closed());
  CHECK(c.take_as<Disconnect>().reason_code == ReasonCode::qos_not_supported);
}

TEST_CASE(
    "with wildcard or shared subscriptions switched off, SUBACK refuses just those "
    "filters with 0xA2 and 0x9E (MQTT-5.0 §3.9.3)",
    "[broker]") {
  BrokerConfig config;
  config.wildcard_subscriptions_available = false;
  config.shared_subscriptions_available = false;
  BrokerHarness h(config);
  ScriptedClient& c = h.client(Version::v5);
  const Connack ack = c.connect(make_connect("c", Version::v5));
  CHECK(ack.properties.wildcard_subscription_available == std::optional<bool>(false));
  CHECK(ack.properties.shared_subscription_available == std::optional<bool>(false));
  Subscribe s = make_subscribe(1, "a/+", QoS::at_most_once);
  s.subscriptions.push_back({"a/b", SubscriptionOptions{}});
  s.subscriptions.push_back({"$share/g/a/b", SubscriptionOptions{}});
  c.send(s);
  CHECK(c.take_as<Suback>().reason_codes ==
        std::vector<ReasonCode>{ReasonCode::wildcard_subscriptions_not_supported,
                                ReasonCode::success,
                                ReasonCode::shared_subscriptions_not_supported});
  CHECK_FALSE(c.closed());
}

TEST_CASE(
    "a server DISCONNECT leaves out its Reason String when that would exceed the client's "
    "Maximum Packet Size (MQTT-3.14.2-3)",
    "[broker]") {
  BrokerConfig config;
  config.maximum_qos = QoS::at_least_once;
  BrokerHarness h(config);
  ScriptedClient& c = h.client(Version::v5);
  Connect connect = make_connect("tiny", Version::v5);
  connect.properties.maximum_packet_size_bytes = 16;
  c.connect(connect);
  c.send(make_publish("t", "m", QoS::exactly_once, 1));  // a violation: 0x9B
  REQUIRE(c.closed());
  const Disconnect d = c.take_as<Disconnect>();
  CHECK(d.reason_code == ReasonCode::qos_not_supported);
  CHECK(encoded_size(Packet(d), Version::v5) <= 16);
}
