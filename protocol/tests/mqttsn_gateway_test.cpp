// MqttSnGateway: bad datagrams, unknown clients and topic ids, bounded per-client state, giving
// up on a client after N_retry, and a RapidCheck property: under random datagram loss every QoS
// 1/2 message, in both directions, is delivered (QoS 2 exactly once) or reported lost.
#include <rapidcheck/catch.h>

#include <map>
#include <set>

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

// A uniform draw from [lo, hi), independent of RapidCheck's size.
template <typename T>
T pick(T lo, T hi) {
  return *rc::gen::resize(100, rc::gen::inRange<T>(lo, hi));
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

// ---- Property: QoS 1/2 under random datagram loss ----
//
// 1 to 3 MQTT-SN clients (clean session 0, so the broker keeps their subscriptions and queues
// while they are away) subscribed to "m/#" at QoS 2, and one MQTT client subscribed to "s/#" at
// QoS 2, all set up without loss. Then random steps: an MQTT-SN client publishes at QoS 1 or 2
// to a new topic "s/<n>" (connecting first if it gave up on the gateway), the MQTT client
// publishes at QoS 1 or 2 to a new topic "m/<n>", or time passes, while every datagram is lost
// with a probability fixed per run (0 to 60 %). The MQTT side loses nothing. At the end loss
// stops, clients reconnect, and time runs until nothing is pending anywhere.
//
// Invariant:
//  1. every MQTT-SN publish ended with exactly one PublishAcked, accepted or lost; an accepted
//     one reached the MQTT subscriber;
//  2. every MQTT publish was acknowledged by the broker and reached each MQTT-SN subscriber or
//     was reported lost for it by the gateway (DeliveryLost);
//  3. no QoS 2 message is ever delivered twice, no message arrives that was not published, and
//     every message arrives at its own QoS;
//  4. nobody receives a datagram it rejects.
namespace {
struct SentMessage {
  std::size_t publisher;  // MQTT-SN client index, or SIZE_MAX for the MQTT client
  QoS qos;
  std::uint64_t id;
};

bool quiet(SnWorld& w, std::size_t sn_clients) {
  for (std::size_t i = 0; i < sn_clients; ++i) {
    if (w.sn_client(i).state() != sn::SnClientState::connected) return false;
    if (w.sn_client(i).pending_count() != 0) return false;
  }
  if (w.gateway.pending_count() != 0) return false;
  if (w.mqtt_client(0).inflight_count() != 0 || w.mqtt_client(0).queued_count() != 0) return false;
  for (const auto& [id, s] : w.broker.snapshot().sessions) {
    if (!s.inflight.empty() || !s.queue.empty()) return false;
  }
  return true;
}

void check_sn_publishes(SnWorld& w, const std::map<std::string, SentMessage>& sent) {
  std::map<std::string, int> received;
  for (const auto& m : of_type<client_event::Message>(w.mqtt_events(0))) {
    const auto known = sent.find(m.payload);
    RC_ASSERT(known != sent.end());
    RC_ASSERT(m.qos == known->second.qos);
    ++received[m.payload];
  }
  std::map<std::pair<std::size_t, std::uint64_t>, std::vector<sn::PublishOutcome>> outcomes;
  for (const auto& [payload, s] : sent) {
    if (s.publisher == SIZE_MAX) continue;
    if (outcomes.count({s.publisher, s.id}) == 0) {
      for (const auto& a : of_type<ev::PublishAcked>(w.sn_events(s.publisher))) {
        outcomes[{s.publisher, a.id}].push_back(a.outcome);
      }
    }
    const auto& o = outcomes[{s.publisher, s.id}];
    RC_LOG() << payload << " outcome " << (o.empty() ? "none" : sn::publish_outcome_name(o[0]))
             << " received " << received[payload] << "\n";
    RC_ASSERT(o.size() == 1u);
    RC_ASSERT(o[0] == sn::PublishOutcome::accepted || o[0] == sn::PublishOutcome::lost);
    if (o[0] == sn::PublishOutcome::accepted) RC_ASSERT(received[payload] >= 1);
    if (s.qos == QoS::exactly_once) RC_ASSERT(received[payload] <= 1);
  }
}

void check_mqtt_publishes(SnWorld& w, std::size_t sn_clients,
                          const std::map<std::string, SentMessage>& sent) {
  std::set<std::uint64_t> acked;
  for (const auto& a : of_type<client_event::PublishAcked>(w.mqtt_events(0))) {
    RC_ASSERT(a.reason_code == 0);
    acked.insert(a.message_id);
  }
  std::set<std::pair<sn::ClientAddress, std::string>> lost;
  for (const auto& l : of_type<gev::DeliveryLost>(w.gateway_events())) {
    lost.insert({l.address, l.topic});
  }
  for (std::size_t i = 0; i < sn_clients; ++i) {
    std::map<std::string, int> received;
    for (const auto& m : of_type<ev::Message>(w.sn_events(i))) {
      const auto known = sent.find(m.payload);
      RC_ASSERT(known != sent.end());
      RC_ASSERT(static_cast<int>(m.qos) == static_cast<int>(known->second.qos));
      RC_ASSERT(m.topic == "m/" + m.payload.substr(1));
      ++received[m.payload];
    }
    for (const auto& [payload, s] : sent) {
      if (s.publisher != SIZE_MAX) continue;
      RC_ASSERT(acked.count(s.id) == 1u);
      const int n = received[payload];
      const bool reported = lost.count({SnWorld::address_of(i), "m/" + payload.substr(1)}) != 0;
      RC_LOG() << payload << " at sn" << i << ": received " << n << " lost " << reported << "\n";
      RC_ASSERT(n >= 1 || reported);
      if (s.qos == QoS::exactly_once) RC_ASSERT(n <= 1);
    }
  }
}
}  // namespace

TEST_CASE("under datagram loss every QoS 1 and 2 message is delivered or reported lost",
          "[mqttsn][property]") {
  rc::prop("bounded retries report loss; QoS 2 never duplicates", [] {
    SnWorld w;
    const auto mqtt = w.add_mqtt_client(mqtt_config("mqtt"));
    RC_ASSERT(
        static_cast<bool>(w.mqtt_client(mqtt).subscribe(w.now_ns, {{"s/#", {QoS::exactly_once}}})));
    const std::size_t sn_clients = pick<std::size_t>(1, 4);
    for (std::size_t i = 0; i < sn_clients; ++i) {
      sn::MqttSnClientConfig c = sn_config("sn" + std::to_string(i));
      c.clean_session = false;
      c.keep_alive_s = 30;
      w.add_sn_client(c);
      w.sn_client(i).connect(w.now_ns);
      w.flush();
      RC_ASSERT(static_cast<bool>(
          w.sn_client(i).subscribe(w.now_ns, SnTopic::named("m/#"), sn::QoS::exactly_once)));
      w.flush();
      RC_ASSERT(w.sn_client(i).state() == sn::SnClientState::connected);
      RC_ASSERT(w.sn_client(i).pending_count() == 0u);
    }
    const int loss_percent = pick(0, 61);
    const auto draws =
        *rc::gen::resize(100, rc::gen::container<std::vector<int>>(257, rc::gen::inRange(0, 100)));
    std::size_t next_draw = 0;
    w.drop = [&](const SnDatagramRecord&) {
      return draws[next_draw++ % draws.size()] < loss_percent;
    };
    RC_LOG() << sn_clients << " MQTT-SN clients, loss " << loss_percent << "%\n";

    std::map<std::string, SentMessage> sent;
    int n = 0;
    const int steps = pick(1, 60);
    for (int step = 0; step < steps; ++step) {
      const int op = pick(0, 100);
      const QoS qos = *rc::gen::element(QoS::at_least_once, QoS::exactly_once);
      const std::string tag = std::to_string(n++);
      if (op < 35) {
        const std::size_t i = pick<std::size_t>(0, sn_clients);
        auto& c = w.sn_client(i);
        if (c.state() == sn::SnClientState::disconnected) c.connect(w.now_ns);
        const auto r =
            c.publish(w.now_ns, SnTopic::named("s/" + tag), "s" + tag, static_cast<sn::QoS>(qos));
        RC_ASSERT(static_cast<bool>(r));
        sent["s" + tag] = SentMessage{i, qos, r.id};
        w.flush();
      } else if (op < 65) {
        const auto r = w.mqtt_client(mqtt).publish(w.now_ns, "m/" + tag, "m" + tag, qos);
        RC_ASSERT(static_cast<bool>(r));
        sent["m" + tag] = SentMessage{SIZE_MAX, qos, r.id};
        w.flush();
      } else {
        w.advance(pick<TimeNs>(1, 20'000) * 1'000'000);
      }
    }
    w.drop = nullptr;
    for (int round = 0; round < 200 && !quiet(w, sn_clients); ++round) {
      for (std::size_t i = 0; i < sn_clients; ++i) {
        if (w.sn_client(i).state() == sn::SnClientState::disconnected) {
          w.sn_client(i).connect(w.now_ns);
        }
      }
      w.advance(10 * kSecondNs);
    }
    RC_LOG() << w.trace();
    RC_ASSERT(quiet(w, sn_clients));
    for (std::size_t i = 0; i < sn_clients; ++i) {
      RC_ASSERT(of_type<ev::DatagramIgnored>(w.sn_events(i)).empty());
    }
    RC_ASSERT(of_type<gev::DatagramRejected>(w.gateway_events()).empty());
    check_sn_publishes(w, sent);
    check_mqtt_publishes(w, sn_clients, sent);
    RC_CLASSIFY(!of_type<gev::DeliveryLost>(w.gateway_events()).empty(), "a delivery lost");
    RC_CLASSIFY(w.gateway.metrics().retransmissions > 0, "gateway retransmitted");
    bool sn_lost = false;
    for (std::size_t i = 0; i < sn_clients; ++i) {
      for (const auto& a : of_type<ev::PublishAcked>(w.sn_events(i))) {
        sn_lost |= a.outcome == sn::PublishOutcome::lost;
      }
    }
    RC_CLASSIFY(sn_lost, "an MQTT-SN publish reported lost");
    bool dup = false;
    for (const auto& d : w.datagrams()) dup |= d.summary().find(" dup") != std::string::npos;
    RC_CLASSIFY(dup, "a PUBLISH retransmitted");
  });
}

TEST_CASE("a broker that refuses the MQTT CONNECT makes the gateway refuse the MQTT-SN CONNECT") {
  BrokerConfig bc;
  bc.allow_anonymous = false;
  SnWorld w({}, bc);
  const auto a = w.add_sn_client(sn_config("a"));
  w.sn_client(a).connect(w.now_ns);
  w.flush();
  const auto failed = of_type<ev::ConnectFailed>(w.sn_events(a));
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].return_code == sn::ReturnCode::rejected_not_supported);
  const auto refused = of_type<gev::ConnectRefused>(w.gateway_events());
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].reason.find("MQTT CONNECT failed") != std::string::npos);
  CHECK(w.gateway.client_count() == 0);
  CHECK(w.gateway.link_count() == 0);
}

