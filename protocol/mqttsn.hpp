// MQTT-SN 1.2 codec (Stanford-Clark & Truong, IBM 2013): one value type per message, a strict
// datagram decoder that returns views into its input, and an encoder that validates first and
// never writes bytes its own decoder would reject.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/types.hpp"

namespace mqttsim::protocol::sn {

// MsgType octet values (MQTT-SN 1.2 §5.2.2). 0x03, 0x11, 0x19, 0x1E..0xFD and 0xFF are reserved.
enum class MsgType : std::uint8_t {
  advertise = 0x00,
  searchgw = 0x01,
  gwinfo = 0x02,
  connect = 0x04,
  connack = 0x05,
  willtopicreq = 0x06,
  willtopic = 0x07,
  willmsgreq = 0x08,
  willmsg = 0x09,
  register_topic = 0x0A,  // REGISTER; `register` is a C++ keyword
  regack = 0x0B,
  publish = 0x0C,
  puback = 0x0D,
  pubcomp = 0x0E,
  pubrec = 0x0F,
  pubrel = 0x10,
  subscribe = 0x12,
  suback = 0x13,
  unsubscribe = 0x14,
  unsuback = 0x15,
  pingreq = 0x16,
  pingresp = 0x17,
  disconnect = 0x18,
  willtopicupd = 0x1A,
  willtopicresp = 0x1B,
  willmsgupd = 0x1C,
  willmsgresp = 0x1D,
  encapsulated = 0xFE,  // Forwarder Encapsulation (§5.5)
};

// The two QoS bits of the Flags octet (§5.3.4). MQTT-SN adds QoS -1, coded 0b11: a client may
// publish without a connection, only to a predefined topic id or a short topic name (§6.8).
enum class QoS : std::uint8_t {
  at_most_once = 0,
  at_least_once = 1,
  exactly_once = 2,
  fire_and_forget = 3,  // "QoS -1"
};

// The TopicIdType bits of the Flags octet (§5.3.4); 0b11 is reserved and rejected.
enum class TopicIdType : std::uint8_t { normal = 0, predefined = 1, short_name = 2 };

// ReturnCode octet (§5.3.10); 0x04..0xFF are reserved and rejected.
enum class ReturnCode : std::uint8_t {
  accepted = 0,
  rejected_congestion = 1,
  rejected_invalid_topic_id = 2,
  rejected_not_supported = 3,
};

inline constexpr std::uint8_t kProtocolId = 0x01;             // CONNECT ProtocolId (§5.3.8)
inline constexpr std::size_t kMaxClientIdLength = 23;         // "1-23 characters" (§5.3.1)
inline constexpr std::size_t kMaxMessageLength = 65'535;      // 3-octet Length field (§5.2.1)
inline constexpr std::size_t kMaxWirelessNodeIdLength = 252;  // 1-octet Length - 3 (§5.5)

// A short topic name travels in the 2-octet TopicId field of PUBLISH (first char high octet).
constexpr std::uint16_t short_topic_id(char first, char second) {
  return static_cast<std::uint16_t>(static_cast<std::uint8_t>(first) << 8 |
                                    static_cast<std::uint8_t>(second));
}

// Durations are seconds on the wire: the gateway's ADVERTISE period, the CONNECT keep-alive and
// the DISCONNECT sleep time.
struct Advertise {
  static constexpr MsgType kType = MsgType::advertise;
  std::uint8_t gw_id = 0;
  std::uint16_t duration_s = 0;
  friend bool operator==(const Advertise&, const Advertise&) = default;
};

struct SearchGw {
  static constexpr MsgType kType = MsgType::searchgw;
  std::uint8_t radius = 0;
  friend bool operator==(const SearchGw&, const SearchGw&) = default;
};

// GwAdd is present only when a client answers a SEARCHGW on a gateway's behalf (§5.4.3), so an
// empty address means "absent".
struct GwInfo {
  static constexpr MsgType kType = MsgType::gwinfo;
  std::uint8_t gw_id = 0;
  ByteView gw_address;
  friend bool operator==(const GwInfo&, const GwInfo&) = default;
};

struct Connect {
  static constexpr MsgType kType = MsgType::connect;
  bool will = false;
  bool clean_session = false;
  std::uint16_t duration_s = 0;
  std::string_view client_id;  // 1..23 octets
  friend bool operator==(const Connect&, const Connect&) = default;
};

struct ConnAck {
  static constexpr MsgType kType = MsgType::connack;
  ReturnCode return_code = ReturnCode::accepted;
  friend bool operator==(const ConnAck&, const ConnAck&) = default;
};

struct WillTopicReq {
  static constexpr MsgType kType = MsgType::willtopicreq;
  friend bool operator==(const WillTopicReq&, const WillTopicReq&) = default;
};

// An empty topic is the 2-octet "empty WILLTOPIC" without Flags that deletes the stored Will
// (§5.4.7); it then carries no QoS or Retain, so both must keep their defaults.
struct WillTopic {
  static constexpr MsgType kType = MsgType::willtopic;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  std::string_view topic;
  friend bool operator==(const WillTopic&, const WillTopic&) = default;
};

struct WillMsgReq {
  static constexpr MsgType kType = MsgType::willmsgreq;
  friend bool operator==(const WillMsgReq&, const WillMsgReq&) = default;
};

struct WillMsg {
  static constexpr MsgType kType = MsgType::willmsg;
  ByteView message;
  friend bool operator==(const WillMsg&, const WillMsg&) = default;
};

// topic_id is 0x0000 when a client registers and the assigned id when the gateway does (§5.4.10).
struct Register {
  static constexpr MsgType kType = MsgType::register_topic;
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;
  std::string_view topic_name;  // non-empty
  friend bool operator==(const Register&, const Register&) = default;
};

struct RegAck {
  static constexpr MsgType kType = MsgType::regack;
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;
  ReturnCode return_code = ReturnCode::accepted;
  friend bool operator==(const RegAck&, const RegAck&) = default;
};

// topic_id holds a registered id, a predefined id, or a short name's two octets (see
// short_topic_id), as selected by topic_id_type. msg_id is 0x0000 unless QoS is 1 or 2.
struct Publish {
  static constexpr MsgType kType = MsgType::publish;
  bool dup = false;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  TopicIdType topic_id_type = TopicIdType::normal;
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;
  ByteView data;
  friend bool operator==(const Publish&, const Publish&) = default;
};

struct PubAck {
  static constexpr MsgType kType = MsgType::puback;
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;
  ReturnCode return_code = ReturnCode::accepted;
  friend bool operator==(const PubAck&, const PubAck&) = default;
};

struct PubComp {
  static constexpr MsgType kType = MsgType::pubcomp;
  std::uint16_t msg_id = 0;
  friend bool operator==(const PubComp&, const PubComp&) = default;
};

struct PubRec {
  static constexpr MsgType kType = MsgType::pubrec;
  std::uint16_t msg_id = 0;
  friend bool operator==(const PubRec&, const PubRec&) = default;
};

struct PubRel {
  static constexpr MsgType kType = MsgType::pubrel;
  std::uint16_t msg_id = 0;
  friend bool operator==(const PubRel&, const PubRel&) = default;
};

// SUBSCRIBE and UNSUBSCRIBE carry a TopicName field for `normal` (a full topic name or filter)
// and `short_name` (exactly two octets), and a TopicId field for `predefined` (§5.4.15). The
// field that the type does not select stays empty / zero.
struct Subscribe {
  static constexpr MsgType kType = MsgType::subscribe;
  bool dup = false;
  QoS qos = QoS::at_most_once;  // requested; QoS -1 is not a subscription level
  TopicIdType topic_id_type = TopicIdType::normal;
  std::uint16_t msg_id = 0;
  std::string_view topic_name;
  std::uint16_t topic_id = 0;
  friend bool operator==(const Subscribe&, const Subscribe&) = default;
};

struct SubAck {
  static constexpr MsgType kType = MsgType::suback;
  QoS qos = QoS::at_most_once;  // granted
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;
  ReturnCode return_code = ReturnCode::accepted;
  friend bool operator==(const SubAck&, const SubAck&) = default;
};

struct Unsubscribe {
  static constexpr MsgType kType = MsgType::unsubscribe;
  TopicIdType topic_id_type = TopicIdType::normal;
  std::uint16_t msg_id = 0;
  std::string_view topic_name;
  std::uint16_t topic_id = 0;
  friend bool operator==(const Unsubscribe&, const Unsubscribe&) = default;
};

struct UnsubAck {
  static constexpr MsgType kType = MsgType::unsuback;
  std::uint16_t msg_id = 0;
  friend bool operator==(const UnsubAck&, const UnsubAck&) = default;
};

// A sleeping client names itself in PINGREQ (§5.4.19); an empty id means the field is absent.
struct PingReq {
  static constexpr MsgType kType = MsgType::pingreq;
  std::string_view client_id;
  friend bool operator==(const PingReq&, const PingReq&) = default;
};

struct PingResp {
  static constexpr MsgType kType = MsgType::pingresp;
  friend bool operator==(const PingResp&, const PingResp&) = default;
};

// With a duration the client goes to sleep instead of disconnecting (§5.4.21, §6.14).
struct Disconnect {
  static constexpr MsgType kType = MsgType::disconnect;
  std::optional<std::uint16_t> duration_s;
  friend bool operator==(const Disconnect&, const Disconnect&) = default;
};

// Same shape and empty form as WILLTOPIC (§5.4.7, §5.4.22).
struct WillTopicUpd {
  static constexpr MsgType kType = MsgType::willtopicupd;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  std::string_view topic;
  friend bool operator==(const WillTopicUpd&, const WillTopicUpd&) = default;
};

struct WillTopicResp {
  static constexpr MsgType kType = MsgType::willtopicresp;
  ReturnCode return_code = ReturnCode::accepted;
  friend bool operator==(const WillTopicResp&, const WillTopicResp&) = default;
};

struct WillMsgUpd {
  static constexpr MsgType kType = MsgType::willmsgupd;
  ByteView message;
  friend bool operator==(const WillMsgUpd&, const WillMsgUpd&) = default;
};

struct WillMsgResp {
  static constexpr MsgType kType = MsgType::willmsgresp;
  ReturnCode return_code = ReturnCode::accepted;
  friend bool operator==(const WillMsgResp&, const WillMsgResp&) = default;
};

// Every MQTT-SN message that can travel inside a Forwarder Encapsulation.
using Message =
    std::variant<Advertise, SearchGw, GwInfo, Connect, ConnAck, WillTopicReq, WillTopic, WillMsgReq,
                 WillMsg, Register, RegAck, Publish, PubAck, PubComp, PubRec, PubRel, Subscribe,
                 SubAck, Unsubscribe, UnsubAck, PingReq, PingResp, Disconnect, WillTopicUpd,
                 WillTopicResp, WillMsgUpd, WillMsgResp>;

// Forwarder Encapsulation (§5.5): a forwarder relays a message between a wireless node and the
// gateway. Nesting is not allowed (the spec defines one forwarder hop), which also keeps the
// variant non-recursive and the decoder's stack depth bounded.
struct Encapsulated {
  static constexpr MsgType kType = MsgType::encapsulated;
  std::uint8_t radius = 0;  // Ctrl bits 1..0; the other Ctrl bits are reserved
  ByteView wireless_node_id;
  Message message;
  friend bool operator==(const Encapsulated&, const Encapsulated&) = default;
};

using Packet =
    std::variant<Advertise, SearchGw, GwInfo, Connect, ConnAck, WillTopicReq, WillTopic, WillMsgReq,
                 WillMsg, Register, RegAck, Publish, PubAck, PubComp, PubRec, PubRel, Subscribe,
                 SubAck, Unsubscribe, UnsubAck, PingReq, PingResp, Disconnect, WillTopicUpd,
                 WillTopicResp, WillMsgUpd, WillMsgResp, Encapsulated>;

Packet to_packet(const Message& message);
std::optional<Message> to_message(const Packet& packet);  // nullopt for Encapsulated

// One datagram holds exactly one message. Views in the result point into `datagram`.
using DecodeResult = std::variant<Packet, Malformed>;
DecodeResult decode(ByteView datagram);

// Checks every rule decode() enforces that a value can break (lengths, QoS -1 topics, empty
// forms, enum ranges). encode() calls it first.
std::optional<Malformed> validate(const Packet& packet);

// Appends the datagram to `out`; on error returns why and leaves `out` untouched.
std::optional<Malformed> encode(const Packet& packet, std::vector<std::uint8_t>& out);

// Size of the datagram encode() writes for a valid packet.
std::size_t encoded_size(const Packet& packet);

MsgType message_type(const Packet& packet);
std::string_view message_type_name(MsgType type);  // "PUBLISH", "ENCAPSULATED", "RESERVED"
std::string_view message_type_name(const Packet& packet);

}  // namespace mqttsim::protocol::sn
