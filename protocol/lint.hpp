// Findings about a well-formed packet that a peer may still object to: code points the
// specification discourages, a payload marked UTF-8 that is not, client ids a server need not
// accept. The decoder accepts all of these; `mqttsim decode` reports them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/packets.hpp"

namespace mqttsim::protocol {

struct Finding {
  std::string field;    // e.g. "topic", "properties.user_properties[2].value"
  std::string message;  // what a peer may do about it
  std::string_view spec_ref;
};

std::vector<Finding> lint(const Packet& packet, Version version);

}  // namespace mqttsim::protocol
