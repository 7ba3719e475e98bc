// Strict MQTT-SN datagram decoder: one message per datagram, every field bounds checked, every
// reserved bit and value rejected with the section it breaks. Results are views into the input;
// nothing is allocated except an error's reason.
#include <string>

#include "protocol/mqttsn.hpp"
#include "protocol/mqttsn_rules.hpp"
#include "protocol/wire.hpp"

namespace mqttsim::protocol::sn {
namespace {

using detail::fail;
namespace ref = detail::ref;

// The part of one message after its MsgType octet.
struct Body {
  WireReader r;            // over the whole message, positioned after MsgType
  std::size_t base;        // offset of the message within the datagram
  std::size_t length;      // octets in the message
  std::size_t body_start;  // datagram offset of the octet after MsgType
  MsgType type;

  std::size_t at() const { return base + r.offset(); }
  std::string_view section() const { return detail::section_of(type); }
  std::string name() const { return std::string(message_type_name(type)); }
};

using Status = std::optional<Malformed>;

Malformed truncated(const Body& b, std::string_view field) {
  return fail(b.name() + " ends before its " + std::string(field) + " field", b.section(), b.at());
}

Status expect_length(const Body& b, std::size_t expected) {
  if (b.length == expected) return std::nullopt;
  return fail(b.name() + " is " + std::to_string(expected) + " octets long, Length says " +
                  std::to_string(b.length),
              b.section(), b.base);
}

Status read_u8(Body& b, std::uint8_t& out, std::string_view field) {
  if (b.r.u8(out)) return std::nullopt;
  return truncated(b, field);
}

Status read_u16(Body& b, std::uint16_t& out, std::string_view field) {
  if (b.r.u16(out)) return std::nullopt;
  return truncated(b, field);
}

struct FlagFields {
  bool dup = false;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  bool will = false;
  bool clean_session = false;
  TopicIdType topic_id_type = TopicIdType::normal;
};

// Reads the Flags octet; every flag the message does not use (`allowed`) must be 0.
Status read_flags(Body& b, std::uint8_t allowed, FlagFields& out) {
  const std::size_t offset = b.at();
  std::uint8_t f = 0;
  if (auto e = read_u8(b, f, "Flags")) return e;
  static constexpr struct {
    std::uint8_t mask;
    std::string_view name;
  } kFields[] = {{detail::kDup, "DUP"},
                 {detail::kQos, "QoS"},
                 {detail::kRetain, "Retain"},
                 {detail::kWill, "Will"},
                 {detail::kCleanSession, "CleanSession"},
                 {detail::kTopicIdType, "TopicIdType"}};
  for (const auto& field : kFields) {
    if ((f & field.mask) != 0 && (allowed & field.mask) == 0) {
      return fail(std::string(field.name) + " is not used in " + b.name() + " and must be 0",
                  ref::flags, offset);
    }
  }
  if ((f & detail::kTopicIdType) == detail::kTopicIdType) {
    return fail("TopicIdType 0b11 is reserved", ref::flags, offset);
  }
  out.dup = (f & detail::kDup) != 0;
  out.qos = static_cast<QoS>((f & detail::kQos) >> detail::kQosShift);
  out.retain = (f & detail::kRetain) != 0;
  out.will = (f & detail::kWill) != 0;
  out.clean_session = (f & detail::kCleanSession) != 0;
  out.topic_id_type = static_cast<TopicIdType>(f & detail::kTopicIdType);
  return std::nullopt;
}

Status read_return_code(Body& b, ReturnCode& out) {
  const std::size_t offset = b.at();
  std::uint8_t code = 0;
  if (auto e = read_u8(b, code, "ReturnCode")) return e;
  if (code > 3)
    return fail("ReturnCode " + detail::hex_octet(code) + " is reserved", ref::return_code, offset);
  out = static_cast<ReturnCode>(code);
  return std::nullopt;
}

std::string_view rest_chars(Body& b) {
  return b.r.rest().as_chars();
}

Status decode_fields(Body& b, Advertise& p) {
  if (auto e = expect_length(b, 5)) return e;
  b.r.u8(p.gw_id);
  b.r.u16(p.duration_s);
  return std::nullopt;
}
Status decode_fields(Body& b, SearchGw& p) {
  if (auto e = expect_length(b, 3)) return e;
  b.r.u8(p.radius);
  return std::nullopt;
}
Status decode_fields(Body& b, GwInfo& p) {
  if (auto e = read_u8(b, p.gw_id, "GwId")) return e;
  p.gw_address = b.r.rest();
  return std::nullopt;
}
Status decode_fields(Body& b, Connect& p) {
  FlagFields f;
  if (auto e = read_flags(b, detail::kWill | detail::kCleanSession, f)) return e;
  p.will = f.will;
  p.clean_session = f.clean_session;
  const std::size_t id_offset = b.at();
  std::uint8_t protocol_id = 0;
  if (auto e = read_u8(b, protocol_id, "ProtocolId")) return e;
  if (protocol_id != kProtocolId) {
    return fail("ProtocolId must be 0x01, got " + detail::hex_octet(protocol_id), ref::protocol_id,
                id_offset);
  }
  if (auto e = read_u16(b, p.duration_s, "Duration")) return e;
  p.client_id = rest_chars(b);
  return std::nullopt;
}
Status decode_return_code_only(Body& b, ReturnCode& code) {
  if (auto e = expect_length(b, 3)) return e;
  return read_return_code(b, code);
}
Status decode_fields(Body& b, ConnAck& p) {
  return decode_return_code_only(b, p.return_code);
}
Status decode_fields(Body& b, WillTopicResp& p) {
  return decode_return_code_only(b, p.return_code);
}
Status decode_fields(Body& b, WillMsgResp& p) {
  return decode_return_code_only(b, p.return_code);
}
Status decode_fields(Body& b, WillTopicReq&) {
  return expect_length(b, 2);
}
Status decode_fields(Body& b, WillMsgReq&) {
  return expect_length(b, 2);
}
Status decode_fields(Body& b, PingResp&) {
  return expect_length(b, 2);
}
template <class Will>
Status decode_will_topic(Body& b, Will& p) {
  if (b.length == 2) return std::nullopt;  // the empty form: no Flags, no WillTopic
  FlagFields f;
  if (auto e = read_flags(b, detail::kQos | detail::kRetain, f)) return e;
  p.qos = f.qos;
  p.retain = f.retain;
  p.topic = rest_chars(b);
  if (p.topic.empty()) {
    return fail(b.name() + " has Flags but no WillTopic; the empty form is 2 octets long",
                b.section(), b.at());
  }
  return std::nullopt;
}
Status decode_fields(Body& b, WillTopic& p) {
  return decode_will_topic(b, p);
}
Status decode_fields(Body& b, WillTopicUpd& p) {
  return decode_will_topic(b, p);
}
Status decode_fields(Body& b, WillMsg& p) {
  p.message = b.r.rest();
  return std::nullopt;
}
Status decode_fields(Body& b, WillMsgUpd& p) {
  p.message = b.r.rest();
  return std::nullopt;
}
Status decode_fields(Body& b, Register& p) {
  if (auto e = read_u16(b, p.topic_id, "TopicId")) return e;
  if (auto e = read_u16(b, p.msg_id, "MsgId")) return e;
  p.topic_name = rest_chars(b);
  return std::nullopt;
}
template <class Ack>
Status decode_topic_ack(Body& b, Ack& p) {  // REGACK, PUBACK
  if (auto e = expect_length(b, 7)) return e;
  b.r.u16(p.topic_id);
  b.r.u16(p.msg_id);
  return read_return_code(b, p.return_code);
}
Status decode_fields(Body& b, RegAck& p) {
  return decode_topic_ack(b, p);
}
Status decode_fields(Body& b, PubAck& p) {
  return decode_topic_ack(b, p);
}
Status decode_fields(Body& b, Publish& p) {
  FlagFields f;
  const std::uint8_t allowed = detail::kDup | detail::kQos | detail::kRetain | detail::kTopicIdType;
  if (auto e = read_flags(b, allowed, f)) return e;
  p.dup = f.dup;
  p.qos = f.qos;
  p.retain = f.retain;
  p.topic_id_type = f.topic_id_type;
  if (auto e = read_u16(b, p.topic_id, "TopicId")) return e;
  if (auto e = read_u16(b, p.msg_id, "MsgId")) return e;
  p.data = b.r.rest();
  return std::nullopt;
}
Status decode_msg_id_only(Body& b, std::uint16_t& msg_id) {
  if (auto e = expect_length(b, 4)) return e;
  b.r.u16(msg_id);
  return std::nullopt;
}
Status decode_fields(Body& b, PubComp& p) {
  return decode_msg_id_only(b, p.msg_id);
}
Status decode_fields(Body& b, PubRec& p) {
  return decode_msg_id_only(b, p.msg_id);
}
Status decode_fields(Body& b, PubRel& p) {
  return decode_msg_id_only(b, p.msg_id);
}
Status decode_fields(Body& b, UnsubAck& p) {
  return decode_msg_id_only(b, p.msg_id);
}
// SUBSCRIBE / UNSUBSCRIBE: a TopicId for predefined ids, otherwise the rest is a TopicName.
template <class Sub>
Status decode_topic_selector(Body& b, Sub& p) {
  if (auto e = read_u16(b, p.msg_id, "MsgId")) return e;
  if (p.topic_id_type != TopicIdType::predefined) {
    p.topic_name = rest_chars(b);
    return std::nullopt;
  }
  if (auto e = read_u16(b, p.topic_id, "TopicId")) return e;
  if (b.r.at_end()) return std::nullopt;
  return fail(b.name() + " with a predefined topic id is 7 octets long, Length says " +
                  std::to_string(b.length),
              b.section(), b.at());
}
Status decode_fields(Body& b, Subscribe& p) {
  FlagFields f;
  if (auto e = read_flags(b, detail::kDup | detail::kQos | detail::kTopicIdType, f)) return e;
  p.dup = f.dup;
  p.qos = f.qos;
  p.topic_id_type = f.topic_id_type;
  return decode_topic_selector(b, p);
}
Status decode_fields(Body& b, Unsubscribe& p) {
  FlagFields f;
  if (auto e = read_flags(b, detail::kTopicIdType, f)) return e;
  p.topic_id_type = f.topic_id_type;
  return decode_topic_selector(b, p);
}
Status decode_fields(Body& b, SubAck& p) {
  if (auto e = expect_length(b, 8)) return e;
  FlagFields f;
  if (auto e = read_flags(b, detail::kQos, f)) return e;
  p.qos = f.qos;
  b.r.u16(p.topic_id);
  b.r.u16(p.msg_id);
  return read_return_code(b, p.return_code);
}
Status decode_fields(Body& b, PingReq& p) {
  p.client_id = rest_chars(b);
  return std::nullopt;
}
Status decode_fields(Body& b, Disconnect& p) {
  if (b.length == 2) return std::nullopt;
  if (b.length != 4) {
    return fail("DISCONNECT is 2 octets long, or 4 with a Duration; Length says " +
                    std::to_string(b.length),
                b.section(), b.base);
  }
  std::uint16_t duration = 0;
  b.r.u16(duration);
  p.duration_s = duration;
  return std::nullopt;
}

// Decodes the message type T from `b` and checks the rules that apply to its values.
template <class T>
Status decode_as(Body& b, Message& out) {
  T value;
  if (auto e = decode_fields(b, value)) return e;
  if (!b.r.at_end()) {
    return fail(
        b.name() + " has " + std::to_string(b.r.remaining()) + " octets past its last field",
        b.section(), b.at());
  }
  out = value;
  return detail::check_message(out, b.body_start);
}

Status decode_body(Body& b, Message& out) {
  switch (b.type) {
    case MsgType::advertise:
      return decode_as<Advertise>(b, out);
    case MsgType::searchgw:
      return decode_as<SearchGw>(b, out);
    case MsgType::gwinfo:
      return decode_as<GwInfo>(b, out);
    case MsgType::connect:
      return decode_as<Connect>(b, out);
    case MsgType::connack:
      return decode_as<ConnAck>(b, out);
    case MsgType::willtopicreq:
      return decode_as<WillTopicReq>(b, out);
    case MsgType::willtopic:
      return decode_as<WillTopic>(b, out);
    case MsgType::willmsgreq:
      return decode_as<WillMsgReq>(b, out);
    case MsgType::willmsg:
      return decode_as<WillMsg>(b, out);
    case MsgType::register_topic:
      return decode_as<Register>(b, out);
    case MsgType::regack:
      return decode_as<RegAck>(b, out);
    case MsgType::publish:
      return decode_as<Publish>(b, out);
    case MsgType::puback:
      return decode_as<PubAck>(b, out);
    case MsgType::pubcomp:
      return decode_as<PubComp>(b, out);
    case MsgType::pubrec:
      return decode_as<PubRec>(b, out);
    case MsgType::pubrel:
      return decode_as<PubRel>(b, out);
    case MsgType::subscribe:
      return decode_as<Subscribe>(b, out);
    case MsgType::suback:
      return decode_as<SubAck>(b, out);
    case MsgType::unsubscribe:
      return decode_as<Unsubscribe>(b, out);
    case MsgType::unsuback:
      return decode_as<UnsubAck>(b, out);
    case MsgType::pingreq:
      return decode_as<PingReq>(b, out);
    case MsgType::pingresp:
      return decode_as<PingResp>(b, out);
    case MsgType::disconnect:
      return decode_as<Disconnect>(b, out);
    case MsgType::willtopicupd:
      return decode_as<WillTopicUpd>(b, out);
    case MsgType::willtopicresp:
      return decode_as<WillTopicResp>(b, out);
    case MsgType::willmsgupd:
      return decode_as<WillMsgUpd>(b, out);
    case MsgType::willmsgresp:
      return decode_as<WillMsgResp>(b, out);
    case MsgType::encapsulated:
      break;  // handled before the body, see decode_datagram
  }
  return fail("unexpected MsgType", ref::msg_type, b.body_start - 1);
}

// Reads the Length field (§5.2.1). The 3-octet form is accepted only for messages the 1-octet
// form cannot express: one canonical encoding per message keeps encode(decode(b)) == b, the
// same reason MQTT forbids non-minimal Remaining Lengths (MQTT-1.5.5-1). The spec's wording
// ("may use the shorter 1-octet format") would tolerate it, so this is mqttsim being strict.
Status read_length(ByteView m, std::size_t base, std::size_t& length, std::size_t& header) {
  if (m.empty()) return fail("empty datagram: no Length field", ref::length, base);
  if (m[0] != 0x01) {
    length = m[0];
    header = 1;
    if (length < 2) {
      return fail("Length 0 is below the 2-octet minimum (Length, MsgType)", ref::length, base);
    }
    return std::nullopt;
  }
  if (m.size() < 3) return fail("datagram ends inside the 3-octet Length field", ref::length, base);
  length = static_cast<std::size_t>(m[1] << 8 | m[2]);
  header = 3;
  if (length < 4) {
    return fail("Length " + std::to_string(length) +
                    " is shorter than the 3-octet Length field and MsgType",
                ref::length, base);
  }
  if (length < detail::kMinLongLength) {
    return fail("3-octet Length used for a " + std::to_string(length) +
                    "-octet message that fits the 1-octet form (non-minimal)",
                ref::length, base);
  }
  return std::nullopt;
}

std::variant<Message, Malformed> decode_message(ByteView m, std::size_t base,
                                                bool in_encapsulation);

// Forwarder Encapsulation (§5.5): Length covers only Length, MsgType, Ctrl and Wireless Node Id;
// the encapsulated message follows and fills the rest of the datagram.
DecodeResult decode_encapsulated(ByteView m, std::size_t base) {
  const std::size_t header = m[0];
  if (header < 3) {
    return fail("Forwarder Encapsulation Length " + std::to_string(header) +
                    " is below its 3-octet minimum (Length, MsgType, Ctrl)",
                ref::encapsulation, base);
  }
  if (m.size() < header) {
    return fail("datagram ends inside the Forwarder Encapsulation header", ref::encapsulation,
                base + m.size());
  }
  if ((m[2] & ~detail::kCtrlRadius) != 0) {
    return fail("reserved Ctrl bits must be 0, got " + detail::hex_octet(m[2]), ref::encapsulation,
                base + 2);
  }
  if (m.size() == header) {
    return fail("Forwarder Encapsulation carries no MQTT-SN message", ref::encapsulation,
                base + header);
  }
  Encapsulated e;
  e.radius = m[2] & detail::kCtrlRadius;
  e.wireless_node_id = ByteView(m.subspan(3, header - 3));
  auto inner = decode_message(ByteView(m.subspan(header)), base + header, true);
  if (auto* error = std::get_if<Malformed>(&inner)) return std::move(*error);
  e.message = std::get<Message>(inner);
  return e;
}

std::variant<Message, Malformed> decode_message(ByteView m, std::size_t base,
                                                bool in_encapsulation) {
  std::size_t length = 0;
  std::size_t header = 0;
  if (auto e = read_length(m, base, length, header)) return std::move(*e);
  if (m.size() <= header) return fail("datagram ends before MsgType", ref::length, base + m.size());
  const std::uint8_t type = m[header];
  if (type == static_cast<std::uint8_t>(MsgType::encapsulated)) {
    return fail(in_encapsulation ? "a Forwarder Encapsulation must not carry another one"
                                 : "a Forwarder Encapsulation has a 1-octet Length field",
                ref::encapsulation, base + header);
  }
  if (!detail::is_assigned(type)) {
    return fail("MsgType " + detail::hex_octet(type) + " is reserved", ref::msg_type,
                base + header);
  }
  // MQTT-SN runs over datagrams, one message each: octets beyond Length are not a second
  // message but a malformed one, so a mismatch either way is rejected.
  if (length != m.size()) {
    return fail("Length says " + std::to_string(length) + " octets but the datagram holds " +
                    std::to_string(m.size()),
                ref::length, base);
  }
  Body b{WireReader(ByteView(m.first(length))), base, length, base + header + 1,
         static_cast<MsgType>(type)};
  ByteView length_and_type;
  b.r.bytes(header + 1, length_and_type);
  Message out;
  if (auto e = decode_body(b, out)) return std::move(*e);
  return out;
}

}  // namespace

DecodeResult decode(ByteView datagram) {
  const bool encapsulated = datagram.size() >= 2 && datagram[0] != 0x01 &&
                            datagram[1] == static_cast<std::uint8_t>(MsgType::encapsulated);
  if (encapsulated) return decode_encapsulated(datagram, 0);
  auto result = decode_message(datagram, 0, false);
  if (auto* error = std::get_if<Malformed>(&result)) return std::move(*error);
  return to_packet(std::get<Message>(result));
}

}  // namespace mqttsim::protocol::sn
