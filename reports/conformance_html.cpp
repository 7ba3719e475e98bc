// report.html: one self-contained file that opens offline. The summary and the failures come
// first, each failure with its transcript; then the declared deviations with theirs, the
// capabilities and the table of every case.
#include <initializer_list>
#include <ostream>

#include "reports/conformance_report.hpp"
#include "reports/markup.hpp"

namespace mqttsim::reports {
namespace {

constexpr std::string_view kStyle = R"(
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:3px 6px;
text-align:left;vertical-align:top;font-size:.9em}
.pass{background:#e6f4ea}.fail{background:#fce8e6}.error{background:#fde2c4}
.skipped{background:#eee}.inconclusive{background:#fff7d6}.deviation{background:#ece4f7}
.stale{background:#f9c9c0}
.badge{display:inline-block;padding:2px 10px;margin-right:8px;border-radius:10px}
pre{background:#f6f6f6;padding:6px;overflow-x:auto;font-size:.8em}
details{margin:.6em 0;border:1px solid #ddd;padding:.4em}
)";

void write_case_detail(const CaseResult& c, std::ostream& out) {
  out << "<details open class=\"" << verdict_name(c.verdict) << "\"><summary><b>"
      << verdict_name(c.verdict) << "</b> MQTT " << escape_markup(c.mqtt_version) << " <code>"
      << escape_markup(c.id) << "</code> " << escape_markup(c.title) << "</summary>\n<p>";
  if (!c.declared_deviation.empty()) {
    const bool stale = c.verdict == Verdict::stale;
    out << (stale ? "Declared a deviation, but it passed: " : "Declared deviation: ")
        << escape_markup(c.declared_deviation) << "</p>\n<p>" << (stale ? "" : "Observed: ");
  }
  if (!c.statement.empty()) out << "<b>" << escape_markup(c.statement) << "</b>: ";
  out << escape_markup(c.reason) << "</p>\n";
  if (!c.expected.empty()) out << "<p>Expected: " << escape_markup(c.expected) << "</p>\n";
  out << "<table><tr><th>ms</th><th>dir</th><th>packet</th><th>hex</th></tr>\n";
  for (const EvidenceEntry& e : c.evidence) {
    out << "<tr><td>" << static_cast<long long>(e.time_ms) << "</td><td>"
        << escape_markup(e.direction) << "</td><td>" << escape_markup(e.summary);
    if (!e.packet.is_null()) out << "<pre>" << escape_markup(e.packet.dump(1)) << "</pre>";
    out << "</td><td><code>" << escape_markup(e.hex) << "</code></td></tr>\n";
  }
  out << "</table></details>\n";
}

std::size_t write_details(const ConformanceReport& report, std::initializer_list<Verdict> verdicts,
                          std::ostream& out) {
  std::size_t shown = 0;
  for (Verdict v : verdicts) {
    for (const CaseResult& c : report.cases) {
      if (c.verdict != v) continue;
      write_case_detail(c, out);
      ++shown;
    }
  }
  return shown;
}

}  // namespace

void write_html(const ConformanceReport& report, std::ostream& out) {
  out << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>mqttsim conform: "
      << escape_markup(report.target) << "</title><style>" << kStyle << "</style></head><body>\n";
  out << "<h1>MQTT conformance of " << escape_markup(report.target) << "</h1>\n<p>mqttsim "
      << escape_markup(report.program_version) << ", started " << escape_markup(report.started_utc)
      << ", " << report.duration_s << " s, " << report.cases.size() << " cases</p>\n<p>";
  for (Verdict v : kAllVerdicts) {
    out << "<span class=\"badge " << verdict_name(v) << "\">" << verdict_name(v) << ": "
        << report.count(v) << "</span>";
  }
  out << "</p>\n<h2>Failures and errors</h2>\n";
  if (write_details(report, {Verdict::fail, Verdict::stale, Verdict::error, Verdict::inconclusive},
                    out) == 0) {
    out << "<p>None.</p>\n";
  }
  // A real broker's known bugs, declared in its profile: they do not fail the run, but every one
  // is shown with its evidence so that it stays visible.
  out << "<h2>Declared deviations</h2>\n";
  if (write_details(report, {Verdict::deviation}, out) == 0) out << "<p>None.</p>\n";
  out << "<h2>Capabilities</h2>\n";
  for (const CapabilitySet& set : report.capabilities) {
    out << "<p>MQTT " << escape_markup(set.mqtt_version) << " (" << escape_markup(set.source)
        << "): ";
    for (const auto& [name, value] : set.values) {
      out << "<code>" << escape_markup(name) << "=" << escape_markup(value) << "</code> ";
    }
    out << "</p>\n";
  }
  out << "<h2>All cases</h2>\n<table><tr><th>verdict</th><th>version</th><th>id</th>"
         "<th>title</th><th>statements</th><th>ms</th><th>reason</th></tr>\n";
  for (const CaseResult& c : report.cases) {
    out << "<tr class=\"" << verdict_name(c.verdict) << "\"><td>" << verdict_name(c.verdict)
        << "</td><td>" << escape_markup(c.mqtt_version) << "</td><td><code>" << escape_markup(c.id)
        << "</code></td><td>" << escape_markup(c.title) << "</td><td>";
    for (const std::string& s : c.statements) out << escape_markup(s) << " ";
    out << "</td><td>" << static_cast<long long>(c.duration_ms) << "</td><td>"
        << escape_markup(c.reason) << "</td></tr>\n";
  }
  out << "</table>\n</body></html>\n";
}

}  // namespace mqttsim::reports
