// Internal to the codec: the reading context of one packet. It wraps WireReader with field
// reads that fail with a Malformed naming the field and the rule, so each packet decoder is a
// straight list of reads.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/codec.hpp"
#include "protocol/properties.hpp"
#include "protocol/wire.hpp"

namespace mqttsim::protocol::detail {

// Section refs for rules without a numbered statement, per version.
std::string_view remaining_length_ref(Version v);  // the packet is shorter/longer than its fields
std::string_view fixed_header_flags_ref(Version v);
std::string_view packet_id_ref(Version v, Sender sender);
std::string_view varint_error_ref(VarintStatus status, Version v);  // too_long or non_minimal
std::string_view varint_problem(VarintStatus status);
std::string_view packet_too_large_ref(Version v, Sender receiver_of);

class PacketReader {
 public:
  PacketReader(ByteView body, std::size_t body_offset, Version version, Sender sender,
               const DecodeLimits& limits)
      : r_(body, body_offset), version_(version), sender_(sender), limits_(limits) {}

  // Records the first error and returns false, so callers write `return fail(...)`.
  bool fail(ErrorKind kind, std::string reason, std::string_view spec_ref);
  bool fail_at(std::size_t offset, ErrorKind kind, std::string reason, std::string_view ref);
  std::optional<Malformed> take_error() { return std::move(error_); }

  bool u8(std::uint8_t& out, std::string_view field);
  bool u16(std::uint16_t& out, std::string_view field);
  bool packet_id(std::uint16_t& out);  // non-zero
  bool utf8_string(std::string_view& out, std::string_view field);
  bool raw_string(std::string_view& out, std::string_view field);  // caller validates
  bool binary(ByteView& out, std::string_view field);
  // 5.0 Property Length and properties; `where` is the packet (or Will) they belong to.
  bool properties(Properties& out, PacketMask where);
  // The packet must end here: more bytes mean the Remaining Length disagrees with the fields.
  bool expect_end(std::string_view packet_name);

  WireReader& wire() { return r_; }
  Version version() const { return version_; }
  void set_version(Version v) { version_ = v; }  // CONNECT announces its own level
  Sender sender() const { return sender_; }
  const DecodeLimits& limits() const { return limits_; }

 private:
  bool property(const PropertyInfo& info, Properties& out, WireReader& in, PacketMask where);
  bool truncated(std::string_view field, std::size_t needed);

  WireReader r_;
  Version version_;
  Sender sender_;
  const DecodeLimits& limits_;
  std::optional<Malformed> error_;
};

// Rules that the first byte alone decides: reserved packet types, who may send the type, and
// the fixed-header flags. Checked by the stream decoder before the body is buffered.
std::optional<Malformed> check_first_byte(std::uint8_t first_byte, Version version, Sender sender);

// Decodes a packet whose fixed header was already checked by check_first_byte and whose
// length matches its Remaining Length (the stream decoder does both while framing).
std::optional<Malformed> decode_framed(ByteView packet, std::size_t header_size, Version version,
                                       Sender sender, const DecodeLimits& limits, Packet& out);

// validate(), also returning the body size it computed, so encode() sizes the packet once.
std::optional<Malformed> validate_sized(const Packet& packet, Version version, Sender sender,
                                        const DecodeLimits& limits, std::size_t& body_size);
// The Remaining Length of `packet` (defined next to the encoder's writers).
std::size_t body_size(const Packet& packet, Version version);
// encode() without its validate(), for a packet whose sender has already validated that very
// content (a client's PUBLISH, checked when publish() queued it): the writers alone.
void encode_validated(const Packet& packet, Version version, std::vector<std::uint8_t>& out);

// The value range of numeric properties (Receive Maximum > 0, Topic Alias > 0, ...), shared
// by the decoder and by validate() so the encoder never writes what the decoder refuses.
std::optional<Malformed> check_property_value(PropertyId id, std::uint32_t value, PacketMask where,
                                              std::size_t offset);

// Properties that depend on who sends the packet (a client never sends a Subscription
// Identifier in PUBLISH) and on counts (a SUBSCRIBE carries at most one).
std::optional<Malformed> check_property_context(const Properties& props, PacketType type,
                                                Sender sender, const DecodeLimits& limits,
                                                std::size_t offset);

}  // namespace mqttsim::protocol::detail
