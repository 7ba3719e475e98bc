// MQTT nodes over the real network and TCP models: on a loss-free path everything arrives with
// the analytic packet cost per hop; on a lossy path TCP hides the loss (retransmissions, delay)
// and QoS 1/2 still deliver, QoS 2 without duplicates; same seed, same digest.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tcp_fixture.hpp"

using namespace mqttsim::sim;
using namespace mqttsim::sim::nodes;
using namespace mqttsim::sim::testing;
using mqttsim::protocol::QoS;
using mqttsim::protocol::SubscribeFilter;

namespace {

constexpr TimeNs kMs = kNsPerMs;
constexpr TimeNs kS = kNsPerS;

mqttsim::protocol::ClientConfig tcp_client(std::string id, bool persistent = false) {
  mqttsim::protocol::ClientConfig c;
  c.client_id = std::move(id);
  c.clean_start = !persistent;
  if (persistent) c.session_expiry_interval_s = 3600;
  c.keep_alive_s = 30;
  return c;
}

ClientBehaviour sensors(QoS qos, TimeNs interval_ns, std::uint64_t count) {
  ClientBehaviour b;
  PublishBehaviour p;
  p.topic_template = "Zürich/{street}/{id}";
  p.qos = qos;
  p.interval_ns = interval_ns;
  p.max_messages = count;
  p.start_ns = 2 * kS;
  p.payload_size_bytes = Distribution{Distribution::Kind::uniform, 16, 400};
  b.publishes.push_back(p);
  b.values["street"] = {"Florastrasse", "Hornbachstrasse"};
  return b;
}

ClientBehaviour dashboard(QoS qos) {
  ClientBehaviour b;
  b.subscriptions.push_back(SubscribeFilter{"Zürich/#", {qos}});
  return b;
}

}  // namespace

TEST_CASE("over loss-free TCP every message arrives once and costs 1, 2 or 4 packets per hop") {
  const QoS qos = GENERATE(QoS::at_most_once, QoS::at_least_once, QoS::exactly_once);
  StarWorld w(21, "wifi", 0.0);
  const auto sub_b = dashboard(QoS::exactly_once);
  const ClientBehaviour quiet;
  VirtualClient& sub = w.add_client(tcp_client("dash"), sub_b);
  VirtualClient& pub = w.add_client(tcp_client("sensor"), quiet);
  w.kernel.run_until(1 * kS);
  REQUIRE(sub.stats().connects == 1);
  const std::uint64_t pub_before =
      pub.sent().publish_flow_packets() + pub.received().publish_flow_packets();
  const std::uint64_t sub_before =
      sub.sent().publish_flow_packets() + sub.received().publish_flow_packets();
  for (int i = 0; i < 10; ++i) {
    w.kernel.schedule_at(1 * kS + i * 100 * kMs,
                         [&] { pub.publish_now("Zürich/Florastrasse", 64, qos); });
  }
  w.kernel.run_until(5 * kS);

  const std::uint64_t per_hop = qos == QoS::at_most_once ? 1 : qos == QoS::at_least_once ? 2 : 4;
  CHECK(pub.sent().publish_flow_packets() + pub.received().publish_flow_packets() - pub_before ==
        10 * per_hop);
  CHECK(sub.sent().publish_flow_packets() + sub.received().publish_flow_packets() - sub_before ==
        10 * per_hop);
  const QosCounts c = w.ledger.counts(qos);
  CHECK(c.sent == 10);
  CHECK(c.delivered == 10);
  CHECK(c.lost == 0);
  CHECK(c.duplicated == 0);
  CHECK(w.tcp->stats().timeout_retransmits == 0);
  // Four wifi hops (two each way through the router) of 2 ms ± 1 ms, plus serialization.
  for (const TimeNs latency : w.ledger.latency_samples_ns(qos)) {
    CHECK(latency >= 4 * kMs);
    CHECK(latency < 20 * kMs);
  }
}

