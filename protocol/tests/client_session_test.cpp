// ClientSession examples: connect, QoS 0/1/2 end to end through BrokerCore, subscriptions, keep
// alive, reconnect backoff, session resumption with redelivery, topic aliases, the server's
// limits, malformed input. The RapidCheck property is in client_session_property_test.cpp.
#include <limits>
#include <set>

#include "session_pair.hpp"

using namespace mqttsim::protocol;
using namespace mqttsim::protocol::testing;
using namespace mqttsim::protocol::client_event;

namespace {

// Adds a client, connects it and flushes: it is connected when this returns.
std::size_t connected_client(SessionWorld& w, ClientConfig config) {
  const std::size_t i = w.add_client(std::move(config));
  w.open(i);
  w.flush();
  REQUIRE(w.client(i).state() == ClientState::connected);
  return i;
}

void subscribe(SessionWorld& w, std::size_t i, std::string filter, QoS qos) {
  REQUIRE(w.client(i).subscribe(w.now_ns, {{std::move(filter), {qos}}}));
  w.flush();
  REQUIRE(w.client(i).pending_requests() == 0);
}

std::vector<std::string> payloads(const std::vector<ClientEvent>& events) {
  std::vector<std::string> out;
  for (const client_event::Message& m : events_of<client_event::Message>(events))
    out.push_back(m.payload);
  return out;
}

// Bytes a scripted server sends, encoded by the codec.
std::vector<std::uint8_t> server_bytes(const Packet& p, Version v) {
  std::vector<std::uint8_t> out;
  REQUIRE_FALSE(encode(p, v, Sender::server, out).has_value());
  return out;
}

void feed(ClientSession& c, TimeNs now, const Packet& p, Version v) {
  const std::vector<std::uint8_t> bytes = server_bytes(p, v);
  c.handle_bytes(now, ByteView(bytes.data(), bytes.size()));
}

std::vector<WirePacket> written(ClientSession& c, Version v, bool* close = nullptr) {
  std::deque<std::vector<std::uint8_t>> chunks;
  while (auto t = c.poll_transmit()) {
    chunks.push_back(std::move(t->bytes));
    if (close != nullptr) *close = *close || t->close;
  }
  return decode_chunks(chunks, v, Sender::client);
}

std::vector<ClientEvent> drain(ClientSession& c) {
  std::vector<ClientEvent> out;
  while (auto e = c.poll_event()) out.push_back(std::move(*e));
  return out;
}
}  // namespace

TEST_CASE("a client connects and learns the server's limits from CONNACK", "[client]") {
  BrokerConfig bc;
  bc.receive_maximum = 7;
  bc.maximum_qos = QoS::at_least_once;
  bc.topic_alias_maximum = 3;
  bc.maximum_packet_size_bytes = 4096;
  SessionWorld w(bc);
  const std::size_t v5 = connected_client(w, config_for("", Version::v5));
  const auto connected = events_of<Connected>(w.events(v5));
  REQUIRE(connected.size() == 1);
  CHECK_FALSE(connected[0].session_present);
  REQUIRE(connected[0].assigned_client_id.has_value());
  CHECK(w.client(v5).client_id() == *connected[0].assigned_client_id);
  CHECK(connected[0].limits.receive_maximum == 7);
  CHECK(connected[0].limits.maximum_qos == QoS::at_least_once);
  CHECK(connected[0].limits.topic_alias_maximum == 3);
  CHECK(connected[0].limits.maximum_packet_size_bytes == 4096);

  const std::size_t v3 = connected_client(w, config_for("old", Version::v3_1_1));
  const auto v3_connected = events_of<Connected>(w.events(v3));
  REQUIRE(v3_connected.size() == 1);
  ServerLimits defaults;  // 3.1.1 has no CONNACK properties: the specification's defaults
  defaults.keep_alive_s = 60;
  CHECK(v3_connected[0].limits == defaults);
}

