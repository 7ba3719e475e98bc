// MQTT-SN encoder and message names. encode() validates the whole packet with the same rules
// the decoder applies (mqttsn_rules.cpp) before writing its first octet, and always picks the
// 1-octet Length form when it fits, the only form the strict decoder accepts.
#include "protocol/mqttsn.hpp"

#include <type_traits>

#include "protocol/mqttsn_rules.hpp"
#include "protocol/wire.hpp"

namespace mqttsim::protocol::sn {
namespace {

using detail::fail;
namespace ref = detail::ref;

std::uint8_t qos_bits(QoS qos) {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(qos) << detail::kQosShift);
}
std::uint8_t bit(bool set, std::uint8_t mask) {
  return set ? mask : 0;
}

// Octets after MsgType, per message. The layouts follow the tables of §5.4.
std::size_t body_size(const Advertise&) {
  return 3;
}
std::size_t body_size(const SearchGw&) {
  return 1;
}
std::size_t body_size(const GwInfo& p) {
  return 1 + p.gw_address.size();
}
std::size_t body_size(const Connect& p) {
  return 4 + p.client_id.size();
}
std::size_t body_size(const ConnAck&) {
  return 1;
}
std::size_t body_size(const WillTopicReq&) {
  return 0;
}
std::size_t body_size(const WillTopic& p) {
  return p.topic.empty() ? 0 : 1 + p.topic.size();
}
std::size_t body_size(const WillMsgReq&) {
  return 0;
}
std::size_t body_size(const WillMsg& p) {
  return p.message.size();
}
std::size_t body_size(const Register& p) {
  return 4 + p.topic_name.size();
}
std::size_t body_size(const RegAck&) {
  return 5;
}
std::size_t body_size(const Publish& p) {
  return 5 + p.data.size();
}
std::size_t body_size(const PubAck&) {
  return 5;
}
std::size_t body_size(const PubComp&) {
  return 2;
}
std::size_t body_size(const PubRec&) {
  return 2;
}
std::size_t body_size(const PubRel&) {
  return 2;
}
std::size_t topic_field_size(TopicIdType type, std::string_view name) {
  return type == TopicIdType::predefined ? 2 : name.size();
}
std::size_t body_size(const Subscribe& p) {
  return 3 + topic_field_size(p.topic_id_type, p.topic_name);
}
std::size_t body_size(const SubAck&) {
  return 6;
}
std::size_t body_size(const Unsubscribe& p) {
  return 3 + topic_field_size(p.topic_id_type, p.topic_name);
}
std::size_t body_size(const UnsubAck&) {
  return 2;
}
std::size_t body_size(const PingReq& p) {
  return p.client_id.size();
}
std::size_t body_size(const PingResp&) {
  return 0;
}
std::size_t body_size(const Disconnect& p) {
  return p.duration_s ? 2 : 0;
}
std::size_t body_size(const WillTopicUpd& p) {
  return p.topic.empty() ? 0 : 1 + p.topic.size();
}
std::size_t body_size(const WillTopicResp&) {
  return 1;
}
std::size_t body_size(const WillMsgUpd& p) {
  return p.message.size();
}
std::size_t body_size(const WillMsgResp&) {
  return 1;
}

void write_body(const Advertise& p, WireWriter& w) {
  w.u8(p.gw_id);
  w.u16(p.duration_s);
}
void write_body(const SearchGw& p, WireWriter& w) {
  w.u8(p.radius);
}
void write_body(const GwInfo& p, WireWriter& w) {
  w.u8(p.gw_id);
  w.bytes(p.gw_address);
}
void write_body(const Connect& p, WireWriter& w) {
  w.u8(bit(p.will, detail::kWill) | bit(p.clean_session, detail::kCleanSession));
  w.u8(kProtocolId);
  w.u16(p.duration_s);
  w.bytes(p.client_id);
}
template <class Will>
void write_will_topic(const Will& p, WireWriter& w) {
  if (p.topic.empty()) return;
  w.u8(qos_bits(p.qos) | bit(p.retain, detail::kRetain));
  w.bytes(p.topic);
}
void write_body(const WillTopic& p, WireWriter& w) {
  write_will_topic(p, w);
}
void write_body(const WillTopicUpd& p, WireWriter& w) {
  write_will_topic(p, w);
}
void write_body(const WillMsg& p, WireWriter& w) {
  w.bytes(p.message);
}
void write_body(const WillMsgUpd& p, WireWriter& w) {
  w.bytes(p.message);
}
void write_body(const Register& p, WireWriter& w) {
  w.u16(p.topic_id);
  w.u16(p.msg_id);
  w.bytes(p.topic_name);
}
template <class Ack>
void write_topic_ack(const Ack& p, WireWriter& w) {
  w.u16(p.topic_id);
  w.u16(p.msg_id);
  w.u8(static_cast<std::uint8_t>(p.return_code));
}
void write_body(const RegAck& p, WireWriter& w) {
  write_topic_ack(p, w);
}
void write_body(const PubAck& p, WireWriter& w) {
  write_topic_ack(p, w);
}
void write_body(const Publish& p, WireWriter& w) {
  w.u8(bit(p.dup, detail::kDup) | qos_bits(p.qos) | bit(p.retain, detail::kRetain) |
       static_cast<std::uint8_t>(p.topic_id_type));
  w.u16(p.topic_id);
  w.u16(p.msg_id);
  w.bytes(p.data);
}
void write_body(const PubComp& p, WireWriter& w) {
  w.u16(p.msg_id);
}
void write_body(const PubRec& p, WireWriter& w) {
  w.u16(p.msg_id);
}
void write_body(const PubRel& p, WireWriter& w) {
  w.u16(p.msg_id);
}
void write_body(const UnsubAck& p, WireWriter& w) {
  w.u16(p.msg_id);
}
void write_topic_field(TopicIdType type, std::string_view name, std::uint16_t id, WireWriter& w) {
  if (type == TopicIdType::predefined) {
    w.u16(id);
  } else {
    w.bytes(name);
  }
}
void write_body(const Subscribe& p, WireWriter& w) {
  w.u8(bit(p.dup, detail::kDup) | qos_bits(p.qos) | static_cast<std::uint8_t>(p.topic_id_type));
  w.u16(p.msg_id);
  write_topic_field(p.topic_id_type, p.topic_name, p.topic_id, w);
}
void write_body(const SubAck& p, WireWriter& w) {
  w.u8(qos_bits(p.qos));
  w.u16(p.topic_id);
  w.u16(p.msg_id);
  w.u8(static_cast<std::uint8_t>(p.return_code));
}
void write_body(const Unsubscribe& p, WireWriter& w) {
  w.u8(static_cast<std::uint8_t>(p.topic_id_type));
  w.u16(p.msg_id);
  write_topic_field(p.topic_id_type, p.topic_name, p.topic_id, w);
}
void write_body(const PingReq& p, WireWriter& w) {
  w.bytes(p.client_id);
}
void write_body(const Disconnect& p, WireWriter& w) {
  if (p.duration_s) w.u16(*p.duration_s);
}
void write_return_code(ReturnCode code, WireWriter& w) {
  w.u8(static_cast<std::uint8_t>(code));
}
void write_body(const ConnAck& p, WireWriter& w) {
  write_return_code(p.return_code, w);
}
void write_body(const WillTopicResp& p, WireWriter& w) {
  write_return_code(p.return_code, w);
}
void write_body(const WillMsgResp& p, WireWriter& w) {
  write_return_code(p.return_code, w);
}
void write_body(const WillTopicReq&, WireWriter&) {}
void write_body(const WillMsgReq&, WireWriter&) {}
void write_body(const PingResp&, WireWriter&) {}

std::size_t message_size(const Message& m) {
  const std::size_t body = std::visit([](const auto& p) { return body_size(p); }, m);
  return detail::length_field_size(1 + body) + 1 + body;
}

std::optional<Malformed> validate_message(const Message& m) {
  const std::size_t body = std::visit([](const auto& p) { return body_size(p); }, m);
  const std::size_t header = detail::length_field_size(1 + body) + 1;
  if (header + body > kMaxMessageLength) {
    return fail("message of " + std::to_string(header + body) +
                    " octets exceeds the 65535 the Length field can express",
                ref::length, 0);
  }
  return detail::check_message(m, header);
}

void write_message(const Message& m, WireWriter& w) {
  const std::size_t total = message_size(m);
  if (total <= 255) {
    w.u8(static_cast<std::uint8_t>(total));
  } else {
    w.u8(0x01);
    w.u16(static_cast<std::uint16_t>(total));
  }
  std::visit(
      [&w](const auto& p) {
        w.u8(static_cast<std::uint8_t>(std::decay_t<decltype(p)>::kType));
        write_body(p, w);
      },
      m);
}

std::optional<Malformed> validate_encapsulated(const Encapsulated& e) {
  if (e.radius > detail::kCtrlRadius) {
    return fail("Radius " + std::to_string(e.radius) + " does not fit the 2 Ctrl bits",
                ref::encapsulation, 2);
  }
  if (e.wireless_node_id.size() > kMaxWirelessNodeIdLength) {
    return fail("Wireless Node Id of " + std::to_string(e.wireless_node_id.size()) +
                    " octets exceeds the 252 the 1-octet Length allows",
                ref::encapsulation, 3);
  }
  auto error = validate_message(e.message);
  if (error) error->offset += 3 + e.wireless_node_id.size();
  return error;
}

}  // namespace

