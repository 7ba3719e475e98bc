// Loading a scenario: YAML text (plus `--set key.path=value` overrides) to a checked
// ScenarioSpec, or every problem at once as `file:line:col: path.to.key: message`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/scenario/spec.hpp"

namespace mqttsim::sim::scenario {

struct LoadResult {
  std::optional<ScenarioSpec> spec;  // set exactly when `errors` is empty
  std::vector<std::string> errors;
};

// `name` is what messages call the text (a file path, or "<string>").
LoadResult parse_scenario(const std::string& yaml_text, const std::string& name,
                          const std::vector<std::string>& overrides = {});
LoadResult load_scenario_file(const std::string& path,
                              const std::vector<std::string>& overrides = {});

}  // namespace mqttsim::sim::scenario