TEST_CASE("QoS 0, 1 and 2 travel end to end and each publish ends with one PublishAcked",
          "[client]") {
  for (Version v : {Version::v3_1_1, Version::v5}) {
    SessionWorld w;
    const std::size_t sub = connected_client(w, config_for("dashboard", v));
    subscribe(w, sub, "plant/#", QoS::exactly_once);
    CHECK(events_of<Subscribed>(w.events(sub)).at(0).reason_codes ==
          std::vector<ReasonCode>{ReasonCode::granted_qos_2});
    const std::size_t pub = connected_client(w, config_for("sensor", v));
    std::vector<LocalMessageId> ids;
    for (QoS q : {QoS::at_most_once, QoS::at_least_once, QoS::exactly_once}) {
      const CommandResult r =
          w.client(pub).publish(w.now_ns, "plant/boiler", "q" + std::to_string(int(q)), q);
      REQUIRE(r);
      ids.push_back(r.id);
    }
    w.flush();
    const auto acked = events_of<PublishAcked>(w.events(pub));
    REQUIRE(acked.size() == 3);
    for (std::size_t k = 0; k < 3; ++k) {
      CHECK(acked[k].message_id == ids[k]);  // QoS 0 written first, then PUBACK, then PUBCOMP
      CHECK(acked[k].reason_code == 0);
    }
    const auto got = events_of<client_event::Message>(w.events(sub));
    REQUIRE(got.size() == 3);
    CHECK(payloads(w.events(sub)) == std::vector<std::string>{"q0", "q1", "q2"});
    CHECK(got[2].qos == QoS::exactly_once);
    CHECK(got[2].topic == "plant/boiler");
    CHECK(w.client(pub).inflight_count() == 0);
  }
}

TEST_CASE("after UNSUBSCRIBE no more messages arrive", "[client]") {
  SessionWorld w;
  const std::size_t c = connected_client(w, config_for("c", Version::v5));
  subscribe(w, c, "a/+", QoS::at_least_once);
  REQUIRE(w.client(c).publish(w.now_ns, "a/1", "before", QoS::at_least_once));
  w.flush();
  REQUIRE(w.client(c).unsubscribe(w.now_ns, {"a/+"}));
  w.flush();
  const auto unsubscribed = events_of<Unsubscribed>(w.events(c));
  REQUIRE(unsubscribed.size() == 1);
  CHECK(unsubscribed[0].reason_codes == std::vector<ReasonCode>{ReasonCode::success});
  REQUIRE(w.client(c).publish(w.now_ns, "a/1", "after", QoS::at_least_once));
  w.flush();
  CHECK(payloads(w.events(c)) == std::vector<std::string>{"before"});
}

TEST_CASE("an idle client pings within its keep alive and the broker keeps it (MQTT-3.1.2-20)",
          "[client]") {
  SessionWorld w;
  ClientConfig cc = config_for("quiet", Version::v3_1_1);
  cc.keep_alive_s = 10;
  const std::size_t c = connected_client(w, cc);
  CHECK(w.client(c).poll_timeout() == 10 * kS);
  w.advance(95 * kS);  // the broker closes after 15 s of silence; pings keep it alive
  CHECK(w.client(c).state() == ClientState::connected);
  CHECK(events_of<Disconnected>(w.events(c)).empty());
}

TEST_CASE("without any answer to PINGREQ the client closes and schedules a reconnect", "[client]") {
  ClientConfig cc = config_for("lonely", Version::v5);
  cc.keep_alive_s = 10;
  cc.ping_timeout_ns = 3 * kS;
  cc.reconnect = {{2 * kS}, true};
  ClientSession c(cc);
  c.connection_opened(0);
  written(c, Version::v5);
  feed(c, kS, Connack{}, Version::v5);
  drain(c);
  c.handle_timeout(11 * kS);
  const auto pings = written(c, Version::v5);
  REQUIRE(pings.size() == 1);
  CHECK(pings[0].type == PacketType::pingreq);
  CHECK(c.poll_timeout() == 14 * kS);
  c.handle_timeout(14 * kS);
  bool close = false;
  CHECK(written(c, Version::v5, &close).empty());  // no DISCONNECT to a silent server
  CHECK(close);
  const auto events = drain(c);
  const auto gone = events_of<Disconnected>(events);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0].reason_code == 0x8D);
  CHECK(events_of<ReconnectScheduled>(events).at(0).at_ns == 16 * kS);
  CHECK(c.wants_connection_at() == 16 * kS);
}