Packet to_packet(const Message& message) {
  return std::visit([](const auto& m) -> Packet { return m; }, message);
}

std::optional<Message> to_message(const Packet& packet) {
  return std::visit(
      [](const auto& p) -> std::optional<Message> {
        if constexpr (std::is_same_v<std::decay_t<decltype(p)>, Encapsulated>) {
          return std::nullopt;
        } else {
          return Message(p);
        }
      },
      packet);
}

std::optional<Malformed> validate(const Packet& packet) {
  if (const auto* e = std::get_if<Encapsulated>(&packet)) return validate_encapsulated(*e);
  return validate_message(*to_message(packet));
}

std::size_t encoded_size(const Packet& packet) {
  if (const auto* e = std::get_if<Encapsulated>(&packet)) {
    return 3 + e->wireless_node_id.size() + message_size(e->message);
  }
  return message_size(*to_message(packet));
}

std::optional<Malformed> encode(const Packet& packet, std::vector<std::uint8_t>& out) {
  if (auto error = validate(packet)) return error;
  out.reserve(out.size() + encoded_size(packet));
  WireWriter w(out);
  if (const auto* e = std::get_if<Encapsulated>(&packet)) {
    w.u8(static_cast<std::uint8_t>(3 + e->wireless_node_id.size()));
    w.u8(static_cast<std::uint8_t>(MsgType::encapsulated));
    w.u8(e->radius);
    w.bytes(e->wireless_node_id);
    write_message(e->message, w);
  } else {
    write_message(*to_message(packet), w);
  }
  return std::nullopt;
}

