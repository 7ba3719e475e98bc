// The run report writers: report.json carries the schema fields, and report.html is one
// self-contained file with its SVG charts, the failures named first.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reports/run_report.hpp"

using namespace mqttsim::reports;

namespace {

RunReport sample() {
  RunReport r;
  r.scenario_name = "demo <&>";
  r.seed = 9;
  r.duration_ns = 60'000'000'000;
  r.trace_digest = "00000000000000ff";
  QosStats q;
  q.qos = 1;
  q.sent = 100;
  q.expected = 200;
  q.delivered = 199;
  q.lost = 1;
  q.delivery_ratio = 0.995;
  q.latency_p50_ns = 3'000'000;
  q.latency_cdf_ns = {1'000'000, 3'000'000, 9'000'000};
  q.wire_packets = 400;
  q.wire_messages = 100;
  r.qos.push_back(q);
  r.wire = {{"PUBLISH", 300, 12000}, {"PUBACK", 300, 1200}};
  r.timeline = {{0, 50, 99, 1}, {1'000'000'000, 50, 100, 0}};
  r.nodes = {{"broker", "broker"}};
  for (int i = 0; i < 30; ++i) r.nodes.push_back({"s-" + std::to_string(i), "client"});
  for (int i = 0; i < 30; ++i) r.edges.push_back({"s-" + std::to_string(i), "broker", "a"});
  r.expectations = {{"delivery_ratio >= 0.999 for qos 1", false, 0.995, "0.995"},
                    {"duplicates == 0 for qos 2", true, 0, "0"}};
  return r;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("report.json has the versioned schema and the per-QoS figures", "[report]") {
  std::ostringstream out;
  write_run_json(sample(), out);
  const auto doc = nlohmann::json::parse(out.str());
  CHECK(doc["schema"] == "mqttsim-run-report");
  CHECK(doc["schema_version"] == kRunReportSchemaVersion);
  CHECK(doc["passed"] == false);
  CHECK(doc["qos"][0]["delivered"] == 199);
  CHECK(doc["qos"][0]["latency_ns"]["p50"] == 3'000'000);
  CHECK(doc["qos"][0]["latency_ns"]["p99"].is_null());
  CHECK(doc["wire"][1]["packet_type"] == "PUBACK");
  CHECK(doc["timeline"].size() == 2);
  CHECK(doc["expectations"][0]["met"] == false);
}

TEST_CASE("report.html is self-contained, escaped, and lists a missed expectation first",
          "[report]") {
  std::ostringstream out;
  write_run_html(sample(), out);
  const std::string html = out.str();
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(count(html, "<svg") == 4);
  CHECK(count(html, "<svg") == count(html, "</svg>"));
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);  // nothing to fetch: it opens offline
  CHECK(html.find("demo &lt;&amp;&gt;") != std::string::npos);
  CHECK(html.find("NOT MET") < html.find("Latency CDF"));
  CHECK(html.find("+18 more") != std::string::npos);       // 30 clients drawn as 12 and a count
  CHECK(html.find("<td>4.00</td>") != std::string::npos);  // 400 wire packets for 100 sent
}

TEST_CASE("durations print in a readable unit", "[report]") {
  CHECK(format_duration(850) == "850 ns");
  CHECK(format_duration(12'300'000) == "12.3 ms");
  CHECK(format_duration(4'070'000'000) == "4.07 s");
}
