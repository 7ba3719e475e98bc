// Encoding: each packet body is written by one template over a byte sink, run once with a
// counting sink (encoded_size, and the Remaining Length) and once with a real writer, so the
// size can never disagree with the bytes.
#include <stdexcept>
#include <type_traits>

#include "protocol/codec.hpp"
#include "protocol/packet_reader.hpp"
#include "protocol/property_fields.hpp"

namespace mqttsim::protocol {
namespace {

// Same interface as WireWriter; only counts.
class SizeCounter {
 public:
  void u8(std::uint8_t) { size_ += 1; }
  void u16(std::uint16_t) { size_ += 2; }
  void u32(std::uint32_t) { size_ += 4; }
  void varint(std::uint32_t v) { size_ += varint_size(v); }
  void bytes(ByteView b) { size_ += b.size(); }
  void bytes(std::string_view s) { size_ += s.size(); }
  void prefixed(ByteView b) { size_ += 2 + b.size(); }
  void prefixed(std::string_view s) { size_ += 2 + s.size(); }
  std::size_t size() const { return size_; }

 private:
  std::size_t size_ = 0;
};

template <auto kMember, typename Sink>
void write_property(const Properties& props, std::uint8_t id, Sink& out) {
  const auto& slot = props.*kMember;
  using Slot = std::remove_cvref_t<decltype(slot)>;
  if constexpr (std::is_same_v<Slot, std::vector<UserProperty>>) {
    for (const UserProperty& pair : slot) {
      out.u8(id);
      out.prefixed(pair.key);
      out.prefixed(pair.value);
    }
  } else if constexpr (std::is_same_v<Slot, std::vector<std::uint32_t>>) {
    for (std::uint32_t value : slot) {
      out.u8(id);
      out.varint(value);
    }
  } else {
    if (!slot) return;
    out.u8(id);
    using Value = typename Slot::value_type;
    if constexpr (std::is_same_v<Value, std::string_view> || std::is_same_v<Value, ByteView>) {
      out.prefixed(*slot);
    } else if constexpr (std::is_same_v<Value, std::uint32_t>) {
      out.u32(*slot);
    } else if constexpr (std::is_same_v<Value, std::uint16_t>) {
      out.u16(*slot);
    } else {
      out.u8(static_cast<std::uint8_t>(*slot));
    }
  }
}

using detail::FieldList;
using detail::PropertyFields;

template <typename Sink, auto... kMembers>
void write_fields(const Properties& props, Sink& out, FieldList<kMembers...>) {
  std::size_t i = 0;
  (write_property<kMembers>(props, static_cast<std::uint8_t>(kPropertyTable[i++].id), out), ...);
}

template <typename Sink>
void write_property_values(const Properties& props, Sink& out) {
  static const bool kMatches = detail::fields_match_table(PropertyFields{});
  if (!kMatches) throw std::logic_error("encode: PropertyFields differs from kPropertyTable");
  write_fields(props, out, PropertyFields{});
}

template <typename Sink>
void write_properties(const Properties& props, Sink& out) {
  if (props.empty()) return out.varint(0);  // the common case, without walking the table
  SizeCounter counter;
  write_property_values(props, counter);
  out.varint(static_cast<std::uint32_t>(counter.size()));
  write_property_values(props, out);
}

std::uint8_t connect_flags(const Connect& p) {
  std::uint8_t flags = p.clean_start ? 0x02 : 0x00;
  if (p.will) {
    flags = static_cast<std::uint8_t>(flags | 0x04 | static_cast<unsigned>(p.will->qos) << 3);
    if (p.will->retain) flags |= 0x20;
  }
  if (p.password) flags |= 0x40;
  if (p.username) flags |= 0x80;
  return flags;
}

template <typename Sink>
void write_body(const Connect& p, Version v, Sink& out) {
  out.prefixed(std::string_view(v == Version::v3_1 ? "MQIsdp" : "MQTT"));
  out.u8(static_cast<std::uint8_t>(v));
  out.u8(connect_flags(p));
  out.u16(p.keep_alive_s);
  if (is_v5(v)) write_properties(p.properties, out);
  out.prefixed(p.client_id);
  if (p.will) {
    if (is_v5(v)) write_properties(p.will->properties, out);
    out.prefixed(p.will->topic);
    out.prefixed(p.will->payload);
  }
  if (p.username) out.prefixed(*p.username);
  if (p.password) out.prefixed(*p.password);
}

template <typename Sink>
void write_body(const Connack& p, Version v, Sink& out) {
  out.u8(p.session_present ? 1 : 0);
  out.u8(static_cast<std::uint8_t>(p.reason_code));
  if (is_v5(v)) write_properties(p.properties, out);
}

template <typename Sink>
void write_body(const Publish& p, Version v, Sink& out) {
  out.prefixed(p.topic);
  if (p.qos != QoS::at_most_once) out.u16(p.packet_id);
  if (is_v5(v)) write_properties(p.properties, out);
  out.bytes(p.payload);
}

// The shortest form 5.0 allows: the reason code is omitted when it is Success and there are
// no properties, and the property length is omitted when there are none (§3.4.2.1).
template <PacketType kType, typename Sink>
void write_body(const PublishAck<kType>& p, Version v, Sink& out) {
  out.u16(p.packet_id);
  const bool has_props = !p.properties.empty();
  if (!is_v5(v) || (p.reason_code == ReasonCode::success && !has_props)) return;
  out.u8(static_cast<std::uint8_t>(p.reason_code));
  if (has_props) write_properties(p.properties, out);
}

template <typename Sink>
void write_body(const Subscribe& p, Version v, Sink& out) {
  out.u16(p.packet_id);
  if (is_v5(v)) write_properties(p.properties, out);
  for (const Subscription& sub : p.subscriptions) {
    out.prefixed(sub.filter);
    const SubscriptionOptions& o = sub.options;
    out.u8(static_cast<std::uint8_t>(static_cast<unsigned>(o.max_qos) | (o.no_local ? 0x04 : 0) |
                                     (o.retain_as_published ? 0x08 : 0) |
                                     static_cast<unsigned>(o.retain_handling) << 4));
  }
}

template <typename Ack, typename Sink>
requires std::is_same_v<Ack, Suback> || std::is_same_v<Ack, Unsuback>
void write_body(const Ack& p, Version v, Sink& out) {
  out.u16(p.packet_id);
  if (is_v5(v)) write_properties(p.properties, out);
  for (ReasonCode code : p.reason_codes) out.u8(static_cast<std::uint8_t>(code));
}

template <typename Sink>
void write_body(const Unsubscribe& p, Version v, Sink& out) {
  out.u16(p.packet_id);
  if (is_v5(v)) write_properties(p.properties, out);
  for (std::string_view filter : p.filters) out.prefixed(filter);
}

template <typename Sink>
void write_body(const Pingreq&, Version, Sink&) {}
template <typename Sink>
void write_body(const Pingresp&, Version, Sink&) {}

// DISCONNECT and AUTH: empty body for Success without properties (§3.14.2.1, §3.15.2.1).
// DISCONNECT may also drop just the Property Length; AUTH may not (§3.15.2.2.1 has no such
// rule), so AUTH always writes it after a reason code.
template <typename P, typename Sink>
requires std::is_same_v<P, Disconnect> || std::is_same_v<P, Auth>
void write_body(const P& p, Version v, Sink& out) {
  const bool has_props = !p.properties.empty();
  if (!is_v5(v) || (p.reason_code == ReasonCode::success && !has_props)) return;
  out.u8(static_cast<std::uint8_t>(p.reason_code));
  if (has_props || std::is_same_v<P, Auth>) write_properties(p.properties, out);
}

std::uint8_t first_byte(const Packet& packet) {
  const auto type = static_cast<std::uint8_t>(packet_type(packet));
  std::uint8_t flags = 0;
  if (const auto* p = std::get_if<Publish>(&packet)) {
    flags = static_cast<std::uint8_t>((p->dup ? 0x08 : 0) | static_cast<unsigned>(p->qos) << 1 |
                                      (p->retain ? 0x01 : 0));
  } else if (std::holds_alternative<Pubrel>(packet) || std::holds_alternative<Subscribe>(packet) ||
             std::holds_alternative<Unsubscribe>(packet)) {
    flags = 0x02;
  }
  return static_cast<std::uint8_t>(type << 4 | flags);
}

}  // namespace

std::size_t detail::body_size(const Packet& packet, Version version) {
  SizeCounter counter;
  std::visit([&](const auto& p) { write_body(p, version, counter); }, packet);
  return counter.size();
}

std::size_t encoded_size(const Packet& packet, Version version) {
  const std::size_t body = detail::body_size(packet, version);
  return 1 + varint_size(static_cast<std::uint32_t>(body)) + body;
}

namespace {

void write_packet(const Packet& packet, Version version, std::size_t body,
                  std::vector<std::uint8_t>& out) {
  out.reserve(out.size() + 5 + body);
  WireWriter writer(out);
  writer.u8(first_byte(packet));
  writer.varint(static_cast<std::uint32_t>(body));
  std::visit([&](const auto& p) { write_body(p, version, writer); }, packet);
}

}  // namespace

std::optional<Malformed> encode(const Packet& packet, Version version, Sender sender,
                                std::vector<std::uint8_t>& out) {
  std::size_t body = 0;
  if (auto error = detail::validate_sized(packet, version, sender, {}, body)) return error;
  write_packet(packet, version, body, out);
  return std::nullopt;
}

void detail::encode_validated(const Packet& packet, Version version,
                              std::vector<std::uint8_t>& out) {
  write_packet(packet, version, detail::body_size(packet, version), out);
}

}  // namespace mqttsim::protocol
