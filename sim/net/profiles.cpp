// The built-in link profiles' numbers and where they come from. Where a standard gives only a
// bound or a peak, the comment says which typical value was taken and why.
#include "sim/net/profiles.hpp"

#include <stdexcept>
#include <utility>

namespace mqttsim::sim::net {
namespace {

constexpr TimeNs us = kNsPerUs;
constexpr TimeNs ms = kNsPerMs;

// LoRa, EU863-870 (LoRaWAN Regional Parameters RP002-1.0.3, EU863-870 section): 125 kHz channels,
// CR 4/5, sub-band g1 (868.0-868.6 MHz, h1.4 in ERC Rec 70-03 Annex 1, which holds the three
// default channels) limited to 1% duty cycle by ETSI EN 300 220-2; the MTU is the maximum MAC
// payload M of the data rate (DR5 SF7, DR4 SF8: 230; DR3 SF9: 123; DR2..DR0 SF10..SF12: 59).
// Airtime (Semtech AN1200.13) replaces rate_bps. Latency: radio propagation only, 20 µs ≈ 6 km at
// c. Loss 1%: an assumption for a device in fair coverage (no ARQ on unconfirmed uplinks).
constexpr LinkProfile lora(std::string_view name, int sf, std::int64_t mtu) {
  return LinkProfile{name, 20 * us, 0, 0, 8, mtu, 0.01, 0, sf};
}

const std::vector<LinkProfile> kProfiles = {
    // IEEE 802.3ab 1000BASE-T: 1 Gbit/s, MTU 1500 (the 802.3 maximum client data), BER < 1e-10
    // required by clause 40, 1e-12 taken as typical. 50 µs ± 10 µs one way for a switched LAN
    // hop is an assumption. Queue 1000 packets: Linux's default txqueuelen.
    {"ethernet", 50 * us, 10 * us, 1'000'000'000, 1000, 1500, 0, 1e-12, 0},
    // IEEE 802.11n home Wi-Fi: 54 Mbit/s (the 802.11a/g top PHY rate) as a conservative effective
    // throughput, 2 ms ± 1 ms one way for contention and power save (assumptions). MAC-level ARQ
    // leaves little loss: 0.1% residual is an assumption. MTU 1500 (802.11 carries Ethernet
    // frames via 802.2 LLC/SNAP).
    {"wifi", 2 * ms, 1 * ms, 54'000'000, 1000, 1500, 0.001, 0, 0},
    // LTE: 3GPP TS 23.203 table 6.1.7, QCI 9 (default bearer): packet error loss rate 1e-6,
    // delay budget 300 ms; the typical loaded one-way latency is taken as 25 ms ± 10 ms (TS 36.913
    // asks < 5 ms unloaded user plane). 10 Mbit/s uplink: a Cat 4 device well below its 50 Mbit/s
    // peak (TS 36.306). MTU 1358: 3GPP TS 23.060 Annex C recommends it to avoid fragmentation
    // under GTP-U.
    {"lte", 25 * ms, 10 * ms, 10'000'000, 1000, 1358, 1e-6, 0, 0},
    // NB-IoT (Cat NB1, 3GPP TS 36.306): uplink peak about 62.5 kbit/s multi-tone, 20 kbit/s taken
    // as typical; 3GPP TR 45.820 targets latency < 10 s for exception reports, 1 s ± 0.5 s one way
    // in normal coverage is taken here. MTU 1358 (TS 23.060 Annex C). Residual loss 1e-4 is an
    // assumption (RLC AM retransmits).
    {"nbiot", 1000 * ms, 500 * ms, 20'000, 100, 1358, 1e-4, 0, 0},
    // GPRS (2G): CS-2 gives 13.4 kbit/s per timeslot (3GPP TS 45.003); 3 uplink slots ≈ 40 kbit/s.
    // RFC 3481 (TCP over 2.5G/3G) reports RTTs of several hundred ms up to 1 s: 300 ms ± 100 ms
    // one way. MTU 1358 (TS 23.060 Annex C). Residual loss 1e-3 is an assumption.
    {"gprs", 300 * ms, 100 * ms, 40'000, 100, 1358, 1e-3, 0, 0},
    lora("lora-sf7", 7, 230),
    lora("lora-sf8", 8, 230),
    lora("lora-sf9", 9, 123),
    lora("lora-sf10", 10, 59),
    lora("lora-sf11", 11, 59),
    lora("lora-sf12", 12, 59),
    // GEO satellite: 35,786 km altitude gives ≥ 239 ms one way ground-satellite-ground; with
    // slant range and processing about 280 ms, an RTT near 600 ms (ITU-T G.114 discusses
    // GEO hops of about 280 ms). 10 Mbit/s return link, DVB-S2 (ETSI EN 302 307) targets
    // "quasi error free" PER 1e-7 after FEC: taken as the Bernoulli loss. MTU 1500.
    {"satellite", 280 * ms, 10 * ms, 10'000'000, 1000, 1500, 1e-7, 0, 0},
};

}  // namespace

const std::vector<LinkProfile>& builtin_profiles() {
  return kProfiles;
}

const LinkProfile& find_profile(std::string_view name) {
  for (const LinkProfile& p : kProfiles) {
    if (p.name == name) return p;
  }
  throw std::invalid_argument("unknown link profile '" + std::string(name) + "'");
}

LinkConfig make_link_config(const LinkProfile& profile, std::string link_name) {
  LinkConfig c;
  c.name = std::move(link_name);
  c.latency_ns = profile.latency_ns;
  c.jitter = profile.jitter_ns > 0 ? JitterKind::uniform : JitterKind::none;
  c.jitter_ns = profile.jitter_ns;
  c.rate_bps = profile.rate_bps;
  c.queue_limit_packets = profile.queue_limit_packets;
  c.mtu_bytes = profile.mtu_bytes;
  if (profile.loss_p > 0) c.loss = LossConfig{LossKind::bernoulli, profile.loss_p, 0, 1, 0, 1};
  c.bit_error_rate = profile.bit_error_rate;
  if (profile.lora_sf > 0) {
    c.duty_cycle.enabled = true;
    c.duty_cycle.lora.spreading_factor = profile.lora_sf;
    c.duty_cycle.duty_cycle = 0.01;
    c.duty_cycle.sub_band = "g1";
  }
  return c;
}

}  // namespace mqttsim::sim::net
