// The topology: Dijkstra picks the lowest-latency path rather than the fewest hops, ties go to
// fewer hops and then lower node indices, unreachable nodes have no route, and random graphs
// route identically across builds and agree with a brute-force shortest-path computation.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sim/net/profiles.hpp"
#include "sim/net/topology.hpp"

using namespace mqttsim::sim;
using namespace mqttsim::sim::net;

namespace {

LinkConfig with_latency(TimeNs latency_ns, const std::string& name) {
  LinkConfig c;
  c.name = name;
  c.latency_ns = latency_ns;
  return c;
}

std::pair<LinkId, LinkId> wire(Topology& t, NodeId a, NodeId b, TimeNs latency_ns) {
  const std::string name = t.name(a) + "-" + t.name(b);
  return t.connect(a, b, with_latency(latency_ns, name + ">"),
                   with_latency(latency_ns, name + "<"));
}

}  // namespace

TEST_CASE("routes follow the lowest latency, not the fewest hops") {
  Topology t(Rng(1));
  const NodeId client = t.add_node(NodeKind::client, "client");
  const NodeId gateway = t.add_node(NodeKind::gateway, "gateway");
  const NodeId r1 = t.add_node(NodeKind::router, "r1");
  const NodeId r2 = t.add_node(NodeKind::router, "r2");
  const NodeId broker = t.add_node(NodeKind::broker, "broker");
  wire(t, client, broker, 50 * kNsPerMs);
  const auto g1 = wire(t, client, gateway, 5 * kNsPerMs);
  const auto g2 = wire(t, gateway, r1, 5 * kNsPerMs);
  const auto g3 = wire(t, r1, broker, 5 * kNsPerMs);
  wire(t, gateway, r2, 1 * kNsPerMs);
  wire(t, r2, broker, 30 * kNsPerMs);

  CHECK(t.route(client, broker) == std::vector<LinkId>{g1.first, g2.first, g3.first});
  CHECK(t.route_latency_ns(client, broker) == 15 * kNsPerMs);
  CHECK(t.route(broker, client) == std::vector<LinkId>{g3.second, g2.second, g1.second});
  CHECK(t.route(client, client) == std::vector<LinkId>{});
  CHECK(t.kind(broker) == NodeKind::broker);
  CHECK(t.find_node("r2") == r2);
  CHECK_FALSE(t.find_node("r3"));

  // A node without links has no route; a faster direct link added later wins, so the route
  // cache must have been dropped.
  const NodeId lonely = t.add_node(NodeKind::client, "lonely");
  CHECK_FALSE(t.route(client, lonely));
  const auto fast = wire(t, client, broker, 10 * kNsPerMs);
  CHECK(t.route(client, broker) == std::vector<LinkId>{fast.first});
}

TEST_CASE("equal-latency routes prefer fewer hops, then lower node indices") {
  Topology t(Rng(1));
  const NodeId s = t.add_node(NodeKind::client, "s");
  const NodeId b = t.add_node(NodeKind::router, "b");
  const NodeId a = t.add_node(NodeKind::router, "a");
  const NodeId c = t.add_node(NodeKind::router, "c");
  const NodeId d = t.add_node(NodeKind::broker, "d");
  // s-a-d and s-b-d both take 20 ms; b has the lower index. s-c-?-d: 3 hops of equal total.
  const auto via_a1 = wire(t, s, a, 10 * kNsPerMs);
  const auto via_a2 = wire(t, a, d, 10 * kNsPerMs);
  const auto via_b1 = wire(t, s, b, 10 * kNsPerMs);
  const auto via_b2 = wire(t, b, d, 10 * kNsPerMs);
  wire(t, s, c, 5 * kNsPerMs);
  wire(t, c, a, 5 * kNsPerMs);
  CHECK(t.route(s, d) == std::vector<LinkId>{via_b1.first, via_b2.first});
  CHECK(t.route(s, a) == std::vector<LinkId>{via_a1.first});  // 1 hop beats s-c-a at 10 ms
  (void)via_a2;
}

namespace {

struct Edge {
  int from, to, latency_ms;
};

Topology build(const std::vector<Edge>& edges, int nodes) {
  Topology t(Rng(7));
  for (int i = 0; i < nodes; ++i) t.add_node(NodeKind::router, "n" + std::to_string(i));
  int k = 0;
  for (const Edge& e : edges) {
    t.add_link(static_cast<NodeId>(e.from), static_cast<NodeId>(e.to),
               with_latency(e.latency_ms * kNsPerMs, "e" + std::to_string(k++)));
  }
  return t;
}

}  // namespace

