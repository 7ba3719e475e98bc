// Writing MQTT-SN packets as JSON (representation documented in mqttsn_json.hpp); parsing is
// in mqttsn_json_read.cpp.
#include "protocol/mqttsn_json.hpp"

#include <array>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace mqttsim::protocol::sn {
namespace {

using json = nlohmann::ordered_json;

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t lead = at(i);
  std::size_t n = lead < 0xC2 ? 0 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : lead < 0xF5 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((at(i + k) & 0xC0) != 0x80) return 0;
  }
  const std::uint8_t second = at(i + 1);
  if (lead == 0xE0 && second < 0xA0) return 0;   // overlong
  if (lead == 0xED && second >= 0xA0) return 0;  // surrogate
  if (lead == 0xF0 && second < 0x90) return 0;   // overlong
  if (lead == 0xF4 && second >= 0x90) return 0;  // above U+10FFFF
  return n;
}

// Text a reader can see in a terminal: well-formed UTF-8 without control characters (tab, LF
// and CR excepted). Binary that happens to be valid UTF-8, such as node ids, goes to hex.
bool is_printable_text(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<std::uint8_t>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return false;
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

json text(std::string_view s) {
  if (is_printable_text(s)) return std::string(s);
  constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * s.size());
  for (const char ch : s) {
    const auto c = static_cast<std::uint8_t>(ch);
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 0x0F]);
  }
  return json{{"hex", hex}};
}
json text(ByteView b) {
  return text(b.as_chars());
}

int qos_number(QoS qos) {
  return qos == QoS::fire_and_forget ? -1 : static_cast<int>(qos);
}
std::string_view type_name(TopicIdType t) {
  return kTopicIdTypeNames.at(static_cast<std::size_t>(t) % 3);
}
std::string_view code_name(ReturnCode c) {
  return kReturnCodeNames.at(static_cast<std::size_t>(c) % 4);
}

void put(json& j, const Advertise& p) {
  j["gw_id"] = p.gw_id;
  j["duration_s"] = p.duration_s;
}
void put(json& j, const SearchGw& p) {
  j["radius"] = p.radius;
}
void put(json& j, const GwInfo& p) {
  j["gw_id"] = p.gw_id;
  j["gw_address"] = text(p.gw_address);
}
void put(json& j, const Connect& p) {
  j["will"] = p.will;
  j["clean_session"] = p.clean_session;
  j["duration_s"] = p.duration_s;
  j["client_id"] = text(p.client_id);
}
template <class Will>
void put_will_topic(json& j, const Will& p) {
  j["qos"] = qos_number(p.qos);
  j["retain"] = p.retain;
  j["topic"] = text(p.topic);
}
void put(json& j, const WillTopic& p) {
  put_will_topic(j, p);
}
void put(json& j, const WillTopicUpd& p) {
  put_will_topic(j, p);
}
void put(json& j, const WillMsg& p) {
  j["message"] = text(p.message);
}
void put(json& j, const WillMsgUpd& p) {
  j["message"] = text(p.message);
}
void put(json& j, const Register& p) {
  j["topic_id"] = p.topic_id;
  j["msg_id"] = p.msg_id;
  j["topic_name"] = text(p.topic_name);
}
template <class Ack>
void put_topic_ack(json& j, const Ack& p) {
  j["topic_id"] = p.topic_id;
  j["msg_id"] = p.msg_id;
  j["return_code"] = code_name(p.return_code);
}
void put(json& j, const RegAck& p) {
  put_topic_ack(j, p);
}
void put(json& j, const PubAck& p) {
  put_topic_ack(j, p);
}
void put(json& j, const Publish& p) {
  j["dup"] = p.dup;
  j["qos"] = qos_number(p.qos);
  j["retain"] = p.retain;
  j["topic_id_type"] = type_name(p.topic_id_type);
  if (p.topic_id_type == TopicIdType::short_name) {
    const char name[2] = {static_cast<char>(p.topic_id >> 8), static_cast<char>(p.topic_id)};
    j["topic_name"] = text(std::string_view(name, 2));
  } else {
    j["topic_id"] = p.topic_id;
  }
  j["msg_id"] = p.msg_id;
  j["data"] = text(p.data);
}
template <class Sub>
void put_topic_selector(json& j, const Sub& p) {
  j["topic_id_type"] = type_name(p.topic_id_type);
  j["msg_id"] = p.msg_id;
  if (p.topic_id_type == TopicIdType::predefined) {
    j["topic_id"] = p.topic_id;
  } else {
    j["topic_name"] = text(p.topic_name);
  }
}
void put(json& j, const Subscribe& p) {
  j["dup"] = p.dup;
  j["qos"] = qos_number(p.qos);
  put_topic_selector(j, p);
}
void put(json& j, const Unsubscribe& p) {
  put_topic_selector(j, p);
}
void put(json& j, const SubAck& p) {
  j["qos"] = qos_number(p.qos);
  put_topic_ack(j, p);
}
void put(json& j, const PingReq& p) {
  j["client_id"] = text(p.client_id);
}
void put(json& j, const Disconnect& p) {
  j["duration_s"] = p.duration_s ? json(*p.duration_s) : json(nullptr);
}
void put(json& j, const PubComp& p) {
  j["msg_id"] = p.msg_id;
}
void put(json& j, const PubRec& p) {
  j["msg_id"] = p.msg_id;
}
void put(json& j, const PubRel& p) {
  j["msg_id"] = p.msg_id;
}
void put(json& j, const UnsubAck& p) {
  j["msg_id"] = p.msg_id;
}
void put(json& j, const ConnAck& p) {
  j["return_code"] = code_name(p.return_code);
}
void put(json& j, const WillTopicResp& p) {
  j["return_code"] = code_name(p.return_code);
}
void put(json& j, const WillMsgResp& p) {
  j["return_code"] = code_name(p.return_code);
}
void put(json&, const WillTopicReq&) {}
void put(json&, const WillMsgReq&) {}
void put(json&, const PingResp&) {}

json message_json(const auto& p) {
  json j = json::object();
  j["type"] = message_type_name(std::decay_t<decltype(p)>::kType);
  put(j, p);
  return j;
}

}  // namespace

nlohmann::ordered_json to_json(const Packet& packet) {
  if (const auto* e = std::get_if<Encapsulated>(&packet)) {
    json j = json::object();
    j["type"] = message_type_name(MsgType::encapsulated);
    j["radius"] = e->radius;
    j["wireless_node_id"] = text(e->wireless_node_id);
    j["message"] = std::visit([](const auto& m) { return message_json(m); }, e->message);
    return j;
  }
  return std::visit(
      [](const auto& p) -> json {
        if constexpr (std::is_same_v<std::decay_t<decltype(p)>, Encapsulated>) {
          return nullptr;  // handled above
        } else {
          return message_json(p);
        }
      },
      packet);
}

}  // namespace mqttsim::protocol::sn
