// Strict decoding of one MQTT packet: fixed header rules, then one function per packet type
// that reads its fields in wire order and rejects anything the specification forbids.
#include <string>

#include "protocol/codec.hpp"
#include "protocol/packet_reader.hpp"
#include "protocol/topic.hpp"

namespace mqttsim::protocol {
namespace {

using detail::PacketReader;

// Fixed-header flag nibble each packet type must carry; PUBLISH (-1) carries DUP/QoS/RETAIN.
constexpr int kRequiredFlags[16] = {-2, 0, 0, -1, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0};

constexpr std::uint8_t kConnectReserved = 0x01, kConnectCleanStart = 0x02, kConnectWill = 0x04,
                       kConnectWillRetain = 0x20, kConnectPassword = 0x40, kConnectUsername = 0x80;

bool decode_connect_flags(PacketReader& in, std::uint8_t flags, Connect& out) {
  const Version v = in.version();
  const std::size_t at = in.wire().offset() - 1;
  if (flags & kConnectReserved) {
    return in.fail_at(at, ErrorKind::malformed_packet, "CONNECT reserved flag bit 0 is set",
                      "MQTT-3.1.2-3");
  }
  const auto will_qos = static_cast<std::uint8_t>((flags >> 3) & 0x03);
  if (!(flags & kConnectWill) && will_qos != 0) {
    return in.fail_at(at, ErrorKind::malformed_packet, "Will QoS set without the Will Flag",
                      is_v5(v) ? "MQTT-3.1.2-11" : "MQTT-3.1.2-13");
  }
  if (!(flags & kConnectWill) && (flags & kConnectWillRetain)) {
    return in.fail_at(at, ErrorKind::malformed_packet, "Will Retain set without the Will Flag",
                      is_v5(v) ? "MQTT-3.1.2-13" : "MQTT-3.1.2-15");
  }
  if (will_qos == 3) {
    return in.fail_at(at, ErrorKind::malformed_packet, "Will QoS is 3",
                      is_v5(v) ? "MQTT-3.1.2-12" : "MQTT-3.1.2-14");
  }
  if (!is_v5(v) && (flags & kConnectPassword) && !(flags & kConnectUsername)) {
    return in.fail_at(at, ErrorKind::malformed_packet,
                      "Password Flag set without the User Name Flag", "MQTT-3.1.2-22");
  }
  out.clean_start = flags & kConnectCleanStart;
  if (flags & kConnectWill) {
    out.will.emplace();
    out.will->qos = static_cast<QoS>(will_qos);
    out.will->retain = flags & kConnectWillRetain;
  }
  return true;
}

bool decode_protocol_header(PacketReader& in, Connect& out) {
  std::string_view name;
  std::uint8_t level = 0;
  if (!in.raw_string(name, "Protocol Name") || !in.u8(level, "Protocol Level")) return false;
  if (name != "MQTT" && name != "MQIsdp") {
    return in.fail_at(2, ErrorKind::unsupported_protocol_version, "Protocol Name is not \"MQTT\"",
                      "MQTT-3.1.2-1");
  }
  const bool known =
      (name == "MQIsdp" && level == 3) || (name == "MQTT" && (level == 4 || level == 5));
  if (!known) {
    return in.fail(ErrorKind::unsupported_protocol_version,
                   "unsupported protocol " + std::string(name) + " level " + std::to_string(level),
                   "MQTT-3.1.2-2");
  }
  out.version = static_cast<Version>(level);
  in.set_version(out.version);
  return true;
}

bool decode_connect(PacketReader& in, Connect& out) {
  std::uint8_t flags = 0;
  if (!decode_protocol_header(in, out) || !in.u8(flags, "Connect Flags") ||
      !decode_connect_flags(in, flags, out) || !in.u16(out.keep_alive_s, "Keep Alive")) {
    return false;
  }
  const bool v5 = is_v5(in.version());
  if (v5 && !in.properties(out.properties, mask_of(PacketType::connect))) return false;
  if (!in.utf8_string(out.client_id, "Client Identifier")) return false;
  if (out.will) {
    if (v5 && !in.properties(out.will->properties, kWillProperties)) return false;
    const std::size_t topic_at = in.wire().offset() + 2;
    if (!in.raw_string(out.will->topic, "Will Topic")) return false;
    if (auto error =
            validate_topic_name(out.will->topic, in.version(), in.limits().topic, topic_at)) {
      return in.fail_at(error->offset, error->kind, "Will Topic: " + error->reason,
                        error->spec_ref);
    }
    if (!in.binary(out.will->payload, "Will Payload")) return false;
  }
  if (flags & kConnectUsername) {
    out.username.emplace();
    if (!in.utf8_string(*out.username, "User Name")) return false;
  }
  if (flags & kConnectPassword) {
    out.password.emplace();
    if (!in.binary(*out.password, "Password")) return false;
  }
  return in.expect_end("CONNECT");
}

bool check_reason(PacketReader& in, PacketType type, std::uint8_t code, std::string_view ref) {
  if (reason_code_allowed(type, code, in.version())) return true;
  return in.fail_at(in.wire().offset() - 1, ErrorKind::protocol_error,
                    "reason code " + std::to_string(code) + " is not defined for " +
                        std::string(packet_type_name(type)),
                    ref);
}

bool decode_connack(PacketReader& in, Connack& out) {
  std::uint8_t ack_flags = 0, code = 0;
  if (!in.u8(ack_flags, "Connect Acknowledge Flags")) return false;
  const bool v5 = is_v5(in.version());
  if (ack_flags & 0xFE) {
    return in.fail(ErrorKind::malformed_packet, "CONNACK acknowledge flags bits 7-1 are not 0",
                   v5 ? "MQTT-3.2.2-1" : "MQTT-3.1.1 §3.2.2.1");
  }
  if (!in.u8(code, v5 ? "Reason Code" : "Connect Return Code")) return false;
  if (!check_reason(in, PacketType::connack, code, v5 ? "MQTT-3.2.2-8" : "MQTT-3.1.1 §3.2.2.3")) {
    return false;
  }
  out.session_present = ack_flags & 0x01;
  out.reason_code = static_cast<ReasonCode>(code);
  if (out.session_present && code != 0) {
    return in.fail(ErrorKind::protocol_error, "Session Present is 1 with a non-zero return code",
                   v5 ? "MQTT-3.2.2-6" : "MQTT-3.2.2-4");
  }
  if (v5 && !in.properties(out.properties, mask_of(PacketType::connack))) return false;
  return in.expect_end("CONNACK");
}

bool decode_publish(PacketReader& in, std::uint8_t flags, Publish& out) {
  const Version v = in.version();
  out.packet_id = 0;  // `out` may be reused from the previous PUBLISH
  out.dup = flags & 0x08;
  out.retain = flags & 0x01;
  const auto qos = static_cast<std::uint8_t>((flags >> 1) & 0x03);
  if (qos == 3)
    return in.fail_at(0, ErrorKind::malformed_packet, "PUBLISH QoS is 3", "MQTT-3.3.1-4");
  if (out.dup && qos == 0) {
    return in.fail_at(0, ErrorKind::malformed_packet, "DUP is 1 on a QoS 0 PUBLISH",
                      "MQTT-3.3.1-2");
  }
  out.qos = static_cast<QoS>(qos);
  const std::size_t topic_at = in.wire().offset() + 2;
  if (!in.raw_string(out.topic, "Topic Name")) return false;
  if (qos > 0 && !in.packet_id(out.packet_id)) return false;
  if (is_v5(v)) {
    if (!in.properties(out.properties, mask_of(PacketType::publish))) return false;
    if (auto error = detail::check_property_context(out.properties, PacketType::publish,
                                                    in.sender(), in.limits(), topic_at)) {
      return in.fail_at(error->offset, error->kind, error->reason, error->spec_ref);
    }
  }
  // 5.0 lets a Topic Alias stand in for the name (§3.3.2.3.4).
  const bool aliased = is_v5(v) && out.topic.empty() && out.properties.topic_alias.has_value();
  if (!aliased) {
    if (auto error = validate_topic_name(out.topic, v, in.limits().topic, topic_at)) {
      return in.fail_at(error->offset, error->kind, error->reason, error->spec_ref);
    }
  }
  out.payload = in.wire().rest();
  return true;
}

template <PacketType kType>
bool decode_publish_ack(PacketReader& in, PublishAck<kType>& out) {
  if (!in.packet_id(out.packet_id)) return false;
  if (!is_v5(in.version()) || in.wire().at_end()) return in.expect_end(packet_type_name(kType));
  std::uint8_t code = 0;
  if (!in.u8(code, "Reason Code")) return false;
  constexpr std::string_view kRef = kType == PacketType::puback   ? "MQTT-3.4.2-1"
                                    : kType == PacketType::pubrec ? "MQTT-3.5.2-1"
                                    : kType == PacketType::pubrel ? "MQTT-3.6.2-1"
                                                                  : "MQTT-3.7.2-1";
  if (!check_reason(in, kType, code, kRef)) return false;
  out.reason_code = static_cast<ReasonCode>(code);
  if (!in.wire().at_end() && !in.properties(out.properties, mask_of(kType))) return false;
  return in.expect_end(packet_type_name(kType));
}

bool decode_subscription_options(PacketReader& in, std::uint8_t bits, SubscriptionOptions& out) {
  const bool v5 = is_v5(in.version());
  const std::size_t at = in.wire().offset() - 1;
  if ((bits & 0x03) == 3) {  // 3.1.1 calls it malformed, 5.0 a Protocol Error
    return in.fail_at(at, v5 ? ErrorKind::protocol_error : ErrorKind::malformed_packet,
                      "requested QoS is 3", v5 ? "MQTT-5.0 §3.8.3.1" : "MQTT-3-8.3-4");
  }
  if (bits & (v5 ? 0xC0 : 0xFC)) {
    return in.fail_at(at, ErrorKind::malformed_packet,
                      "reserved bits of the subscription options are not 0",
                      v5 ? "MQTT-3.8.3-5" : "MQTT-3-8.3-4");
  }
  if (((bits >> 4) & 0x03) == 3) {
    return in.fail_at(at, ErrorKind::protocol_error, "Retain Handling is 3", "MQTT-5.0 §3.8.3.1");
  }
  out.max_qos = static_cast<QoS>(bits & 0x03);
  out.no_local = bits & 0x04;
  out.retain_as_published = bits & 0x08;
  out.retain_handling = static_cast<RetainHandling>((bits >> 4) & 0x03);
  return true;
}

bool decode_subscribe(PacketReader& in, Subscribe& out) {
  const bool v5 = is_v5(in.version());
  if (!in.packet_id(out.packet_id)) return false;
  if (v5) {
    const std::size_t at = in.wire().offset();
    if (!in.properties(out.properties, mask_of(PacketType::subscribe))) return false;
    if (auto error = detail::check_property_context(out.properties, PacketType::subscribe,
                                                    in.sender(), in.limits(), at)) {
      return in.fail_at(error->offset, error->kind, error->reason, error->spec_ref);
    }
  }
  if (in.wire().at_end()) {
    return in.fail(ErrorKind::protocol_error, "SUBSCRIBE has no Topic Filter",
                   v5 ? "MQTT-3.8.3-2" : "MQTT-3.8.3-3");
  }
  while (!in.wire().at_end()) {
    Subscription& sub = out.subscriptions.emplace_back();
    const std::size_t filter_at = in.wire().offset() + 2;
    std::uint8_t bits = 0;
    if (!in.raw_string(sub.filter, "Topic Filter")) return false;
    if (auto error =
            validate_topic_filter(sub.filter, in.version(), in.limits().topic, filter_at)) {
      return in.fail_at(error->offset, error->kind, error->reason, error->spec_ref);
    }
    if (!in.u8(bits, "Subscription Options") ||
        !decode_subscription_options(in, bits, sub.options)) {
      return false;
    }
    if (v5 && sub.options.no_local && parse_shared_subscription(sub.filter)) {
      return in.fail_at(filter_at, ErrorKind::protocol_error,
                        "No Local is set on a shared subscription", "MQTT-3.8.3-4");
    }
  }
  return true;
}

// SUBACK and UNSUBACK: packet id, 5.0 properties, then one reason code per filter.
template <typename Ack>
bool decode_sub_ack(PacketReader& in, PacketType type, Ack& out) {
  const bool v5 = is_v5(in.version());
  if (!in.packet_id(out.packet_id)) return false;
  if (v5 && !in.properties(out.properties, mask_of(type))) return false;
  if (type == PacketType::unsuback && !v5) return in.expect_end("UNSUBACK");
  if (in.wire().at_end()) {
    return in.fail(ErrorKind::protocol_error,
                   std::string(packet_type_name(type)) + " has no reason codes",
                   v5 ? (type == PacketType::suback ? "MQTT-5.0 §3.9.3" : "MQTT-5.0 §3.11.3")
                      : "MQTT-3.1.1 §3.9.3");
  }
  while (!in.wire().at_end()) {
    std::uint8_t code = 0;
    in.u8(code, "Reason Code");
    const std::string_view ref = type == PacketType::suback ? "MQTT-3.9.3-2" : "MQTT-3.11.3-2";
    if (!check_reason(in, type, code, ref)) return false;
    out.reason_codes.push_back(static_cast<ReasonCode>(code));
  }
  return true;
}

bool decode_unsubscribe(PacketReader& in, Unsubscribe& out) {
  const bool v5 = is_v5(in.version());
  if (!in.packet_id(out.packet_id)) return false;
  if (v5 && !in.properties(out.properties, mask_of(PacketType::unsubscribe))) return false;
  if (in.wire().at_end()) {
    return in.fail(ErrorKind::protocol_error, "UNSUBSCRIBE has no Topic Filter", "MQTT-3.10.3-2");
  }
  while (!in.wire().at_end()) {
    std::string_view& filter = out.filters.emplace_back();
    const std::size_t filter_at = in.wire().offset() + 2;
    if (!in.raw_string(filter, "Topic Filter")) return false;
    if (auto error = validate_topic_filter(filter, in.version(), in.limits().topic, filter_at)) {
      return in.fail_at(error->offset, error->kind, error->reason, error->spec_ref);
    }
  }
  return true;
}

// DISCONNECT and AUTH under 5.0: an absent reason code means 0x00, absent properties none.
template <typename Packet5>
bool decode_reason_and_properties(PacketReader& in, PacketType type, Packet5& out) {
  if (!is_v5(in.version()) || in.wire().at_end()) return in.expect_end(packet_type_name(type));
  std::uint8_t code = 0;
  in.u8(code, "Reason Code");
  const std::string_view ref = type == PacketType::disconnect ? "MQTT-3.14.2-1" : "MQTT-3.15.2-1";
  if (!check_reason(in, type, code, ref)) return false;
  out.reason_code = static_cast<ReasonCode>(code);
  if (type == PacketType::auth && in.wire().at_end()) {
    // Only DISCONNECT may omit the Property Length alone; AUTH omits both or neither.
    return in.fail(ErrorKind::malformed_packet, "AUTH has a Reason Code but no Property Length",
                   "MQTT-5.0 §3.15.2.1");
  }
  if (!in.wire().at_end() && !in.properties(out.properties, mask_of(type))) return false;
  return in.expect_end(packet_type_name(type));
}

// Streams are mostly PUBLISH after PUBLISH: reuse the previous one instead of re-creating its
// Properties, the largest fixed cost of decoding a small PUBLISH. decode_publish sets every
// other field.
Publish& reusable_publish(Packet& out) {
  Publish* p = std::get_if<Publish>(&out);
  if (p == nullptr) return out.emplace<Publish>();
  if (!p->properties.empty()) p->properties = Properties{};
  return *p;
}

bool decode_body(PacketReader& in, std::uint8_t first_byte, Packet& out) {
  const std::uint8_t type = first_byte >> 4;
  const std::uint8_t flags = first_byte & 0x0F;
  switch (static_cast<PacketType>(type)) {
    case PacketType::connect:
      return decode_connect(in, out.emplace<Connect>());
    case PacketType::connack:
      return decode_connack(in, out.emplace<Connack>());
    case PacketType::publish:
      return decode_publish(in, flags, reusable_publish(out));
    case PacketType::puback:
      return decode_publish_ack(in, out.emplace<Puback>());
    case PacketType::pubrec:
      return decode_publish_ack(in, out.emplace<Pubrec>());
    case PacketType::pubrel:
      return decode_publish_ack(in, out.emplace<Pubrel>());
    case PacketType::pubcomp:
      return decode_publish_ack(in, out.emplace<Pubcomp>());
    case PacketType::subscribe:
      return decode_subscribe(in, out.emplace<Subscribe>());
    case PacketType::suback:
      return decode_sub_ack(in, PacketType::suback, out.emplace<Suback>());
    case PacketType::unsubscribe:
      return decode_unsubscribe(in, out.emplace<Unsubscribe>());
    case PacketType::unsuback:
      return decode_sub_ack(in, PacketType::unsuback, out.emplace<Unsuback>());
    case PacketType::pingreq:
      out.emplace<Pingreq>();
      return in.expect_end("PINGREQ");
    case PacketType::pingresp:
      out.emplace<Pingresp>();
      return in.expect_end("PINGRESP");
    case PacketType::disconnect:
      return decode_reason_and_properties(in, PacketType::disconnect, out.emplace<Disconnect>());
    case PacketType::auth:
      return decode_reason_and_properties(in, PacketType::auth, out.emplace<Auth>());
  }
  return false;
}

}  // namespace

std::optional<Malformed> detail::check_first_byte(std::uint8_t first_byte, Version version,
                                                  Sender sender) {
  const std::uint8_t type = first_byte >> 4;
  const std::uint8_t flags = first_byte & 0x0F;
  const bool v5 = is_v5(version);
  if (type == 0 || (type == 15 && !v5)) {
    return Malformed{ErrorKind::malformed_packet,
                     "packet type " + std::to_string(type) + " is reserved" +
                         (type == 15 ? " before MQTT 5.0 (AUTH)" : ""),
                     v5 ? "MQTT-5.0 §2.1.2" : "MQTT-3.1.1 §2.2.1", 0};
  }
  const auto packet = static_cast<PacketType>(type);
  if (!may_send(sender, packet, version)) {
    return Malformed{ErrorKind::protocol_error,
                     std::string(packet_type_name(packet)) + " sent by a " +
                         (sender == Sender::client ? "client" : "server"),
                     v5 ? "MQTT-5.0 §2.1.2" : "MQTT-3.1.1 §2.2.1", 0};
  }
  const int required = kRequiredFlags[type];
  if (required >= 0 && flags != required) {
    return Malformed{ErrorKind::malformed_packet,
                     std::string(packet_type_name(packet)) + " fixed header flags are " +
                         std::to_string(flags) + ", must be " + std::to_string(required),
                     packet == PacketType::pubrel        ? std::string_view("MQTT-3.6.1-1")
                     : packet == PacketType::subscribe   ? std::string_view("MQTT-3.8.1-1")
                     : packet == PacketType::unsubscribe ? std::string_view("MQTT-3.10.1-1")
                     : packet == PacketType::auth        ? std::string_view("MQTT-3.15.1-1")
                     : packet == PacketType::disconnect && v5
                         ? std::string_view("MQTT-3.14.1-1")
                         : detail::fixed_header_flags_ref(version),
                     0};
  }
  return std::nullopt;
}

std::optional<Malformed> decode_packet(ByteView bytes, Version version, Sender sender,
                                       const DecodeLimits& limits, Packet& out) {
  std::uint32_t remaining = 0;
  std::size_t length_size = 0;
  const VarintStatus status =
      bytes.empty()
          ? VarintStatus::need_more
          : decode_varint(bytes.data() + 1, bytes.data() + bytes.size(), remaining, length_size);
  if (status == VarintStatus::too_long || status == VarintStatus::non_minimal) {
    return Malformed{ErrorKind::malformed_packet,
                     "Remaining Length is " + std::string(detail::varint_problem(status)),
                     detail::varint_error_ref(status, version), 1};
  }
  if (status != VarintStatus::ok || 1 + length_size + remaining != bytes.size()) {
    return Malformed{ErrorKind::malformed_packet,
                     status == VarintStatus::ok
                         ? "Remaining Length " + std::to_string(remaining) +
                               " disagrees with the " +
                               std::to_string(bytes.size() - 1 - length_size) + " bytes given"
                         : "incomplete fixed header",
                     detail::remaining_length_ref(version), 1};
  }
  if (bytes.size() > limits.max_packet_size_bytes) {
    return Malformed{ErrorKind::packet_too_large,
                     "packet of " + std::to_string(bytes.size()) +
                         " bytes exceeds the Maximum Packet Size of " +
                         std::to_string(limits.max_packet_size_bytes),
                     detail::packet_too_large_ref(version, sender), 0};
  }
  if (auto error = detail::check_first_byte(bytes[0], version, sender)) return error;
  return detail::decode_framed(bytes, 1 + length_size, version, sender, limits, out);
}

std::optional<Malformed> detail::decode_framed(ByteView packet, std::size_t header_size,
                                               Version version, Sender sender,
                                               const DecodeLimits& limits, Packet& out) {
  PacketReader in(ByteView(packet.data() + header_size, packet.size() - header_size), header_size,
                  version, sender, limits);
  if (decode_body(in, packet[0], out)) return std::nullopt;
  return in.take_error();
}

DecodeResult decode_packet(ByteView bytes, Version version, Sender sender,
                           const DecodeLimits& limits) {
  Packet packet;
  if (auto error = decode_packet(bytes, version, sender, limits, packet)) return *std::move(error);
  return packet;
}

}  // namespace mqttsim::protocol
