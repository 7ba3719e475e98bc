// The MQTT-SN field rules shared by decode() and validate(): everything a well-shaped value can
// still get wrong. Keeping them in one place is what guarantees that encode() never writes a
// message decode() rejects.
#include "protocol/mqttsn_rules.hpp"

namespace mqttsim::protocol::sn::detail {
namespace {

std::optional<Malformed> check_qos(QoS qos, bool allow_minus_one, std::string_view what,
                                   std::size_t flags_offset) {
  if (static_cast<std::uint8_t>(qos) > 3) {
    return fail("QoS value " + std::to_string(static_cast<int>(qos)) + " does not fit 2 bits",
                ref::flags, flags_offset);
  }
  if (qos == QoS::fire_and_forget && !allow_minus_one) {
    return fail(std::string(what) + " does not allow QoS -1 (0b11); only PUBLISH does", ref::flags,
                flags_offset);
  }
  return std::nullopt;
}

std::optional<Malformed> check_return_code(ReturnCode code, std::size_t offset) {
  if (static_cast<std::uint8_t>(code) <= 3) return std::nullopt;
  return fail("ReturnCode " + hex_octet(static_cast<std::uint8_t>(code)) + " is reserved",
              ref::return_code, offset);
}

std::optional<Malformed> check_topic_id_type(TopicIdType type, std::size_t flags_offset) {
  if (static_cast<std::uint8_t>(type) <= 2) return std::nullopt;
  return fail("TopicIdType 0b11 is reserved", ref::flags, flags_offset);
}

std::optional<Malformed> check_client_id(std::string_view id, bool optional, std::size_t offset) {
  if (optional && id.empty()) return std::nullopt;
  if (id.empty() || id.size() > kMaxClientIdLength) {
    return fail("ClientId must be 1 to 23 octets long, got " + std::to_string(id.size()),
                ref::client_id, offset);
  }
  return std::nullopt;
}

// WILLTOPIC and WILLTOPICUPD: without a topic the message is the 2-octet form with no Flags.
template <class Will>
std::optional<Malformed> check_will_topic(const Will& p, std::string_view name, std::size_t body) {
  if (auto e = check_qos(p.qos, false, name, body)) return e;
  if (p.topic.empty() && (p.qos != QoS::at_most_once || p.retain)) {
    return fail(
        "an empty " + std::string(name) + " has no Flags octet, so QoS and Retain cannot be set",
        section_of(Will::kType), body);
  }
  return std::nullopt;
}

std::optional<Malformed> check_publish(const Publish& p, std::size_t body) {
  const std::string_view section = section_of(MsgType::publish);
  if (auto e = check_qos(p.qos, true, "PUBLISH", body)) return e;
  if (auto e = check_topic_id_type(p.topic_id_type, body)) return e;
  const bool unacknowledged = p.qos == QoS::at_most_once || p.qos == QoS::fire_and_forget;
  if (p.qos == QoS::fire_and_forget && p.topic_id_type == TopicIdType::normal) {
    return fail(
        "QoS -1 PUBLISH needs a predefined topic id or a short topic name, not a normal "
        "topic id (there is no connection to register one)",
        ref::qos_minus_one, body);
  }
  // DUP marks a retransmission, and QoS 0 / -1 messages are never retransmitted.
  if (unacknowledged && p.dup) {
    return fail("DUP must be 0 in a QoS 0 or QoS -1 PUBLISH", ref::flags, body);
  }
  if (unacknowledged && p.msg_id != 0) {
    return fail("MsgId must be 0x0000 in a QoS 0 or QoS -1 PUBLISH", section, body + 3);
  }
  return std::nullopt;
}

// SUBSCRIBE / UNSUBSCRIBE: the TopicIdType selects which of the two fields is on the wire.
template <class Sub>
std::optional<Malformed> check_topic_selector(const Sub& p, std::size_t body) {
  const std::string_view section = section_of(Sub::kType);
  if (auto e = check_topic_id_type(p.topic_id_type, body)) return e;
  switch (p.topic_id_type) {
    case TopicIdType::normal:
      if (p.topic_name.empty())
        return fail("TopicName must not be empty", ref::topic_name, body + 3);
      break;
    case TopicIdType::short_name:
      if (p.topic_name.size() != 2) {
        return fail(
            "a short topic name is exactly 2 octets, got " + std::to_string(p.topic_name.size()),
            ref::short_topic, body + 3);
      }
      break;
    case TopicIdType::predefined:
      if (!p.topic_name.empty()) {
        return fail("a predefined topic id carries no TopicName", section, body + 3);
      }
      return std::nullopt;
  }
  if (p.topic_id != 0) return fail("a topic name carries no TopicId", section, body + 3);
  return std::nullopt;
}

std::optional<Malformed> check_one(const Connect& p, std::size_t body) {
  return check_client_id(p.client_id, false, body + 4);
}
std::optional<Malformed> check_one(const ConnAck& p, std::size_t body) {
  return check_return_code(p.return_code, body);
}
std::optional<Malformed> check_one(const WillTopic& p, std::size_t body) {
  return check_will_topic(p, "WILLTOPIC", body);
}
std::optional<Malformed> check_one(const WillTopicUpd& p, std::size_t body) {
  return check_will_topic(p, "WILLTOPICUPD", body);
}
std::optional<Malformed> check_one(const Register& p, std::size_t body) {
  if (!p.topic_name.empty()) return std::nullopt;
  return fail("TopicName must not be empty", ref::topic_name, body + 4);
}
std::optional<Malformed> check_one(const RegAck& p, std::size_t body) {
  return check_return_code(p.return_code, body + 4);
}
std::optional<Malformed> check_one(const Publish& p, std::size_t body) {
  return check_publish(p, body);
}
std::optional<Malformed> check_one(const PubAck& p, std::size_t body) {
  return check_return_code(p.return_code, body + 4);
}
std::optional<Malformed> check_one(const Subscribe& p, std::size_t body) {
  if (auto e = check_qos(p.qos, false, "SUBSCRIBE", body)) return e;
  return check_topic_selector(p, body);
}
std::optional<Malformed> check_one(const SubAck& p, std::size_t body) {
  if (auto e = check_qos(p.qos, false, "SUBACK", body)) return e;
  return check_return_code(p.return_code, body + 5);
}
std::optional<Malformed> check_one(const Unsubscribe& p, std::size_t body) {
  return check_topic_selector(p, body);
}
std::optional<Malformed> check_one(const PingReq& p, std::size_t body) {
  return check_client_id(p.client_id, true, body);
}
std::optional<Malformed> check_one(const WillTopicResp& p, std::size_t body) {
  return check_return_code(p.return_code, body);
}
std::optional<Malformed> check_one(const WillMsgResp& p, std::size_t body) {
  return check_return_code(p.return_code, body);
}
// Messages whose every representable value is valid.
template <class T>
std::optional<Malformed> check_one(const T&, std::size_t) {
  return std::nullopt;
}

}  // namespace

std::string_view section_of(MsgType type) {
  switch (type) {
    case MsgType::advertise:
      return "MQTT-SN 1.2 §5.4.1";
    case MsgType::searchgw:
      return "MQTT-SN 1.2 §5.4.2";
    case MsgType::gwinfo:
      return "MQTT-SN 1.2 §5.4.3";
    case MsgType::connect:
      return "MQTT-SN 1.2 §5.4.4";
    case MsgType::connack:
      return "MQTT-SN 1.2 §5.4.5";
    case MsgType::willtopicreq:
      return "MQTT-SN 1.2 §5.4.6";
    case MsgType::willtopic:
      return "MQTT-SN 1.2 §5.4.7";
    case MsgType::willmsgreq:
      return "MQTT-SN 1.2 §5.4.8";
    case MsgType::willmsg:
      return "MQTT-SN 1.2 §5.4.9";
    case MsgType::register_topic:
      return "MQTT-SN 1.2 §5.4.10";
    case MsgType::regack:
      return "MQTT-SN 1.2 §5.4.11";
    case MsgType::publish:
      return "MQTT-SN 1.2 §5.4.12";
    case MsgType::puback:
      return "MQTT-SN 1.2 §5.4.13";
    case MsgType::pubcomp:
    case MsgType::pubrec:
    case MsgType::pubrel:
      return "MQTT-SN 1.2 §5.4.14";
    case MsgType::subscribe:
      return "MQTT-SN 1.2 §5.4.15";
    case MsgType::suback:
      return "MQTT-SN 1.2 §5.4.16";
    case MsgType::unsubscribe:
      return "MQTT-SN 1.2 §5.4.17";
    case MsgType::unsuback:
      return "MQTT-SN 1.2 §5.4.18";
    case MsgType::pingreq:
      return "MQTT-SN 1.2 §5.4.19";
    case MsgType::pingresp:
      return "MQTT-SN 1.2 §5.4.20";
    case MsgType::disconnect:
      return "MQTT-SN 1.2 §5.4.21";
    case MsgType::willtopicupd:
      return "MQTT-SN 1.2 §5.4.22";
    case MsgType::willmsgupd:
      return "MQTT-SN 1.2 §5.4.23";
    case MsgType::willtopicresp:
      return "MQTT-SN 1.2 §5.4.24";
    case MsgType::willmsgresp:
      return "MQTT-SN 1.2 §5.4.25";
    case MsgType::encapsulated:
      return ref::encapsulation;
  }
  return ref::msg_type;
}

bool is_assigned(std::uint8_t msg_type) {
  if (msg_type == 0xFE) return true;
  return msg_type <= 0x1D && msg_type != 0x03 && msg_type != 0x11 && msg_type != 0x19;
}

std::optional<Malformed> check_message(const Message& message, std::size_t body) {
  return std::visit([body](const auto& m) { return check_one(m, body); }, message);
}

}  // namespace mqttsim::protocol::sn::detail
