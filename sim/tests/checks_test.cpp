// The QoS invariants on hand-made ledgers, and the exploration: generated scenarios load and
// replay, the cores without mutants pass, and each mutant is caught within a bounded number of
// runs with a shrunk counterexample that fails again.
#include <catch2/catch.hpp>

#include "sim/checks/explore.hpp"

using namespace mqttsim::sim::checks;

TEST_CASE("a generated scenario loads and runs") {
  GenScenario s;
  s.publishers.push_back({});
  s.subscribers.push_back({});
  const CaseResult r = run_case(to_yaml(s, {}), std::nullopt);
  INFO(to_yaml(s, {}));
  REQUIRE(r.load_errors.empty());
  CHECK(r.messages > 0);
}
