// Random exploration (issue 6): RapidCheck generates whole scenarios (scenario_gen.hpp), each
// is loaded through parse_scenario, run through a World (with the chosen mutants) and checked
// against every invariant; a failure is shrunk to a minimal scenario file that replays it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocol/mutants.hpp"
#include "sim/checks/invariants.hpp"
#include "sim/checks/scenario_gen.hpp"

namespace mqttsim::sim::checks {

// One scenario file, run and checked.
struct CaseResult {
  std::vector<std::string> load_errors;  // the YAML did not load (or World refused it)
  std::vector<Violation> violations;
  std::uint64_t messages = 0;
  std::uint64_t deliveries = 0;
  std::uint64_t retained_copies = 0;  // deliveries flagged RETAIN: sent on subscribe
  std::uint64_t reported_lost = 0;    // publishes whose publisher was told they are lost
};
CaseResult run_case(const std::string& yaml_text, protocol::MutantSet broker_mutants,
                    protocol::MutantSet client_mutants);
// The same with one mutant (or none).
CaseResult run_case(const std::string& yaml_text, std::optional<protocol::Mutant> mutant);

struct ExploreOptions {
  int runs = 100;
  std::uint64_t seed = 1;
  GenLimits limits;
  std::optional<protocol::Mutant> mutant;
  bool shrink = true;
};

struct ExploreProgress {
  int runs_done = 0;  // generated cases finished (shrink attempts not counted)
  int runs = 0;
  int shrinks_tried = 0;
  bool shrinking = false;
};

struct Counterexample {
  std::string yaml;     // the shrunk scenario, with a header naming the mutant and the invariant
  Violation violation;  // the first violation of the shrunk scenario
  int violations = 0;   // in the shrunk scenario
  std::string size;     // describe_size() of the shrunk scenario
  int found_after_runs = 0;  // generated cases up to and including the first failing one
  int shrink_steps = 0;      // accepted shrinks
};

struct ExploreResult {
  int runs_passed = 0;
  std::optional<Counterexample> counterexample;
  std::string error;  // RapidCheck gave up or failed outside the property
};

// Runs up to options.runs generated scenarios; stops at the first that breaks an invariant and
// shrinks it (keeping the invariant it first broke). Deterministic for a given seed.
ExploreResult explore(const ExploreOptions& options,
                      const std::function<void(const ExploreProgress&)>& progress = {});

}  // namespace mqttsim::sim::checks
