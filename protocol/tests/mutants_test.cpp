// The fault switches of issue 6 (protocol/mutants.hpp), one byte-level script each: with the
// switch on the core shows the bug it is named after, with it off the same script shows the
// correct behaviour, so a check that catches the mutant is known to look at the right thing.
#include <algorithm>
#include <set>

#include "broker_harness.hpp"
#include "protocol/client/client_session.hpp"
#include "protocol/mutants.hpp"
#include "protocol/subscription_index.hpp"

using namespace mqttsim::protocol;
using namespace mqttsim::protocol::testing;

namespace {
using Bytes = std::vector<std::uint8_t>;
constexpr TimeNs kMs = 1'000'000;

BrokerConfig broker_with(bool mutant_on, Mutant mutant) {
  BrokerConfig config;
  if (mutant_on) config.mutants.insert(mutant);
  return config;
}

std::string text(ByteView bytes) {
  return std::string(bytes.as_chars());
}

void subscribe(ScriptedClient& c, std::string_view filter, QoS qos) {
  c.send(make_subscribe(1, filter, qos));
  c.take_as<Suback>();
}

// A 3.1.1 subscriber "meter" with a persistent session on "cmd" at `qos`.
ScriptedClient& persistent_meter(BrokerHarness& h, QoS qos) {
  ScriptedClient& sub = h.client(Version::v3_1_1);
  sub.connect(make_connect("meter", Version::v3_1_1, /*clean_start=*/false));
  subscribe(sub, "cmd", qos);
  return sub;
}

// Publishes QoS 1 messages on "cmd" from a fresh client and consumes their PUBACKs.
void publish_q1(BrokerHarness& h, std::vector<std::string_view> payloads) {
  ScriptedClient& pub = h.client(Version::v3_1_1);
  pub.connect(make_connect("ctl", Version::v3_1_1));
  std::uint16_t id = 1;
  for (std::string_view payload : payloads) {
    pub.send(make_publish("cmd", payload, QoS::at_least_once, id++));
    pub.take_as<Puback>();
  }
}
}  // namespace

TEST_CASE("every mutant has a distinct CLI name that parses back to it", "[mutants]") {
  std::set<std::string_view> names;
  for (const Mutant m : kAllMutants) {
    const std::string_view name = mutant_name(m);
    INFO(name);
    CHECK(names.insert(name).second);
    CHECK(parse_mutant(name) == m);
    CHECK_FALSE(mutant_description(m).empty());
  }
  CHECK(names.size() == 8);
  CHECK(parse_mutant("resend-without-dup") == Mutant::resend_without_dup);
  CHECK(mutant_core(Mutant::qos2_deliver_twice) == MutantCore::client);
  CHECK(mutant_core(Mutant::ack_before_store) == MutantCore::broker);
  CHECK_FALSE(parse_mutant("resend_without_dup").has_value());
  CHECK_FALSE(parse_mutant("").has_value());
  CHECK_FALSE(parse_mutant("no-such-mutant").has_value());
}

TEST_CASE("a MutantSet holds each mutant independently and starts empty", "[mutants]") {
  MutantSet set;
  CHECK(set.empty());
  for (const Mutant m : kAllMutants) CHECK_FALSE(set.has(m));
  set.insert(Mutant::ack_before_store);
  set.insert(Mutant::dollar_wildcard_match);
  CHECK(set.has(Mutant::ack_before_store));
  CHECK(set.has(Mutant::dollar_wildcard_match));
  CHECK_FALSE(set.has(Mutant::no_persist_inflight));
  set.erase(Mutant::ack_before_store);
  CHECK_FALSE(set.has(Mutant::ack_before_store));
  CHECK(set == MutantSet{Mutant::dollar_wildcard_match});
  CHECK(BrokerConfig{}.mutants.empty());
  CHECK(ClientConfig{}.mutants.empty());
}

