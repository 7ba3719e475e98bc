// Internals shared by the scenario loader's files (load.cpp, load_clients.cpp,
// load_faults.cpp): one function per section, each reporting into the same YamlReader.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario/spec.hpp"
#include "sim/scenario/yaml_reader.hpp"

namespace mqttsim::sim::scenario::detail {

// A link's configuration: `profile` (default `default_profile`) plus overrides from `node`,
// and its reverse direction's: the same, then the overrides under `reverse:`. `extra_keys` are
// further keys the caller reads itself (e.g. "between").
void read_link(YamlReader& reader, const YAML::Node& node, const std::string& path,
               const std::string& link_name, std::string_view default_profile,
               const std::vector<std::string>& extra_keys, std::string& profile,
               net::LinkConfig& config, net::LinkConfig& reverse);

// A loss model: a probability (Bernoulli), or a mapping {model, p, p_good_to_bad, ...}
// whose model defaults to bernoulli. `extra_keys` are further keys the caller reads itself.
void read_loss(YamlReader& reader, const YAML::Node& node, const std::string& path,
               net::LossConfig& loss, const std::vector<std::string>& extra_keys = {});

void read_clients(YamlReader& reader, const YAML::Node& node, ScenarioSpec& spec);
void read_faults(YamlReader& reader, const YAML::Node& node, ScenarioSpec& spec);
void read_expectations(YamlReader& reader, const YAML::Node& node, ScenarioSpec& spec);
void read_measure(YamlReader& reader, const YAML::Node& node, ScenarioSpec& spec);

// Whether `name` matches `pattern`, where '*' stands for any run of characters.
bool glob_match(std::string_view pattern, std::string_view name);

}  // namespace mqttsim::sim::scenario::detail