TEST_CASE("reconnect attempts follow the backoff schedule, which restarts after a success",
          "[client]") {
  ClientConfig cc = config_for("roamer", Version::v3_1_1);
  cc.reconnect = {{1 * kS, 2 * kS, 4 * kS}, /*repeat_last=*/true};
  SessionWorld w;
  w.auto_connect = false;
  const std::size_t c = connected_client(w, cc);
  w.break_connection(c);
  std::vector<TimeNs> wanted;
  for (int attempt = 0; attempt < 4; ++attempt) {
    REQUIRE(w.client(c).wants_connection_at().has_value());
    wanted.push_back(*w.client(c).wants_connection_at());
    w.now_ns = wanted.back();
    w.client(c).connection_opened(w.now_ns);  // the transport fails straight away
    w.client(c).connection_closed(w.now_ns);
  }
  CHECK(wanted == std::vector<TimeNs>{1 * kS, 3 * kS, 7 * kS, 11 * kS});
  const auto failed = events_of<ConnectFailed>(w.take_events(c));
  CHECK(failed.size() == 4);
  w.now_ns = *w.client(c).wants_connection_at();
  w.open(c);
  w.flush();
  REQUIRE(w.client(c).state() == ClientState::connected);
  w.break_connection(c);
  CHECK(w.client(c).wants_connection_at() == w.now_ns + 1 * kS);

  ClientConfig gives_up = cc;
  gives_up.reconnect = {{1 * kS}, /*repeat_last=*/false};
  ClientSession once(gives_up);
  once.connection_opened(0);
  once.connection_closed(0);
  CHECK(once.wants_connection_at() == 1 * kS);
  once.connection_opened(1 * kS);
  once.connection_closed(1 * kS);
  CHECK_FALSE(once.wants_connection_at().has_value());
  CHECK(once.state() == ClientState::idle);
}

TEST_CASE(
    "a connection lost mid QoS 1 is resumed with DUP=1 and the same packet id, and the message "
    "is acked once (MQTT-4.4.0-1)",
    "[client]") {
  for (Version v : {Version::v3_1_1, Version::v5}) {
    SessionWorld w;
    const std::size_t sub = connected_client(w, config_for("sub", v));
    subscribe(w, sub, "t", QoS::at_least_once);
    const std::size_t pub = connected_client(w, config_for("pub", v, /*persistent=*/true));
    const CommandResult r = w.client(pub).publish(w.now_ns, "t", "reading", QoS::at_least_once);
    REQUIRE(r);
    w.collect();
    const auto first = decode_chunks(w.to_broker(pub), v, Sender::client);
    REQUIRE(first.size() == 1);
    w.deliver_to_broker(pub);  // the broker routes it and sends PUBACK...
    w.break_connection(pub);   // ...which is lost
    CHECK(events_of<PublishAcked>(w.events(pub)).empty());
    w.advance(1 * kS);  // the reconnect is due after 1 s
    REQUIRE(w.client(pub).state() == ClientState::connected);
    CHECK(events_of<Connected>(w.events(pub)).back().session_present);
    const auto acked = events_of<PublishAcked>(w.events(pub));
    REQUIRE(acked.size() == 1);
    CHECK(acked[0].message_id == r.id);
    // At least once: the subscriber sees it twice, which QoS 1 allows.
    CHECK(payloads(w.events(sub)) == std::vector<std::string>{"reading", "reading"});
  }
}

TEST_CASE("the resent PUBLISH carries DUP=1 and its original packet id", "[client]") {
  SessionWorld w;
  w.auto_connect = false;
  const std::size_t pub = connected_client(w, config_for("pub", Version::v5, true));
  REQUIRE(w.client(pub).publish(w.now_ns, "t", "x", QoS::exactly_once));
  w.collect();
  const auto original = decode_chunks(w.to_broker(pub), Version::v5, Sender::client).at(0);
  w.break_connection(pub);
  w.now_ns = *w.client(pub).wants_connection_at();
  w.open(pub);
  w.deliver_to_broker(pub);  // CONNECT
  w.deliver_to_client(pub);  // CONNACK, session present: the client resends
  const auto resent = decode_chunks(w.to_broker(pub), Version::v5, Sender::client);
  REQUIRE(resent.size() == 1);
  CHECK(resent[0].type == PacketType::publish);
  CHECK(resent[0].dup);
  CHECK_FALSE(original.dup);
  CHECK(resent[0].packet_id == original.packet_id);
}

