// junit.xml for CI systems: one testsuite per protocol version, one testcase per case; fail and
// stale are <failure>, error and inconclusive are <error>, skipped is <skipped>. A declared
// deviation is <skipped type="deviation"> with its evidence in the element and in <system-out>:
// it must not turn CI red, but a reader sees what the broker did.
#include <map>
#include <ostream>

#include "reports/conformance_report.hpp"
#include "reports/markup.hpp"

namespace mqttsim::reports {
namespace {

std::string transcript(const CaseResult& c) {
  std::string text;
  for (const EvidenceEntry& e : c.evidence) {
    text +=
        std::to_string(static_cast<long long>(e.time_ms)) + " ms " + e.direction + " " + e.summary;
    if (!e.hex.empty()) text += " [" + e.hex + "]";
    text += "\n";
  }
  return text;
}

}  // namespace

void write_junit(const ConformanceReport& report, std::ostream& out) {
  std::map<std::string, std::vector<const CaseResult*>> by_version;
  for (const CaseResult& c : report.cases) by_version[c.mqtt_version].push_back(&c);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"mqttsim conform "
      << escape_markup(report.target) << "\" tests=\"" << report.cases.size() << "\">\n";
  for (const auto& [version, cases] : by_version) {
    std::size_t failures = 0, errors = 0, skipped = 0;
    double time_ms = 0;
    for (const CaseResult* c : cases) {
      failures += c->verdict == Verdict::fail || c->verdict == Verdict::stale;
      errors += c->verdict == Verdict::error || c->verdict == Verdict::inconclusive;
      skipped += c->verdict == Verdict::skipped || c->verdict == Verdict::deviation;
      time_ms += c->duration_ms;
    }
    out << "  <testsuite name=\"MQTT " << escape_markup(version) << "\" tests=\"" << cases.size()
        << "\" failures=\"" << failures << "\" errors=\"" << errors << "\" skipped=\"" << skipped
        << "\" time=\"" << time_ms / 1000.0 << "\">\n";
    for (const CaseResult* c : cases) {
      out << "    <testcase classname=\"mqtt" << escape_markup(version) << "."
          << escape_markup(c->area) << "\" name=\"" << escape_markup(c->id) << ": "
          << escape_markup(c->title) << "\" time=\"" << c->duration_ms / 1000.0 << "\"";
      if (c->verdict == Verdict::pass) {
        out << "/>\n";
        continue;
      }
      out << ">\n";
      std::string text = c->statement.empty() ? c->reason : c->statement + ": " + c->reason;
      if (c->verdict == Verdict::deviation) {
        text = "deviation (declared): " + c->declared_deviation + "; observed: " + text;
      }
      const std::string message = escape_markup(text);
      if (c->verdict == Verdict::skipped) {
        out << "      <skipped message=\"" << message << "\"/>\n";
      } else if (c->verdict == Verdict::deviation) {
        const std::string evidence =
            escape_markup("expected: " + c->expected + "\n" + transcript(*c));
        out << "      <skipped type=\"deviation\" message=\"" << message << "\">" << evidence
            << "</skipped>\n      <system-out>" << evidence << "</system-out>\n";
      } else {
        const bool failure = c->verdict == Verdict::fail || c->verdict == Verdict::stale;
        const char* tag = failure ? "failure" : "error";
        out << "      <" << tag << " message=\"" << message << "\" type=\""
            << verdict_name(c->verdict) << "\">expected: " << escape_markup(c->expected) << "\n"
            << escape_markup(transcript(*c)) << "</" << tag << ">\n";
      }
      out << "    </testcase>\n";
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

}  // namespace mqttsim::reports
