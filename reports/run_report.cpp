// report.json and the terminal summary of a run (see run_report.hpp).
#include <cstdio>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reports/run_report.hpp"

namespace mqttsim::reports {
namespace {

using nlohmann::ordered_json;

ordered_json optional_ns(const std::optional<std::int64_t>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json qos_json(const QosStats& q) {
  return {{"qos", q.qos},
          {"sent", q.sent},
          {"expected", q.expected},
          {"delivered", q.delivered},
          {"lost", q.lost},
          {"duplicated", q.duplicated},
          {"delivery_ratio", q.delivery_ratio},
          {"wire_packets", q.wire_packets},
          {"wire_bytes", q.wire_bytes},
          {"wire_messages", q.wire_messages},
          {"latency_ns",
           {{"p50", optional_ns(q.latency_p50_ns)},
            {"p90", optional_ns(q.latency_p90_ns)},
            {"p99", optional_ns(q.latency_p99_ns)},
            {"max", optional_ns(q.latency_max_ns)}}}};
}

}  // namespace

bool RunReport::passed() const {
  for (const ExpectationReport& e : expectations) {
    if (!e.met) return false;
  }
  return true;
}

std::string format_duration(std::int64_t ns) {
  char text[32];
  const double v = static_cast<double>(ns);
  if (ns < 1'000) {
    std::snprintf(text, sizeof text, "%lld ns", static_cast<long long>(ns));
  } else if (ns < 1'000'000) {
    std::snprintf(text, sizeof text, "%.3g µs", v / 1e3);
  } else if (ns < 1'000'000'000) {
    std::snprintf(text, sizeof text, "%.3g ms", v / 1e6);
  } else {
    std::snprintf(text, sizeof text, "%.3g s", v / 1e9);
  }
  return text;
}

void write_run_json(const RunReport& r, std::ostream& out) {
  ordered_json qos = ordered_json::array();
  for (const QosStats& q : r.qos) qos.push_back(qos_json(q));
  ordered_json wire = ordered_json::array();
  for (const WireStats& w : r.wire) {
    wire.push_back({{"packet_type", w.packet_type}, {"packets", w.packets}, {"bytes", w.bytes}});
  }
  ordered_json links = ordered_json::array();
  for (const LinkReport& l : r.links) {
    links.push_back({{"name", l.name},
                     {"from", l.from},
                     {"to", l.to},
                     {"offered", l.offered},
                     {"delivered", l.delivered},
                     {"dropped", l.dropped}});
  }
  ordered_json timeline = ordered_json::array();
  for (const TimeBucket& b : r.timeline) {
    timeline.push_back({{"start_ns", b.start_ns},
                        {"published", b.published},
                        {"delivered", b.delivered},
                        {"lost", b.lost}});
  }
  ordered_json expectations = ordered_json::array();
  for (const ExpectationReport& e : r.expectations) {
    expectations.push_back(
        {{"text", e.text}, {"met", e.met}, {"actual", e.actual}, {"actual_text", e.actual_text}});
  }
  ordered_json nodes = ordered_json::array();
  for (const auto& n : r.nodes) nodes.push_back({{"name", n.name}, {"kind", n.kind}});
  ordered_json edges = ordered_json::array();
  for (const auto& e : r.edges) edges.push_back({{"name", e.name}, {"a", e.a}, {"b", e.b}});
  const ordered_json doc = {
      {"schema", "mqttsim-run-report"},
      {"schema_version", kRunReportSchemaVersion},
      {"program_version", r.program_version},
      {"scenario",
       {{"name", r.scenario_name}, {"file", r.scenario_file}, {"digest", r.scenario_digest}}},
      {"seed", r.seed},
      {"duration_ns", r.duration_ns},
      {"trace_digest", r.trace_digest},
      {"events", r.events},
      {"wall_s", r.wall_s},
      {"passed", r.passed()},
      {"qos", qos},
      {"connection_breaks", r.connection_breaks},
      {"queue_drops", r.queue_drops},
      {"connections_refused", r.connections_refused},
      {"wire", wire},
      {"links", links},
      {"bucket_ns", r.bucket_ns},
      {"timeline", timeline},
      {"topology", {{"nodes", nodes}, {"links", edges}}},
      {"expectations", expectations}};
  out << doc.dump(2) << '\n';
}

void write_run_summary(const RunReport& r, std::ostream& out) {
  out << "scenario " << (r.scenario_name.empty() ? r.scenario_file : r.scenario_name) << "  seed "
      << r.seed << "  virtual " << format_duration(r.duration_ns) << "  trace digest "
      << r.trace_digest << "\n";
  out << std::left << std::setw(5) << "QoS" << std::right << std::setw(10) << "sent"
      << std::setw(11) << "delivered" << std::setw(8) << "lost" << std::setw(8) << "dup"
      << std::setw(10) << "ratio" << std::setw(11) << "p50" << std::setw(11) << "p99"
      << std::setw(11) << "max" << std::setw(10) << "pkts/msg"
      << "\n";
  for (const QosStats& q : r.qos) {
    auto lat = [](const std::optional<std::int64_t>& v) { return v ? format_duration(*v) : "-"; };
    std::ostringstream ratio;
    ratio << std::fixed << std::setprecision(4) << q.delivery_ratio;
    out << std::left << std::setw(5) << q.qos << std::right << std::setw(10) << q.sent
        << std::setw(11) << q.delivered << std::setw(8) << q.lost << std::setw(8) << q.duplicated
        << std::setw(10) << ratio.str() << std::setw(11) << lat(q.latency_p50_ns) << std::setw(11)
        << lat(q.latency_p99_ns) << std::setw(11) << lat(q.latency_max_ns);
    std::ostringstream per_message;  // wire packets per message sent: the cost of the level
    if (q.wire_messages > 0) {
      per_message << std::fixed << std::setprecision(2) << q.packets_per_message();
    } else {
      per_message << "-";
    }
    out << std::setw(10) << per_message.str() << "\n";
  }
  out << "connection breaks " << r.connection_breaks << "  queue drops " << r.queue_drops
      << "  refused connections " << r.connections_refused << "  events " << r.events << "\n";
  for (const ExpectationReport& e : r.expectations) {
    out << (e.met ? "  ok    " : "  FAIL  ") << e.text << "  (actual " << e.actual_text << ")\n";
  }
}

}  // namespace mqttsim::reports
