// The delivery ledger: message tags, records and links, subscription intervals, and the per-QoS
// counts (sent, delivered, lost, duplicated) and latency samples, on hand-made histories.
#include <catch2/catch.hpp>

#include <string>

#include "sim/nodes/ledger.hpp"

using mqttsim::protocol::QoS;
using namespace mqttsim::sim::nodes;
using mqttsim::sim::TimeNs;

namespace {

std::string payload_for(MessageKey key, std::size_t size = 32) {
  std::string p(size, 'x');
  write_tag(key, p.data());
  return p;
}

// Files a message of `publisher` under the next key and returns the key.
MessageKey publish(DeliveryLedger& ledger, LedgerClient publisher, std::string topic, QoS qos,
                   TimeNs at) {
  const MessageKey key = ledger.next_key();
  return ledger.record_publish(publisher, ledger.intern(topic), qos, false, key * 11, 32, at, key,
                               false);
}

void deliver(DeliveryLedger& ledger, LedgerClient to, MessageKey key, TimeNs at, bool dup = false,
             bool retain = false) {
  ledger.record_delivery(to, "t", payload_for(key), QoS::at_least_once, dup, retain, at);
}

}  // namespace

TEST_CASE("a message tag reads back from any payload that starts with it") {
  for (const MessageKey key : {MessageKey{1}, MessageKey{0xABCDEF}, (MessageKey{1} << 56) - 1}) {
    const std::string p = payload_for(key, 64);
    CHECK(read_tag(p) == key);
    CHECK(read_tag(p.substr(0, kTagBytes)) == key);
  }
  CHECK_FALSE(read_tag("<0000000000001"));              // too short
  CHECK_FALSE(read_tag("<00000000000000>"));            // key 0 is none
  CHECK_FALSE(read_tag("<0000000000000g>"));            // not hex
  CHECK_FALSE(read_tag("{\"temperature\": 21.5}..."));  // a foreign payload
}

TEST_CASE("counts follow subscriptions in force, and deliveries link to their message") {
  DeliveryLedger ledger;
  const LedgerClient pub = ledger.add_client("pub");
  const LedgerClient a = ledger.add_client("a");
  const LedgerClient b = ledger.add_client("b");
  ledger.subscription_granted(a, "Zürich/#", QoS::exactly_once, 100);
  ledger.subscription_granted(b, "Zürich/+/50", QoS::at_least_once, 100);
  ledger.subscription_granted(b, "Zürich/Hornbachstrasse/+", QoS::at_least_once, 100);

  const MessageKey m1 = publish(ledger, pub, "Zürich/Hornbachstrasse/50", QoS::at_least_once, 200);
  const MessageKey m2 = publish(ledger, pub, "Zürich/Florastrasse", QoS::at_least_once, 300);
  const MessageKey early = publish(ledger, pub, "Zürich/Florastrasse", QoS::at_least_once, 50);
  deliver(ledger, a, m1, 210);
  deliver(ledger, a, m1, 260, /*dup=*/true);
  deliver(ledger, b, m1, 230);  // b matches twice, expects it once
  deliver(ledger, a, early, 120, false, /*retain=*/true);
  ledger.record_ack(m1, 0, 220);
  ledger.record_delivery(a, "t", "no tag here", QoS::at_most_once, false, false, 400);

  CHECK(ledger.expected_subscribers(m1) == std::vector<LedgerClient>{a, b});
  CHECK(ledger.expected_subscribers(m2) == std::vector<LedgerClient>{a});
  CHECK(ledger.expected_subscribers(early).empty());  // before any subscription
  const QosCounts c = ledger.counts(QoS::at_least_once);
  CHECK(c.sent == 3);
  CHECK(c.acked == 1);
  CHECK(c.expected == 3);
  CHECK(c.delivered == 2);
  CHECK(c.lost == 1);  // m2 never reached a
  CHECK(c.duplicated == 1);
  CHECK(c.deliveries == 3);
  CHECK(c.retained_deliveries == 1);
  CHECK(ledger.counts(QoS::exactly_once).sent == 0);
  const QosCounts before_250 = ledger.counts(QoS::at_least_once, 250);  // m1 and early only
  CHECK(before_250.sent == 2);
  CHECK(before_250.lost == 0);
  CHECK(ledger.untagged_deliveries() == 1);

  const auto m1_deliveries = ledger.deliveries_of(m1);
  REQUIRE(m1_deliveries.size() == 3);
  CHECK(m1_deliveries[0].subscriber == a);
  CHECK(m1_deliveries[1].dup);
  CHECK(m1_deliveries[2].time_ns == 230);
  CHECK(ledger.message(m1).payload_digest == m1 * 11);

  auto latencies = ledger.latency_samples_ns(QoS::at_least_once);
  std::sort(latencies.begin(), latencies.end());
  CHECK(latencies == std::vector<TimeNs>{10, 30});  // first delivery per pair only
}

