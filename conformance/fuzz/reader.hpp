// The fuzzer's view of a byte stream: our strict stream decoder with only the specification's
// limits, and the MQTT version a broker answers a given first packet in.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "protocol/codec.hpp"

namespace mqttsim::conformance::fuzz {

// Only the specification's limits: mqttsim's own (User Property count, topic depth) are
// defences of our broker, not rules another broker breaks by accepting more.
inline protocol::DecodeLimits spec_limits() {
  protocol::DecodeLimits limits;
  limits.max_user_properties = std::numeric_limits<std::size_t>::max();
  limits.topic.max_levels = std::numeric_limits<std::size_t>::max();
  return limits;
}

// The version the broker answers in: the level of the CONNECT actually sent (a mutated CONNECT
// may carry another one; a name or level it does not know gets a 3.1.1 answer), else the run's.
inline protocol::Version reply_version(const std::vector<std::uint8_t>& first,
                                       protocol::Version fallback) {
  if (first.size() < 2 || first[0] != 0x10) return fallback;
  std::size_t i = 1;
  while (i < first.size() && i < 5 && (first[i] & 0x80)) ++i;
  i += 1;  // past the Remaining Length
  if (i + 2 > first.size()) return fallback;
  const std::size_t name_len = static_cast<std::size_t>(first[i] << 8 | first[i + 1]);
  const std::size_t level_at = i + 2 + name_len;
  if (level_at >= first.size()) return fallback;
  const std::string name(first.begin() + static_cast<std::ptrdiff_t>(i + 2),
                         first.begin() + static_cast<std::ptrdiff_t>(level_at));
  // A broker that cannot tell the version answers as 3.1.1 does: CONNACK return code 1.
  if (name != "MQTT" && name != "MQIsdp") return protocol::Version::v3_1_1;
  switch (first[level_at]) {
    case 3:
      return protocol::Version::v3_1;
    case 5:
      return protocol::Version::v5;
    default:
      return protocol::Version::v3_1_1;
  }
}

// Decodes a stream chunk by chunk; packets are handed out while their bytes are alive.
class Reader {
 public:
  Reader(protocol::Sender sender, std::optional<protocol::Version> version, bool connect_order)
      : dec_(protocol::StreamOptions{sender, version, spec_limits(), connect_order}) {}
  // Calls on_packet for each complete packet; false when the stream is malformed.
  template <typename F>
  bool feed(const std::vector<std::uint8_t>& bytes, F&& on_packet) {
    if (dead_) return false;
    dec_.feed(protocol::ByteView(bytes.data(), bytes.size()));
    protocol::Packet p;
    for (;;) {
      const auto status = dec_.next(p);
      if (status == protocol::StreamDecoder::Status::need_more) return true;
      if (status == protocol::StreamDecoder::Status::malformed) {
        dead_ = true;
        return false;
      }
      on_packet(p);
    }
  }
  const protocol::Malformed& error() const { return dec_.error(); }
  bool dead() const { return dead_; }

 private:
  protocol::StreamDecoder dec_;
  bool dead_ = false;
};

}  // namespace mqttsim::conformance::fuzz