TEST_CASE(
    "a connection lost mid QoS 2 handshake is completed on resumption without a second "
    "delivery (MQTT-4.3.3-10)",
    "[client]") {
  for (Version v : {Version::v3_1_1, Version::v5}) {
    SECTION(std::string("publisher side, PUBREC lost, ") + std::string(version_name(v))) {
      SessionWorld w;
      const std::size_t sub = connected_client(w, config_for("sub", v));
      subscribe(w, sub, "t", QoS::exactly_once);
      const std::size_t pub = connected_client(w, config_for("pub", v, true));
      REQUIRE(w.client(pub).publish(w.now_ns, "t", "once", QoS::exactly_once));
      w.collect();
      w.deliver_to_broker(pub);  // routed; PUBREC on its way back
      w.break_connection(pub);
      w.advance(1 * kS);
      CHECK(events_of<PublishAcked>(w.events(pub)).size() == 1);
      w.flush();
      CHECK(payloads(w.events(sub)) == std::vector<std::string>{"once"});
    }
    SECTION(std::string("publisher side, PUBCOMP lost, ") + std::string(version_name(v))) {
      SessionWorld w;
      const std::size_t sub = connected_client(w, config_for("sub", v));
      subscribe(w, sub, "t", QoS::exactly_once);
      const std::size_t pub = connected_client(w, config_for("pub", v, true));
      REQUIRE(w.client(pub).publish(w.now_ns, "t", "once", QoS::exactly_once));
      w.collect();
      w.deliver_to_broker(pub);  // PUBLISH
      w.deliver_to_client(pub);  // PUBREC: the client answers PUBREL
      w.deliver_to_broker(pub);  // PUBREL; the PUBCOMP is lost
      w.break_connection(pub);
      w.advance(1 * kS);  // resumed: PUBREL again, PUBCOMP (unknown id then) ends it
      const auto acked = events_of<PublishAcked>(w.events(pub));
      for (const auto& e : w.events(pub)) INFO("event " << e.index());
      CHECK(events_of<Connected>(w.events(pub)).back().session_present);
      REQUIRE(acked.size() == 1);
      CHECK(payloads(w.events(sub)) == std::vector<std::string>{"once"});
    }
    SECTION(std::string("subscriber side, PUBREC lost, ") + std::string(version_name(v))) {
      SessionWorld w;
      const std::size_t sub = connected_client(w, config_for("sub", v, true));
      subscribe(w, sub, "t", QoS::exactly_once);
      const std::size_t pub = connected_client(w, config_for("pub", v));
      REQUIRE(w.client(pub).publish(w.now_ns, "t", "once", QoS::exactly_once));
      w.collect();
      while (w.deliver_to_broker(pub) || w.deliver_to_client(pub)) {
      }
      REQUIRE(w.deliver_to_client(sub));  // PUBLISH: delivered, PUBREC sent...
      w.break_connection(sub);            // ...and lost
      w.advance(1 * kS);                  // the broker resends the PUBLISH with DUP=1
      w.flush();
      CHECK(payloads(w.events(sub)) == std::vector<std::string>{"once"});
      CHECK(w.broker.snapshot().sessions.at("sub").inflight.empty());
    }
  }
}

TEST_CASE("with Session Present 0 the unacknowledged messages go out again as new ones",
          "[client]") {
  SessionWorld w;
  const std::size_t sub = connected_client(w, config_for("sub", Version::v5));
  subscribe(w, sub, "t", QoS::at_least_once);
  const std::size_t pub = connected_client(w, config_for("pub", Version::v5));  // expiry 0
  REQUIRE(w.client(pub).publish(w.now_ns, "t", "lost once", QoS::at_least_once));
  w.break_connection(pub);  // the PUBLISH never left
  w.advance(1 * kS);
  CHECK_FALSE(events_of<Connected>(w.events(pub)).back().session_present);
  CHECK(events_of<PublishAcked>(w.events(pub)).size() == 1);
  CHECK(payloads(w.events(sub)) == std::vector<std::string>{"lost once"});
}

