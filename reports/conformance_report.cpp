// report.json for conformance runs (schema kConformanceSchemaVersion) and the function that
// writes the three report files of a run into one directory.
#include "reports/conformance_report.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace mqttsim::reports {

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::pass:
      return "pass";
    case Verdict::fail:
      return "fail";
    case Verdict::skipped:
      return "skipped";
    case Verdict::inconclusive:
      return "inconclusive";
    case Verdict::error:
      return "error";
    case Verdict::deviation:
      return "deviation";
    case Verdict::stale:
      return "stale";
  }
  return "error";
}

std::size_t ConformanceReport::count(Verdict v) const {
  return static_cast<std::size_t>(std::count_if(
      cases.begin(), cases.end(), [v](const CaseResult& c) { return c.verdict == v; }));
}

namespace {

nlohmann::ordered_json evidence_json(const EvidenceEntry& e) {
  nlohmann::ordered_json j;
  j["time_ms"] = e.time_ms;
  j["direction"] = e.direction;
  j["summary"] = e.summary;
  if (!e.packet.is_null()) j["packet"] = e.packet;
  if (!e.hex.empty()) j["hex"] = e.hex;
  return j;
}

nlohmann::ordered_json case_json(const CaseResult& c) {
  nlohmann::ordered_json j;
  j["id"] = c.id;
  j["title"] = c.title;
  j["area"] = c.area;
  j["mqtt_version"] = c.mqtt_version;
  j["statements"] = c.statements;
  j["verdict"] = verdict_name(c.verdict);
  j["reason"] = c.reason;
  if (!c.statement.empty()) j["broken_statement"] = c.statement;
  if (!c.expected.empty()) j["expected"] = c.expected;
  if (!c.declared_deviation.empty()) j["declared_deviation"] = c.declared_deviation;
  j["duration_ms"] = c.duration_ms;
  // The transcript is the evidence of a verdict other than pass; a pass needs none.
  if (c.verdict != Verdict::pass) {
    nlohmann::ordered_json ev = nlohmann::ordered_json::array();
    for (const EvidenceEntry& e : c.evidence) ev.push_back(evidence_json(e));
    j["evidence"] = std::move(ev);
  }
  return j;
}

}  // namespace

nlohmann::ordered_json to_json(const ConformanceReport& report) {
  nlohmann::ordered_json j;
  j["schema"] = "mqttsim-conformance";
  j["schema_version"] = kConformanceSchemaVersion;
  j["program_version"] = report.program_version;
  j["target"] = report.target;
  j["started_utc"] = report.started_utc;
  j["duration_s"] = report.duration_s;
  nlohmann::ordered_json summary;
  summary["cases"] = report.cases.size();
  for (Verdict v : kAllVerdicts) summary[std::string(verdict_name(v))] = report.count(v);
  j["summary"] = summary;
  nlohmann::ordered_json caps = nlohmann::ordered_json::array();
  for (const CapabilitySet& set : report.capabilities) {
    nlohmann::ordered_json c;
    c["mqtt_version"] = set.mqtt_version;
    c["source"] = set.source;
    nlohmann::ordered_json values = nlohmann::ordered_json::object();
    for (const auto& [name, value] : set.values) values[name] = value;
    c["values"] = values;
    caps.push_back(c);
  }
  j["capabilities"] = caps;
  nlohmann::ordered_json cases = nlohmann::ordered_json::array();
  for (const CaseResult& c : report.cases) cases.push_back(case_json(c));
  j["cases"] = cases;
  return j;
}

std::vector<std::string> write_conformance_reports(const ConformanceReport& report,
                                                   const std::string& dir) {
  std::vector<std::string> errors;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return {"cannot create " + dir + ": " + ec.message()};
  const auto write = [&](const std::string& name, auto&& body) {
    const std::string path = (std::filesystem::path(dir) / name).string();
    std::ofstream out(path);
    if (!out) return errors.push_back("cannot write " + path);
    body(out);
    if (!out) errors.push_back("error while writing " + path);
  };
  write("report.json", [&](std::ostream& out) { out << to_json(report).dump(2) << "\n"; });
  write("junit.xml", [&](std::ostream& out) { write_junit(report, out); });
  write("report.html", [&](std::ostream& out) { write_html(report, out); });
  return errors;
}

}  // namespace mqttsim::reports
