// MQTT nodes end to end over the ideal transport: publisher → broker host → subscriber at QoS
// 0/1/2 into the ledger, topic templates, churn, broker crash with and without persistence,
// client crash, same seed same digest, and the analytic packet count per hop.
#include <catch2/catch.hpp>

#include <algorithm>

#include "node_fixture.hpp"

using namespace mqttsim::sim;
using namespace mqttsim::sim::nodes;
using namespace mqttsim::sim::testing;
using mqttsim::protocol::QoS;
using mqttsim::protocol::SubscribeFilter;

namespace {

ClientBehaviour subscriber_of(std::string filter, QoS qos) {
  ClientBehaviour b;
  b.subscriptions.push_back(SubscribeFilter{std::move(filter), {qos}});
  return b;
}

ClientBehaviour publisher_of(std::string topic, QoS qos, TimeNs interval_ns,
                             std::uint64_t max_messages, TimeNs start_ns = 1 * kS) {
  ClientBehaviour b;
  PublishBehaviour p;
  p.topic_template = std::move(topic);
  p.qos = qos;
  p.interval_ns = interval_ns;
  p.max_messages = max_messages;
  p.start_ns = start_ns;
  b.publishes.push_back(p);
  b.values["street"] = {"Florastrasse", "Hornbachstrasse", "Seefeldstrasse"};
  return b;
}

}  // namespace

TEST_CASE("one publisher and one subscriber through the broker host deliver at QoS 0, 1 and 2") {
  const QoS qos = GENERATE(QoS::at_most_once, QoS::at_least_once, QoS::exactly_once);
  NodeFixture f;
  const auto sub_b = subscriber_of("Zürich/#", QoS::exactly_once);
  const auto pub_b = publisher_of("Zürich/{street}/{id}", qos, 1 * kS, 5);
  VirtualClient& sub = f.add_client(client_config("sub"), sub_b);
  VirtualClient& pub = f.add_client(client_config("pub"), pub_b);
  f.kernel.run_until(20 * kS);

  const QosCounts c = f.ledger.counts(qos);
  CHECK(c.sent == 5);
  CHECK(c.acked == 5);
  CHECK(c.expected == 5);
  CHECK(c.delivered == 5);
  CHECK(c.lost == 0);
  CHECK(c.duplicated == 0);
  CHECK(pub.stats().published == 5);
  CHECK(sub.stats().received == 5);
  for (MessageKey key = 1; key <= f.ledger.message_count(); ++key) {
    const MessageRecord& m = f.ledger.message(key);
    CHECK(f.ledger.topic_name(m.topic) == pub.topic(0));
    CHECK((m.packet_id != 0) == (qos != QoS::at_most_once));
    const auto deliveries = f.ledger.deliveries_of(key);
    REQUIRE(deliveries.size() == 1);
    CHECK(deliveries[0].subscriber == sub.ledger_id());
    CHECK(deliveries[0].qos == qos);  // granted 2: it arrives at the QoS it was sent with
    CHECK_FALSE(deliveries[0].dup);
  }
  // Two hops of 5 ms on an ideal path: every message arrives 10 ms after its publish.
  for (const TimeNs latency : f.ledger.latency_samples_ns(qos)) CHECK(latency == 10 * kMs);
}

TEST_CASE("topic templates expand {id}, {node} and named values, the same per client each time") {
  const Rng world(7);
  const std::map<std::string, std::vector<std::string>> values{
      {"street", {"Florastrasse", "Hornbachstrasse"}}, {"kind", {"temp", "humidity", "co2"}}};
  const Rng client3 = world.fork("client/3/topic");
  const std::string a = expand_template("Zürich/{street}/{id}/{kind}", 3, "c3", values, client3);
  const std::string b = expand_template("{node}/{street}", 3, "c3", values, client3);
  CHECK(a.rfind("Zürich/", 0) == 0);
  CHECK(a.find("/3/") != std::string::npos);
  const std::size_t from = std::string("Zürich/").size();
  const std::string street = a.substr(from, a.find('/', from) - from);
  CHECK((street == "Florastrasse" || street == "Hornbachstrasse"));
  CHECK(b == "c3/" + street);  // one client, one street
  CHECK(expand_template("plain/topic", 0, "n", values, client3) == "plain/topic");
  CHECK_THROWS_AS(expand_template("x/{nope}", 0, "n", values, client3), std::invalid_argument);
  CHECK_THROWS_AS(expand_template("x/{street", 0, "n", values, client3), std::invalid_argument);
  // Over many clients every street is chosen, deterministically.
  std::set<std::string> seen;
  for (std::uint32_t i = 0; i < 40; ++i) {
    const Rng r = world.fork("client/" + std::to_string(i) + "/topic");
    seen.insert(expand_template("{street}", i, "n", values, r));
    CHECK(expand_template("{street}", i, "n", values, r) ==
          expand_template("{street}", i, "n", values,
                          world.fork("client/" + std::to_string(i) + "/topic")));
  }
  CHECK(seen.size() == 2);
}

