// From a finished World to the run report: per-QoS delivery figures and latency percentiles
// from the delivery ledger, wire packets by type, per-link statistics, the timeline, the
// topology, and each expectation checked against the figures.
#pragma once

#include <string>

#include "reports/run_report.hpp"
#include "sim/scenario/world.hpp"

namespace mqttsim::sim::scenario {

// `wall_s` is how long the run took (reported, never digested).
reports::RunReport make_run_report(const World& world, double wall_s,
                                   const std::string& program_version);

}  // namespace mqttsim::sim::scenario
