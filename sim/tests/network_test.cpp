// The network layer: multi-hop forwarding latency is the sum of the links' latencies and
// serialization delays, unreachable destinations drop as no_route, link-down, partition and
// node-down faults drop what they should (also packets already in flight), and a seed fixes
// the trace digest.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/kernel.hpp"
#include "sim/net/network.hpp"
#include "sim/trace.hpp"

using namespace mqttsim::sim;
using namespace mqttsim::sim::net;

namespace {

LinkConfig link_config(const std::string& name, TimeNs latency_ns, std::int64_t rate_bps = 0) {
  LinkConfig c;
  c.name = name;
  c.latency_ns = latency_ns;
  c.rate_bps = rate_bps;
  return c;
}

struct Recorder final : PacketHandler {
  explicit Recorder(Kernel& k) : kernel(k) {}
  void on_packet(const Packet& p) override { arrived.emplace_back(kernel.now_ns(), p); }
  void on_packet_dropped(const Packet& p) override { dropped.push_back(p); }
  std::uint64_t duplicate_payload(const Packet& p) override { return p.payload + 1'000'000; }
  Kernel& kernel;
  std::vector<std::pair<TimeNs, Packet>> arrived;
  std::vector<Packet> dropped;
};

// a — r — b, 5 ms at 8 Mbit/s then 7 ms at 16 Mbit/s, plus an isolated node.
struct Line {
  Kernel kernel;
  MemoryTraceSink sink;
  Trace trace{&sink};
  Topology topology{Rng(7)};
  NodeId a = topology.add_node(NodeKind::client, "a");
  NodeId r = topology.add_node(NodeKind::router, "r");
  NodeId b = topology.add_node(NodeKind::broker, "b");
  NodeId lonely = topology.add_node(NodeKind::client, "lonely");
  std::pair<LinkId, LinkId> ar = topology.connect(a, r, link_config("a>r", 5 * kNsPerMs, 8'000'000),
                                                  link_config("r>a", 5 * kNsPerMs, 8'000'000));
  std::pair<LinkId, LinkId> rb =
      topology.connect(r, b, link_config("r>b", 7 * kNsPerMs, 16'000'000),
                       link_config("b>r", 7 * kNsPerMs, 16'000'000));
  Network network{kernel, topology, trace};
  Recorder recorder{kernel};
  Line() { network.set_handler(TraceLayer::udp, &recorder); }

