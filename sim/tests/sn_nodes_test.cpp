// MQTT-SN sensors and the gateway host in a whole simulated World: datagrams over the UDP model
// to the gateway, MQTT over the TCP model to the broker and on to an MQTT subscriber. QoS -1 to
// 2 end to end, bounded retries on a lossy radio ending in reported loss, and determinism.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "protocol/mqttsn.hpp"
#include "sim/scenario/load.hpp"
#include "sim/scenario/report.hpp"
#include "sim/scenario/world.hpp"

using namespace mqttsim;
using namespace mqttsim::sim;
using namespace mqttsim::sim::scenario;

namespace {

// Four sensor groups (QoS -1, 0, 1, 2), `count` messages each, on radio links with `loss`.
std::string sn_scenario(double loss, int count, const std::string& retries = "3") {
  std::string groups;
  const std::map<std::string, std::string> qos = {
      {"qm1", "-1"}, {"q0", "0"}, {"q1", "1"}, {"q2", "2"}};
  for (const auto& [name, level] : qos) {
    groups += "  " + name + ":\n    count: 2\n    protocol: mqtt-sn\n    gateway: gw\n" +
              "    start: 2s\n    attach: {to: gw, profile: wifi, loss: " + std::to_string(loss) +
              "}\n" + "    publish: {topic: \"s/" + name + "/{n}\", every: 3s, qos: " + level +
              ", payload: 20, count: " + std::to_string(count) + "}\n";
  }
  return "name: sn\nseed: 5\nduration: 2min\n"
         "topology:\n  nodes: {gw: gateway}\n"
         "  links:\n    backhaul: {between: [gw, broker], profile: ethernet}\n"
         "transport:\n  mqtt_sn: {retry: 2s, retries: " +
         retries + "}\n" + "clients:\n" + groups +
         "  sub:\n    attach: {to: broker, profile: ethernet}\n"
         "    subscribe: [{filter: \"s/#\", qos: 2}]\n"
         "measure: {settle: 30s}\n";
}

ScenarioSpec load(const std::string& text) {
  LoadResult r = parse_scenario(text, "<string>");
  INFO((r.errors.empty() ? std::string() : r.errors.front()));
  REQUIRE(r.spec);
  return *r.spec;
}

const nodes::SnClientNode& sensor(const World& world, const std::string& name) {
  for (const auto& c : world.sn_clients()) {
    if (world.topology().name(c.node()) == name) return c;
  }
  FAIL("no sensor " << name);
  throw std::logic_error("unreachable");
}

std::size_t slot(protocol::sn::MsgType type) {
  return nodes::SnWireCounters::slot(static_cast<std::uint8_t>(type));
}

}  // namespace

TEST_CASE("MQTT-SN sensors at QoS -1, 0, 1 and 2 reach an MQTT subscriber through the gateway",
          "[sn]") {
  MemoryTraceSink sink;
  World world(load(sn_scenario(0.0, 4)), std::nullopt, &sink);
  world.run();
  const nodes::DeliveryLedger& ledger = world.ledger();
  for (int level = -1; level <= 2; ++level) {
    INFO("QoS " << level);
    const nodes::QosCounts c = ledger.counts(level);
    CHECK(c.sent == 8);  // 2 sensors × 4 messages
    CHECK(c.expected == 8);
    CHECK(c.delivered == 8);
    CHECK(c.lost == 0);
    CHECK(c.duplicated == 0);
    CHECK(c.acked == 8);  // QoS -1/0: sent; QoS 1: PUBACK; QoS 2: PUBCOMP
    CHECK(c.reported_lost == 0);
  }
  // QoS -1 goes to predefined ids, one per expanded topic, numbered in name order.
  CHECK(world.predefined_topics() ==
        std::map<std::string, std::uint16_t>{{"s/qm1/1", 1}, {"s/qm1/2", 2}});
  CHECK(world.sn_gateways().size() == 1);
  CHECK(world.sn_gateways().front().gateway().metrics().qos_minus_one_forwarded == 8);
  // A loss-free radio: one PUBLISH per message at QoS -1/0/1, PUBLISH + PUBREL at QoS 2.
  using protocol::sn::MsgType;
  CHECK(sensor(world, "qm1-1").sent().packets[slot(MsgType::publish)] == 4);
  CHECK(sensor(world, "qm1-1").sent().packets[slot(MsgType::connect)] == 1);
  CHECK(sensor(world, "q1-1").sent().packets[slot(MsgType::publish)] == 4);
  CHECK(sensor(world, "q2-1").sent().packets[slot(MsgType::publish)] == 4);
  CHECK(sensor(world, "q2-1").sent().packets[slot(MsgType::pubrel)] == 4);
  // The datagrams are in the trace as mqtt_sn, QoS -1 publishes with qos -1 and their message.
  std::size_t minus_one_publishes = 0;
  for (const TraceRecord& r : sink.records) {
    if (r.layer == TraceLayer::mqtt_sn && r.kind == TraceKind::packet_sent &&
        r.packet_type == static_cast<std::uint8_t>(MsgType::publish) && r.qos == -1) {
      ++minus_one_publishes;
      CHECK(r.message_id != 0);
    }
  }
  CHECK(minus_one_publishes == 8);
  // The report has a QoS -1 row, first.
  const reports::RunReport report = make_run_report(world, 0, "test");
  REQUIRE(report.qos.size() == 4);
  CHECK(report.qos.front().qos == -1);
  CHECK(report.qos.front().delivery_ratio == 1.0);
  // Loss-free, three hops (radio, gateway → broker, broker → subscriber), 8 messages a level:
  // 1, 1, 2 and 4 publish-flow packets per message and hop at QoS -1, 0, 1 and 2.
  CHECK(report.qos[0].wire_packets == 8 * 3);
  CHECK(report.qos[1].wire_packets == 8 * 3);
  CHECK(report.qos[2].wire_packets == 8 * 3 * 2);
  CHECK(report.qos[3].wire_packets == 8 * 3 * 4);
}

