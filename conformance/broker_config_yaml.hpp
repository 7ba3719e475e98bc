// `mqttsim broker --config FILE`: a BrokerConfig from YAML. Every key is optional and named as
// in BrokerConfig; unknown keys, wrong types and out-of-range values are reported together as
// `file:line:col: key: message`, with a "did you mean" for near misses.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "protocol/broker/broker_config.hpp"

namespace mqttsim::conformance {

using BrokerConfigResult = std::variant<protocol::BrokerConfig, std::vector<std::string>>;

BrokerConfigResult load_broker_config(const std::string& path);
BrokerConfigResult parse_broker_config(const std::string& yaml_text, const std::string& name);

}  // namespace mqttsim::conformance