MsgType message_type(const Packet& packet) {
  return std::visit([](const auto& p) { return std::decay_t<decltype(p)>::kType; }, packet);
}

std::string_view message_type_name(MsgType type) {
  switch (type) {
    case MsgType::advertise:
      return "ADVERTISE";
    case MsgType::searchgw:
      return "SEARCHGW";
    case MsgType::gwinfo:
      return "GWINFO";
    case MsgType::connect:
      return "CONNECT";
    case MsgType::connack:
      return "CONNACK";
    case MsgType::willtopicreq:
      return "WILLTOPICREQ";
    case MsgType::willtopic:
      return "WILLTOPIC";
    case MsgType::willmsgreq:
      return "WILLMSGREQ";
    case MsgType::willmsg:
      return "WILLMSG";
    case MsgType::register_topic:
      return "REGISTER";
    case MsgType::regack:
      return "REGACK";
    case MsgType::publish:
      return "PUBLISH";
    case MsgType::puback:
      return "PUBACK";
    case MsgType::pubcomp:
      return "PUBCOMP";
    case MsgType::pubrec:
      return "PUBREC";
    case MsgType::pubrel:
      return "PUBREL";
    case MsgType::subscribe:
      return "SUBSCRIBE";
    case MsgType::suback:
      return "SUBACK";
    case MsgType::unsubscribe:
      return "UNSUBSCRIBE";
    case MsgType::unsuback:
      return "UNSUBACK";
    case MsgType::pingreq:
      return "PINGREQ";
    case MsgType::pingresp:
      return "PINGRESP";
    case MsgType::disconnect:
      return "DISCONNECT";
    case MsgType::willtopicupd:
      return "WILLTOPICUPD";
    case MsgType::willtopicresp:
      return "WILLTOPICRESP";
    case MsgType::willmsgupd:
      return "WILLMSGUPD";
    case MsgType::willmsgresp:
      return "WILLMSGRESP";
    case MsgType::encapsulated:
      return "ENCAPSULATED";
  }
  return "RESERVED";
}

std::string_view message_type_name(const Packet& packet) {
  return message_type_name(message_type(packet));
}

}  // namespace mqttsim::protocol::sn
