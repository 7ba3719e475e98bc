// The MQTT packet codec: strict one-packet decoding, size-first encoding, and the incremental
// StreamDecoder that turns an arbitrarily split byte stream into packets without copying
// complete packets.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "protocol/packets.hpp"
#include "protocol/topic.hpp"
#include "protocol/types.hpp"
#include "protocol/wire.hpp"

namespace mqttsim::protocol {

// Largest packet the wire format can express: 1 byte of type and flags, a 4-byte Remaining
// Length, and 268,435,455 bytes after it.
inline constexpr std::uint32_t kMaxPacketSizeBytes = 1 + 4 + kVarintMax;

struct DecodeLimits {
  // Whole packets above this size are refused before their body is buffered (5.0 Maximum
  // Packet Size; also the guard against memory exhaustion by a huge Remaining Length).
  std::uint32_t max_packet_size_bytes = kMaxPacketSizeBytes;
  // Beyond the specification: floods of User Properties cost CPU at every hop.
  std::size_t max_user_properties = 1024;
  TopicLimits topic;
};

// Decodes exactly one packet: `bytes` holds the fixed header and exactly Remaining Length
// bytes after it. `sender` is who sent it (a broker decodes packets sent by clients).
// Returns nullopt and fills `out` on success; views in `out` point into `bytes`.
// A CONNECT is decoded by the protocol level it carries, whatever `version` says.
std::optional<Malformed> decode_packet(ByteView bytes, Version version, Sender sender,
                                       const DecodeLimits& limits, Packet& out);

using DecodeResult = std::variant<Packet, Malformed>;
DecodeResult decode_packet(ByteView bytes, Version version, Sender sender,
                           const DecodeLimits& limits = {});

// Checks everything the decoder checks on the receiving side, so that what encodes also
// decodes. `sender` is who will send the packet.
std::optional<Malformed> validate(const Packet& packet, Version version, Sender sender,
                                  const DecodeLimits& limits = {});

// The exact number of bytes encode() appends. The packet must be valid.
std::size_t encoded_size(const Packet& packet, Version version);

// Validates, then appends the packet to `out`. On error nothing is appended.
std::optional<Malformed> encode(const Packet& packet, Version version, Sender sender,
                                std::vector<std::uint8_t>& out);

struct StreamOptions {
  Sender sender = Sender::client;
  // nullopt on the server side before CONNECT. A CONNECT always sets it to its own level.
  std::optional<Version> version;
  DecodeLimits limits;
  // Server side: the first packet must be CONNECT (MQTT-3.1.0-1) and a second CONNECT is a
  // protocol violation (MQTT-3.1.0-2). Checked on the first byte, before the body arrives.
  bool enforce_connect_order = false;
};

// Feeds bytes in, takes packets out. Complete packets inside a fed chunk are decoded in place
// (zero-copy); only a packet split across chunks is gathered into an internal buffer, which
// never grows beyond the packet-size limit. After a malformed packet the stream is dead:
// every later next() repeats the same error, as the connection must be closed.
class StreamDecoder {
 public:
  enum class Status : std::uint8_t { packet, need_more, malformed };

  explicit StreamDecoder(StreamOptions options);

  // `bytes` must stay valid until next() returns need_more (or malformed).
  void feed(ByteView bytes);

  // Views inside `out` stay valid until the next call to next() or feed().
  Status next(Packet& out);

  const Malformed& error() const { return error_; }
  std::optional<Version> version() const { return options_.version; }
  // The raw bytes of the packet last returned by next(), fixed header included.
  ByteView last_packet_bytes() const { return last_packet_; }
  std::size_t buffered_bytes() const { return pending_.size() + borrowed_.size(); }
  std::uint64_t packets_decoded() const { return packets_decoded_; }

 private:
  // Returns the length of the first packet of [p, end), 0 when more bytes are needed, or sets
  // error_ and returns SIZE_MAX.
  std::size_t frame_length(const std::uint8_t* p, const std::uint8_t* end);
  Status decode_frame(ByteView frame, Packet& out);  // the frame frame_length just measured
  void learn_first_bytes();                          // fills first_byte_ok_ for the current version
  Status fail(Malformed error);

  // What next() reads for every packet comes first and together: a server holds thousands of
  // decoders, and each is cold in the cache when its connection's next packet arrives.
  ByteView borrowed_;                    // the unconsumed part of the caller's last chunk
  std::vector<std::uint8_t> pending_;    // a packet split across feeds, gathered
  std::uint32_t pending_pos_ = 0;        // bytes of pending_ handed out by the last next()
  std::uint32_t frame_header_size_ = 0;  // of the frame frame_length measured last
  // Which first bytes (type, flags) pass check_first_byte for this version and sender: one
  // lookup per packet instead of the checks, in a table shared by all decoders (a copy per
  // decoder would be one more cold line per packet).
  const std::array<bool, 256>* first_byte_ok_ = nullptr;
  bool dead_ = false;
  std::uint64_t packets_decoded_ = 0;
  ByteView last_packet_;
  StreamOptions options_;
  Malformed error_;
};

}  // namespace mqttsim::protocol
