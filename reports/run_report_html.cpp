// report.html of a run: one self-contained file (inline CSS and SVG, no script, no network)
// with the summary and expectations first, then the latency CDF per QoS, deliveries and losses
// over time, wire bytes by packet type, per-link statistics and a drawing of the topology.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "reports/markup.hpp"
#include "reports/run_report.hpp"

namespace mqttsim::reports {
namespace {

constexpr const char* kColours[] = {"#7f7f7f", "#1f77b4", "#2ca02c", "#d62728", "#9467bd"};
constexpr int kChartWidth = 640;
constexpr int kChartHeight = 260;
constexpr int kMargin = 56;

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", v);
  return text;
}

const char* qos_colour(int qos) {
  return kColours[std::clamp(qos + 1, 0, 4)];
}

// Axes with three ticks each: 0, half and the full scale, labelled by the caller's strings.
void axes(std::ostream& out, const std::string& x_label, const std::string& y_label,
          const std::string (&x_ticks)[3], const std::string (&y_ticks)[3]) {
  const int x0 = kMargin, y0 = kChartHeight - kMargin;
  const int x1 = kChartWidth - 10, y1 = 10;
  out << "<line x1='" << x0 << "' y1='" << y0 << "' x2='" << x1 << "' y2='" << y0
      << "' stroke='#333'/><line x1='" << x0 << "' y1='" << y0 << "' x2='" << x0 << "' y2='" << y1
      << "' stroke='#333'/>";
  for (int i = 0; i < 3; ++i) {
    const int x = x0 + (x1 - x0) * i / 2, y = y0 - (y0 - y1) * i / 2;
    out << "<text x='" << x << "' y='" << y0 + 14 << "' text-anchor='middle'>"
        << escape_markup(x_ticks[i]) << "</text><text x='" << x0 - 4 << "' y='" << y + 4
        << "' text-anchor='end'>" << escape_markup(y_ticks[i]) << "</text>";
  }
  out << "<text x='" << (x0 + x1) / 2 << "' y='" << kChartHeight - 8 << "' text-anchor='middle'>"
      << escape_markup(x_label) << "</text>";
  out << "<text x='12' y='" << kChartHeight / 2 << "' transform='rotate(-90 12 " << kChartHeight / 2
      << ")' text-anchor='middle'>" << escape_markup(y_label) << "</text>";
}

void latency_cdf(std::ostream& out, const RunReport& r) {
  std::int64_t max_ns = 1;
  for (const QosStats& q : r.qos) {
    if (!q.latency_cdf_ns.empty()) max_ns = std::max(max_ns, q.latency_cdf_ns.back());
  }
  out << "<svg class='chart' viewBox='0 0 " << kChartWidth << ' ' << kChartHeight
      << "' role='img' aria-label='latency CDF'>";
  axes(out, "latency", "fraction of deliveries",
       {"0", format_duration(max_ns / 2), format_duration(max_ns)}, {"0", "0.5", "1"});
  const double w = kChartWidth - kMargin - 10, h = kChartHeight - kMargin - 10;
  int legend = 0;
  for (const QosStats& q : r.qos) {
    if (q.latency_cdf_ns.empty()) continue;
    out << "<polyline fill='none' stroke-width='2' stroke='" << qos_colour(q.qos) << "' points='";
    const std::size_t n = q.latency_cdf_ns.size();
    for (std::size_t i = 0; i < n; ++i) {
      const double x =
          kMargin + w * static_cast<double>(q.latency_cdf_ns[i]) / static_cast<double>(max_ns);
      const double y =
          kChartHeight - kMargin - h * static_cast<double>(i + 1) / static_cast<double>(n);
      out << number(x) << ',' << number(y) << ' ';
    }
    out << "'/><text x='" << kChartWidth - 120 << "' y='" << 200 - 16 * legend++ << "' fill='"
        << qos_colour(q.qos) << "'>QoS " << q.qos << "</text>";
  }
  out << "</svg>\n";
}

void timeline(std::ostream& out, const RunReport& r) {
  std::uint64_t peak = 1;
  for (const TimeBucket& b : r.timeline) peak = std::max({peak, b.published, b.delivered, b.lost});
  out << "<svg class='chart' viewBox='0 0 " << kChartWidth << ' ' << kChartHeight
      << "' role='img' aria-label='deliveries over time'>";
  const std::int64_t end_ns = r.bucket_ns * static_cast<std::int64_t>(r.timeline.size());
  axes(out, "virtual time (buckets of " + format_duration(r.bucket_ns) + ")", "messages per bucket",
       {"0", format_duration(end_ns / 2), format_duration(end_ns)},
       {"0", std::to_string(peak / 2), std::to_string(peak)});
  const double w = kChartWidth - kMargin - 10, h = kChartHeight - kMargin - 10;
  const std::size_t n = std::max<std::size_t>(r.timeline.size(), 2);
  struct Series {
    const char* name;
    const char* colour;
    std::uint64_t TimeBucket::*field;
  };
  const Series series[] = {{"published", "#7f7f7f", &TimeBucket::published},
                           {"delivered", "#2ca02c", &TimeBucket::delivered},
                           {"lost", "#d62728", &TimeBucket::lost}};
  int legend = 0;
  for (const Series& s : series) {
    out << "<polyline fill='none' stroke-width='2' stroke='" << s.colour << "' points='";
    for (std::size_t i = 0; i < r.timeline.size(); ++i) {
      const double x = kMargin + w * static_cast<double>(i) / static_cast<double>(n - 1);
      const double y = kChartHeight - kMargin -
                       h * static_cast<double>(r.timeline[i].*s.field) / static_cast<double>(peak);
      out << number(x) << ',' << number(y) << ' ';
    }
    out << "'/><text x='" << kChartWidth - 120 << "' y='" << 24 + 16 * legend++ << "' fill='"
        << s.colour << "'>" << s.name << "</text>";
  }
  out << "</svg>\n";
}

void wire_bars(std::ostream& out, const RunReport& r) {
  std::uint64_t peak = 1;
  for (const WireStats& w : r.wire) peak = std::max(peak, w.bytes);
  const int row = 22;
  const int height = 20 + row * static_cast<int>(r.wire.size());
  out << "<svg class='chart' viewBox='0 0 " << kChartWidth << ' ' << height
      << "' role='img' aria-label='wire bytes by packet type'>";
  for (std::size_t i = 0; i < r.wire.size(); ++i) {
    const WireStats& w = r.wire[i];
    const int y = 10 + row * static_cast<int>(i);
    const double width = 380.0 * static_cast<double>(w.bytes) / static_cast<double>(peak);
    out << "<text x='110' y='" << y + 14 << "' text-anchor='end'>" << escape_markup(w.packet_type)
        << "</text><rect x='120' y='" << y << "' width='" << number(std::max(width, 1.0))
        << "' height='16' fill='#1f77b4'/><text x='" << number(126 + width) << "' y='" << y + 14
        << "'>" << w.bytes << " B, " << w.packets << " packets</text>";
  }
  out << "</svg>\n";
}

// Layers by hops from the broker; a layer shows at most kShown nodes and a "+N more" box, so a
// fleet of 10,000 clients still draws as a readable picture.
void topology(std::ostream& out, const RunReport& r) {
  constexpr std::size_t kShown = 12;
  std::map<std::string, std::vector<std::string>> adjacent;
  for (const auto& e : r.edges) {
    adjacent[e.a].push_back(e.b);
    adjacent[e.b].push_back(e.a);
  }
  std::string root = r.nodes.empty() ? "" : r.nodes.front().name;
  for (const auto& n : r.nodes) {
    if (n.kind == "broker") root = n.name;
  }
  std::map<std::string, int> layer_of{{root, 0}};
  std::vector<std::vector<std::string>> layers{{root}};
  for (std::size_t l = 0; l < layers.size() && !root.empty(); ++l) {
    std::vector<std::string> next;
    for (const std::string& n : layers[l]) {
      for (const std::string& m : adjacent[n]) {
        if (layer_of.emplace(m, static_cast<int>(l + 1)).second) next.push_back(m);
      }
    }
    if (!next.empty()) layers.push_back(std::move(next));
  }
  const int layer_height = 70;
  const int height = 30 + layer_height * static_cast<int>(layers.size());
  out << "<svg class='chart' viewBox='0 0 " << kChartWidth << ' ' << height
      << "' role='img' aria-label='topology'>";
  std::map<std::string, std::pair<double, double>> at;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const std::size_t shown = std::min(layers[l].size(), kShown);
    const std::size_t slots = shown + (layers[l].size() > kShown ? 1 : 0);
    for (std::size_t i = 0; i < slots; ++i) {
      const double x = kChartWidth * (static_cast<double>(i) + 0.5) / static_cast<double>(slots);
      const double y = 30.0 + layer_height * static_cast<double>(l);
      if (i < shown) at[layers[l][i]] = {x, y};
    }
  }
  for (const auto& e : r.edges) {
    auto a = at.find(e.a), b = at.find(e.b);
    if (a == at.end() || b == at.end()) continue;
    out << "<line x1='" << number(a->second.first) << "' y1='" << number(a->second.second)
        << "' x2='" << number(b->second.first) << "' y2='" << number(b->second.second)
        << "' stroke='#aaa'><title>" << escape_markup(e.name) << "</title></line>";
  }
  std::map<std::string, std::string> kind_of;
  for (const auto& n : r.nodes) kind_of[n.name] = n.kind;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    for (std::size_t i = 0; i < std::min(layers[l].size(), kShown); ++i) {
      const std::string& name = layers[l][i];
      const auto [x, y] = at[name];
      out << "<circle class='" << escape_markup(kind_of[name]) << "' cx='" << number(x) << "' cy='"
          << number(y) << "' r='8'/><text x='" << number(x) << "' y='" << number(y + 22)
          << "' text-anchor='middle' font-size='10'>" << escape_markup(name) << "</text>";
    }
    if (layers[l].size() > kShown) {
      const std::size_t slots = kShown + 1;
      const double x =
          kChartWidth * (static_cast<double>(kShown) + 0.5) / static_cast<double>(slots);
      out << "<text x='" << number(x) << "' y='" << 34 + layer_height * static_cast<int>(l)
          << "' text-anchor='middle'>+" << layers[l].size() - kShown << " more</text>";
    }
  }
  out << "</svg>\n";
}

