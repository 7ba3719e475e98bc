// libFuzzer harness for the MQTT-SN decoder: any input must decode or be rejected without a
// crash, and an accepted datagram must re-encode to the same octets and decode to the same
// packet (the decoder accepts only canonical encodings). Seeds: corpus/mqttsn/.
#include <cstddef>
#include <cstdint>
#include <variant>
#include <vector>

#include "protocol/mqttsn.hpp"

namespace sn = mqttsim::protocol::sn;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const mqttsim::protocol::ByteView input(data, size);
  const sn::DecodeResult first = sn::decode(input);
  const auto* packet = std::get_if<sn::Packet>(&first);
  if (packet == nullptr) {
    const auto& error = std::get<mqttsim::protocol::Malformed>(first);
    if (error.reason.empty() || error.spec_ref.empty() || error.offset > size) __builtin_trap();
    return 0;
  }
  std::vector<std::uint8_t> encoded;
  if (sn::encode(*packet, encoded)) __builtin_trap();  // decode accepted what encode refuses
  if (encoded.size() != sn::encoded_size(*packet)) __builtin_trap();
  if (encoded != std::vector<std::uint8_t>(data, data + size)) __builtin_trap();
  const sn::DecodeResult second = sn::decode(mqttsim::protocol::ByteView(encoded));
  const auto* again = std::get_if<sn::Packet>(&second);
  if (again == nullptr || !(*again == *packet)) __builtin_trap();
  return 0;
}
