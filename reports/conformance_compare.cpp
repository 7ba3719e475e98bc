// The broker matrix: reads report.json files and lines their verdicts up by (case, version).
#include "reports/conformance_compare.hpp"
#include "reports/markup.hpp"

#include <fstream>
#include <map>
#include <ostream>
#include <set>

namespace mqttsim::reports {
namespace {

Verdict parse_verdict(const std::string& name) {
  for (Verdict v : kAllVerdicts) {
    if (verdict_name(v) == name) return v;
  }
  return Verdict::error;
}

using Key = std::pair<std::string, std::string>;  // (mqtt_version, id)

// verdicts[key][i] is report i's verdict for the case, or nullptr when it did not run it.
std::map<Key, std::vector<const CaseResult*>> matrix(
    const std::vector<ConformanceReport>& reports) {
  std::map<Key, std::vector<const CaseResult*>> rows;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    for (const CaseResult& c : reports[i].cases) {
      auto& row = rows[{c.mqtt_version, c.id}];
      row.resize(reports.size(), nullptr);
      row[i] = &c;
    }
  }
  for (auto& [key, row] : rows) row.resize(reports.size(), nullptr);
  return rows;
}

std::string cell(const CaseResult* c) {
  return c == nullptr ? "-" : std::string(verdict_name(c->verdict));
}

}  // namespace

std::variant<ConformanceReport, std::string> read_conformance_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "cannot read " + path;
  try {
    const auto j = nlohmann::json::parse(in);
    if (j.value("schema", "") != "mqttsim-conformance") return path + ": not a conformance report";
    // Version 1 differs only by lacking the verdicts deviation and stale: it reads the same.
    const int schema = j.value("schema_version", 0);
    if (schema < 1 || schema > kConformanceSchemaVersion) {
      return path + ": schema version " + std::to_string(j.value("schema_version", 0)) +
             ", this program reads 1 to " + std::to_string(kConformanceSchemaVersion);
    }
    ConformanceReport r;
    r.program_version = j.value("program_version", "");
    r.target = j.value("target", path);
    r.started_utc = j.value("started_utc", "");
    r.duration_s = j.value("duration_s", 0.0);
    for (const auto& c : j.at("cases")) {
      CaseResult cr;
      cr.id = c.at("id").get<std::string>();
      cr.title = c.value("title", "");
      cr.area = c.value("area", "");
      cr.mqtt_version = c.at("mqtt_version").get<std::string>();
      cr.statements = c.value("statements", std::vector<std::string>{});
      cr.verdict = parse_verdict(c.at("verdict").get<std::string>());
      cr.reason = c.value("reason", "");
      cr.statement = c.value("broken_statement", "");
      cr.declared_deviation = c.value("declared_deviation", "");
      cr.duration_ms = c.value("duration_ms", 0.0);
      r.cases.push_back(std::move(cr));
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    return path + ": not a conformance report: " + e.what();
  }
}

void write_compare_text(const std::vector<ConformanceReport>& reports, std::ostream& out) {
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const ConformanceReport& r = reports[i];
    out << "[" << i + 1 << "] " << r.target << " (" << r.started_utc << "): " << r.cases.size()
        << " cases, " << r.count(Verdict::pass) << " pass, " << r.count(Verdict::fail) << " fail, "
        << r.count(Verdict::deviation) << " deviation (declared), " << r.count(Verdict::stale)
        << " stale, " << r.count(Verdict::skipped) << " skipped, " << r.count(Verdict::inconclusive)
        << " inconclusive, " << r.count(Verdict::error) << " error\n";
  }
  out << "\nCases not passed by every broker:\n";
  for (const auto& [key, row] : matrix(reports)) {
    bool all_pass = true;
    for (const CaseResult* c : row)
      all_pass = all_pass && c != nullptr && c->verdict == Verdict::pass;
    if (all_pass) continue;
    out << "  " << key.first << " " << key.second << ":";
    for (std::size_t i = 0; i < row.size(); ++i) out << " [" << i + 1 << "] " << cell(row[i]);
    out << "\n";
  }
}

void write_compare_html(const std::vector<ConformanceReport>& reports, std::ostream& out) {
  out << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>mqttsim conform: broker "
         "matrix</title><style>body{font-family:system-ui,sans-serif;margin:2em}table{border-"
         "collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:.85em}"
         ".pass{background:#e6f4ea}.fail{background:#fce8e6}.error{background:#fde2c4}"
         ".skipped{background:#eee}.inconclusive{background:#fff7d6}.deviation{background:#ece4f7}"
         ".stale{background:#f9c9c0}</style></head><body>\n"
         "<h1>Broker matrix</h1>\n<table><tr><th>version</th><th>case</th>";
  for (const ConformanceReport& r : reports) {
    out << "<th>" << escape_markup(r.target) << "<br>" << r.count(Verdict::pass) << " pass, "
        << r.count(Verdict::fail) << " fail</th>";
  }
  out << "</tr>\n";
  for (const auto& [key, row] : matrix(reports)) {
    out << "<tr><td>" << escape_markup(key.first) << "</td><td><code>" << escape_markup(key.second)
        << "</code></td>";
    for (const CaseResult* c : row) {
      const std::string v = cell(c);
      out << "<td class=\"" << v << "\" title=\""
          << escape_markup(c == nullptr ? "" : c->statement + " " + c->reason) << "\">" << v
          << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</table>\n</body></html>\n";
}

}  // namespace mqttsim::reports
