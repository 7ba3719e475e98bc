// The conformance report writers: report.json keeps its schema fields, junit.xml counts and
// escapes, report.html puts failures before the table of all cases.
#include <catch2/catch.hpp>

#include <sstream>

#include <cstdio>
#include <fstream>

#include "reports/conformance_compare.hpp"
#include "reports/conformance_report.hpp"

using namespace mqttsim::reports;

namespace {
ConformanceReport sample() {
  ConformanceReport r;
  r.program_version = "0.1.0";
  r.target = "tcp://127.0.0.1:1883";
  r.started_utc = "2026-01-01T00:00:00Z";
  CaseResult pass;
  pass.id = "publish.qos1.puback";
  pass.title = "a QoS 1 PUBLISH is acknowledged";
  pass.area = "publish";
  pass.mqtt_version = "5.0";
  pass.statements = {"MQTT-3.3.4-1"};
  pass.verdict = Verdict::pass;
  CaseResult fail = pass;
  fail.id = "malformed.qos3";
  fail.title = "a <QoS 3> PUBLISH & close";
  fail.verdict = Verdict::fail;
  fail.statement = "MQTT-3.3.1-4";
  fail.reason = "the connection stayed open";
  fail.evidence.push_back({1.5, "sent", "PUBLISH qos=3", nullptr, "36 05"});
  CaseResult skipped = pass;
  skipped.id = "shared.one";
  skipped.verdict = Verdict::skipped;
  r.cases = {pass, fail, skipped};
  return r;
}
}  // namespace

TEST_CASE("report.json carries its schema version, the summary and evidence only for non-passes") {
  const auto j = to_json(sample());
  CHECK(j["schema_version"] == kConformanceSchemaVersion);
  CHECK(j["summary"]["pass"] == 1);
  CHECK(j["summary"]["fail"] == 1);
  CHECK(j["summary"]["skipped"] == 1);
  CHECK_FALSE(j["cases"][0].contains("evidence"));
  CHECK(j["cases"][1]["evidence"][0]["hex"] == "36 05");
  CHECK(j["cases"][1]["broken_statement"] == "MQTT-3.3.1-4");
}

TEST_CASE("junit.xml counts failures and skips and escapes markup") {
  std::ostringstream out;
  write_junit(sample(), out);
  const std::string xml = out.str();
  CHECK(xml.find("failures=\"1\"") != std::string::npos);
  CHECK(xml.find("skipped=\"1\"") != std::string::npos);
  CHECK(xml.find("&lt;QoS 3&gt; PUBLISH &amp; close") != std::string::npos);
  CHECK(xml.find("<QoS 3>") == std::string::npos);
}

TEST_CASE("report.html shows the failures before the table of all cases") {
  std::ostringstream out;
  write_html(sample(), out);
  const std::string html = out.str();
  const auto failure = html.find("the connection stayed open");
  const auto table = html.find("All cases");
  REQUIRE(failure != std::string::npos);
  REQUIRE(table != std::string::npos);
  CHECK(failure < table);
  CHECK(html.find("<script") == std::string::npos);  // self-contained, static
}

TEST_CASE("report.json reads back for the broker matrix, which lists the cases not passed by all") {
  const std::string path = "conformance_report_test_roundtrip.json";
  {
    std::ofstream out(path);
    out << to_json(sample()).dump();
  }
  auto read = read_conformance_json(path);
  std::remove(path.c_str());
  REQUIRE(std::holds_alternative<ConformanceReport>(read));
  ConformanceReport a = std::get<ConformanceReport>(read);
  CHECK(a.cases.size() == 3);
  CHECK(a.cases[1].verdict == Verdict::fail);
  ConformanceReport b = a;
  b.target = "tcp://other:1883";
  b.cases[1].verdict = Verdict::pass;
  std::ostringstream text;
  write_compare_text({a, b}, text);
  CHECK(text.str().find("malformed.qos3: [1] fail [2] pass") != std::string::npos);
  CHECK(text.str().find("publish.qos1.puback") == std::string::npos);  // passed by both
  std::ostringstream html;
  write_compare_html({a, b}, html);
  CHECK(html.str().find("tcp://other:1883") != std::string::npos);
}

TEST_CASE("a file that is not a conformance report is refused with its name") {
  const std::string path = "conformance_report_test_other.json";
  {
    std::ofstream out(path);
    out << "{\"schema\": \"something-else\"}";
  }
  auto read = read_conformance_json(path);
  std::remove(path.c_str());
  REQUIRE(std::holds_alternative<std::string>(read));
  CHECK(std::get<std::string>(read).find(path) != std::string::npos);
}

TEST_CASE("declared deviations read back with their verdict and declaration, and older reports") {
  ConformanceReport r = sample();
  r.cases[1].verdict = Verdict::deviation;
  r.cases[1].declared_deviation = "known bug";
  CHECK_FALSE(r.any_failed());
  r.cases[2].verdict = Verdict::stale;
  CHECK(r.any_failed());
  const std::string path = "conformance_report_test_deviation.json";
  auto j = to_json(r);
  CHECK(j["summary"]["deviation"] == 1);
  CHECK(j["summary"]["stale"] == 1);
  {
    std::ofstream out(path);
    out << j.dump();
  }
  auto read = read_conformance_json(path);
  REQUIRE(std::holds_alternative<ConformanceReport>(read));
  const ConformanceReport& back = std::get<ConformanceReport>(read);
  CHECK(back.cases[1].verdict == Verdict::deviation);
  CHECK(back.cases[1].declared_deviation == "known bug");
  CHECK(back.cases[2].verdict == Verdict::stale);
  // A version 1 report (before deviation and stale existed) still reads.
  j["schema_version"] = 1;
  {
    std::ofstream out(path);
    out << j.dump();
  }
  CHECK(std::holds_alternative<ConformanceReport>(read_conformance_json(path)));
  j["schema_version"] = kConformanceSchemaVersion + 1;
  {
    std::ofstream out(path);
    out << j.dump();
  }
  CHECK(std::holds_alternative<std::string>(read_conformance_json(path)));
  std::remove(path.c_str());
}