TEST_CASE("a broker connection that cannot be opened ends in CONNACK rejected congestion") {
  sn::MqttSnGateway gw({});
  Bytes connect = encoded(sn::Connect{false, true, 60, "a"});
  gw.handle_datagram(0, 7, ByteView(connect.data(), connect.size()));
  const auto open = gw.poll_broker_action();
  REQUIRE(open.has_value());
  CHECK(open->kind == sn::BrokerAction::Kind::open);
  gw.broker_connection_closed(open->link, 5);  // the transport failed to connect
  const auto reply = gw.poll_transmit();
  REQUIRE(reply.has_value());
  CHECK(reply->to == 7);
  const auto p =
      std::get<sn::Packet>(sn::decode(ByteView(reply->datagram.data(), reply->datagram.size())));
  CHECK(std::get<sn::ConnAck>(p).return_code == sn::ReturnCode::rejected_congestion);
  CHECK(gw.client_count() == 0);
  CHECK(gw.link_count() == 0);
  CHECK_FALSE(gw.poll_broker_action().has_value());
}

// Random datagrams (a correct Length, a random MsgType, a random body: many decode, most do
// something odd) from up to 4 other addresses, with time passing, never disturb a well-behaved
// client: afterwards it still publishes at QoS 1 and receives at QoS 2, and the gateway's
// per-client state stays within its limits.
TEST_CASE("random datagrams from other addresses do not disturb a well-behaved client",
          "[mqttsn][property]") {
  rc::prop("the gateway isolates clients", [] {
    sn::MqttSnGatewayConfig gw;
    gw.max_clients = 3;
    gw.max_topics_per_client = 4;
    gw.predefined_topics = {{1, "p/one"}};
    SnWorld w(gw);
    const auto mqtt = w.add_mqtt_client(mqtt_config("mqtt"));
    RC_ASSERT(
        static_cast<bool>(w.mqtt_client(mqtt).subscribe(w.now_ns, {{"#", {QoS::at_least_once}}})));
    const auto good = connected_sn_client(w, "good");
    RC_ASSERT(static_cast<bool>(
        w.sn_client(good).subscribe(w.now_ns, SnTopic::named("to/good"), sn::QoS::exactly_once)));
    w.flush();
    const int steps = pick(1, 80);
    for (int step = 0; step < steps; ++step) {
      const auto address = pick<sn::ClientAddress>(100, 104);
      const auto type = *rc::gen::elementOf(
          std::vector<std::uint8_t>{0x01, 0x04, 0x07, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
                                    0x10, 0x12, 0x14, 0x16, 0x18, 0x1A, 0x1C, 0xFE, 0x05, 0x13});
      auto body = *rc::gen::resize(12, rc::gen::arbitrary<std::vector<std::uint8_t>>());
      Bytes d{static_cast<std::uint8_t>(body.size() + 2), type};
      d.insert(d.end(), body.begin(), body.end());
      w.inject(address, d);
      if (pick(0, 10) == 0) w.advance(pick<TimeNs>(1, 30) * kSecondNs);
    }
    RC_ASSERT(w.gateway.client_count() <= 3u);
    // The good client may have been dropped for silence while time passed; it reconnects.
    auto& c = w.sn_client(good);
    if (c.state() != sn::SnClientState::connected) {
      c.connect(w.now_ns);
      w.flush();
      RC_ASSERT(static_cast<bool>(
          c.subscribe(w.now_ns, SnTopic::named("to/good"), sn::QoS::exactly_once)));
      w.flush();
    }
    RC_ASSERT(c.state() == sn::SnClientState::connected);
    const auto before_acks = of_type<ev::PublishAcked>(w.sn_events(good)).size();
    RC_ASSERT(static_cast<bool>(
        c.publish(w.now_ns, SnTopic::named("from/good"), "ok", sn::QoS::at_least_once)));
    RC_ASSERT(static_cast<bool>(
        w.mqtt_client(mqtt).publish(w.now_ns, "to/good", "hi", QoS::exactly_once)));
    w.flush();
    const auto acks = of_type<ev::PublishAcked>(w.sn_events(good));
    RC_ASSERT(acks.size() == before_acks + 1);
    RC_ASSERT(acks.back().outcome == sn::PublishOutcome::accepted);
    bool got = false;
    for (const auto& m : of_type<ev::Message>(w.sn_events(good))) got |= m.payload == "hi";
    RC_ASSERT(got);
    RC_CLASSIFY(!of_type<gev::DatagramRejected>(w.gateway_events()).empty(), "some rejected");
    RC_CLASSIFY(w.gateway.client_count() > 1, "other clients connected");
  });
}