TEST_CASE(
    "forget-qos2-state-on-reconnect: a QoS 2 PUBLISH retransmitted after the publisher "
    "reconnects is routed again (MQTT-4.3.3-10)",
    "[mutants]") {
  for (const bool on : {false, true}) {
    INFO("mutant " << (on ? "on" : "off"));
    BrokerHarness h(broker_with(on, Mutant::forget_qos2_state_on_reconnect));
    ScriptedClient& sub = h.client(Version::v3_1_1);
    sub.connect(make_connect("valve", Version::v3_1_1));
    subscribe(sub, "cmd", QoS::exactly_once);
    ScriptedClient& pub = h.client(Version::v3_1_1);
    pub.connect(make_connect("ctl", Version::v3_1_1, /*clean_start=*/false));
    // PUBLISH QoS 2, id 7, "cmd", "open"; then the PUBREC is lost with the connection.
    pub.send_raw({0x34, 0x0B, 0x00, 0x03, 'c', 'm', 'd', 0x00, 0x07, 'o', 'p', 'e', 'n'});
    pub.take_as<Pubrec>();
    CHECK(text(sub.take_as<Publish>().payload) == "open");
    pub.close();
    ScriptedClient& back = h.client(Version::v3_1_1);
    REQUIRE(back.connect(make_connect("ctl", Version::v3_1_1, false)).session_present);
    // The same PUBLISH again with DUP=1 (MQTT-4.4.0-1): answered PUBREC 7 either way.
    back.send_raw({0x3C, 0x0B, 0x00, 0x03, 'c', 'm', 'd', 0x00, 0x07, 'o', 'p', 'e', 'n'});
    back.take_as<Pubrec>();
    CHECK(back.last_bytes() == Bytes{0x50, 0x02, 0x00, 0x07});
    if (on) {
      REQUIRE(sub.has_packet());
      CHECK(text(sub.take_as<Publish>().payload) == "open");  // delivered twice
    } else {
      CHECK_FALSE(sub.has_packet());
    }
    back.send(Pubrel{7, {}, {}});
    CHECK(back.take_as<Pubcomp>().packet_id == 7);
  }
}

TEST_CASE(
    "no-persist-inflight: a persistent broker restarted from its snapshot has lost the "
    "unacknowledged outbound QoS 1 message",
    "[mutants]") {
  for (const bool on : {false, true}) {
    INFO("mutant " << (on ? "on" : "off"));
    BrokerConfig config = broker_with(on, Mutant::no_persist_inflight);
    config.persistence = true;
    BrokerHarness h(config);
    persistent_meter(h, QoS::at_least_once);
    publish_q1(h, {"reboot"});  // delivered to the meter, which never sends PUBACK
    const BrokerState saved = h.broker.snapshot();  // the crash
    CHECK(saved.sessions.at("meter").inflight.size() == (on ? 0u : 1u));
    BrokerHarness restarted(config);
    restarted.broker = BrokerCore(config, saved, restarted.now_ns);
    ScriptedClient& back = restarted.client(Version::v3_1_1);
    REQUIRE(back.connect(make_connect("meter", Version::v3_1_1, false)).session_present);
    if (on) {
      CHECK_FALSE(back.has_packet());
    } else {
      back.take_as<Publish>();  // QoS 1, DUP=1, id 1, "cmd", "reboot"
      CHECK(back.last_bytes() ==
            Bytes{0x3A, 0x0D, 0x00, 0x03, 'c', 'm', 'd', 0x00, 0x01, 'r', 'e', 'b', 'o', 'o', 't'});
    }
  }
}

TEST_CASE(
    "resend-without-dup: the PUBLISH redelivered on session resumption has DUP=0 "
    "(MQTT-3.3.1-1)",
    "[mutants]") {
  for (const bool on : {false, true}) {
    INFO("mutant " << (on ? "on" : "off"));
    BrokerHarness h(broker_with(on, Mutant::resend_without_dup));
    ScriptedClient& sub = persistent_meter(h, QoS::at_least_once);
    publish_q1(h, {"reboot"});
    sub.take_as<Publish>();
    CHECK(sub.last_bytes().at(0) == 0x32);  // the first delivery: QoS 1, DUP=0
    sub.close();                            // before its PUBACK
    ScriptedClient& back = h.client(Version::v3_1_1);
    REQUIRE(back.connect(make_connect("meter", Version::v3_1_1, false)).session_present);
    back.take_as<Publish>();
    const std::uint8_t header = on ? 0x32 : 0x3A;  // DUP is bit 3 of the first byte
    CHECK(back.last_bytes() ==
          Bytes{header, 0x0D, 0x00, 0x03, 'c', 'm', 'd', 0x00, 0x01, 'r', 'e', 'b', 'o', 'o', 't'});
  }
}