TEST_CASE("churn makes clients reconnect and QoS 1 still arrives for persistent sessions") {
  NodeFixture f(3);
  auto sub_b = subscriber_of("fleet/#", QoS::at_least_once);
  sub_b.churn = ChurnBehaviour{8, 3, /*graceful=*/false};
  auto pub_b = publisher_of("fleet/{id}", QoS::at_least_once, 500 * kMs, 200);
  pub_b.churn = ChurnBehaviour{5, 2, /*graceful=*/true};
  VirtualClient& sub = f.add_client(client_config("sub", /*persistent=*/true), sub_b);
  VirtualClient& pub = f.add_client(client_config("pub"), pub_b);
  f.kernel.run_until(400 * kS);

  CHECK(pub.stats().offline_periods >= 5);
  CHECK(sub.stats().offline_periods >= 5);
  CHECK(pub.stats().connects >= 5);
  CHECK(sub.stats().connects >= 5);
  const QosCounts c = f.ledger.counts(QoS::at_least_once);
  CHECK(c.sent == 200);
  CHECK(c.acked == 200);
  CHECK(c.lost == 0);
  CHECK(c.delivered == 200);
  CHECK(f.ledger.subscriptions().size() == 1);  // the persistent session never lost it
}

TEST_CASE("a clean-session subscriber that churns loses its subscription while away") {
  NodeFixture f(4);
  auto sub_b = subscriber_of("fleet/#", QoS::at_least_once);
  sub_b.churn = ChurnBehaviour{6, 3, /*graceful=*/true};
  const auto pub_b = publisher_of("fleet/{id}", QoS::at_least_once, 250 * kMs, 400);
  VirtualClient& sub = f.add_client(client_config("sub"), sub_b);
  f.add_client(client_config("pub"), pub_b);
  f.kernel.run_until(200 * kS);

  CHECK(sub.stats().offline_periods >= 5);
  // Each reconnect with a new session subscribes again: one interval per online period.
  CHECK(f.ledger.subscriptions().size() >= 5);
  const QosCounts c = f.ledger.counts(QoS::at_least_once);
  CHECK(c.sent == 400);
  CHECK(c.expected < c.sent);  // messages published while it was away are not for it
  CHECK(c.delivered >= c.expected - c.lost);
  // Only a message already on its way when the subscriber left can be lost: one per departure.
  CHECK(c.lost <= sub.stats().offline_periods);
}

namespace {

struct CrashRun {
  QosCounts counts;
  std::size_t sessions_after_restart = 0;
  std::uint64_t acked_not_delivered = 0;
  std::size_t subscriber_intervals = 0;
};

// A persistent-session subscriber and a QoS 1 publisher; the broker crashes at 20.3 s and comes
// back at 25 s.
CrashRun run_broker_crash(bool persistence) {
  mqttsim::protocol::BrokerConfig config;
  config.persistence = persistence;
  NodeFixture f(5, config);
  const auto sub_b = subscriber_of("plant/#", QoS::at_least_once);
  const auto pub_b = publisher_of("plant/{id}", QoS::at_least_once, 100 * kMs, 400);
  VirtualClient& sub = f.add_client(client_config("sub", /*persistent=*/true), sub_b);
  f.add_client(client_config("pub", /*persistent=*/true), pub_b);
  CrashRun out;
  f.kernel.schedule_at(20300 * kMs, [&] { f.broker.crash(); });
  f.kernel.schedule_at(25 * kS, [&] {
    f.broker.restart();
    out.sessions_after_restart = f.broker.core().session_count();
  });
  f.kernel.run_until(120 * kS);
  out.counts = f.ledger.counts(QoS::at_least_once);
  for (MessageKey key = 1; key <= f.ledger.message_count(); ++key) {
    if (f.ledger.message(key).acked() && f.ledger.deliveries_of(key).empty()) {
      ++out.acked_not_delivered;
    }
  }
  for (const auto& i : f.ledger.subscriptions()) {
    out.subscriber_intervals += i.subscriber == sub.ledger_id() ? 1 : 0;
  }
  CHECK(sub.stats().connects >= 2);
  return out;
}

}  // namespace

TEST_CASE("a persistent broker crash loses no acknowledged QoS 1 message of a persistent session") {
  const CrashRun run = run_broker_crash(/*persistence=*/true);
  CHECK(run.sessions_after_restart == 2);
  CHECK(run.counts.sent == 400);
  CHECK(run.counts.acked == 400);
  CHECK(run.acked_not_delivered == 0);
  CHECK(run.counts.lost == 0);
  CHECK(run.subscriber_intervals == 1);
}

