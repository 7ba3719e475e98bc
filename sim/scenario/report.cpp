// Run report figures (see report.hpp). Delivery counts follow the ledger's definitions
// (sim/nodes/ledger.hpp): a (message, subscriber) pair is expected when the subscriber held a
// matching subscription when the message was published.
#include "sim/scenario/report.hpp"

#include <algorithm>
#include <cstdio>

#include "protocol/mqttsn.hpp"
#include "protocol/types.hpp"

namespace mqttsim::sim::scenario {
namespace {

constexpr std::size_t kCdfPoints = 2000;

std::string hex16(std::uint64_t v) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

std::optional<std::int64_t> percentile(const std::vector<TimeNs>& sorted, double q) {
  if (sorted.empty()) return std::nullopt;
  // Nearest rank: the smallest sample with at least q of the samples at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

void fill_latency(reports::QosStats& stats, std::vector<TimeNs> samples) {
  std::sort(samples.begin(), samples.end());
  stats.latency_p50_ns = percentile(samples, 0.50);
  stats.latency_p90_ns = percentile(samples, 0.90);
  stats.latency_p99_ns = percentile(samples, 0.99);
  if (!samples.empty()) stats.latency_max_ns = samples.back();
  const std::size_t step = std::max<std::size_t>(1, samples.size() / kCdfPoints);
  for (std::size_t i = step - 1; i < samples.size(); i += step)
    stats.latency_cdf_ns.push_back(samples[i]);
  if (!samples.empty() && stats.latency_cdf_ns.back() != samples.back()) {
    stats.latency_cdf_ns.push_back(samples.back());
  }
}

reports::QosStats qos_stats(int qos, const nodes::QosCounts& c, std::vector<TimeNs> samples) {
  reports::QosStats s;
  s.qos = qos;
  s.sent = c.sent;
  s.expected = c.expected;
  s.lost = c.lost;
  s.delivered = c.expected - c.lost;
  s.duplicated = c.duplicated;
  s.delivery_ratio =
      c.expected == 0 ? 1.0 : static_cast<double>(s.delivered) / static_cast<double>(c.expected);
  fill_latency(s, std::move(samples));
  return s;
}

void add_wire(const World& world, reports::RunReport& report) {
  nodes::WireCounters total = world.broker().sent();
  for (const nodes::VirtualClient& c : world.clients()) total += c.sent();
  for (const nodes::SnGatewayHost& g : world.sn_gateways()) total += g.sent();
  for (std::uint8_t type = 1; type < 16; ++type) {
    if (total.by_type[type].packets == 0) continue;
    report.wire.push_back(
        {std::string(protocol::packet_type_name(static_cast<protocol::PacketType>(type))),
         total.by_type[type].packets, total.by_type[type].bytes});
  }
  // MQTT-SN datagrams (sensors and gateways), named "SN " + MsgType so they sort apart.
  nodes::SnWireCounters sn_total;
  for (const nodes::SnClientNode& c : world.sn_clients()) sn_total += c.sent();
  for (const nodes::SnGatewayHost& g : world.sn_gateways()) sn_total += g.sn_sent();
  for (std::size_t slot = 0; slot < nodes::SnWireCounters::kSlots; ++slot) {
    if (sn_total.packets[slot] == 0) continue;
    const std::string name =
        slot == 30 ? std::string("MALFORMED")
                   : std::string(protocol::sn::message_type_name(
                         static_cast<protocol::sn::MsgType>(slot == 31 ? 0xFE : slot)));
    report.wire.push_back({"SN " + name, sn_total.packets[slot], sn_total.bytes[slot]});
  }
}

void add_links(const World& world, reports::RunReport& report) {
  const net::Topology& topo = world.topology();
  for (net::LinkId id = 0; id < topo.link_count(); ++id) {
    const net::LinkModel& link = topo.link(id);
    reports::LinkReport l;
    l.name = link.config().name;
    l.from = topo.name(topo.link_source(id));
    l.to = topo.name(topo.link_target(id));
    l.offered = link.stats().offered;
    l.delivered = link.stats().delivered;
    for (std::size_t r = 1; r < link.stats().dropped.size(); ++r) {
      if (link.stats().dropped[r] == 0) continue;
      l.dropped[net::to_string(static_cast<net::DropReason>(r))] = link.stats().dropped[r];
    }
    report.links.push_back(std::move(l));
  }
  for (net::NodeId id = 0; id < topo.node_count(); ++id) {
    static constexpr const char* kKinds[] = {"client", "gateway", "router", "broker"};
    report.nodes.push_back({topo.name(id), kKinds[static_cast<int>(topo.kind(id))]});
  }
  // One edge per link pair: links come in pairs (a → b, b → a) from connect().
  for (net::LinkId id = 0; id + 1 < topo.link_count(); id += 2) {
    std::string name = topo.link(id).config().name;
    if (auto slash = name.rfind('/'); slash != std::string::npos) name.resize(slash);
    report.edges.push_back(
        {topo.name(topo.link_source(id)), topo.name(topo.link_target(id)), name});
  }
}

void add_timeline(const World& world, TimeNs cutoff_ns, reports::RunReport& report) {
  const TimeNs bucket_ns = world.spec().measure.bucket_ns;
  const auto buckets =
      static_cast<std::size_t>((world.spec().duration_ns + bucket_ns - 1) / bucket_ns);
  report.bucket_ns = bucket_ns;
  report.timeline.resize(buckets);
  for (std::size_t i = 0; i < buckets; ++i)
    report.timeline[i].start_ns = static_cast<TimeNs>(i) * bucket_ns;
  auto at = [&](TimeNs t) -> reports::TimeBucket& {
    return report.timeline[std::min(buckets - 1, static_cast<std::size_t>(t / bucket_ns))];
  };
  const nodes::DeliveryLedger& ledger = world.ledger();
  const std::vector<nodes::DeliveryRecord>& deliveries = ledger.deliveries();
  for (const nodes::DeliveryRecord& d : deliveries) ++at(d.time_ns).delivered;
  std::vector<nodes::LedgerClient> expected, got;  // reused: a fleet hour has millions
  for (nodes::MessageKey key = 1; key <= ledger.message_count(); ++key) {
    const nodes::MessageRecord& m = ledger.message(key);
    if (m.refused) continue;
    ++at(m.published_ns).published;
    if (m.published_ns >= cutoff_ns) continue;
    ledger.expected_subscribers_into(m, expected);
    if (expected.empty()) continue;
    got.clear();
    for (std::uint32_t i = m.first_delivery; i != nodes::kNoDelivery;
         i = deliveries[i].next_of_message) {
      got.push_back(deliveries[i].subscriber);
    }
    std::sort(got.begin(), got.end());
    for (nodes::LedgerClient s : expected) {
      if (!std::binary_search(got.begin(), got.end(), s)) ++at(m.published_ns).lost;
    }
  }
}

bool compare(double actual, CompareOp op, double value) {
  switch (op) {
    case CompareOp::ge:
      return actual >= value;
    case CompareOp::gt:
      return actual > value;
    case CompareOp::le:
      return actual <= value;
    case CompareOp::lt:
      return actual < value;
    case CompareOp::eq:
      return actual == value;
    case CompareOp::ne:
      return actual != value;
  }
  return false;
}

// The figure an expectation names, over one QoS or over all of them (`all`).
std::optional<double> metric(const reports::RunReport& r, const reports::QosStats& s,
                             const std::string& name) {
  if (name == "delivery_ratio") return s.delivery_ratio;
  if (name == "sent") return static_cast<double>(s.sent);
  if (name == "delivered") return static_cast<double>(s.delivered);
  if (name == "lost") return static_cast<double>(s.lost);
  if (name == "duplicates") return static_cast<double>(s.duplicated);
  auto ns = [](const std::optional<std::int64_t>& v) -> std::optional<double> {
    return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt;
  };
  if (name == "latency_p50") return ns(s.latency_p50_ns);
  if (name == "latency_p90") return ns(s.latency_p90_ns);
  if (name == "latency_p99") return ns(s.latency_p99_ns);
  if (name == "latency_max") return ns(s.latency_max_ns);
  if (name == "connection_breaks") return static_cast<double>(r.connection_breaks);
  if (name == "queue_drops") return static_cast<double>(r.queue_drops);
  if (name == "connections_refused") return static_cast<double>(r.connections_refused);
  return std::nullopt;
}

}  // namespace

reports::RunReport make_run_report(const World& world, double wall_s,
                                   const std::string& program_version) {
  const ScenarioSpec& spec = world.spec();
  reports::RunReport r;
  r.program_version = program_version;
  r.scenario_name = spec.name;
  r.scenario_file = spec.file;
  r.scenario_digest = hex16(spec.digest);
  r.seed = world.seed();
  r.duration_ns = spec.duration_ns;
  r.trace_digest = hex16(world.trace_digest());
  r.events = world.events();
  r.wall_s = wall_s;
  const TimeNs cutoff_ns = spec.duration_ns - spec.settle_ns();
  const nodes::DeliveryLedger& ledger = world.ledger();
  nodes::QosCounts all_counts;
  std::vector<TimeNs> all_samples;
  std::vector<const nodes::WireCounters*> mqtt_wire{&world.broker().sent()};
  for (const nodes::VirtualClient& c : world.clients()) mqtt_wire.push_back(&c.sent());
  for (const nodes::SnGatewayHost& g : world.sn_gateways()) mqtt_wire.push_back(&g.sent());
  std::vector<const nodes::SnWireCounters*> sn_wire;
  for (const nodes::SnClientNode& c : world.sn_clients()) sn_wire.push_back(&c.sent());
  for (const nodes::SnGatewayHost& g : world.sn_gateways()) sn_wire.push_back(&g.sn_sent());
  for (int q = -1; q <= 2; ++q) {  // -1: MQTT-SN QoS -1, only when used
    const nodes::QosCounts c = ledger.counts(q, cutoff_ns);
    if (c.sent == 0 && c.refused == 0) continue;
    std::vector<TimeNs> samples = ledger.latency_samples_ns(q, cutoff_ns);
    all_samples.insert(all_samples.end(), samples.begin(), samples.end());
    all_counts.sent += c.sent;
    all_counts.expected += c.expected;
    all_counts.lost += c.lost;
    all_counts.duplicated += c.duplicated;
    r.qos.push_back(qos_stats(q, c, std::move(samples)));
    r.qos.back().wire_messages = ledger.published_count(q);
    const auto at = static_cast<std::size_t>(q + 1);
    for (const nodes::WireCounters* w : mqtt_wire) {
      r.qos.back().wire_packets += w->by_flow[at].packets;
      r.qos.back().wire_bytes += w->by_flow[at].bytes;
    }
    for (const nodes::SnWireCounters* w : sn_wire) {
      r.qos.back().wire_packets += w->flow_packets[at];
      r.qos.back().wire_bytes += w->flow_bytes[at];
    }
  }
  for (const nodes::VirtualClient& c : world.clients()) {
    r.connection_breaks += c.stats().connection_losses;
  }
  for (const nodes::SnGatewayHost& g : world.sn_gateways()) {
    r.connection_breaks += g.stats().broker_connections_lost;
  }
  if (world.broker().running()) {
    const auto& m = world.broker().core().metrics();
    r.queue_drops = m.messages_dropped_queue_full;
    r.connections_refused = m.connections_refused;
  }
  add_wire(world, r);
  add_links(world, r);
  add_timeline(world, cutoff_ns, r);
  const reports::QosStats all = qos_stats(-2, all_counts, std::move(all_samples));
  for (const ExpectationSpec& e : spec.expectations) {
    const reports::QosStats* s = &all;
    reports::QosStats none;
    if (e.qos) {
      auto it =
          std::find_if(r.qos.begin(), r.qos.end(), [&](const auto& q) { return q.qos == *e.qos; });
      s = it == r.qos.end() ? &none : &*it;
    }
    const std::optional<double> actual = metric(r, *s, e.metric);
    std::string text = "none";
    if (actual && e.metric.starts_with("latency_")) {
      text = reports::format_duration(static_cast<std::int64_t>(*actual));
    } else if (actual) {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.6g", *actual);
      text = buffer;
    }
    r.expectations.push_back(
        {e.text, actual && compare(*actual, e.op, e.value), actual.value_or(0), text});
  }
  return r;
}

}  // namespace mqttsim::sim::scenario
