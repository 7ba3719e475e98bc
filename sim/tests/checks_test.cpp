// The QoS invariants on hand-made ledgers (each catches what it should and lets through what
// the spec allows), and the exploration: generated scenarios load and run, the cores without
// mutants pass, each mutant is caught within a bounded number of runs, counterexamples replay.
#include <catch2/catch.hpp>

#include <string>

#include "sim/checks/explore.hpp"

using namespace mqttsim::sim::checks;
using namespace mqttsim::sim::nodes;
using mqttsim::protocol::Mutant;
using mqttsim::protocol::QoS;
using mqttsim::sim::TimeNs;

namespace {

constexpr TimeNs kMs = 1'000'000;

// A ledger with a publisher "pub" and a subscriber "sub", and the input over it (run of 60 s,
// no settle window unless asked).
struct Fixture {
  DeliveryLedger ledger;
  LedgerClient pub = ledger.add_client("pub");
  LedgerClient sub = ledger.add_client("sub");
  CheckInput input() const {
    CheckInput in;
    in.ledger = &ledger;
    in.end_ns = 60'000 * kMs;
    return in;
  }
  MessageKey publish(std::string topic, QoS qos, TimeNs at_ms, bool retain = false) {
    const MessageKey key = ledger.next_key();
    ledger.record_publish(pub, ledger.intern(topic), qos, retain, key, 32, at_ms * kMs, key, false);
    ledger.record_ack(key, 0, (at_ms + 5) * kMs);
    return key;
  }
  void deliver(MessageKey key, TimeNs at_ms, QoS qos, bool dup = false, std::uint16_t id = 1,
               bool retain = false) {
    std::string payload(32, '.');
    write_tag(key, payload.data());
    ledger.record_delivery(sub, ledger.topic_name(ledger.message(key).topic), payload, qos, dup,
                           retain, at_ms * kMs, id);
  }
};

std::size_t count(const std::vector<Violation>& v, Invariant which) {
  std::size_t n = 0;
  for (const Violation& x : v) n += x.invariant == which ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE(
    "QoS 1: a message a surviving subscription missed, while a later one arrived, is lost "
    "(MQTT-4.3.2-4)") {
  Fixture f;
  f.ledger.subscription_granted(f.sub, "t/#", QoS::at_least_once, 100 * kMs);
  const MessageKey m1 = f.publish("t/a", QoS::at_least_once, 200);
  const MessageKey m2 = f.publish("t/a", QoS::at_least_once, 300);
  SECTION("no copy of m1, a copy of m2: violation naming both") {
    f.deliver(m2, 320, QoS::at_least_once);
    const auto v = check_qos1_at_least_once(f.input());
    REQUIRE(v.size() == 1);
    CHECK(v[0].message.find("message #1") != std::string::npos);
    CHECK(v[0].message.find("sub") != std::string::npos);
    CHECK(v[0].rule.find("MQTT-4.3.2") != std::string::npos);
  }
  SECTION("nothing later arrived either: the subscriber may still be offline, no violation") {
    CHECK(check_qos1_at_least_once(f.input()).empty());
  }
  SECTION("the session was lost in between: no violation") {
    f.ledger.subscriptions_lost(f.sub, 250 * kMs);
    f.ledger.subscription_granted(f.sub, "t/#", QoS::at_least_once, 290 * kMs);
    f.deliver(m2, 320, QoS::at_least_once);
    CHECK(check_qos1_at_least_once(f.input()).empty());
  }
  SECTION("the broker crashed without persistence: no violation") {
    f.ledger.broker_crashed(250 * kMs, false);
    f.ledger.subscription_granted(f.sub, "t/#", QoS::at_least_once, 290 * kMs);
    f.deliver(m2, 320, QoS::at_least_once);
    CHECK(check_qos1_at_least_once(f.input()).empty());
  }
  SECTION("both arrived: no violation") {
    f.deliver(m1, 310, QoS::at_least_once);
    f.deliver(m2, 320, QoS::at_least_once);
    CHECK(check_all(f.input()).empty());
  }
}

TEST_CASE(
    "QoS 2: two QoS 2 copies are a duplicate unless a loss of exactly-once state lies "
    "between them (MQTT-4.3.3-10)") {
  Fixture f;
  f.ledger.subscription_granted(f.sub, "t/#", QoS::exactly_once, 100 * kMs);
  const MessageKey m = f.publish("t/a", QoS::exactly_once, 200);
  f.deliver(m, 210, QoS::exactly_once, false, 7);
  SECTION("a second copy after a resend") {
    f.deliver(m, 900, QoS::exactly_once, true, 7);
    const auto v = check_qos2_exactly_once(f.input());
    REQUIRE(v.size() == 1);
    CHECK(v[0].message.find("2 times") != std::string::npos);
  }
  SECTION("a crash of the subscriber that lost its client state") {
    f.ledger.client_crashed(f.sub, 500 * kMs, false);
    f.deliver(m, 900, QoS::exactly_once, true, 7);
    CHECK(check_qos2_exactly_once(f.input()).empty());
  }
  SECTION("a broker crash without persistence (but not with)") {
    f.ledger.broker_crashed(500 * kMs, true);
    f.deliver(m, 900, QoS::exactly_once, false, 9);
    CHECK(check_qos2_exactly_once(f.input()).size() == 1);
    f.ledger.broker_crashed(950 * kMs, false);
    f.deliver(m, 990, QoS::exactly_once, false, 3);
    CHECK(check_qos2_exactly_once(f.input()).size() == 1);  // the copy after 950 ms is excused
  }
  SECTION("copies downgraded to QoS 1 by the subscription are at least once only") {
    Fixture g;
    g.ledger.subscription_granted(g.sub, "t/#", QoS::at_least_once, 100 * kMs);
    const MessageKey k = g.publish("t/a", QoS::exactly_once, 200);
    g.deliver(k, 210, QoS::at_least_once, false, 4);
    g.deliver(k, 900, QoS::at_least_once, true, 4);
    CHECK(check_qos2_exactly_once(g.input()).empty());
  }
}

TEST_CASE(
    "QoS 2: a broker crash without persistence excuses a second copy only if it came after the "
    "first copy left the broker (MQTT-4.3.3-10)") {
  Fixture f;
  f.ledger.subscription_granted(f.sub, "t/#", QoS::exactly_once, 100 * kMs);
  const MessageKey m = f.publish("t/a", QoS::exactly_once, 200);
  f.ledger.broker_crashed(205 * kMs, false);  // before the first copy
  SECTION("S subscribed again after the crash: the new broker sent both copies") {
    f.ledger.subscription_granted(f.sub, "t/#", QoS::exactly_once, 208 * kMs);
    f.deliver(m, 210, QoS::exactly_once, false, 7);
    f.deliver(m, 900, QoS::exactly_once, true, 7);
    const auto v = check_qos2_exactly_once(f.input());
    REQUIRE(v.size() == 1);  // the old rule (any crash after the publish) let this through
    CHECK(v[0].message.find("2 times") != std::string::npos);
  }
  SECTION("the first copy was in flight from the crashed broker: excused") {
    f.deliver(m, 210, QoS::exactly_once, false, 7);
    f.ledger.subscription_granted(f.sub, "t/#", QoS::exactly_once, 400 * kMs);
    f.deliver(m, 900, QoS::exactly_once, false, 3);
    CHECK(check_qos2_exactly_once(f.input()).empty());
  }
}

TEST_CASE("QoS 0: a second copy to one subscription is a violation") {
  Fixture f;
  f.ledger.subscription_granted(f.sub, "t/#", QoS::at_most_once, 100 * kMs);
  const MessageKey m = f.publish("t/a", QoS::at_most_once, 200);
  f.deliver(m, 210, QoS::at_most_once, false, 0);
  CHECK(check_qos0_at_most_once(f.input()).empty());
  f.deliver(m, 220, QoS::at_most_once, false, 0);
  CHECK(check_qos0_at_most_once(f.input()).size() == 1);
}

TEST_CASE(
    "ordering: first copies out of publish order within one subscription violate "
    "MQTT-4.6.0-6, repeats of older messages do not") {
  Fixture f;
  f.ledger.subscription_granted(f.sub, "t/#", QoS::at_least_once, 100 * kMs);
  const MessageKey m1 = f.publish("t/a", QoS::at_least_once, 200);
  const MessageKey m2 = f.publish("t/a", QoS::at_least_once, 300);
  SECTION("m2 before m1") {
    f.deliver(m2, 400, QoS::at_least_once, true, 2);
    f.deliver(m1, 401, QoS::at_least_once, true, 1);
    const auto v = check_ordering(f.input());
    REQUIRE(v.size() == 1);
    CHECK(v[0].rule.find("MQTT-4.6.0-6") != std::string::npos);
  }
  SECTION("m1 m2 m1 m2, as a resumed session resends") {
    f.deliver(m1, 210, QoS::at_least_once, false, 1);
    f.deliver(m2, 310, QoS::at_least_once, false, 2);
    f.deliver(m1, 900, QoS::at_least_once, true, 1);
    f.deliver(m2, 901, QoS::at_least_once, true, 2);
    CHECK(check_ordering(f.input()).empty());
  }
  SECTION("on other topics, order is not promised") {
    const MessageKey other = f.publish("t/b", QoS::at_least_once, 350);
    f.deliver(other, 360, QoS::at_least_once, false, 3);
    f.deliver(m1, 400, QoS::at_least_once, false, 1);
    CHECK(check_ordering(f.input()).empty());
  }
}

TEST_CASE("matching: a '#' subscriber must not get a '$' topic (MQTT-4.7.2-1)") {
  Fixture f;
  f.ledger.subscription_granted(f.sub, "#", QoS::at_least_once, 100 * kMs);
  const MessageKey ok = f.publish("t/a", QoS::at_least_once, 200);
  const MessageKey sys = f.publish("$sys/a", QoS::at_least_once, 300);
  f.deliver(ok, 210, QoS::at_least_once);
  CHECK(check_matching(f.input()).empty());
  f.deliver(sys, 310, QoS::at_least_once, false, 2);
  const auto v = check_matching(f.input());
  REQUIRE(v.size() == 1);
  CHECK(v[0].message.find("$sys/a") != std::string::npos);
}

TEST_CASE("DUP: a resend by the same session with DUP=0 violates MQTT-3.3.1-1") {
  Fixture f;
  f.ledger.subscription_granted(f.sub, "t/#", QoS::at_least_once, 100 * kMs);
  const MessageKey m = f.publish("t/a", QoS::at_least_once, 200);
  f.deliver(m, 210, QoS::at_least_once, false, 5);
  SECTION("same packet id, DUP=0") {
    f.deliver(m, 900, QoS::at_least_once, false, 5);
    CHECK(count(check_dup_flag(f.input()), Invariant::dup_flag) == 1);
  }
  SECTION("same packet id, DUP=1") {
    f.deliver(m, 900, QoS::at_least_once, true, 5);
    CHECK(check_dup_flag(f.input()).empty());
  }
  SECTION("another packet id: a new routing of a publisher's retransmit") {
    f.deliver(m, 900, QoS::at_least_once, false, 6);
    CHECK(check_dup_flag(f.input()).empty());
  }
}

TEST_CASE("retained: RETAIN only on retained messages, and none from a store a crash wiped") {
  Fixture f;
  f.ledger.subscription_granted(f.sub, "t/#", QoS::at_least_once, 100 * kMs);
  const MessageKey plain = f.publish("t/a", QoS::at_least_once, 50);
  const MessageKey kept = f.publish("t/b", QoS::at_least_once, 60, /*retain=*/true);
  f.deliver(kept, 120, QoS::at_least_once, false, 1, /*retain=*/true);
  CHECK(check_retained(f.input()).empty());
  f.deliver(plain, 121, QoS::at_least_once, false, 2, /*retain=*/true);
  CHECK(check_retained(f.input()).size() == 1);
  f.ledger.broker_crashed(500 * kMs, false);
  f.deliver(kept, 900, QoS::at_least_once, false, 1, /*retain=*/true);
  CHECK(check_retained(f.input()).size() == 2);
}

TEST_CASE(
    "Will: delivered only after an abnormal end, and then to a surviving subscription "
    "(MQTT-3.1.2-8)") {
  Fixture f;
  CheckInput in = f.input();
  in.wills.push_back({"pub", "will/pub", QoS::at_least_once, 0});
  f.ledger.subscription_granted(f.sub, "will/#", QoS::at_least_once, 100 * kMs);
  f.ledger.subscription_granted(f.sub, "t/#", QoS::at_least_once, 100 * kMs);
  SECTION("a Will with no abnormal end") {
    f.ledger.record_delivery(f.sub, "will/pub", "gone", QoS::at_least_once, false, false,
                             300 * kMs);
    CHECK(count(check_will(in), Invariant::will) == 1);
  }
  SECTION("an abnormal end whose Will never came, though later messages did") {
    f.ledger.connection_ended("pub", 200 * kMs, false, true);
    const MessageKey later = f.publish("t/a", QoS::at_least_once, 300);
    f.deliver(later, 310, QoS::at_least_once);
    CHECK(count(check_will(in), Invariant::will) == 1);
    f.ledger.record_delivery(f.sub, "will/pub", "gone", QoS::at_least_once, false, false,
                             205 * kMs);
    CHECK(check_will(in).empty());
  }
  SECTION("a graceful DISCONNECT that scheduled the Will") {
    f.ledger.connection_ended("pub", 200 * kMs, true, true);
    CHECK(count(check_will(in), Invariant::will) == 1);
  }
}

TEST_CASE("a generated scenario is a valid scenario file that runs") {
  GenScenario s;
  s.publishers.push_back({});
  s.subscribers.push_back({});
  s.faults.push_back({});
  const std::string yaml = to_yaml(s, {});
  INFO(yaml);
  const CaseResult r = run_case(yaml, std::nullopt);
  REQUIRE(r.load_errors.empty());
  CHECK(r.messages > 0);
  CHECK(r.deliveries > 0);
  CHECK(r.violations.empty());
}

TEST_CASE("rendering trims the groups to --max-clients") {
  GenScenario s;
  s.publishers = {GenPublisher{}, GenPublisher{}};
  s.publishers[0].count = 30;
  s.subscribers = {GenSubscriber{}};
  s.subscribers[0].count = 30;
  CHECK(describe_size(s, GenLimits{10}).rfind("10 clients in 3 groups", 0) == 0);
  CHECK(describe_size(s, GenLimits{2}).rfind("2 clients in 2 groups", 0) == 0);
}

TEST_CASE("the cores without mutants keep every invariant over generated scenarios") {
  ExploreOptions options;
  options.runs = 25;  // more in the README's measurements: CI time stays modest
  options.seed = 11;
  options.limits.max_clients = 12;
  const ExploreResult r = explore(options);
  INFO((r.counterexample ? r.counterexample->yaml : r.error));
  CHECK(r.error.empty());
  CHECK_FALSE(r.counterexample);
  CHECK(r.runs_passed == 25);
}

namespace {

// Each mutant is caught within kMutantRunCap generated scenarios. The seed per mutant is one
// known to catch it early (the fewest runs to the first failure over seeds 1-6; the README
// table gives seeds 1-3), so that
// the suite pays for few scenarios; the cap is the bound asserted. With runs >= RapidCheck's
// maxSize (100) the sequence of scenarios of a seed does not depend on the cap.
constexpr int kMutantRunCap = 100;

void require_caught(Mutant mutant, std::uint64_t seed) {
  INFO(mqttsim::protocol::mutant_name(mutant) << " seed " << seed);
  ExploreOptions options;
  options.runs = kMutantRunCap;
  options.seed = seed;
  options.mutant = mutant;
  options.shrink = false;
  const ExploreResult r = explore(options);
  REQUIRE(r.error.empty());
  REQUIRE(r.counterexample.has_value());
  CHECK(r.counterexample->found_after_runs <= kMutantRunCap);
}

}  // namespace

// Runs to the first failure with these seeds, measured: 34, 4, 2, 8, 1, 2, 2, 1.
TEST_CASE("the exploration catches forget-qos2-state-on-reconnect within 100 runs") {
  require_caught(Mutant::forget_qos2_state_on_reconnect, 4);
}
TEST_CASE("the exploration catches no-persist-inflight within 100 runs") {
  require_caught(Mutant::no_persist_inflight, 3);
}
TEST_CASE("the exploration catches resend-without-dup within 100 runs") {
  require_caught(Mutant::resend_without_dup, 6);
}
TEST_CASE("the exploration catches qos2-deliver-twice within 100 runs") {
  require_caught(Mutant::qos2_deliver_twice, 4);
}
TEST_CASE("the exploration catches drop-queue-on-resume within 100 runs") {
  require_caught(Mutant::drop_queue_on_resume, 1);
}
TEST_CASE("the exploration catches redeliver-out-of-order within 100 runs") {
  require_caught(Mutant::redeliver_out_of_order, 5);
}
TEST_CASE("the exploration catches ack-before-store within 100 runs") {
  require_caught(Mutant::ack_before_store, 2);
}
TEST_CASE("the exploration catches dollar-wildcard-match within 100 runs") {
  require_caught(Mutant::dollar_wildcard_match, 3);
}

TEST_CASE(
    "a shrunk counterexample is a small scenario file that fails again, and only with its "
    "mutant") {
  ExploreOptions options;
  options.runs = 50;
  options.seed = 1;
  options.mutant = Mutant::drop_queue_on_resume;
  const ExploreResult r = explore(options);
  REQUIRE(r.counterexample);
  const Counterexample& c = *r.counterexample;
  INFO(c.yaml);
  CHECK(c.yaml.find("mutant drop-queue-on-resume") != std::string::npos);
  CHECK(c.yaml.find("# found after ") != std::string::npos);
  CHECK(c.size.rfind("2 clients", 0) == 0);
  const CaseResult again = run_case(c.yaml, options.mutant);
  REQUIRE(again.load_errors.empty());
  CHECK(count(again.violations, c.violation.invariant) > 0);
  CHECK(run_case(c.yaml, std::nullopt).violations.empty());
  // The same seed finds the same counterexample.
  const ExploreResult same = explore(options);
  REQUIRE(same.counterexample);
  CHECK(same.counterexample->yaml == c.yaml);
}
