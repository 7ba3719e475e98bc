// The conformance suite against our own broker, in-process on virtual time: BrokerCore must
// pass every case that applies to it, for 3.1.1 and for 5.0.
#include <catch2/catch.hpp>

#include <iostream>

#include "conformance/suite/runner.hpp"

using namespace mqttsim::conformance;
using mqttsim::reports::Verdict;

namespace {

mqttsim::reports::ConformanceReport run_in_process(std::vector<Version> versions) {
  auto target = make_in_process_target({});
  SuiteOptions options;
  options.versions = std::move(versions);
  options.jobs = 2;
  return run_suite(*target, all_cases(), options);
}

void check_all_pass(const mqttsim::reports::ConformanceReport& report) {
  for (const auto& c : report.cases) {
    INFO(c.mqtt_version << " " << c.id << ": " << verdict_name(c.verdict) << " " << c.statement
                        << " " << c.reason << " (expected: " << c.expected << ")");
    CHECK((c.verdict == Verdict::pass || c.verdict == Verdict::skipped));
  }
  CHECK(report.count(Verdict::pass) > 0);
}

}  // namespace

TEST_CASE("BrokerCore passes every applicable conformance case under MQTT 3.1.1") {
  const auto report = run_in_process({Version::v3_1_1});
  CHECK(report.cases.size() >= 100);
  check_all_pass(report);
}

TEST_CASE("BrokerCore passes every applicable conformance case under MQTT 5.0") {
  const auto report = run_in_process({Version::v5});
  CHECK(report.cases.size() >= 100);
  check_all_pass(report);
}

TEST_CASE("the suite has at least 150 case instances over both versions with unique ids") {
  std::size_t instances = 0;
  for (const Case& c : all_cases()) {
    instances += ((c.versions & kV311) != 0) + ((c.versions & kV5) != 0);
    CHECK_FALSE(c.id.empty());
    CHECK(c.run != nullptr);
  }
  CHECK(instances >= 150);
}

TEST_CASE("an in-process broker without QoS 2 or retain turns those cases into skips") {
  mqttsim::protocol::BrokerConfig config;
  config.maximum_qos = mqttsim::protocol::QoS::at_least_once;
  config.retain_available = false;
  auto target = make_in_process_target(config);
  SuiteOptions options;
  options.versions = {Version::v5};
  options.only = "retain.*";
  const auto report = run_suite(*target, all_cases(), options);
  REQUIRE_FALSE(report.cases.empty());
  for (const auto& c : report.cases) {
    INFO(c.id << " " << c.reason);
    CHECK(c.verdict == Verdict::skipped);
    CHECK(c.reason.find("skipped (capability)") == 0);
  }
}

TEST_CASE("case patterns select by glob or substring") {
  CHECK(matches_pattern("retain.*", "retain.replaced"));
  CHECK_FALSE(matches_pattern("retain.*", "v5.retain_handling_1"));
  CHECK(matches_pattern("retain", "v5.retain_handling_1"));
  CHECK(matches_pattern("*qos?_*", "publish.qos_matrix.pub1_sub2") == false);
  CHECK(matches_pattern("publish.qos_matrix.pub?_sub2", "publish.qos_matrix.pub1_sub2"));
  CHECK(matches_pattern("", "anything"));
}
