// The retained invariant's subscribe half on hand-made ledgers (a new subscription gets exactly
// the current retained message of each matching topic; open orders accept either), and over
// generated scenarios with late joiners, churn and MQTT-SN sensors, which must hold without
// mutants.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "sim/checks/explore.hpp"

using namespace mqttsim::sim::checks;
using namespace mqttsim::sim::nodes;
using mqttsim::protocol::QoS;
using mqttsim::sim::TimeNs;

namespace {

constexpr TimeNs kMs = 1'000'000;

// A publisher "pub" and a subscriber "sub"; "t/a" holds retained m1 (published 100 ms, acked
// 105 ms) then m2 (200 ms, acked 205 ms); sub subscribes to "t/#" (request 300 ms, SUBACK
// 310 ms); `later` (t/b, 400 ms) is what sub receives afterwards, which makes a missing retained
// copy a violation rather than "maybe still on its way".
struct RetainedFixture {
  DeliveryLedger ledger;
  LedgerClient pub = ledger.add_client("pub");
  LedgerClient sub = ledger.add_client("sub");
  MessageKey m1 = publish("t/a", 100, true);
  MessageKey m2 = publish("t/a", 200, true);
  MessageKey later = 0;

  CheckInput input() const {
    CheckInput in;
    in.ledger = &ledger;
    in.end_ns = 60'000 * kMs;
    return in;
  }
  MessageKey publish(std::string topic, TimeNs at_ms, bool retain, std::uint32_t size = 32,
                     TimeNs ack_after_ms = 5) {
    const MessageKey key = ledger.next_key();
    ledger.record_publish(pub, ledger.intern(topic), QoS::at_least_once, retain, key, size,
                          at_ms * kMs, key, false);
    ledger.record_ack(key, 0, (at_ms + ack_after_ms) * kMs);
    return key;
  }
  void subscribe(TimeNs request_ms = 300, TimeNs suback_ms = 310) {
    ledger.subscribe_requested(sub, "t/#", request_ms * kMs);
    ledger.subscription_granted(sub, "t/#", QoS::at_least_once, suback_ms * kMs);
  }
  void deliver(MessageKey key, TimeNs at_ms, bool retain) {
    std::string payload(32, '.');
    write_tag(key, payload.data());
    ledger.record_delivery(sub, ledger.topic_name(ledger.message(key).topic), payload,
                           QoS::at_least_once, false, retain, at_ms * kMs, 1);
  }
  // The later message arrives (published after the SUBACK): the witness.
  void then_later_message() {
    later = publish("t/b", 400, false);
    deliver(later, 410, false);
  }
};

bool mentions(const std::vector<Violation>& v, const std::string& text) {
  for (const Violation& x : v) {
    if (x.message.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE(
    "retained: a new subscription gets exactly the current retained message of each matching "
    "topic (MQTT-3.3.1-6)") {
  RetainedFixture f;
  f.subscribe();
  SECTION("the current one: no violation") {
    f.deliver(f.m2, 312, true);
    f.then_later_message();
    CHECK(check_retained(f.input()).empty());
    CHECK(check_all(f.input()).empty());
  }
  SECTION("a stale one, replaced before the SUBSCRIBE, instead of the current one") {
    f.deliver(f.m1, 312, true);
    f.then_later_message();
    const auto v = check_retained(f.input());
    REQUIRE(v.size() == 2);  // m1 is stale, m2 is missing
    CHECK(v[0].rule.find("MQTT-3.3.1-6") != std::string::npos);
    CHECK(mentions(v, "message #1"));
    CHECK(mentions(v, "never reached it as retained"));
  }
  SECTION("none at all, although a later message arrived") {
    f.then_later_message();
    const auto v = check_retained(f.input());
    REQUIRE(v.size() == 1);
    CHECK(v[0].message.find("message #2") != std::string::npos);
  }
  SECTION("none, and nothing later either: it may still be on its way, no violation") {
    CHECK(check_retained(f.input()).empty());
  }
}

TEST_CASE("retained: where a retained publish and the SUBSCRIBE may cross, either is accepted") {
  RetainedFixture f;
  // m3 left its publisher before the SUBSCRIBE was answered and was acked after the request:
  // the broker may have handled either first.
  const MessageKey m3 = f.publish("t/a", 305, true, 32, 10);
  f.subscribe();
  SECTION("the older one") {
    f.deliver(f.m2, 312, true);
    f.then_later_message();
    CHECK(check_retained(f.input()).empty());
  }
  SECTION("the one in flight") {
    f.deliver(m3, 312, true);
    f.then_later_message();
    CHECK(check_retained(f.input()).empty());
  }
  SECTION("neither: nothing was certain, so nothing is missing") {
    f.then_later_message();
    CHECK(check_retained(f.input()).empty());
  }
  SECTION("but the one replaced before both is still stale") {
    f.deliver(f.m1, 312, true);
    CHECK(check_retained(f.input()).size() == 1);
  }
}

TEST_CASE("retained: an empty retained publish clears the topic, and so does a stateless crash") {
  RetainedFixture f;
  SECTION("cleared (MQTT-3.3.1-10): nothing is due, and the cleared message is stale") {
    f.publish("t/a", 250, true, /*size=*/0);
    f.subscribe();
    f.then_later_message();
    CHECK(check_retained(f.input()).empty());
    f.deliver(f.m2, 312, true);
    const auto v = check_retained(f.input());
    REQUIRE(v.size() == 1);
    CHECK(v[0].message.find("message #2") != std::string::npos);
  }
  SECTION("a broker crash without persistence wiped the store: nothing is due") {
    f.ledger.broker_crashed(250 * kMs, false);
    f.subscribe();
    f.then_later_message();
    CHECK(check_retained(f.input()).empty());
    f.deliver(f.m2, 312, true);
    CHECK(check_retained(f.input()).size() == 1);
  }
  SECTION("a crash with persistence keeps it: it is still due") {
    f.ledger.broker_crashed(250 * kMs, true);
    f.subscribe();
    f.then_later_message();
    CHECK(check_retained(f.input()).size() == 1);
  }
}

TEST_CASE(
    "generated scenarios with late joiners, churn and MQTT-SN sensors keep every invariant "
    "without mutants, and exercise retained copies and reported MQTT-SN loss") {
  GenScenario s;
  s.duration_s = 45;
  GenPublisher retained_publisher;
  retained_publisher.retain = true;
  retained_publisher.count = 3;
  retained_publisher.every_ms = 700;
  s.publishers.push_back(retained_publisher);
  GenSubscriber late;
  late.start_s = 8;  // joins after retained messages are stored
  late.churn_online_s = 5;
  late.churn_offline_s = 2;
  late.persistent = false;
  late.count = 2;
  s.subscribers.push_back(late);
  GenSensor lossy;
  lossy.count = 3;
  lossy.qos = 1;
  lossy.loss_permille = 400;  // enough that some messages exhaust N_retry
  s.sensors.push_back(lossy);
  s.faults.push_back({GenFaultKind::broker_crash, 9000, 1000, 0, false, false, 0});
  const std::string yaml = to_yaml(s, {});
  INFO(yaml);
  const CaseResult r = run_case(yaml, std::nullopt);
  REQUIRE(r.load_errors.empty());
  for (const Violation& v : r.violations) INFO(v.message);
  CHECK(r.violations.empty());
  CHECK(r.retained_copies > 10);
  CHECK(r.reported_lost > 0);
}

TEST_CASE(
    "the generator makes late joiners, churning subscribers, retained publishers and MQTT-SN "
    "sensors at every QoS, never as a client fault's target") {
  rc::Random random(7);
  int late = 0, churn = 0, retained = 0, sensors = 0;
  std::set<int> sensor_qos;
  for (int i = 0; i < 200; ++i) {
    const GenScenario s = gen_scenario({})(random.split(), 50).value();
    for (const GenSubscriber& g : s.subscribers) {
      late += g.start_s > 0 ? 1 : 0;
      churn += g.churn_online_s > 0 ? 1 : 0;
    }
    for (const GenPublisher& p : s.publishers) retained += p.retain ? 1 : 0;
    for (const GenSensor& n : s.sensors) sensor_qos.insert(n.qos);
    sensors += s.sensors.empty() ? 0 : 1;
    const std::string yaml = to_yaml(s, {});
    // Faults name pub/sub groups only ("p1-1", "s2-*"): never a sensor group "n<k>".
    CHECK(yaml.find("client_crash: \"n") == std::string::npos);
    CHECK(yaml.find("[\"n") == std::string::npos);
  }
  CHECK(late > 20);
  CHECK(churn > 20);
  CHECK(retained > 20);
  CHECK(sensors > 20);
  CHECK(sensor_qos == std::set<int>{-1, 0, 1, 2});
}