TEST_CASE("random graphs: routes are shortest and the same on every build") {
  rc::prop("Dijkstra's latency equals Floyd-Warshall's, routes equal across builds", [] {
    const int n = *rc::gen::inRange(1, 9);
    const auto edges = *rc::gen::container<std::vector<Edge>>(
        rc::gen::build<Edge>(rc::gen::set(&Edge::from, rc::gen::inRange(0, n)),
                             rc::gen::set(&Edge::to, rc::gen::inRange(0, n)),
                             rc::gen::set(&Edge::latency_ms, rc::gen::inRange(0, 4))));
    constexpr TimeNs kInf = std::numeric_limits<TimeNs>::max() / 4;
    const auto size = static_cast<std::size_t>(n);
    std::vector<TimeNs> dist(size * size, kInf);  // dist[i * size + j]
    const auto cell = [&dist, size](auto i, auto j) -> TimeNs& {
      return dist[static_cast<std::size_t>(i) * size + static_cast<std::size_t>(j)];
    };
    for (std::size_t i = 0; i < size; ++i) cell(i, i) = 0;
    for (const Edge& e : edges)
      cell(e.from, e.to) = std::min(cell(e.from, e.to), e.latency_ms * kNsPerMs);
    for (std::size_t k = 0; k < size; ++k)
      for (std::size_t i = 0; i < size; ++i)
        for (std::size_t j = 0; j < size; ++j)
          cell(i, j) = std::min(cell(i, j), cell(i, k) + cell(k, j));
    Topology first = build(edges, n);
    Topology second = build(edges, n);
    // Sources asked often get a full cached tree, the others a search that stops at the target:
    // a fresh topology (first request, early stop) must agree with a warmed one (full tree).
    Topology warmed = build(edges, n);
    for (NodeId from = 0; from < static_cast<NodeId>(n); ++from) {
      for (int k = 0; k < 8; ++k) warmed.route(from, from);
    }
    for (NodeId from = 0; from < static_cast<NodeId>(n); ++from) {
      for (NodeId to = 0; to < static_cast<NodeId>(n); ++to) {
        const auto route = first.route(from, to);
        RC_ASSERT(route == second.route(from, to));
        RC_ASSERT(route == warmed.route(from, to));
        RC_ASSERT(route == build(edges, n).route(from, to));
        RC_ASSERT(route.has_value() == (cell(from, to) < kInf));
        if (!route) continue;
        TimeNs total = 0;
        NodeId at = from;
        for (const LinkId id : *route) {
          RC_ASSERT(first.link_source(id) == at);
          at = first.link_target(id);
          total += first.link(id).config().latency_ns;
        }
        RC_ASSERT(at == to);
        RC_ASSERT(total == cell(from, to));
        RC_ASSERT(first.route_latency_ns(from, to) == total);
      }
    }
  });
}

TEST_CASE("random graphs: every hop of a route follows the documented tie-break") {
  // Checked against exact weighted distances (latency · 2^16 + 1 per link, as Topology weighs
  // links), so nodes with a single out-link, which route through their neighbour's tree, must
  // pick the same predecessors as a search from them would.
  rc::prop("each predecessor is the lowest-indexed node at the right distance, then first link",
           [] {
             const int n = *rc::gen::inRange(1, 9);
             const auto edges = *rc::gen::container<std::vector<Edge>>(
                 rc::gen::build<Edge>(rc::gen::set(&Edge::from, rc::gen::inRange(0, n)),
                                      rc::gen::set(&Edge::to, rc::gen::inRange(0, n)),
                                      rc::gen::set(&Edge::latency_ms, rc::gen::inRange(0, 4))));
             constexpr TimeNs kInf = std::numeric_limits<TimeNs>::max() / 4;
             const auto size = static_cast<std::size_t>(n);
             const auto weight = [](const Edge& e) { return e.latency_ms * kNsPerMs * 65536 + 1; };
             std::vector<TimeNs> dist(size * size, kInf);
             const auto cell = [&dist, size](auto i, auto j) -> TimeNs& {
               return dist[static_cast<std::size_t>(i) * size + static_cast<std::size_t>(j)];
             };
             for (std::size_t i = 0; i < size; ++i) cell(i, i) = 0;
             for (const Edge& e : edges)
               cell(e.from, e.to) = std::min(cell(e.from, e.to), weight(e));
             for (std::size_t k = 0; k < size; ++k)
               for (std::size_t i = 0; i < size; ++i)
                 for (std::size_t j = 0; j < size; ++j)
                   cell(i, j) = std::min(cell(i, j), cell(i, k) + cell(k, j));
             Topology t = build(edges, n);
             for (int from = 0; from < n; ++from) {
               for (int to = 0; to < n; ++to) {
                 const auto route = t.route(static_cast<NodeId>(from), static_cast<NodeId>(to));
                 RC_ASSERT(route.has_value() == (cell(from, to) < kInf));
                 if (!route) continue;
                 for (const LinkId id : *route) {
                   const int v = static_cast<int>(t.link_target(id));
                   // The expected predecessor link of v: lowest u achieving dist, then lowest id.
                   std::size_t best = edges.size();
                   for (std::size_t k = 0; k < edges.size(); ++k) {
                     const Edge& e = edges[k];
                     if (e.to != v || e.to == from || cell(from, e.from) >= kInf) continue;
                     if (cell(from, e.from) + weight(e) != cell(from, v)) continue;
                     if (best == edges.size() || e.from < edges[best].from) best = k;
                   }
                   RC_ASSERT(static_cast<std::size_t>(id) == best);
                 }
               }
             }
           });
}

