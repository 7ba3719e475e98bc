// Properties of the codec over generated packets and bytes: round trips for every type and
// version, any chunking of a stream decodes the same, arbitrary and mutated bytes never crash
// and are either decoded (and then re-encodable) or rejected with a reason and a rule.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "packet_gen.hpp"
#include "protocol/codec.hpp"

using namespace mqttsim::protocol;
using mqttsim::protocol::testing::Sample;

namespace {

std::vector<std::uint8_t> encode_ok(const Sample& s) {
  std::vector<std::uint8_t> bytes;
  const auto error = encode(s.packet, s.version, s.sender, bytes);
  RC_ASSERT(!error.has_value());
  return bytes;
}

// Decodes a whole stream fed in the given chunk sizes; returns the packets as JSON text so
// they outlive the decoder's views.
std::vector<std::string> decode_chunked(const std::vector<std::uint8_t>& stream, Version version,
                                        Sender sender, const std::vector<std::size_t>& cuts) {
  StreamOptions options;
  options.version = version;
  options.sender = sender;
  StreamDecoder decoder(options);
  std::vector<std::string> out;
  std::size_t at = 0;
  std::size_t cut = 0;
  Packet packet;
  while (at < stream.size()) {
    const std::size_t n =
        std::min(stream.size() - at, cuts.empty() ? stream.size() : 1 + cuts[cut++ % cuts.size()]);
    decoder.feed(ByteView(stream.data() + at, n));
    at += n;
    StreamDecoder::Status status;
    while ((status = decoder.next(packet)) == StreamDecoder::Status::packet) {
      out.push_back(to_json(packet, version).dump());
    }
    RC_ASSERT(status == StreamDecoder::Status::need_more);
  }
  RC_ASSERT(decoder.buffered_bytes() == 0u);
  return out;
}

void check_rejection_or_round_trip(const std::vector<std::uint8_t>& bytes, Version v, Sender s) {
  const DecodeResult result = decode_packet(ByteView(bytes.data(), bytes.size()), v, s);
  if (const auto* error = std::get_if<Malformed>(&result)) {
    RC_ASSERT(!error->reason.empty());
    RC_ASSERT(!error->spec_ref.empty());
    RC_ASSERT(error->offset <= bytes.size());
    return;
  }
  // Whatever the decoder accepts, the encoder must be able to write back, and that must
  // decode to the same value (a CONNECT carries its own version).
  const Packet& packet = std::get<Packet>(result);
  const Version own =
      std::holds_alternative<Connect>(packet) ? std::get<Connect>(packet).version : v;
  std::vector<std::uint8_t> again;
  const auto error = encode(packet, own, s, again);
  RC_ASSERT(!error.has_value());
  const DecodeResult second = decode_packet(ByteView(again.data(), again.size()), own, s);
  RC_ASSERT(std::holds_alternative<Packet>(second));
  RC_ASSERT(std::get<Packet>(second) == packet);
}

}  // namespace

TEST_CASE("every generated packet decodes to itself after encoding") {
  rc::prop("decode(encode(p)) == p for every type and version", [](const Sample& s) {
    const std::vector<std::uint8_t> bytes = encode_ok(s);
    RC_ASSERT(bytes.size() == encoded_size(s.packet, s.version));
    const DecodeResult result =
        decode_packet(ByteView(bytes.data(), bytes.size()), s.version, s.sender);
    if (const auto* error = std::get_if<Malformed>(&result))
      RC_FAIL(error->reason + " [" + std::string(error->spec_ref) + "]");
    RC_ASSERT(std::get<Packet>(result) == s.packet);
    RC_TAG(packet_type_name(packet_type(s.packet)));
  });
}

TEST_CASE("any split of a stream decodes to the same packets") {
  rc::prop("chunking does not change the decoded packets", [] {
    const Version version = *mqttsim::protocol::testing::gen_version();
    const Sender sender = *rc::gen::element(Sender::client, Sender::server);
    const auto samples = *rc::gen::container<std::vector<Sample>>(
        *rc::gen::inRange(1, 12), mqttsim::protocol::testing::gen_sample_for(version, sender));
    std::vector<std::uint8_t> stream;
    for (const Sample& s : samples) {
      // A CONNECT changes the stream's version, so keep a single-version stream.
      if (std::holds_alternative<Connect>(s.packet)) continue;
      const auto bytes = encode_ok(s);
      stream.insert(stream.end(), bytes.begin(), bytes.end());
    }
    RC_PRE(!stream.empty());
    const auto cuts =
        *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, 40));
    RC_ASSERT(decode_chunked(stream, version, sender, cuts) ==
              decode_chunked(stream, version, sender, {}));
  });
}

TEST_CASE("arbitrary bytes are decoded or rejected with a reason, never a crash") {
  rc::prop("random packet bodies", [](std::vector<std::uint8_t> body, std::uint8_t first) {
    const Version v = *mqttsim::protocol::testing::gen_version();
    const Sender s = *rc::gen::element(Sender::client, Sender::server);
    std::vector<std::uint8_t> bytes = {first};
    body.resize(std::min<std::size_t>(body.size(), 120));
    for (std::uint32_t n = static_cast<std::uint32_t>(body.size());;) {  // a valid Remaining Length
      bytes.push_back(static_cast<std::uint8_t>((n & 0x7F) | (n > 0x7F ? 0x80 : 0)));
      n >>= 7;
      if (n == 0) break;
    }
    bytes.insert(bytes.end(), body.begin(), body.end());
    check_rejection_or_round_trip(bytes, v, s);
  });
  rc::prop("random streams through the stream decoder", [](std::vector<std::uint8_t> bytes) {
    StreamOptions options;
    options.version = *mqttsim::protocol::testing::gen_version();
    StreamDecoder decoder(options);
    decoder.feed(ByteView(bytes.data(), bytes.size()));
    Packet packet;
    StreamDecoder::Status status;
    int packets = 0;
    while ((status = decoder.next(packet)) == StreamDecoder::Status::packet) ++packets;
    RC_ASSERT(packets <= static_cast<int>(bytes.size()) / 2);
    if (status == StreamDecoder::Status::malformed) {
      RC_ASSERT(!decoder.error().reason.empty());
      RC_ASSERT(decoder.next(packet) == StreamDecoder::Status::malformed);  // stays dead
    }
  });
}

TEST_CASE("mutated valid packets are decoded or rejected, and what decodes re-encodes") {
  rc::prop("one corrupted byte", [](const Sample& s) {
    std::vector<std::uint8_t> bytes = encode_ok(s);
    const auto index = *rc::gen::inRange<std::size_t>(0, bytes.size());
    bytes[index] = *rc::gen::arbitrary<std::uint8_t>();
    check_rejection_or_round_trip(bytes, s.version, s.sender);
  });
}
