// libFuzzer harness for stream framing: the input is decoded once whole and once fed in
// chunks whose sizes come from the input itself; both must yield the same packets and the
// same verdict (incremental decoding: any split gives the same result).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/codec.hpp"
#include "protocol/packet_json.hpp"

using namespace mqttsim::protocol;

namespace {

struct Outcome {
  std::vector<std::string> packets;
  StreamDecoder::Status last = StreamDecoder::Status::need_more;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

Outcome run(const std::uint8_t* data, std::size_t size, std::uint8_t chunk_seed) {
  StreamOptions options;
  options.version = Version::v5;
  StreamDecoder decoder(options);
  Outcome out;
  std::size_t at = 0;
  std::uint32_t state = chunk_seed;
  while (at < size && out.last != StreamDecoder::Status::malformed) {
    state = state * 1103515245u + 12345u;  // chunk sizes 1..16, or everything at once for seed 0
    const std::size_t n =
        chunk_seed == 0 ? size : std::min<std::size_t>(size - at, 1 + (state >> 16) % 16);
    decoder.feed(ByteView(data + at, n));
    at += n;
    Packet packet;
    while ((out.last = decoder.next(packet)) == StreamDecoder::Status::packet) {
      out.packets.push_back(to_json(packet, Version::v5).dump());
    }
  }
  if (out.last == StreamDecoder::Status::malformed) out.error = decoder.error().reason;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t seed = static_cast<std::uint8_t>(data[0] | 1);
  if (!(run(data + 1, size - 1, 0) == run(data + 1, size - 1, seed))) __builtin_trap();
  return 0;
}