TEST_CASE(
    "drop-queue-on-resume: the messages queued for an offline session are gone when it resumes, "
    "though Session Present is 1 (MQTT-3.1.2-5)",
    "[mutants]") {
  for (const bool on : {false, true}) {
    INFO("mutant " << (on ? "on" : "off"));
    BrokerHarness h(broker_with(on, Mutant::drop_queue_on_resume));
    persistent_meter(h, QoS::at_least_once).close();
    publish_q1(h, {"1", "2", "3"});
    ScriptedClient& back = h.client(Version::v3_1_1);
    back.connect(make_connect("meter", Version::v3_1_1, false));
    CHECK(back.last_bytes() == Bytes{0x20, 0x02, 0x01, 0x00});  // CONNACK, Session Present 1
    std::vector<std::string> got;
    while (back.has_packet()) got.push_back(text(back.take_as<Publish>().payload));
    CHECK(got == (on ? std::vector<std::string>{} : std::vector<std::string>{"1", "2", "3"}));
    CHECK(h.broker.metrics().messages_dropped_queue_full == 0);  // dropped silently
  }
}

TEST_CASE(
    "redeliver-out-of-order: unacknowledged messages are resent on resumption in reverse "
    "order (MQTT-4.6.0-1)",
    "[mutants]") {
  for (const bool on : {false, true}) {
    INFO("mutant " << (on ? "on" : "off"));
    BrokerHarness h(broker_with(on, Mutant::redeliver_out_of_order));
    ScriptedClient& sub = persistent_meter(h, QoS::at_least_once);
    publish_q1(h, {"1", "2", "3"});
    for (int i = 0; i < 3; ++i) sub.take_as<Publish>();
    sub.close();  // none acknowledged
    ScriptedClient& back = h.client(Version::v3_1_1);
    REQUIRE(back.connect(make_connect("meter", Version::v3_1_1, false)).session_present);
    std::vector<std::uint16_t> ids;
    std::string payloads;
    while (back.has_packet()) {
      const auto p = back.take_as<Publish>();
      CHECK(back.last_bytes().at(0) == 0x3A);  // QoS 1, DUP=1 either way
      ids.push_back(p.packet_id);
      payloads += text(p.payload);
    }
    CHECK(ids == (on ? std::vector<std::uint16_t>{3, 2, 1} : std::vector<std::uint16_t>{1, 2, 3}));
    CHECK(payloads == (on ? "321" : "123"));
    // The session keeps the send order: acknowledging ends the flows whatever the resend order.
    for (const std::uint16_t id : ids) back.send(Puback{id, {}, {}});
    CHECK(h.broker.snapshot().sessions.at("meter").inflight.empty());
  }
}

