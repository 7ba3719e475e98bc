// libFuzzer harness for the MQTT decoder. Byte 0 picks the version and the sender; the rest is
// a byte stream. Every packet the decoder accepts must re-encode, and the re-encoded bytes
// must decode to the same value; every rejection must carry a reason and a spec ref.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "protocol/codec.hpp"

using namespace mqttsim::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  constexpr Version kVersions[] = {Version::v3_1, Version::v3_1_1, Version::v5};
  StreamOptions options;
  options.sender = (data[0] & 0x80) ? Sender::server : Sender::client;
  if ((data[0] & 0x03) < 3) options.version = kVersions[data[0] & 0x03];  // 3: learn from CONNECT
  options.limits.max_user_properties = 64;
  StreamDecoder decoder(options);
  decoder.feed(ByteView(data + 1, size - 1));
  Packet packet;
  StreamDecoder::Status status;
  while ((status = decoder.next(packet)) == StreamDecoder::Status::packet) {
    const Version version = *decoder.version();
    std::vector<std::uint8_t> bytes;
    if (encode(packet, version, options.sender, bytes)) __builtin_trap();
    if (bytes.size() != encoded_size(packet, version)) __builtin_trap();
    const DecodeResult again = decode_packet(ByteView(bytes.data(), bytes.size()), version,
                                             options.sender, options.limits);
    const auto* decoded = std::get_if<Packet>(&again);
    if (decoded == nullptr || !(*decoded == packet)) __builtin_trap();
  }
  if (status == StreamDecoder::Status::malformed) {
    if (decoder.error().reason.empty() || decoder.error().spec_ref.empty()) __builtin_trap();
  }
  return 0;
}