namespace {

LinkConfig lora_link(const std::string& name, const std::string& sub_band, double duty_cycle) {
  LinkConfig c = make_link_config(find_profile("lora-sf7"), name);
  c.loss = {};
  c.latency_ns = 0;
  c.duty_cycle.sub_band = sub_band;
  c.duty_cycle.duty_cycle = duty_cycle;
  return c;
}

}  // namespace

TEST_CASE("a node's LoRa links on one sub-band share its airtime and duty-cycle silence") {
  Topology t(Rng(1));
  const NodeId gw = t.add_node(NodeKind::gateway, "gw");
  const NodeId a = t.add_node(NodeKind::client, "a");
  const NodeId b = t.add_node(NodeKind::client, "b");
  const NodeId c = t.add_node(NodeKind::client, "c");
  const LinkId to_a = t.add_link(gw, a, lora_link("gw>a", "g1", 0.01));
  const LinkId to_b = t.add_link(gw, b, lora_link("gw>b", "g1", 0.01));
  const LinkId to_c = t.add_link(gw, c, lora_link("gw>c", "g3", 0.1));
  const LinkId a_up = t.add_link(a, gw, lora_link("a>gw", "g1", 0.01));
  const TimeNs airtime = lora_airtime_ns(LoraConfig{}, 20);  // SF7, 20 bytes: 56.576 ms
  const TimeNs silence_1pc = duty_cycle_silence_ns(airtime, 0.01);

  CHECK(t.link(to_a).transmit(0, 20).delivered_at_ns == airtime);
  // The same radio and sub-band: b's packet waits for a's airtime and the silence after it.
  CHECK(t.link(to_b).transmit(0, 20).delivered_at_ns == 2 * airtime + silence_1pc);
  // Another sub-band of the same radio, and another node's radio on g1, are free at once.
  CHECK(t.link(to_c).transmit(0, 20).delivered_at_ns == airtime);
  CHECK(t.link(a_up).transmit(0, 20).delivered_at_ns == airtime);
  // One queue: both of g1's packets wait in it until they have been on air.
  CHECK(t.link(to_a).queued_packets() == 2);
  CHECK(t.link(to_b).queued_packets() == 2);
  CHECK(t.link(to_c).queued_packets() == 1);
}

TEST_CASE("a shared radio's queue limit counts the packets of all its links") {
  Topology t(Rng(1));
  const NodeId gw = t.add_node(NodeKind::gateway, "gw");
  const NodeId a = t.add_node(NodeKind::client, "a");
  const NodeId b = t.add_node(NodeKind::client, "b");
  LinkConfig one_packet = lora_link("gw>a", "g1", 0.01);
  one_packet.queue_limit_packets = 1;
  const LinkId to_a = t.add_link(gw, a, one_packet);
  one_packet.name = "gw>b";
  const LinkId to_b = t.add_link(gw, b, one_packet);
  CHECK(t.link(to_a).transmit(0, 20).delivered());
  CHECK(t.link(to_b).transmit(0, 20).drop == DropReason::queue_full);
  const TimeNs airtime = lora_airtime_ns(LoraConfig{}, 20);
  CHECK(t.link(to_b).transmit(airtime, 20).delivered());  // a's packet has left the queue
}

TEST_CASE("links of one node that disagree on a sub-band's duty cycle are refused") {
  Topology t(Rng(1));
  const NodeId gw = t.add_node(NodeKind::gateway, "gw");
  const NodeId a = t.add_node(NodeKind::client, "a");
  const NodeId b = t.add_node(NodeKind::client, "b");
  t.add_link(gw, a, lora_link("gw>a", "g1", 0.01));
  CHECK_THROWS_WITH(t.add_link(gw, b, lora_link("gw>b", "g1", 0.1)),
                    Catch::Contains("sub-band 'g1' disagree on its duty cycle"));
  CHECK(t.link_count() == 1);
  // Without a sub-band name a link keeps a radio of its own.
  const LinkId own = t.add_link(gw, b, lora_link("gw>b", "", 0.1));
  CHECK(t.link(own).transmit(0, 20).delivered_at_ns == lora_airtime_ns(LoraConfig{}, 20));
}
