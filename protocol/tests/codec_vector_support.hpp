// Helpers shared by the byte-vector tests: check a hand-written wire image against a packet
// value in both directions, and check that bytes are rejected with a named rule. Expected
// bytes always come from the test, never from the encoder under test.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/codec.hpp"

namespace mqttsim::protocol::test {

using Bytes = std::vector<std::uint8_t>;

inline ByteView view(const Bytes& bytes) {
  return ByteView(bytes.data(), bytes.size());
}

// Appends `text` as raw bytes, for building long payloads and topics.
inline void append(Bytes& out, std::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}

// Decoding `wire` gives `expected` (nothing more, nothing less).
inline void check_decodes_to(const Bytes& wire, const Packet& expected, Version version,
                             Sender sender) {
  const DecodeResult result = decode_packet(view(wire), version, sender);
  if (const auto* error = std::get_if<Malformed>(&result)) {
    FAIL("decoding was rejected: " << error->reason << " [" << std::string(error->spec_ref)
                                   << "] at offset " << error->offset);
  }
  CHECK(std::get<Packet>(result).index() == expected.index());
  CHECK(std::get<Packet>(result) == expected);
}

// `wire` and `expected` describe the same packet both ways: decoding gives the value,
// encoding gives exactly the bytes, and encoded_size agrees.
inline void check_vector(const Bytes& wire, const Packet& expected, Version version,
                         Sender sender) {
  check_decodes_to(wire, expected, version, sender);
  Bytes encoded;
  const auto error = encode(expected, version, sender, encoded);
  if (error) {
    FAIL("encoding was rejected: " << error->reason << " [" << std::string(error->spec_ref) << "]");
  }
  CHECK(encoded == wire);
  CHECK(encoded_size(expected, version) == wire.size());
}

// Decoding `wire` fails; returns the error so the caller can check its rule.
inline Malformed rejected(const Bytes& wire, Version version, Sender sender = Sender::client,
                          const DecodeLimits& limits = {}) {
  const DecodeResult result = decode_packet(view(wire), version, sender, limits);
  REQUIRE(std::holds_alternative<Malformed>(result));
  Malformed error = std::get<Malformed>(result);
  CHECK_FALSE(error.reason.empty());
  return error;
}

// Decoding `wire` fails with `kind` and exactly `spec_ref`.
inline void check_rejected(const Bytes& wire, Version version, Sender sender,
                           std::string_view spec_ref, ErrorKind kind,
                           const DecodeLimits& limits = {}) {
  const Malformed error = rejected(wire, version, sender, limits);
  INFO("reason: " << error.reason);
  CHECK(std::string(error.spec_ref) == std::string(spec_ref));
  CHECK(static_cast<int>(error.kind) == static_cast<int>(kind));
}

// Decoding `wire` succeeds; returns the packet (its views point into `wire`).
inline Packet accepted(const Bytes& wire, Version version, Sender sender = Sender::client,
                       const DecodeLimits& limits = {}) {
  const DecodeResult result = decode_packet(view(wire), version, sender, limits);
  if (const auto* error = std::get_if<Malformed>(&result)) {
    FAIL("decoding was rejected: " << error->reason << " [" << std::string(error->spec_ref) << "]");
  }
  return std::get<Packet>(result);
}

// The fixed header for a body of `body_size` bytes: first byte, then the Remaining Length as a
// Variable Byte Integer (the MQTT 5.0 §1.5.5 algorithm, written out here on purpose so that
// flood inputs do not depend on the encoder under test).
inline Bytes fixed_header(std::uint8_t first_byte, std::size_t body_size) {
  Bytes out{first_byte};
  std::size_t x = body_size;
  do {
    std::uint8_t byte = x % 128;
    x /= 128;
    if (x > 0) byte |= 0x80;
    out.push_back(byte);
  } while (x > 0);
  return out;
}

// Appends `value` as a Variable Byte Integer (same algorithm as fixed_header).
inline void append_varint(Bytes& out, std::size_t value) {
  const Bytes header = fixed_header(0, value);
  out.insert(out.end(), header.begin() + 1, header.end());
}

// Appends a two-byte length prefix and `text`.
inline void append_prefixed(Bytes& out, std::string_view text) {
  out.push_back(static_cast<std::uint8_t>(text.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(text.size() & 0xFF));
  append(out, text);
}

inline Bytes with_header(std::uint8_t first_byte, const Bytes& body) {
  Bytes out = fixed_header(first_byte, body.size());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// A broker's stream decoder before CONNECT: version unknown, so CONNECT must come first.
inline StreamOptions broker_stream() {
  StreamOptions options;
  options.sender = Sender::client;
  return options;
}

struct StreamRun {
  StreamDecoder::Status status;
  int packets = 0;  // packets decoded before `status`
};

// Feeds `bytes` and takes packets out until the decoder needs more or fails.
inline StreamRun run_stream(StreamDecoder& decoder, const Bytes& bytes) {
  decoder.feed(view(bytes));
  Packet packet;
  StreamRun run{StreamDecoder::Status::need_more, 0};
  while ((run.status = decoder.next(packet)) == StreamDecoder::Status::packet) ++run.packets;
  return run;
}

// The stream rejected its input with `kind` and exactly `spec_ref`.
inline void check_stream_rejected(const StreamDecoder& decoder, const StreamRun& run,
                                  std::string_view spec_ref, ErrorKind kind) {
  REQUIRE(run.status == StreamDecoder::Status::malformed);
  INFO("reason: " << decoder.error().reason);
  CHECK_FALSE(decoder.error().reason.empty());
  CHECK(std::string(decoder.error().spec_ref) == std::string(spec_ref));
  CHECK(static_cast<int>(decoder.error().kind) == static_cast<int>(kind));
}

}  // namespace mqttsim::protocol::test
