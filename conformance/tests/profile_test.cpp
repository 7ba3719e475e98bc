// Broker profiles and declared deviations: the loader locates its errors as FILE:LINE:COL and
// checks case ids and versions; the runner turns a declared failure into `deviation` (the run
// still passes) and a declared pass into `stale` (the run fails), and the reports show both.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "conformance/suite/runner.hpp"

using namespace mqttsim::conformance;
using mqttsim::reports::Verdict;

namespace {

const std::string kProfiles = std::string(MQTTSIM_SOURCE_DIR) + "/conformance/profiles/";

// Writes `text` to a scratch profile and loads it.
std::variant<Profile, std::string> load_text(const std::string& text) {
  const std::string path = "profile_test_scratch.yaml";
  {
    std::ofstream out(path);
    out << text;
  }
  auto loaded = load_profile(path);
  std::remove(path.c_str());
  return loaded;
}

std::string error_of(const std::variant<Profile, std::string>& loaded) {
  const auto* e = std::get_if<std::string>(&loaded);
  return e == nullptr ? std::string("(loaded)") : *e;
}

// A case that connects (so it has evidence) and then fails or passes as told.
Case scripted(std::string id, bool fails) {
  Case c;
  c.id = std::move(id);
  c.title = "a scripted case";
  c.area = "test";
  c.versions = kV5;
  c.run = [fails](CaseContext& ctx) {
    ctx.client().connect_clean();
    if (fails) ctx.fail("MQTT-0.0.0-1", "the scripted failure", "a pass");
  };
  return c;
}

mqttsim::reports::ConformanceReport run_declared(const std::vector<Case>& cases,
                                                 std::vector<Deviation> deviations) {
  auto target = make_in_process_target({});
  SuiteOptions options;
  options.versions = {Version::v5};
  Profile profile;
  profile.deviations = std::move(deviations);
  options.profile = profile;
  return run_suite(*target, cases, options);
}

const mqttsim::reports::CaseResult& result(const mqttsim::reports::ConformanceReport& r,
                                           const std::string& id) {
  for (const auto& c : r.cases) {
    if (c.id == id) return c;
  }
  FAIL("no result for " << id);
  throw;
}

}  // namespace

TEST_CASE("the shipped broker profiles load, and their deviations name real cases with reasons") {
  for (const char* name : {"mosquitto.yaml", "ejabberd.yaml", "aedes.yaml", "rabbitmq.yaml"}) {
    INFO(name);
    const auto loaded = load_profile(kProfiles + name);
    INFO(error_of(loaded));
    REQUIRE(std::holds_alternative<Profile>(loaded));
    for (const Deviation& d : std::get<Profile>(loaded).deviations) {
      CHECK_FALSE(d.reason.empty());
      CHECK(d.line > 0);
    }
  }
  const Profile mosquitto = std::get<Profile>(load_profile(kProfiles + "mosquitto.yaml"));
  CHECK(find_deviation(mosquitto, "malformed.c05.pingreq_flags", "3.1.1") != nullptr);
  CHECK(find_deviation(mosquitto, "subscribe.overlapping", "3.1.1") != nullptr);
  CHECK(find_deviation(mosquitto, "subscribe.overlapping", "5.0") == nullptr);
}

TEST_CASE("a deviation naming an unknown case is refused with file, line and column") {
  const std::string error = error_of(load_profile(
      std::string(MQTTSIM_SOURCE_DIR) + "/conformance/tests/profiles/unknown-deviation.yaml"));
  CHECK(error.find("unknown-deviation.yaml:7:11: deviations: unknown case id 'no.such.case'") !=
        std::string::npos);
}

TEST_CASE("a deviation is refused for a version its case does not run under, or twice") {
  CHECK(error_of(load_text("deviations:\n  - case: v5.will_delay\n    mqtt: 3.1.1\n"
                           "    reason: r\n"))
            .find(":2:11: deviations: case 'v5.will_delay' does not run under MQTT 3.1.1") !=
        std::string::npos);
  CHECK(error_of(load_text("deviations:\n  - case: connect.pingreq\n    reason: r\n"
                           "  - case: connect.pingreq\n    mqtt: 5\n    reason: again\n"))
            .find(":4:5: deviations: 'connect.pingreq' (MQTT 5.0) declared twice") !=
        std::string::npos);
  CHECK(error_of(load_text("deviations:\n  - case: connect.pingreq\n")).find("needs a reason") !=
        std::string::npos);
  CHECK(error_of(load_text("deviations:\n  - case: connect.pingreq\n    reason: r\n"
                           "    because: x\n"))
            .find(":4:5: deviations: unknown key 'because'") != std::string::npos);
  CHECK(error_of(load_text("capabilities:\n  maximum_qos: 3\n")).find(":2:3: ") !=
        std::string::npos);
}

TEST_CASE("a declared failure is a deviation with evidence and does not fail the run") {
  const auto report =
      run_declared({scripted("t.declared", true), scripted("t.passes", false)},
                   {Deviation{"t.declared", "5.0", "the broker's known bug", false, 3}});
  const auto& declared = result(report, "t.declared");
  CHECK(declared.verdict == Verdict::deviation);
  CHECK(declared.declared_deviation == "the broker's known bug");
  CHECK(declared.reason == "the scripted failure");
  CHECK_FALSE(declared.evidence.empty());
  CHECK(result(report, "t.passes").verdict == Verdict::pass);
  CHECK_FALSE(report.any_failed());

  const auto json = mqttsim::reports::to_json(report);
  CHECK(json["summary"]["deviation"] == 1);
  CHECK(json["cases"][0]["declared_deviation"] == "the broker's known bug");
  CHECK_FALSE(json["cases"][0]["evidence"].empty());
  std::ostringstream junit, html;
  mqttsim::reports::write_junit(report, junit);
  mqttsim::reports::write_html(report, html);
  CHECK(junit.str().find("failures=\"0\"") != std::string::npos);
  CHECK(junit.str().find("<skipped type=\"deviation\" message=\"deviation (declared): the "
                         "broker&#39;s known bug") != std::string::npos);
  CHECK(html.str().find("Declared deviations") != std::string::npos);
  CHECK(html.str().find("the scripted failure") != std::string::npos);
}

TEST_CASE("a declared case that passes is a stale declaration and fails the run, unless flaky") {
  const auto report = run_declared(
      {scripted("t.stale", false), scripted("t.flaky", false), scripted("t.undeclared", true)},
      {Deviation{"t.stale", "", "fixed since", false, 4},
       Deviation{"t.flaky", "5.0", "timing", true, 5}});
  const auto& stale = result(report, "t.stale");
  CHECK(stale.verdict == Verdict::stale);
  CHECK(stale.reason.find("stale declaration") == 0);
  CHECK(stale.reason.find("line 4") != std::string::npos);
  CHECK(result(report, "t.flaky").verdict == Verdict::pass);
  CHECK(result(report, "t.undeclared").verdict == Verdict::fail);
  CHECK(report.any_failed());
  const auto only_stale = run_declared({scripted("t.stale", false)},
                                       {Deviation{"t.stale", "", "fixed since", false, 4}});
  CHECK(only_stale.any_failed());
  std::ostringstream junit;
  mqttsim::reports::write_junit(only_stale, junit);
  CHECK(junit.str().find("<failure message=\"stale declaration") != std::string::npos);
}
