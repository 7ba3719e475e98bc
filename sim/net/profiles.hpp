// Built-in link profiles (ethernet, wifi, lte, nbiot, gprs, lora-sf7 … lora-sf12, satellite):
// plain data, each with the source of its numbers in profiles.cpp. A scenario starts from one
// and overrides fields (the fleet benchmark, for example, sets wifi's loss to 1%).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/net/link.hpp"
#include "sim/time.hpp"

namespace mqttsim::sim::net {

struct LinkProfile {
  std::string_view name;
  TimeNs latency_ns;  // one way
  TimeNs jitter_ns;   // uniform ± jitter_ns
  std::int64_t rate_bps;
  std::int64_t queue_limit_packets;
  std::int64_t mtu_bytes;
  double loss_p;          // Bernoulli residual loss after the link layer's own retries
  double bit_error_rate;  // residual BER after FEC
  int lora_sf;            // 0 = not LoRa; else EU868 125 kHz, CR 4/5, 1% duty cycle
};

// All built-in profiles, in a fixed order.
const std::vector<LinkProfile>& builtin_profiles();
// The profile named `name`; std::invalid_argument when there is none.
const LinkProfile& find_profile(std::string_view name);
// A LinkConfig from a profile, named `link_name` (which seeds the link's random stream).
LinkConfig make_link_config(const LinkProfile& profile, std::string link_name);

}  // namespace mqttsim::sim::net
