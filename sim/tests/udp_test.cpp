// The UDP model: the configured loss rate shows within a stated tolerance, duplicates and
// reordering reach the application when links make them, in-order links without jitter keep
// order, datagrams over the path MTU are dropped, and an unbound port drops as node_down.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/kernel.hpp"
#include "sim/net/network.hpp"
#include "sim/net/udp.hpp"

using namespace mqttsim::sim;
using namespace mqttsim::sim::net;

namespace {

struct Got {
  NodeId from;
  std::uint32_t seq;
  std::size_t size;
};

struct Sink final : DatagramReceiver {
  void on_datagram(NodeId from, std::span<const std::uint8_t> bytes) override {
    std::uint32_t seq = 0;
    for (int i = 0; i < 4; ++i) seq |= std::uint32_t{bytes[static_cast<std::size_t>(i)]} << (8 * i);
    got.push_back(Got{from, seq, bytes.size()});
  }
  std::vector<Got> got;
};

std::vector<std::uint8_t> datagram(std::uint32_t seq, std::size_t size = 32) {
  std::vector<std::uint8_t> out(size, 0xab);
  for (int i = 0; i < 4; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(seq >> (8 * i));
  return out;
}

struct World {
  explicit World(LinkConfig up, std::uint64_t seed = 1) : topology(Rng(seed)) {
    sensor = topology.add_node(NodeKind::client, "sensor");
    gateway = topology.add_node(NodeKind::gateway, "gateway");
    LinkConfig down;
    down.name = "down";
    topology.connect(sensor, gateway, std::move(up), down);
    network.emplace(kernel, topology, trace);
    udp.emplace(*network);
    udp->bind(gateway, &sink);
  }
  // Sends n datagrams, one every gap_ns, and runs to the end.
  void send_many(int n, TimeNs gap_ns, std::size_t size = 32) {
    for (int i = 0; i < n; ++i) {
      kernel.schedule_at(TimeNs{i} * gap_ns, [this, i, size] {
        udp->send(sensor, gateway, datagram(static_cast<std::uint32_t>(i), size));
      });
    }
    kernel.run();
  }
  std::size_t inversions() const {
    std::size_t count = 0;
    for (std::size_t i = 1; i < sink.got.size(); ++i)
      count += sink.got[i].seq < sink.got[i - 1].seq;
    return count;
  }
  Kernel kernel;
  MemoryTraceSink records;
  Trace trace{&records};
  Topology topology;
  NodeId sensor = 0, gateway = 0;
  std::optional<Network> network;
  std::optional<UdpTransport> udp;
  Sink sink;
};

LinkConfig radio(TimeNs latency_ns = 30 * kNsPerMs) {
  LinkConfig c;
  c.name = "radio";
  c.latency_ns = latency_ns;
  return c;
}

}  // namespace

TEST_CASE("UDP loss matches the configured rate within 5 standard errors") {
  for (const double p : {0.01, 0.1, 0.3}) {
    LinkConfig up = radio();
    up.loss = LossConfig{LossKind::bernoulli, p};
    World w(up, 17);
    const int n = 20'000;
    w.send_many(n, kNsPerMs);
    const double lost = 1.0 - static_cast<double>(w.sink.got.size()) / n;
    const double tolerance = 5 * std::sqrt(p * (1 - p) / n);
    CHECK(std::abs(lost - p) < tolerance);
    CHECK(w.udp->buffers_in_use() == 0);
  }
}

TEST_CASE("UDP datagrams arrive intact, in order, with header bytes counted on the wire") {
  World w(radio());
  w.send_many(200, kNsPerMs, 100);
  REQUIRE(w.sink.got.size() == 200);
  CHECK(w.inversions() == 0);
  CHECK(w.sink.got[0].from == w.sensor);
  CHECK(w.sink.got[0].size == 100);
  bool sized = false;
  for (const TraceRecord& r : w.records.records) {
    if (r.kind == TraceKind::packet_sent) {
      CHECK(r.layer == TraceLayer::udp);
      sized = r.size_bytes == 128;  // 100 + 8 UDP + 20 IPv4
    }
  }
  CHECK(sized);
}

TEST_CASE("UDP duplicates appear at about the configured rate") {
  LinkConfig up = radio();
  up.duplicate_p = 0.05;
  World w(up, 3);
  const int n = 20'000;
  w.send_many(n, kNsPerMs);
  std::map<std::uint32_t, int> copies;
  for (const Got& g : w.sink.got) ++copies[g.seq];
  CHECK(copies.size() == static_cast<std::size_t>(n));  // nothing lost
  const double dup_rate = static_cast<double>(w.sink.got.size() - copies.size()) / n;
  CHECK(std::abs(dup_rate - 0.05) < 5 * std::sqrt(0.05 * 0.95 / n));
  CHECK(w.udp->buffers_in_use() == 0);
}

TEST_CASE("UDP reorders under jitter on a link that does not keep order, and only then") {
  LinkConfig jittery = radio();
  jittery.jitter = JitterKind::uniform;
  jittery.jitter_ns = 20 * kNsPerMs;
  SECTION("in_order = false: reordered") {
    jittery.in_order = false;
    World w(jittery);
    w.send_many(1000, kNsPerMs);
    CHECK(w.sink.got.size() == 1000);
    CHECK(w.inversions() > 100);
  }
  SECTION("in_order = true: jitter only delays") {
    World w(jittery);
    w.send_many(1000, kNsPerMs);
    CHECK(w.sink.got.size() == 1000);
    CHECK(w.inversions() == 0);
  }
}

TEST_CASE("a UDP datagram over the path MTU is dropped, not fragmented") {
  LinkConfig up = radio();
  up.mtu_bytes = 1280;
  World w(up);
  CHECK(w.network->path_mtu(w.sensor, w.gateway) == 1280);
  w.udp->send(w.sensor, w.gateway, datagram(1, 1252));  // exactly 1280 on the wire
  w.udp->send(w.sensor, w.gateway, datagram(2, 1253));
  w.kernel.run();
  REQUIRE(w.sink.got.size() == 1);
  CHECK(w.sink.got[0].seq == 1);
  bool over_mtu = false;
  for (const TraceRecord& r : w.records.records) {
    over_mtu |= r.kind == TraceKind::packet_dropped &&
                r.reason == static_cast<std::uint8_t>(mqttsim::sim::DropReason::over_mtu);
  }
  CHECK(over_mtu);
  CHECK_THROWS_AS(w.udp->send(w.sensor, w.gateway, std::vector<std::uint8_t>(65'508)),
                  std::invalid_argument);
}

TEST_CASE("a datagram to an unbound port is dropped as node_down") {
  World w(radio());
  w.udp->bind(w.gateway, nullptr);
  w.udp->send(w.sensor, w.gateway, datagram(1));
  w.kernel.run();
  CHECK(w.sink.got.empty());
  REQUIRE_FALSE(w.records.records.empty());
  const TraceRecord& last = w.records.records.back();
  CHECK(last.kind == TraceKind::packet_dropped);
  CHECK(last.reason == static_cast<std::uint8_t>(mqttsim::sim::DropReason::node_down));
  CHECK(w.udp->buffers_in_use() == 0);
}