TEST_CASE("lost sessions and a volatile broker crash end subscriptions, a persistent crash not") {
  DeliveryLedger ledger;
  const LedgerClient pub = ledger.add_client("pub");
  const LedgerClient a = ledger.add_client("a");
  const LedgerClient b = ledger.add_client("b");
  ledger.subscription_granted(a, "x/#", QoS::at_least_once, 0);
  ledger.subscription_granted(b, "x/#", QoS::at_least_once, 0);
  ledger.subscriptions_lost(a, 100);
  ledger.broker_crashed(150, /*persistent=*/true);
  const MessageKey m1 = publish(ledger, pub, "x/1", QoS::at_least_once, 200);
  ledger.broker_crashed(300, /*persistent=*/false);
  const MessageKey m2 = publish(ledger, pub, "x/1", QoS::at_least_once, 400);
  ledger.subscription_granted(a, "x/#", QoS::at_least_once, 500);
  const MessageKey m3 = publish(ledger, pub, "x/1", QoS::at_least_once, 600);
  ledger.subscription_removed(a, "x/#", 700);
  const MessageKey m4 = publish(ledger, pub, "x/1", QoS::at_least_once, 800);

  CHECK(ledger.expected_subscribers(m1) == std::vector<LedgerClient>{b});
  CHECK(ledger.expected_subscribers(m2).empty());
  CHECK(ledger.expected_subscribers(m3) == std::vector<LedgerClient>{a});
  CHECK(ledger.expected_subscribers(m4).empty());
  CHECK(ledger.broker_crashes_ns() == std::vector<TimeNs>{150, 300});
  CHECK(ledger.subscriptions().size() == 3);
}

TEST_CASE(
    "a SUBACK answers the oldest open SUBSCRIBE of its filter; a grant with no request is "
    "bounded by the run's start") {
  DeliveryLedger ledger;
  const LedgerClient a = ledger.add_client("a");
  ledger.subscribe_requested(a, "x/#", 100, /*retain_handling=*/1, /*retain_as_published=*/true);
  ledger.subscribe_requested(a, "y", 150);
  ledger.subscribe_requested(a, "x/#", 200);
  ledger.subscription_granted(a, "x/#", QoS::at_least_once, 250);
  ledger.subscription_granted(a, "z", QoS::exactly_once, 260);
  const auto& s = ledger.subscribes();
  REQUIRE(s.size() == 4);
  CHECK(s[0].requested_ns == 100);
  CHECK(s[0].granted_ns == 250);
  CHECK(s[0].granted == QoS::at_least_once);
  CHECK(s[0].retain_handling == 1);
  CHECK(s[0].retain_as_published);
  CHECK(s[1].granted_ns == kNeverNs);  // "y" never answered
  CHECK(s[2].granted_ns == kNeverNs);  // the second "x/#" still open
  CHECK(s[3].requested_ns == 0);
  CHECK(s[3].granted_ns == 260);
  CHECK(ledger.topic_name(s[3].filter) == "z");
}

TEST_CASE("a refused publish is counted apart and expects no delivery") {
  DeliveryLedger ledger;
  const LedgerClient pub = ledger.add_client("pub");
  const LedgerClient a = ledger.add_client("a");
  ledger.subscription_granted(a, "#", QoS::at_most_once, 0);
  const MessageKey key =
      ledger.record_publish(pub, ledger.intern("t"), QoS::at_most_once, false, 1, 16, 10, 0,
                            /*refused=*/true);
  CHECK(ledger.expected_subscribers(key).empty());
  const QosCounts c = ledger.counts(QoS::at_most_once);
  CHECK(c.refused == 1);
  CHECK(c.sent == 0);
  CHECK(c.lost == 0);
}