TEST_CASE(
    "ack-before-store: a QoS 1 PUBLISH is acknowledged at once but stored and routed only "
    "100 ms later, so a crash in between loses it (MQTT-4.3.2-4)",
    "[mutants]") {
  for (const bool on : {false, true}) {
    INFO("mutant " << (on ? "on" : "off"));
    BrokerConfig config = broker_with(on, Mutant::ack_before_store);
    config.persistence = true;
    BrokerHarness h(config);
    ScriptedClient& sub = persistent_meter(h, QoS::at_least_once);
    ScriptedClient& pub = h.client(Version::v3_1_1);
    pub.connect(make_connect("ctl", Version::v3_1_1));
    const std::optional<TimeNs> deadline_before = h.broker.poll_timeout();
    h.events();
    // PUBLISH QoS 1, id 5, "cmd", "stop": PUBACK 5 comes back at once either way.
    pub.send_raw({0x32, 0x0B, 0x00, 0x03, 'c', 'm', 'd', 0x00, 0x05, 's', 't', 'o', 'p'});
    pub.take_as<Puback>();
    CHECK(pub.last_bytes() == Bytes{0x40, 0x02, 0x00, 0x05});
    CHECK(sub.has_packet() == !on);
    if (on) {
      CHECK(h.events().empty());  // not yet published
      CHECK(h.broker.poll_timeout() == h.now_ns + 100 * kMs);
    } else {
      CHECK(h.broker.poll_timeout() == deadline_before);
    }
    const std::string mode = on ? ", mutant on" : ", mutant off";
    SECTION("a crash before the write-behind completes loses the acknowledged message" + mode) {
      const BrokerState saved = h.broker.snapshot();
      BrokerHarness restarted(config);
      restarted.broker = BrokerCore(config, saved, restarted.now_ns);
      ScriptedClient& back = restarted.client(Version::v3_1_1);
      REQUIRE(back.connect(make_connect("meter", Version::v3_1_1, false)).session_present);
      CHECK(back.has_packet() == !on);
      if (!on) CHECK(text(back.take_as<Publish>().payload) == "stop");
    }
    SECTION("without a crash the message is routed once the delay has passed" + mode) {
      h.advance(99 * kMs);
      CHECK(sub.has_packet() == !on);
      h.advance(1 * kMs);
      REQUIRE(sub.has_packet());
      CHECK(text(sub.take_as<Publish>().payload) == "stop");
      CHECK_FALSE(sub.has_packet());
      CHECK(h.broker.poll_timeout() == deadline_before);
    }
  }
}

TEST_CASE(
    "dollar-wildcard-match: filters starting with a wildcard match topics starting with '$' "
    "(MQTT-4.7.2-1)",
    "[mutants]") {
  for (const bool on : {false, true}) {
    INFO("mutant " << (on ? "on" : "off"));
    BrokerHarness h(broker_with(on, Mutant::dollar_wildcard_match));
    ScriptedClient& sys = h.client(Version::v3_1_1);
    sys.connect(make_connect("monitor", Version::v3_1_1));
    // Retained, QoS 0: "$SYS/version" = "1"; nobody subscribes yet.
    sys.send_raw(
        {0x31, 0x0F, 0x00, 0x0C, '$', 'S', 'Y', 'S', '/', 'v', 'e', 'r', 's', 'i', 'o', 'n', '1'});
    ScriptedClient& all = h.client(Version::v3_1_1);
    all.connect(make_connect("all", Version::v3_1_1));
    subscribe(all, "#", QoS::at_most_once);
    CHECK(all.has_packet() == on);  // the retained "$SYS/version" on subscribe
    if (on) CHECK(all.take_as<Publish>().topic == "$SYS/version");
    ScriptedClient& plus = h.client(Version::v3_1_1);
    plus.connect(make_connect("plus", Version::v3_1_1));
    subscribe(plus, "+/uptime", QoS::at_most_once);
    ScriptedClient& named = h.client(Version::v3_1_1);
    named.connect(make_connect("named", Version::v3_1_1));
    subscribe(named, "$SYS/#", QoS::at_most_once);
    CHECK(text(named.take_as<Publish>().payload) == "1");  // named filters always match
    // QoS 0 "$SYS/uptime" = "9".
    sys.send_raw(
        {0x30, 0x0E, 0x00, 0x0B, '$', 'S', 'Y', 'S', '/', 'u', 'p', 't', 'i', 'm', 'e', '9'});
    CHECK(named.take_as<Publish>().topic == "$SYS/uptime");
    CHECK(all.has_packet() == on);
    CHECK(plus.has_packet() == on);
    if (on) {
      CHECK(all.take_as<Publish>().topic == "$SYS/uptime");
      CHECK(plus.take_as<Publish>().topic == "$SYS/uptime");
    }
    // Topics without '$' match as before.
    sys.send(make_publish("a/uptime", "x", QoS::at_most_once));
    CHECK(all.take_as<Publish>().topic == "a/uptime");
    CHECK(plus.take_as<Publish>().topic == "a/uptime");
  }
}