std::string packets_per_message(const QosStats& q) {
  if (q.wire_messages == 0) return "–";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", q.packets_per_message());
  return text;
}

void summary_table(std::ostream& out, const RunReport& r) {
  out << "<table><tr><th>QoS</th><th>sent</th><th>expected</th><th>delivered</th><th>lost</th>"
         "<th>duplicated</th><th>ratio</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
         "<th title='MQTT and MQTT-SN packets of the publish flows per message published, over the "
         "whole run'>packets/msg"
         "</th></tr>";
  auto lat = [](const std::optional<std::int64_t>& v) { return v ? format_duration(*v) : "–"; };
  for (const QosStats& q : r.qos) {
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.4f", q.delivery_ratio);
    out << "<tr><td>" << q.qos << "</td><td>" << q.sent << "</td><td>" << q.expected << "</td><td>"
        << q.delivered << "</td><td>" << q.lost << "</td><td>" << q.duplicated << "</td><td>"
        << ratio << "</td><td>" << lat(q.latency_p50_ns) << "</td><td>" << lat(q.latency_p90_ns)
        << "</td><td>" << lat(q.latency_p99_ns) << "</td><td>" << lat(q.latency_max_ns)
        << "</td><td>" << packets_per_message(q) << "</td></tr>";
  }
  out << "</table>\n";
}

