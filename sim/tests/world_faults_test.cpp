// The scenario fault timeline when faults overlap: each loss fault is one override on the link's
// stack (the latest active one is in force), and a partition's or link_down's end lifts only its
// own cut, so the first end of two overlapping faults does not undo the second. Also: a client
// crash records exactly the SUBSCRIBEs the client sends again.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/scenario/load.hpp"
#include "sim/scenario/world.hpp"

using namespace mqttsim::sim;
using namespace mqttsim::sim::scenario;

namespace {

// Fault edges sit at half seconds, so that World::run's progress calls (every 1 s of the 200 s)
// never fall on one.
const char* kOverlapping = R"(name: overlapping-faults
seed: 4
duration: 200s
topology:
  nodes: {ap: router}
  links:
    backhaul: {between: [ap, broker], profile: ethernet, loss: 0.01}
clients:
  sensor:
    count: 2
    attach: {to: ap, profile: ethernet}
    publish: {topic: "t/{n}", every: 1s, qos: 1, payload: 8}
faults:
  - {at: 10500ms, loss: {link: backhaul, p: 0.2}, for: 30s}
  - {at: 20500ms, loss: {link: backhaul, p: 0.3}, for: 40s}
  - {at: 70500ms, loss: {link: backhaul, p: 0.4}, for: 50s}
  - {at: 80500ms, loss: {link: backhaul, p: 0.5}, for: 20s}
  - {at: 130500ms, partition: {a: [ap], b: [broker]}, for: 20s}
  - {at: 140500ms, partition: {a: [broker], b: ["sensor-*", ap]}, for: 20s}
  - {at: 170500ms, link_down: backhaul, for: 15s}
  - {at: 175500ms, link_down: backhaul, for: 20s}
)";

// The loss the timeline above puts on the backhaul at `t_s` (never on an edge).
double expected_loss(double t_s) {
  if (t_s > 10.5 && t_s < 20.5) return 0.2;
  if (t_s > 20.5 && t_s < 60.5) return 0.3;  // the first override ended at 40.5 s
  if (t_s > 70.5 && t_s < 80.5) return 0.4;
  if (t_s > 80.5 && t_s < 100.5) return 0.5;
  if (t_s > 100.5 && t_s < 120.5) return 0.4;  // back to the older, still active one
  return 0.01;
}

bool expected_cut(double t_s) {
  return (t_s > 130.5 && t_s < 160.5) || (t_s > 170.5 && t_s < 195.5);
}

struct Observed {
  std::vector<double> loss_ab, loss_ba;
  std::vector<bool> down_ab, down_ba;
  std::vector<double> times_s;
  std::vector<TraceRecord> delivered_to_broker;
};

Observed run_overlapping() {
  LoadResult loaded = parse_scenario(kOverlapping, "overlapping.yaml");
  INFO((loaded.errors.empty() ? std::string() : loaded.errors.front()));
  REQUIRE(loaded.spec);
  MemoryTraceSink sink;
  World world(*loaded.spec, std::nullopt, &sink);
  net::LinkId ab = kNoLink, ba = kNoLink;
  for (net::LinkId id = 0; id < world.topology().link_count(); ++id) {
    if (world.topology().link(id).config().name == "backhaul/ab") ab = id;
    if (world.topology().link(id).config().name == "backhaul/ba") ba = id;
  }
  REQUIRE(ab != kNoLink);
  REQUIRE(ba != kNoLink);
  Observed seen;
  world.run([&](const Progress& p) {
    const net::Topology& t = world.topology();
    seen.times_s.push_back(static_cast<double>(p.virtual_ns) / 1e9);
    seen.loss_ab.push_back(t.link(ab).config().loss.p);
    seen.loss_ba.push_back(t.link(ba).config().loss.p);
    seen.down_ab.push_back(t.link(ab).is_down());
    seen.down_ba.push_back(t.link(ba).is_down());
  });
  for (const TraceRecord& r : sink.records) {
    if (r.kind == TraceKind::packet_delivered && r.node == world.broker().node()) {
      seen.delivered_to_broker.push_back(r);
    }
  }
  return seen;
}

}  // namespace

TEST_CASE("overlapping loss faults: the latest active one is in force at each moment") {
  const Observed seen = run_overlapping();
  REQUIRE(seen.times_s.size() == 200);
  for (std::size_t i = 0; i < seen.times_s.size(); ++i) {
    INFO("at " << seen.times_s[i] << " s");
    CHECK(seen.loss_ab[i] == Approx(expected_loss(seen.times_s[i])));
    CHECK(seen.loss_ba[i] == Approx(expected_loss(seen.times_s[i])));
  }
}

TEST_CASE("overlapping partitions and link_downs block traffic until the last one ends") {
  const Observed seen = run_overlapping();
  for (std::size_t i = 0; i < seen.times_s.size(); ++i) {
    INFO("at " << seen.times_s[i] << " s");
    CHECK(seen.down_ab[i] == expected_cut(seen.times_s[i]));
    CHECK(seen.down_ba[i] == expected_cut(seen.times_s[i]));
  }
  std::size_t during = 0, before = 0, after = 0;
  for (const TraceRecord& r : seen.delivered_to_broker) {
    const double t_s = static_cast<double>(r.time_ns) / 1e9;
    if (t_s > 130.6 && t_s < 160.5) ++during;
    if (t_s > 121 && t_s < 130.5) ++before;
    if (t_s > 160.5 && t_s < 170.5) ++after;
  }
  CHECK(before > 0);
  CHECK(during == 0);
  CHECK(after > 0);
}

TEST_CASE("a client crash records only the SUBSCRIBEs the client sends again, each answered") {
  // Without persistent state a crashed client starts over and subscribes from begin(); its
  // fresh session has nothing granted to re-send on the Session Present 0 that follows.
  const char* yaml = R"(name: crash-resubscribe
seed: 2
duration: 100s
topology:
  nodes: {ap: router}
  links:
    backhaul: {between: [ap, broker], profile: ethernet}
clients:
  sensor:
    count: 1
    attach: {to: ap, profile: ethernet}
    publish: {topic: "t/{n}", every: 1s, qos: 1, payload: 8}
  reader:
    count: 1
    attach: {to: ap, profile: ethernet}
    subscribe: [{filter: "t/#", qos: 1}]
faults:
  - {at: 20s, client_crash: "reader-*", for: 5s}
  - {at: 60s, client_crash: "reader-*", for: 5s}
)";
  LoadResult loaded = parse_scenario(yaml, "crash-resubscribe.yaml");
  INFO((loaded.errors.empty() ? std::string() : loaded.errors.front()));
  REQUIRE(loaded.spec);
  World world(*loaded.spec, std::nullopt, nullptr);
  world.run([](const Progress&) {});
  const auto& subscribes = world.ledger().subscribes();
  CHECK(subscribes.size() == 3);  // the first connection and one per restart
  for (const nodes::SubscribeRecord& s : subscribes) CHECK(s.granted_ns != nodes::kNeverNs);
}
