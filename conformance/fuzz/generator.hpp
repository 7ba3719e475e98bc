// The fuzzer's inputs: a small seeded PRNG, a grammar of MQTT packets written as raw bytes
// (valid, and near-valid with one named fault), the malformed classes and CVE triggers as seeds,
// byte-level mutations, and the state-aware choice of the next packet from the broker's reply.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conformance/fuzz/fuzz.hpp"
#include "sim/random.hpp"

namespace mqttsim::conformance::fuzz {

// The simulator's generator (sim/random.hpp: the same sequence on every platform) with the
// 32-bit draws the packet grammar uses.
class Prng {
 public:
  explicit Prng(std::uint64_t seed) : rng_(seed) {}
  std::uint64_t next() { return rng_.next_u64(); }
  std::uint32_t below(std::uint32_t n) {  // uniform in [0, n); n > 0
    return static_cast<std::uint32_t>(rng_.below(n));
  }
  bool chance(std::uint32_t percent) { return below(100) < percent; }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(static_cast<std::uint32_t>(items.size()))];
  }

 private:
  sim::Rng rng_;
};

// A seed for stream `stream`, item `index`, of a run seeded with `seed` (sim::Rng::fork by
// name): independent streams, so that one case's draws cannot shift another's.
std::uint64_t fork_seed(std::uint64_t seed, std::uint64_t stream, std::uint64_t index);

// What the broker's last answer says about the session: AFLNet's "response code as state".
struct ReplyState {
  std::string name = "start";  // "CONNACK:00", "PUBREC", "PUBLISH:q1", "none", "closed", ...
  int type = -1;               // packet type of the last packet received, -1 none
  std::uint16_t packet_id = 0;
  int qos = 0;
};

// Builds packets for one protocol version. Not thread-safe; one per run.
class Generator {
 public:
  Generator(protocol::Version version, std::uint64_t seed);

  // The malformed classes and CVE triggers of malformed-packets.md for this version, each a
  // whole case (with its CONNECT when the trigger comes after one).
  std::vector<std::vector<Step>> seed_cases();
  // Starts case `index`: its packets depend only on the seed, the index and the broker's replies
  // within the case, so a late reply changes one case, not every case after it.
  void begin_case(std::uint64_t index);
  // The first packet of a generated case: a valid CONNECT, sometimes a near-valid one.
  Step first_packet();
  // The next packet, chosen from the broker's last reply.
  Step next(const ReplyState& state);

  Prng& prng() { return rng_; }

 private:
  Step valid_packet();
  Step near_valid_packet();
  Step mutated_packet();
  Step stateful(const ReplyState& state, bool& chosen);
  Bytes connect_bytes(bool v5_will_delay_abuse);
  Bytes publish_bytes(std::uint8_t qos, bool dup, bool retain, const std::string& topic,
                      std::uint16_t id, const Bytes& props, const Bytes& payload);
  Bytes subscribe_bytes(std::uint16_t id, const std::string& filter, std::uint8_t options,
                        const Bytes& props, std::uint8_t first = 0x82);
  Bytes ack_bytes(std::uint8_t first, std::uint16_t id);
  Bytes valid_props(int packet_type);
  std::string topic();
  std::string filter();
  std::uint16_t packet_id();
  bool v5() const { return version_ == protocol::Version::v5; }

  protocol::Version version_;
  std::uint64_t seed_;
  Prng rng_;
  std::uint16_t next_id_ = 1;
  std::uint64_t payload_counter_ = 0;
  std::vector<std::uint16_t> qos2_ids_;  // QoS 2 publishes sent in this run, for PUBREL abuse
  Bytes last_qos2_publish_;
};

// Byte-level mutation: bit flips, interesting bytes, insertions, deletions, truncation,
// duplication; with `reframe` the fixed header is rebuilt around the mutated body.
Bytes mutate_bytes(const Bytes& packet, Prng& rng, bool reframe);

// The Remaining Length encoding of n (minimal).
Bytes varint(std::uint32_t n);

}  // namespace mqttsim::conformance::fuzz