void links_table(std::ostream& out, const RunReport& r) {
  out << "<table><tr><th>link</th><th>from</th><th>to</th><th>offered</th><th>delivered</th>"
         "<th>dropped</th></tr>";
  for (const LinkReport& l : r.links) {
    std::string drops;
    for (const auto& [reason, count] : l.dropped) {
      drops += (drops.empty() ? "" : ", ") + reason + " " + std::to_string(count);
    }
    out << "<tr><td>" << escape_markup(l.name) << "</td><td>" << escape_markup(l.from)
        << "</td><td>" << escape_markup(l.to) << "</td><td>" << l.offered << "</td><td>"
        << l.delivered << "</td><td>" << escape_markup(drops) << "</td></tr>";
  }
  out << "</table>\n";
}

}  // namespace

void write_run_html(const RunReport& r, std::ostream& out) {
  const std::string title =
      "mqttsim run: " + (r.scenario_name.empty() ? r.scenario_file : r.scenario_name);
  out << "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>"
      << escape_markup(title)
      << "</title><style>body{font-family:sans-serif;max-width:60rem;margin:auto;padding:1rem}"
         "table{border-collapse:collapse;margin:.5rem 0}td,th{white-space:nowrap;border:1px solid "
         "#ccc;padding:"
         ".2rem .5rem;text-align:right}svg.chart{width:100%;max-width:640px;display:block;"
         "font-size:11px}.fail{color:#b00;font-weight:bold}.ok{color:#070}circle.broker{fill:"
         "#d62728}circle.router{fill:#7f7f7f}circle.gateway{fill:#ff7f0e}circle.client{fill:"
         "#1f77b4}</style></head><body>\n";
  out << "<h1>" << escape_markup(title) << "</h1>\n<p>"
      << (r.passed() ? "<span class='ok'>passed</span>" : "<span class='fail'>FAILED</span>")
      << " · seed " << r.seed << " · virtual time " << format_duration(r.duration_ns)
      << " · trace digest <code>" << escape_markup(r.trace_digest)
      << "</code> · scenario digest <code>" << escape_markup(r.scenario_digest) << "</code> · "
      << escape_markup(r.program_version) << "</p>\n";
  if (!r.expectations.empty()) {
    out << "<h2>Expectations</h2><ul>";
    for (const ExpectationReport& e : r.expectations) {
      out << "<li class='" << (e.met ? "ok" : "fail") << "'>" << (e.met ? "met" : "NOT MET") << ": "
          << escape_markup(e.text) << " (actual " << escape_markup(e.actual_text) << ")</li>";
    }
    out << "</ul>\n";
  }
  out << "<h2>Delivery per QoS</h2>\n";
  summary_table(out, r);
  out << "<p>connection breaks " << r.connection_breaks << " · queue drops " << r.queue_drops
      << " · refused connections " << r.connections_refused << " · events " << r.events
      << "</p>\n<h2>Latency CDF per QoS</h2>\n";
  latency_cdf(out, r);
  out << "<h2>Deliveries and losses over time</h2>\n";
  timeline(out, r);
  out << "<h2>Wire bytes by packet type</h2>\n";
  wire_bars(out, r);
  out << "<h2>Links</h2>\n";
  links_table(out, r);
  out << "<h2>Topology</h2>\n";
  topology(out, r);
  out << "</body></html>\n";
}

}  // namespace mqttsim::reports
