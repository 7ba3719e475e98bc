// The conformance report writers: report.json keeps its schema fields, junit.xml counts and
// escapes, report.html puts failures before the table of all cases.
#include <catch2/catch.hpp>

#include <sstream>

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