  void send(NodeId from, NodeId to, std::uint32_t size, std::uint64_t payload = 1) {
    network.send(Packet{from, to, size, TraceLayer::udp, 0, payload});
  }
  std::vector<TraceRecord> records(TraceKind kind) const {
    std::vector<TraceRecord> out;
    for (const TraceRecord& r : sink.records) {
      if (r.kind == kind) out.push_back(r);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("a packet crosses two hops in the sum of latencies and per-hop serialization") {
  Line net;
  net.send(net.a, net.b, 1000, 42);
  net.kernel.run();
  REQUIRE(net.recorder.arrived.size() == 1);
  // Store and forward: 1000 B take 1 ms at 8 Mbit/s and 0.5 ms at 16 Mbit/s.
  CHECK(net.recorder.arrived[0].first == 5 * kNsPerMs + 1 * kNsPerMs + 7 * kNsPerMs + kNsPerMs / 2);
  CHECK(net.recorder.arrived[0].second.payload == 42);
  CHECK(net.network.in_flight() == 0);
  const auto sent = net.records(TraceKind::packet_sent);
  const auto delivered = net.records(TraceKind::packet_delivered);
  REQUIRE(sent.size() == 1);
  REQUIRE(delivered.size() == 1);
  CHECK(sent[0].node == net.a);
  CHECK(sent[0].peer == net.b);
  CHECK(sent[0].layer == TraceLayer::udp);
  CHECK(delivered[0].node == net.b);
  CHECK(delivered[0].peer == net.a);
  CHECK(delivered[0].link == net.rb.first);
  CHECK(delivered[0].size_bytes == 1000);
  CHECK(net.network.stats().hops == 2);
}

TEST_CASE("a packet to an unreachable node is dropped as no_route at once") {
  Line net;
  net.send(net.a, net.lonely, 100, 5);
  REQUIRE(net.recorder.dropped.size() == 1);  // synchronously, before any event
  CHECK(net.recorder.dropped[0].payload == 5);
  const auto dropped = net.records(TraceKind::packet_dropped);
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].reason == static_cast<std::uint8_t>(TraceDrop::no_route));
  CHECK(dropped[0].node == net.a);
  CHECK_FALSE(net.network.path_mtu(net.a, net.lonely));
  net.kernel.run();
  CHECK(net.recorder.arrived.empty());
}

TEST_CASE("a packet to its own node arrives at once") {
  Line net;
  net.send(net.a, net.a, 100);
  net.kernel.run();
  REQUIRE(net.recorder.arrived.size() == 1);
  CHECK(net.recorder.arrived[0].first == 0);
}

TEST_CASE("a down link drops packets offered and in flight, and carries them again once up") {
  Line net;
  net.send(net.a, net.b, 1000, 1);  // on a>r until 6 ms
  net.kernel.run_until(3 * kNsPerMs);
  net.network.set_link_down(net.ar.first, true);
  CHECK(net.network.link_down(net.ar.first));
  net.send(net.a, net.b, 1000, 2);  // offered while down
  net.kernel.run_until(20 * kNsPerMs);
  CHECK(net.recorder.arrived.empty());
  REQUIRE(net.recorder.dropped.size() == 2);
  const auto dropped = net.records(TraceKind::packet_dropped);
  REQUIRE(dropped.size() == 2);
  for (const TraceRecord& r : dropped) {
    CHECK(r.reason == static_cast<std::uint8_t>(TraceDrop::link_down));
    CHECK(r.link == net.ar.first);
  }
  CHECK(dropped[0].time_ns == 3 * kNsPerMs);  // offered while down: at once
  CHECK(dropped[1].time_ns == 6 * kNsPerMs);  // in flight: when it would have arrived

  net.network.set_link_down(net.ar.first, false);
  net.send(net.a, net.b, 1000, 3);
  net.kernel.run();
  REQUIRE(net.recorder.arrived.size() == 1);
  CHECK(net.recorder.arrived[0].second.payload == 3);
  const auto faults = net.records(TraceKind::fault);
  REQUIRE(faults.size() == 2);
  CHECK(faults[0].label == "link_down");
  CHECK(faults[1].label == "link_up");
  CHECK(faults[1].link == net.ar.first);
}

TEST_CASE("a partition cuts the links between its sides both ways until heal") {
  Line net;
  net.network.partition({net.a}, {net.r, net.b});
  CHECK(net.network.link_down(net.ar.first));
  CHECK(net.network.link_down(net.ar.second));
  CHECK_FALSE(net.network.link_down(net.rb.first));
  net.send(net.a, net.b, 100, 1);
  net.send(net.b, net.a, 100, 2);
  net.send(net.r, net.b, 100, 3);  // within one side: unaffected
  net.kernel.run();
  REQUIRE(net.recorder.arrived.size() == 1);
  CHECK(net.recorder.arrived[0].second.payload == 3);
  CHECK(net.recorder.dropped.size() == 2);

  // A link that is also down by its own fault stays down after heal.
  net.network.set_link_down(net.ar.second, true);
  net.network.heal();
  CHECK_FALSE(net.network.link_down(net.ar.first));
  CHECK(net.network.link_down(net.ar.second));
  net.send(net.a, net.b, 100, 4);
  net.kernel.run();
  REQUIRE(net.recorder.arrived.size() == 2);
  CHECK(net.recorder.arrived[1].second.payload == 4);
  const auto faults = net.records(TraceKind::fault);
  REQUIRE(faults.size() == 3);
  CHECK(faults[0].label == "partition");
  CHECK(faults[0].size_bytes == 2);  // two links cut
  CHECK(faults[2].label == "heal");
}

TEST_CASE("of two overlapping partitions cutting one link, the first heal leaves it cut") {
  Line net;
  const PartitionId first = net.network.partition({net.a}, {net.r, net.b});
  const PartitionId second = net.network.partition({net.a, net.r}, {net.b});  // r<->b
  const PartitionId third = net.network.partition({net.r}, {net.a});          // a<->r again
  CHECK(net.network.link_down(net.ar.first));
  CHECK(net.network.link_down(net.rb.first));
  net.network.heal(first);
  CHECK(net.network.link_down(net.ar.first));  // still cut by `third`
  CHECK(net.network.link_down(net.ar.second));
  CHECK(net.network.link_down(net.rb.first));  // `second` is untouched
  net.send(net.a, net.r, 100, 1);
  net.kernel.run();
  CHECK(net.recorder.arrived.empty());
  net.network.heal(third);
  CHECK_FALSE(net.network.link_down(net.ar.first));
  CHECK(net.network.link_down(net.rb.first));
  net.send(net.a, net.r, 100, 2);
  net.kernel.run();
  REQUIRE(net.recorder.arrived.size() == 1);
  CHECK(net.recorder.arrived[0].second.payload == 2);
  net.network.heal(second);
  CHECK_FALSE(net.network.link_down(net.rb.first));
  net.network.heal(second);  // healing twice changes nothing
  CHECK_FALSE(net.network.link_down(net.rb.first));
  CHECK_THROWS_AS(net.network.heal(PartitionId{99}), std::invalid_argument);
}

TEST_CASE("overlapping loss overrides: the latest active one is in force, then the link's own") {
  Line net;
  const LinkId link = net.rb.first;
  const auto p_now = [&] { return net.topology.link(link).config().loss.p; };
  LossConfig own;
  own.kind = LossKind::bernoulli;
  own.p = 0.01;
  net.network.set_link_loss(link, own);
  LossConfig low = own, high = own, mid = own;
  low.p = 0.2;
  high.p = 0.3;
  mid.p = 0.25;
  const LossOverrideId a = net.network.push_link_loss(link, low);
  CHECK(p_now() == 0.2);
  const LossOverrideId b = net.network.push_link_loss(link, high);
  CHECK(p_now() == 0.3);
  net.network.pop_link_loss(link, a);  // the older one ends first: the newer stays in force
  CHECK(p_now() == 0.3);
  const LossOverrideId c = net.network.push_link_loss(link, mid);
  CHECK(p_now() == 0.25);
  net.network.pop_link_loss(link, c);  // the newest ends: back to the one below it
  CHECK(p_now() == 0.3);
  net.network.pop_link_loss(link, b);
  CHECK(p_now() == 0.01);
  CHECK_THROWS_AS(net.network.pop_link_loss(link, b), std::invalid_argument);
  // Each change of the effective loss is one fault record; the pop of `a` changed nothing.
  CHECK(net.records(TraceKind::fault).size() == 6);
}

TEST_CASE("a down node neither sends, forwards nor receives") {
  Line net;
  net.network.set_node_down(net.r, true);
  net.send(net.a, net.b, 100, 1);  // forwarded by r
  net.send(net.r, net.b, 100, 2);  // sent by r
  net.send(net.b, net.r, 100, 3);  // to r
  net.kernel.run();
  CHECK(net.recorder.arrived.empty());
  const auto dropped = net.records(TraceKind::packet_dropped);
  REQUIRE(dropped.size() == 3);
  for (const TraceRecord& r : dropped) {
    CHECK(r.reason == static_cast<std::uint8_t>(TraceDrop::node_down));
    CHECK(r.node == net.r);
  }
  net.network.set_node_down(net.r, false);
  net.send(net.a, net.b, 100, 4);
  net.kernel.run();
  CHECK(net.recorder.arrived.size() == 1);
}

TEST_CASE("a loss change takes effect for the next packet and maps to the trace's reasons") {
  Line net;
  LossConfig all;
  all.kind = LossKind::bernoulli;
  all.p = 1;
  net.network.set_link_loss(net.rb.first, all);
  net.send(net.a, net.b, 100);
  net.kernel.run();
  LossConfig burst;
  burst.kind = LossKind::gilbert_elliott;
  burst.p_good_to_bad = 1;
  burst.loss_bad = 1;
  net.network.set_link_loss(net.rb.first, burst);
  net.send(net.a, net.b, 100);
  net.kernel.run();
  const auto dropped = net.records(TraceKind::packet_dropped);
  REQUIRE(dropped.size() == 2);
  CHECK(dropped[0].reason == static_cast<std::uint8_t>(TraceDrop::random_loss));
  CHECK(dropped[1].reason == static_cast<std::uint8_t>(TraceDrop::burst_loss));
  CHECK(dropped[0].node == net.r);
  CHECK(dropped[0].link == net.rb.first);
}

TEST_CASE("a duplicating link delivers each packet twice, each copy with its own payload") {
  Kernel kernel;
  Trace trace;
  Topology topology{Rng(3)};
  const NodeId a = topology.add_node(NodeKind::client, "a");
  const NodeId b = topology.add_node(NodeKind::broker, "b");
  LinkConfig dup = link_config("dup", kNsPerMs);
  dup.duplicate_p = 1;
  topology.add_link(a, b, dup);
  Network network(kernel, topology, trace);
  Recorder recorder(kernel);
  network.set_handler(TraceLayer::udp, &recorder);
  network.send(Packet{a, b, 50, TraceLayer::udp, 0, 7});
  kernel.run();
  REQUIRE(recorder.arrived.size() == 2);
  CHECK(recorder.arrived[0].second.payload + recorder.arrived[1].second.payload == 1'000'014);
  CHECK(topology.link(0).stats().duplicated == 1);
}

TEST_CASE("the same seed gives the same trace digest, another seed another digest") {
  const auto run = [](std::uint64_t seed) {
    Kernel kernel;
    Trace trace;
    Topology topology{Rng(seed)};
    const NodeId a = topology.add_node(NodeKind::client, "a");
    const NodeId r = topology.add_node(NodeKind::router, "r");
    const NodeId b = topology.add_node(NodeKind::broker, "b");
    LinkConfig lossy = link_config("lossy", 10 * kNsPerMs, 1'000'000);
    lossy.loss.kind = LossKind::bernoulli;
    lossy.loss.p = 0.2;
    lossy.jitter = JitterKind::uniform;
    lossy.jitter_ns = 5 * kNsPerMs;
    lossy.in_order = false;
    topology.connect(a, r, lossy, link_config("r>a", kNsPerMs));
    topology.connect(r, b, link_config("r>b", kNsPerMs), link_config("b>r", kNsPerMs));
    Network network(kernel, topology, trace);
    Recorder recorder(kernel);
    network.set_handler(TraceLayer::udp, &recorder);
    for (int i = 0; i < 500; ++i) {
      kernel.schedule_at(TimeNs{i} * kNsPerMs, [&network, a, b, i] {
        network.send(Packet{a, b, static_cast<std::uint32_t>(40 + i % 100), TraceLayer::udp, 0,
                            static_cast<std::uint64_t>(i)});
      });
    }
    kernel.run();
    CHECK(recorder.arrived.size() + recorder.dropped.size() == 500);
    return trace.digest();
  };
  CHECK(run(11) == run(11));
  CHECK(run(11) != run(12));
}

TEST_CASE("a star of 600 clients routes every packet both ways through its hub") {
  Kernel kernel;
  Trace trace;
  Topology topology{Rng(4)};
  const NodeId hub = topology.add_node(NodeKind::broker, "hub");
  std::vector<NodeId> clients;
  for (int i = 0; i < 600; ++i) {
    const std::string name = "c" + std::to_string(i);
    clients.push_back(topology.add_node(NodeKind::client, name));
    const TimeNs latency_ns = (1 + i % 7) * kNsPerMs;
    topology.connect(clients.back(), hub, link_config(name + ">", latency_ns),
                     link_config(name + "<", latency_ns));
  }
  Network network(kernel, topology, trace);
  Recorder recorder(kernel);
  network.set_handler(TraceLayer::udp, &recorder);
  for (std::size_t i = 0; i < clients.size(); ++i) {
    network.send(Packet{clients[i], hub, 50, TraceLayer::udp, 0, i});
    network.send(Packet{hub, clients[i], 50, TraceLayer::udp, 0, 1000 + i});
  }
  // Client to client: two hops through the hub.
  network.send(Packet{clients[3], clients[5], 50, TraceLayer::udp, 0, 9999});
  kernel.run();
  REQUIRE(recorder.arrived.size() == 2 * clients.size() + 1);
  for (const auto& [time_ns, packet] : recorder.arrived) {
    if (packet.payload == 9999) {
      CHECK(time_ns == (4 + 6) * kNsPerMs);
      continue;
    }
    const std::uint64_t i = packet.payload % 1000;
    CHECK(time_ns == static_cast<TimeNs>(1 + i % 7) * kNsPerMs);
    CHECK(packet.to == (packet.payload < 1000 ? hub : clients[i]));
  }
}