TEST_CASE("a clean-session client subscribes again when the server has no session for it",
          "[client]") {
  SessionWorld w;
  const std::size_t c = connected_client(w, config_for("kiosk", Version::v3_1_1));
  subscribe(w, c, "news/#", QoS::at_least_once);
  w.break_connection(c);
  w.advance(1 * kS);
  const auto subscribed = events_of<Subscribed>(w.events(c));
  REQUIRE(subscribed.size() == 2);
  CHECK(subscribed[1].request_id == 0);  // automatic
  REQUIRE(w.client(c).publish(w.now_ns, "news/today", "hello", QoS::at_least_once));
  w.flush();
  CHECK(payloads(w.events(c)) == std::vector<std::string>{"hello"});
}

TEST_CASE("the server's Receive Maximum bounds the messages in flight (MQTT-3.3.4-7)", "[client]") {
  BrokerConfig bc;
  bc.receive_maximum = 2;
  SessionWorld w(bc);
  const std::size_t c = connected_client(w, config_for("burst", Version::v5));
  for (int k = 0; k < 5; ++k) {
    REQUIRE(w.client(c).publish(w.now_ns, "t", std::to_string(k), QoS::exactly_once));
  }
  CHECK(w.client(c).inflight_count() == 2);
  CHECK(w.client(c).queued_count() == 3);
  w.flush();
  CHECK(events_of<PublishAcked>(w.events(c)).size() == 5);
  CHECK(w.client(c).inflight_count() == 0);
}

TEST_CASE("a full outgoing queue refuses new messages or drops the oldest, as configured",
          "[client]") {
  ClientConfig cc = config_for("offline", Version::v5);
  cc.max_queued_messages = 2;
  ClientSession refuse(cc);
  CHECK(refuse.publish(0, "t", "1", QoS::at_least_once));
  CHECK(refuse.publish(0, "t", "2", QoS::at_least_once));
  const CommandResult third = refuse.publish(0, "t", "3", QoS::at_least_once);
  REQUIRE_FALSE(third);
  CHECK(third.refused->code == ReasonCode::quota_exceeded);

  cc.queue_drop_policy = OutgoingDropPolicy::drop_oldest;
  ClientSession drop(cc);
  const CommandResult first = drop.publish(0, "t", "1", QoS::at_least_once);
  drop.publish(0, "t", "2", QoS::at_least_once);
  CHECK(drop.publish(0, "t", "3", QoS::at_least_once));
  const auto acked = events_of<PublishAcked>(drain(drop));
  REQUIRE(acked.size() == 1);
  CHECK(acked[0].message_id == first.id);
  CHECK(acked[0].reason_code == 0x97);
  CHECK(drop.queued_count() == 2);
}

TEST_CASE("publish() is refused above the server's Maximum Packet Size, Maximum QoS and Retain",
          "[client]") {
  BrokerConfig bc;
  bc.maximum_packet_size_bytes = 200;
  bc.maximum_qos = QoS::at_least_once;
  bc.retain_available = false;
  SessionWorld w(bc);
  const std::size_t c = connected_client(w, config_for("big", Version::v5));
  const CommandResult big =
      w.client(c).publish(w.now_ns, "t", std::string(300, 'x'), QoS::at_most_once);
  REQUIRE_FALSE(big);
  CHECK(big.refused->code == ReasonCode::packet_too_large);
  // The client's duty not to exceed the server's limit is MQTT-3.2.2-15 (3.1.2-24 is the server's).
  CHECK(big.refused->reason.find("MQTT-3.2.2-15") != std::string::npos);
  CHECK(w.client(c).publish(w.now_ns, "t", std::string(150, 'x'), QoS::at_most_once));
  CHECK(w.client(c).publish(w.now_ns, "t", "x", QoS::exactly_once).refused->code ==
        ReasonCode::qos_not_supported);
  CHECK(w.client(c).publish(w.now_ns, "t", "x", QoS::at_least_once, true).refused->code ==
        ReasonCode::retain_not_supported);
  CHECK(w.client(c).publish(w.now_ns, "bad/#", "x", QoS::at_most_once).refused->code ==
        ReasonCode::topic_name_invalid);
  w.flush();
  CHECK(w.broker.metrics().protocol_violations == 0);
}