TEST_CASE("a volatile broker crash forgets every session, and the subscriber subscribes again") {
  const CrashRun run = run_broker_crash(/*persistence=*/false);
  CHECK(run.sessions_after_restart == 0);
  CHECK(run.subscriber_intervals == 2);  // ended at the crash, granted again after it
  CHECK(run.counts.sent == 400);
  // Messages the broker held for the subscriber at the crash are gone with it.
  CHECK(run.acked_not_delivered > 0);
}

TEST_CASE("a crashed client without persistent state loses its unacknowledged message") {
  NodeFixture f(6);
  const auto sub_b = subscriber_of("dev/#", QoS::at_least_once);
  const auto pub_b = publisher_of("dev/{id}", QoS::at_least_once, 1 * kS, 0);
  VirtualClient& sub = f.add_client(client_config("sub"), sub_b);
  VirtualClient& pub = f.add_client(client_config("pub", /*persistent=*/true), pub_b);
  MessageKey held = 0;
  f.kernel.schedule_at(10 * kS + 300 * kMs,
                       [&] { held = pub.publish_now("dev/x", 32, QoS::at_least_once); });
  f.kernel.schedule_at(10 * kS + 302 * kMs, [&] { pub.crash(); });  // PUBACK not yet back
  f.kernel.schedule_at(13 * kS, [&] { CHECK(pub.crashed()); });
  f.kernel.schedule_at(15 * kS, [&] { pub.recover(); });
  f.kernel.run_until(40 * kS);

  CHECK(pub.stats().crashes == 1);
  CHECK_FALSE(pub.crashed());
  CHECK(pub.stats().connects == 2);
  REQUIRE(held != 0);
  CHECK_FALSE(f.ledger.message(held).acked());      // its state went with the crash
  CHECK(f.ledger.deliveries_of(held).size() == 1);  // though it had left the node
  // No publish timer ran while it was down: about 36 of 39 publish seconds.
  const QosCounts c = f.ledger.counts(QoS::at_least_once);
  CHECK(c.sent >= 33);
  CHECK(c.sent <= 37);
  CHECK(c.acked == c.sent - 1);
  CHECK(c.lost == 0);
  CHECK(sub.stats().received == c.sent);
}

namespace {

std::uint64_t churn_digest(std::uint64_t seed) {
  NodeFixture f(seed);
  auto sub_b = subscriber_of("d/#", QoS::exactly_once);
  sub_b.churn = ChurnBehaviour{4, 2, false};
  auto pub_b = publisher_of("d/{street}/{id}", QoS::exactly_once, 300 * kMs, 0);
  pub_b.publishes[0].jitter_ns = Distribution{Distribution::Kind::uniform, -100e6, 100e6};
  pub_b.publishes[0].payload_size_bytes = Distribution{Distribution::Kind::uniform, 16, 200};
  pub_b.churn = ChurnBehaviour{3, 1, true};
  f.add_client(client_config("sub", true), sub_b);
  f.add_client(client_config("pub"), pub_b);
  f.add_client(client_config("pub2"), pub_b);
  f.kernel.run_until(60 * kS);
  return f.trace.digest();
}

}  // namespace

TEST_CASE("the same seed gives the same trace digest, another seed another") {
  const std::uint64_t a = churn_digest(11);
  CHECK(churn_digest(11) == a);
  CHECK(churn_digest(12) != a);
}

TEST_CASE("on a loss-free path one message costs 1, 2 and 4 packets per hop at QoS 0, 1 and 2") {
  const QoS qos = GENERATE(QoS::at_most_once, QoS::at_least_once, QoS::exactly_once);
  const std::uint64_t per_hop = qos == QoS::at_most_once ? 1 : qos == QoS::at_least_once ? 2 : 4;
  NodeFixture f;
  const auto sub_b = subscriber_of("a/b", QoS::exactly_once);
  const ClientBehaviour quiet;
  VirtualClient& sub = f.add_client(client_config("sub"), sub_b);
  VirtualClient& pub = f.add_client(client_config("pub"), quiet);
  f.kernel.run_until(1 * kS);  // connected and subscribed; keep alive (10 s) not yet due
  const WireCounters pub_sent = pub.sent(), pub_recv = pub.received();
  const WireCounters sub_sent = sub.sent(), sub_recv = sub.received();
  const WireCounters broker_sent = f.broker.sent();
  const std::size_t records_before = f.records.records.size();
  f.kernel.schedule_at(1 * kS, [&] { pub.publish_now("a/b", 64, qos); });
  f.kernel.run_until(2 * kS);

  const auto delta = [](const WireCounters& now, const WireCounters& before) {
    return now.publish_flow_packets() - before.publish_flow_packets();
  };
  const std::uint64_t hop1 = delta(pub.sent(), pub_sent) + delta(pub.received(), pub_recv);
  const std::uint64_t hop2 = delta(sub.sent(), sub_sent) + delta(sub.received(), sub_recv);
  CHECK(hop1 == per_hop);
  CHECK(hop2 == per_hop);
  CHECK(delta(f.broker.sent(), broker_sent) ==
        delta(pub.received(), pub_recv) + delta(sub.received(), sub_recv));
  CHECK(f.broker.received().publish_flow_packets() ==
        pub.sent().publish_flow_packets() + sub.sent().publish_flow_packets());
  CHECK(f.ledger.counts(qos).delivered == 1);
  // Each packet is also a trace record of layer mqtt with its type and size.
  std::uint64_t traced = 0, traced_bytes = 0;
  for (std::size_t i = records_before; i < f.records.records.size(); ++i) {
    const TraceRecord& r = f.records.records[i];
    if (r.kind != TraceKind::packet_sent || r.layer != TraceLayer::mqtt) continue;
    ++traced;
    traced_bytes += r.size_bytes;
    if (r.packet_type == 3) CHECK(r.message_id == 1);
  }
  CHECK(traced == 2 * per_hop);
  CHECK(traced_bytes > 2 * 64);
}