TEST_CASE("over lossy TCP the loss becomes delay: QoS 1 and 2 all arrive, QoS 2 once") {
  StarWorld w(22, "wifi", 0.05);
  const auto sub_b = dashboard(QoS::exactly_once);
  const auto s1 = sensors(QoS::at_least_once, 200 * kMs, 150);
  const auto s2 = sensors(QoS::exactly_once, 200 * kMs, 150);
  const auto s0 = sensors(QoS::at_most_once, 200 * kMs, 150);
  w.add_client(tcp_client("dash", /*persistent=*/true), sub_b);
  w.add_client(tcp_client("s1"), s1);
  w.add_client(tcp_client("s2"), s2);
  w.add_client(tcp_client("s0"), s0);
  w.kernel.run_until(120 * kS);

  CHECK(w.tcp->stats().timeout_retransmits + w.tcp->stats().fast_retransmits > 10);
  CHECK(w.tcp->stats().connections_broken == 0);
  for (const QoS qos : {QoS::at_most_once, QoS::at_least_once, QoS::exactly_once}) {
    const QosCounts c = w.ledger.counts(qos);
    INFO("QoS " << static_cast<int>(qos));
    CHECK(c.sent == 150);
    CHECK(c.lost == 0);  // TCP never lets MQTT see a lost segment
    CHECK(c.delivered == 150);
    CHECK(c.duplicated == 0);
  }
  // The loss shows as latency: some messages waited for a retransmission (RTO >= 200 ms).
  const auto latencies = w.ledger.latency_samples_ns(QoS::at_least_once);
  CHECK(*std::max_element(latencies.begin(), latencies.end()) > 200 * kMs);
}

TEST_CASE("over TCP a persistent broker crash loses no acknowledged QoS 1 message") {
  mqttsim::protocol::BrokerConfig config;
  config.persistence = true;
  StarWorld w(23, "wifi", 0.01, config);
  const auto sub_b = dashboard(QoS::at_least_once);
  const auto s1 = sensors(QoS::at_least_once, 100 * kMs, 600);
  VirtualClient& sub = w.add_client(tcp_client("dash", /*persistent=*/true), sub_b);
  w.add_client(tcp_client("s1", /*persistent=*/true), s1);
  w.kernel.schedule_at(20 * kS + 37 * kMs, [&] { w.broker->crash(); });
  w.kernel.schedule_at(24 * kS, [&] { w.broker->restart(); });
  w.kernel.run_until(300 * kS);

  CHECK(w.broker->stats().crashes == 1);
  CHECK(sub.stats().connects >= 2);
  const QosCounts c = w.ledger.counts(QoS::at_least_once);
  CHECK(c.sent == 600);
  CHECK(c.acked == 600);
  std::uint64_t acked_not_delivered = 0;
  for (MessageKey key = 1; key <= w.ledger.message_count(); ++key) {
    if (w.ledger.message(key).acked() && w.ledger.deliveries_of(key).empty()) {
      ++acked_not_delivered;
    }
  }
  CHECK(acked_not_delivered == 0);
  CHECK(c.lost == 0);
}

TEST_CASE("over TCP the same seed gives the same trace digest") {
  auto digest = [](std::uint64_t seed) {
    StarWorld w(seed, "wifi", 0.02);
    auto sub_b = dashboard(QoS::exactly_once);
    sub_b.churn = ChurnBehaviour{5, 2, false};
    auto s = sensors(QoS::exactly_once, 250 * kMs, 0);
    s.churn = ChurnBehaviour{4, 1, true};
    w.add_client(tcp_client("dash", true), sub_b);
    w.add_client(tcp_client("a"), s);
    w.add_client(tcp_client("b"), s);
    w.kernel.run_until(40 * kS);
    return w.trace.digest();
  };
  const std::uint64_t a = digest(31);
  CHECK(digest(31) == a);
  CHECK(digest(32) != a);
}