TEST_CASE("outgoing topics get aliases up to the server's Topic Alias Maximum", "[client]") {
  BrokerConfig bc;
  bc.topic_alias_maximum = 2;
  SessionWorld w(bc);
  const std::size_t sub = connected_client(w, config_for("sub", Version::v5));
  subscribe(w, sub, "#", QoS::at_most_once);
  const std::size_t pub = connected_client(w, config_for("pub", Version::v5));
  for (const char* topic : {"a", "b", "c", "a", "b", "c"}) {
    REQUIRE(w.client(pub).publish(w.now_ns, topic, topic, QoS::at_most_once));
  }
  w.collect();
  const auto sent = decode_chunks(w.to_broker(pub), Version::v5, Sender::client);
  REQUIRE(sent.size() == 6);
  CHECK(sent[0].topic == "a");
  CHECK(sent[0].topic_alias == 1);
  CHECK(sent[2].topic == "c");
  CHECK_FALSE(sent[2].topic_alias.has_value());  // both aliases taken
  CHECK(sent[3].topic.empty());
  CHECK(sent[3].topic_alias == 1);
  CHECK(sent[4].topic.empty());
  w.flush();
  std::vector<std::string> topics;
  for (const client_event::Message& m : events_of<client_event::Message>(w.events(sub)))
    topics.push_back(m.topic);
  CHECK(topics == std::vector<std::string>{"a", "b", "c", "a", "b", "c"});
}

TEST_CASE("incoming topic aliases are resolved, and a bad one ends the connection", "[client]") {
  ClientConfig cc = config_for("alias", Version::v5);
  cc.topic_alias_maximum = 4;
  ClientSession c(cc);
  c.connection_opened(0);
  written(c, Version::v5);
  feed(c, 0, Connack{}, Version::v5);
  Publish set;
  set.topic = "x/y";
  set.payload = ByteView::of("1");
  set.properties.topic_alias = 4;
  feed(c, 0, set, Version::v5);
  Publish use = set;
  use.topic = {};
  use.payload = ByteView::of("2");
  feed(c, 0, use, Version::v5);
  const auto got = events_of<client_event::Message>(drain(c));
  REQUIRE(got.size() == 2);
  CHECK(got[1].topic == "x/y");
  CHECK(got[1].payload == "2");

  Publish above = set;
  above.properties.topic_alias = 5;  // above the maximum we announced (MQTT-3.3.2-11)
  feed(c, 0, above, Version::v5);
  bool close = false;
  const auto out = written(c, Version::v5, &close);
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == PacketType::disconnect);
  CHECK(out[0].reason_code == 0x94);
  CHECK(close);
  CHECK(events_of<ProtocolViolation>(drain(c)).size() == 1);
}

TEST_CASE("malformed bytes from the server end the connection with DISCONNECT 0x81", "[client]") {
  ClientSession c(config_for("strict", Version::v5));
  c.connection_opened(0);
  written(c, Version::v5);
  feed(c, 0, Connack{}, Version::v5);
  const std::uint8_t reserved_type[] = {0x00, 0x00};
  c.handle_bytes(0, ByteView(reserved_type, 2));
  bool close = false;
  const auto out = written(c, Version::v5, &close);
  REQUIRE(out.size() == 1);
  CHECK(out[0].reason_code == 0x81);
  CHECK(close);
  const auto events = drain(c);
  CHECK(events_of<ProtocolViolation>(events).size() == 1);
  CHECK(events_of<Disconnected>(events).at(0).reason_code == 0x81);
  CHECK(c.wants_connection_at().has_value());
}

TEST_CASE("Disconnected says whether the server should publish our Will", "[client]") {
  SessionWorld w;
  ClientConfig cc = config_for("dying", Version::v5);
  cc.will = ClientWill{"status/dying", "gone", QoS::at_least_once, false, 0, {}};
  const std::size_t c = connected_client(w, cc);
  const std::size_t watcher = connected_client(w, config_for("watcher", Version::v5));
  subscribe(w, watcher, "status/#", QoS::at_least_once);
  w.break_connection(c);
  CHECK(events_of<Disconnected>(w.events(c)).at(0).will_expected);
  w.flush();
  CHECK(payloads(w.events(watcher)) == std::vector<std::string>{"gone"});
  w.advance(1 * kS);
  w.client(c).disconnect(w.now_ns);
  w.flush();
  CHECK_FALSE(events_of<Disconnected>(w.events(c)).at(1).will_expected);
  CHECK(payloads(w.events(watcher)).size() == 1);
  CHECK_FALSE(w.client(c).wants_connection_at().has_value());  // no reconnect after disconnect()
}
