// RapidCheck generators for MQTT packets of every type and version, valid by construction.
// Generated strings live in a shared TextStore, so a Sample can be copied and shrunk freely
// while its packet's views stay valid.
#pragma once

#include <rapidcheck.h>

#include <memory>
#include <string>

#include "protocol/codec.hpp"
#include "protocol/packet_json.hpp"

namespace mqttsim::protocol::testing {

struct Sample {
  std::shared_ptr<TextStore> store;
  Packet packet;
  Version version = Version::v3_1_1;
  Sender sender = Sender::client;
};

rc::Gen<Version> gen_version();
// A valid packet of any type that `sender` may send under `version`.
rc::Gen<Sample> gen_sample();
rc::Gen<Sample> gen_sample_for(Version version, Sender sender);

}  // namespace mqttsim::protocol::testing

namespace rc {
template <>
struct Arbitrary<mqttsim::protocol::testing::Sample> {
  static Gen<mqttsim::protocol::testing::Sample> arbitrary() {
    return mqttsim::protocol::testing::gen_sample();
  }
};
}  // namespace rc

namespace mqttsim::protocol::testing {
// Counterexamples print as the JSON that `mqttsim decode` would show.
inline void showValue(const Sample& s, std::ostream& os) {
  os << "MQTT " << version_name(s.version) << " from "
     << (s.sender == Sender::client ? "client" : "server") << ": "
     << to_json(s.packet, s.version).dump();
}
}  // namespace mqttsim::protocol::testing
