// BrokerCore's configuration from YAML, shared by a scenario's `broker:` section and
// `mqttsim broker --config FILE`. Every key is optional and named as in BrokerConfig.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "protocol/broker/broker_config.hpp"
#include "sim/scenario/yaml_reader.hpp"

namespace mqttsim::sim::scenario {

// The BrokerConfig keys, for "did you mean" and for documentation checks.
const std::vector<std::string>& broker_config_keys();

// Reads the BrokerConfig keys of mapping `node` into `config`; keys in `extra_keys` are left to
// the caller, any other key is reported as unknown.
void read_broker_config(YamlReader& reader, const YAML::Node& node, const std::string& path,
                        const std::vector<std::string>& extra_keys, protocol::BrokerConfig& config);

using BrokerConfigResult = std::variant<protocol::BrokerConfig, std::vector<std::string>>;
BrokerConfigResult parse_broker_config(const std::string& yaml_text, const std::string& name);
BrokerConfigResult load_broker_config(const std::string& path);

}  // namespace mqttsim::sim::scenario