TEST_CASE("a connect spread starts each client at its own time within the spread") {
  NodeFixture f(8);
  ClientBehaviour b = publisher_of("s/{id}", QoS::at_most_once, 10 * kS, 1, 0);
  b.connect_at_ns = 2 * kS;
  b.connect_spread_ns = 10 * kS;
  for (int i = 0; i < 20; ++i) f.add_client(client_config("c" + std::to_string(i)), b);
  f.kernel.run_until(1 * kS);
  CHECK(f.broker.stats().connections_accepted == 0);
  f.kernel.run_until(7 * kS);
  const auto halfway = f.broker.stats().connections_accepted;
  CHECK(halfway > 2);
  CHECK(halfway < 18);
  f.kernel.run_until(13 * kS);
  CHECK(f.broker.stats().connections_accepted == 20);
}

TEST_CASE("a Will carries a ledger tag: delivered after an abort, not after a DISCONNECT") {
  const bool graceful = GENERATE(true, false);
  NodeFixture f(9);
  const auto watcher_b = subscriber_of("wills/#", QoS::at_least_once);
  const ClientBehaviour quiet;
  auto config = client_config("dev");
  config.will = mqttsim::protocol::ClientWill{"wills/dev", "offline", QoS::at_least_once};
  VirtualClient& watcher = f.add_client(client_config("watcher"), watcher_b);
  VirtualClient& dev = f.add_client(config, quiet);
  f.kernel.schedule_at(2 * kS, [&] { dev.go_offline(graceful); });
  f.kernel.run_until(10 * kS);

  REQUIRE(dev.will_key() != 0);
  CHECK(f.ledger.message(dev.will_key()).will);
  const auto deliveries = f.ledger.deliveries_of(dev.will_key());
  CHECK(deliveries.size() == (graceful ? 0u : 1u));
  CHECK(f.broker.stats().graceful_disconnects == (graceful ? 1u : 0u));
  CHECK(f.broker.stats().abnormal_disconnects == (graceful ? 0u : 1u));
  CHECK(f.broker.stats().clients_connected == 2);
  if (!graceful) CHECK(deliveries[0].subscriber == watcher.ledger_id());
  CHECK(f.ledger.untagged_deliveries() == 0);
  CHECK(f.ledger.counts(QoS::at_least_once).sent == 0);  // a Will is not a publish
}

TEST_CASE("broken connections make both clients reconnect and QoS 2 arrives exactly once") {
  NodeFixture f(10);
  const auto sub_b = subscriber_of("q/#", QoS::exactly_once);
  const auto pub_b = publisher_of("q/{id}", QoS::exactly_once, 20 * kMs, 500);
  VirtualClient& sub = f.add_client(client_config("sub", /*persistent=*/true), sub_b);
  VirtualClient& pub = f.add_client(client_config("pub", /*persistent=*/true), pub_b);
  std::size_t broken = 0;
  for (int i = 1; i <= 8; ++i) {  // mid-flow, every 1.3 s, alternating sides
    f.kernel.schedule_at(1 * kS + i * 1300 * kMs + 3 * kMs, [&, i] {
      broken += f.transport.break_streams_of(i % 2 == 0 ? sub.node() : pub.node());
    });
  }
  f.kernel.run_until(60 * kS);

  CHECK(broken == 8);
  CHECK(sub.stats().connection_losses == 4);
  CHECK(pub.stats().connection_losses == 4);
  const QosCounts c = f.ledger.counts(QoS::exactly_once);
  CHECK(c.sent == 500);
  CHECK(c.acked == 500);
  CHECK(c.lost == 0);
  CHECK(c.duplicated == 0);
  CHECK(c.delivered == 500);
}