TEST_CASE("radio loss ends QoS 1 and 2 publishes in reported loss after N_retry, never a QoS 2 dup",
          "[sn]") {
  MemoryTraceSink sink;
  World world(load(sn_scenario(0.35, 12, "2")), std::nullopt, &sink);
  world.run();
  const nodes::DeliveryLedger& ledger = world.ledger();
  const nodes::QosCounts q1 = ledger.counts(1);
  const nodes::QosCounts q2 = ledger.counts(2);
  CHECK(q1.reported_lost > 0);
  CHECK(q2.reported_lost > 0);
  CHECK(q2.duplicated == 0);
  CHECK(ledger.counts(-1).lost > 0);  // QoS -1 loses silently
  CHECK(ledger.counts(-1).reported_lost == 0);
  // Every message the subscriber missed at QoS 1/2 was reported lost to its publisher, or is
  // still in flight (never acked): none was acknowledged and then lost.
  std::map<nodes::MessageKey, int> publish_sends;
  for (const TraceRecord& r : sink.records) {
    if (r.layer == TraceLayer::mqtt_sn && r.kind == TraceKind::packet_sent &&
        r.packet_type == static_cast<std::uint8_t>(protocol::sn::MsgType::publish) &&
        r.message_id != 0 && r.qos == 1) {
      ++publish_sends[r.message_id];
    }
  }
  int lost_after_all_retries = 0;
  for (nodes::MessageKey key = 1; key <= ledger.message_count(); ++key) {
    const nodes::MessageRecord& m = ledger.message(key);
    if (m.qos == protocol::QoS::at_most_once || m.refused) continue;
    if (m.acked())
      CHECK_FALSE(ledger.expected_subscribers(key).size() > ledger.deliveries_of(key).size());
    if (m.qos == protocol::QoS::at_least_once && m.ack_reason == 0x80) {
      CHECK(publish_sends[key] <= 3);  // the first send and N_retry = 2 retransmissions
      if (publish_sends[key] == 3) ++lost_after_all_retries;
    }
  }
  CHECK(lost_after_all_retries > 0);
}

TEST_CASE("an MQTT-SN run is deterministic: the same seed gives the same trace digest", "[sn]") {
  const ScenarioSpec spec = load(sn_scenario(0.2, 6));
  World a(spec), b(spec), c(spec, 99);
  a.run();
  b.run();
  c.run();
  CHECK(a.trace_digest() == b.trace_digest());
  CHECK(a.ledger().deliveries().size() == b.ledger().deliveries().size());
  CHECK(a.trace_digest() != c.trace_digest());
}

TEST_CASE("a QoS -1 topic that is neither predefined nor short cannot be built", "[sn]") {
  // Every expanded QoS -1 topic is in the table, so a publish_now to another topic is refused.
  World world(load(sn_scenario(0.0, 1)));
  auto& node = const_cast<nodes::SnClientNode&>(sensor(world, "qm1-1"));
  CHECK_THROWS_AS(node.publish_now("not/in/table", 20, -1), std::invalid_argument);
  CHECK_NOTHROW(node.publish_now("ab", 20, -1));  // a short topic name needs no table
}

TEST_CASE("an MQTT-SN sensor subscribed through the gateway receives an MQTT client's messages",
          "[sn]") {
  const std::string text =
      "name: sn-sub\nseed: 3\nduration: 1min\n"
      "topology:\n  nodes: {gw: gateway}\n"
      "  links:\n    backhaul: {between: [gw, broker], profile: ethernet}\n"
      "clients:\n"
      "  actuator:\n    protocol: mqtt-sn\n    gateway: gw\n"
      "    attach: {to: gw, profile: wifi, loss: 0}\n"
      "    subscribe: [{filter: \"cmd/#\", qos: 1}]\n"
      "  app:\n    start: 3s\n    attach: {to: broker, profile: ethernet}\n"
      "    publish: {topic: \"cmd/valve\", every: 2s, qos: 1, payload: 20, count: 5}\n"
      "measure: {settle: 10s}\n";
  World world(load(text));
  world.run();
  const nodes::QosCounts c = world.ledger().counts(1);
  CHECK(c.sent == 5);
  CHECK(c.expected == 5);  // the SUBACK through the gateway reached the ledger
  CHECK(c.delivered == 5);
  CHECK(c.duplicated == 0);
  REQUIRE(world.sn_clients().size() == 1);
  CHECK(world.sn_clients().front().stats().received == 5);
  // The gateway REGISTERed the wildcard's topic with the sensor before the first PUBLISH.
  CHECK(
      world.sn_gateways().front().sn_sent().packets[slot(protocol::sn::MsgType::register_topic)] ==
      1);
}