TEST_CASE("dollar-wildcard-match lives in the subscription index's matcher", "[mutants]") {
  SubscriptionIndex index;
  index.add(1, "#", SubscriptionOptions{});
  index.add(2, "+/stats", SubscriptionOptions{});
  index.add(3, "$SYS/stats", SubscriptionOptions{});
  MatchResult out;
  index.match("$SYS/stats", out);
  REQUIRE(out.subscriptions.size() == 1);
  CHECK(out.subscriptions[0].subscriber == 3);
  index.set_wildcards_match_dollar_topics(true);
  index.match("$SYS/stats", out);
  CHECK(out.subscriptions.size() == 3);
}

namespace {
// Everything the client wants written, as one byte string.
Bytes drain(ClientSession& s) {
  Bytes out;
  while (auto t = s.poll_transmit()) out.insert(out.end(), t->bytes.begin(), t->bytes.end());
  return out;
}

std::vector<client_event::Message> messages(ClientSession& s) {
  std::vector<client_event::Message> out;
  while (auto e = s.poll_event()) {
    if (auto* m = std::get_if<client_event::Message>(&*e)) out.push_back(*m);
  }
  return out;
}
}  // namespace

TEST_CASE(
    "qos2-deliver-twice: the client hands a QoS 2 message to the application again when the "
    "server retransmits it before PUBREL (MQTT-4.3.3-10)",
    "[mutants]") {
  for (const bool on : {false, true}) {
    INFO("mutant " << (on ? "on" : "off"));
    ClientConfig config;
    config.version = Version::v3_1_1;
    config.client_id = "valve";
    config.clean_start = false;  // a persistent session, resumed below
    if (on) config.mutants.insert(Mutant::qos2_deliver_twice);
    ClientSession s(config);
    s.connect(0);
    s.connection_opened(0);
    drain(s);  // CONNECT
    const Bytes connack_new = {0x20, 0x02, 0x00, 0x00};
    s.handle_bytes(0, ByteView(connack_new.data(), connack_new.size()));
    // PUBLISH QoS 2, id 5, "t", "open": delivered, PUBREC 5 sent, and lost with the connection.
    Bytes publish = {0x34, 0x09, 0x00, 0x01, 't', 0x00, 0x05, 'o', 'p', 'e', 'n'};
    s.handle_bytes(0, ByteView(publish.data(), publish.size()));
    CHECK(drain(s) == Bytes{0x50, 0x02, 0x00, 0x05});
    REQUIRE(messages(s).size() == 1);
    s.connection_closed(0);
    REQUIRE(s.wants_connection_at().has_value());
    const TimeNs later = *s.wants_connection_at();
    s.connection_opened(later);
    drain(s);
    const Bytes connack_present = {0x20, 0x02, 0x01, 0x00};
    s.handle_bytes(later, ByteView(connack_present.data(), connack_present.size()));
    publish[0] = 0x3C;  // the server resends it with DUP=1 (MQTT-4.4.0-1)
    s.handle_bytes(later, ByteView(publish.data(), publish.size()));
    CHECK(drain(s) == Bytes{0x50, 0x02, 0x00, 0x05});  // PUBREC 5 again either way
    const auto again = messages(s);
    if (on) {
      REQUIRE(again.size() == 1);
      CHECK(again[0].payload == "open");
      CHECK(again[0].dup);
    } else {
      CHECK(again.empty());
    }
    const Bytes pubrel = {0x62, 0x02, 0x00, 0x05};
    s.handle_bytes(later, ByteView(pubrel.data(), pubrel.size()));
    CHECK(drain(s) == Bytes{0x70, 0x02, 0x00, 0x05});  // PUBCOMP: the flow ends cleanly
  }
}
