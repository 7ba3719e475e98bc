// Runs the suite: capability discovery per protocol version, then every selected case on its
// own World, in parallel (--jobs), each ending in a verdict with evidence. A broker that stops
// answering turns the remaining cases into `error (broker unreachable)`; the report is complete
// either way. The profile's declared deviations turn their failures into `deviation` verdicts
// and their passes into `stale` ones (see Deviation in capabilities.hpp).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "conformance/suite/suite.hpp"
#include "reports/conformance_report.hpp"

namespace mqttsim::conformance {

struct SuiteOptions {
  std::vector<Version> versions = {Version::v3_1_1, Version::v5};
  std::string only;  // a glob (* and ?) or substring on case ids; empty: every case
  unsigned jobs = 1;
  std::optional<Profile> profile;
  RunSettings settings;
  std::string program_version;
  std::function<void(const reports::CaseResult&)> on_case;  // progress, called under a lock
};

// Probes what the broker can do under `version`; notes describe the probes' findings.
Capabilities discover_capabilities(Target& target, Version version, const RunSettings& settings,
                                   std::vector<std::string>& notes);

bool matches_pattern(std::string_view pattern, std::string_view id);

reports::ConformanceReport run_suite(Target& target, const std::vector<Case>& cases,
                                     const SuiteOptions& options);

}  // namespace mqttsim::conformance
