// Parsing of the JSON form of MQTT-SN packets (mqttsn_json.hpp). Never throws: every access
// checks the JSON type first, since the input is written by hand.
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "protocol/mqttsn_json.hpp"

namespace mqttsim::protocol::sn {
namespace {

using json = nlohmann::ordered_json;
constexpr const auto& kTopicIdTypes = kTopicIdTypeNames;
constexpr const auto& kReturnCodes = kReturnCodeNames;

// Reads the fields of one JSON object. The first error sticks and later reads do nothing, so
// per-message readers stay flat; every key read is remembered to report unknown (mistyped) ones.
class FieldReader {
 public:
  FieldReader(const json& j, JsonStorage& storage) : j_(j), storage_(storage) {}
  const std::string& error() const { return error_; }

  void flag(const char* key, bool& out) {
    const json* v = find(key);
    if (v == nullptr) return;
    if (!v->is_boolean()) return reject(key, "expected true or false");
    out = v->get<bool>();
  }
  template <class Int>
  void number(const char* key, Int& out) {
    std::int64_t value = 0;
    if (integer(key, 0, std::numeric_limits<Int>::max(), value)) out = static_cast<Int>(value);
  }
  void optional_number(const char* key, std::optional<std::uint16_t>& out) {
    const json* v = find(key);
    if (v == nullptr || v->is_null()) return;
    std::uint16_t value = 0;
    number(key, value);
    out = value;
  }
  void qos(const char* key, QoS& out) {
    std::int64_t value = 0;
    if (!integer(key, -1, 2, value)) return;
    out = value < 0 ? QoS::fire_and_forget : static_cast<QoS>(value);
  }
  template <class Enum, std::size_t N>
  void name(const char* key, const std::array<std::string_view, N>& names, Enum& out) {
    const json* v = find(key);
    if (v == nullptr) return;
    for (std::size_t i = 0; v->is_string() && i < N; ++i) {
      if (v->get_ref<const std::string&>() == names[i]) {
        out = static_cast<Enum>(i);
        return;
      }
    }
    std::string expected = "expected one of";
    for (const auto n : names) expected += " \"" + std::string(n) + "\"";
    reject(key, expected);
  }
  void bytes(const char* key, std::string_view& out) {
    const json* v = find(key);
    if (v == nullptr) return;
    if (v->is_string()) {
      out = storage_.emplace_back(v->get<std::string>());
    } else if (v->is_object() && v->size() == 1 && v->contains("hex") && v->at("hex").is_string()) {
      if (auto decoded = from_hex(v->at("hex").get_ref<const std::string&>())) {
        out = storage_.emplace_back(std::move(*decoded));
      } else {
        reject(key, "\"hex\" needs an even number of hex digits");
      }
    } else {
      reject(key, "expected a string or {\"hex\": \"...\"}");
    }
  }
  void bytes(const char* key, ByteView& out) {
    std::string_view chars;
    bytes(key, chars);
    out = ByteView::of(chars);
  }
  void reject(const char* key, const std::string& why) {
    if (error_.empty()) error_ = "field \"" + std::string(key) + "\": " + why;
  }
  void mark_known(const char* key) { known_.push_back(key); }
  // Called last: a key nobody read is a typo or belongs to another message type.
  void reject_unknown_keys() {
    for (auto it = j_.begin(); error_.empty() && it != j_.end(); ++it) {
      bool read = false;
      for (const auto k : known_) read = read || k == it.key();
      if (!read) error_ = "unknown field \"" + it.key() + "\" for this message";
    }
  }

 private:
  const json* find(const char* key) {
    known_.push_back(key);
    if (!error_.empty()) return nullptr;
    const auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  bool integer(const char* key, std::int64_t min, std::int64_t max, std::int64_t& out) {
    const json* v = find(key);
    if (v == nullptr) return false;
    const bool in_range =
        (v->is_number_unsigned() && v->get<std::uint64_t>() <= static_cast<std::uint64_t>(max)) ||
        (v->is_number_integer() && !v->is_number_unsigned() && v->get<std::int64_t>() >= min &&
         v->get<std::int64_t>() <= max);
    if (!in_range) {
      reject(key, "expected an integer " + std::to_string(min) + ".." + std::to_string(max));
      return false;
    }
    out = v->is_number_unsigned() ? static_cast<std::int64_t>(v->get<std::uint64_t>())
                                  : v->get<std::int64_t>();
    return true;
  }
  static std::optional<std::string> from_hex(const std::string& hex) {
    const auto digit = [](char c) {
      return c >= '0' && c <= '9'   ? c - '0'
             : c >= 'a' && c <= 'f' ? c - 'a' + 10
             : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                    : -1;
    };
    if (hex.size() % 2 != 0) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      const int high = digit(hex[i]);
      const int low = digit(hex[i + 1]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high << 4 | low));
    }
    return out;
  }

  const json& j_;
  JsonStorage& storage_;
  std::vector<std::string_view> known_ = {"type"};
  std::string error_;
};

void get(FieldReader& f, Advertise& p) {
  f.number("gw_id", p.gw_id);
  f.number("duration_s", p.duration_s);
}
void get(FieldReader& f, SearchGw& p) {
  f.number("radius", p.radius);
}
void get(FieldReader& f, GwInfo& p) {
  f.number("gw_id", p.gw_id);
  f.bytes("gw_address", p.gw_address);
}
void get(FieldReader& f, Connect& p) {
  f.flag("will", p.will);
  f.flag("clean_session", p.clean_session);
  f.number("duration_s", p.duration_s);
  f.bytes("client_id", p.client_id);
}
template <class Will>
void get_will_topic(FieldReader& f, Will& p) {
  f.qos("qos", p.qos);
  f.flag("retain", p.retain);
  f.bytes("topic", p.topic);
}
void get(FieldReader& f, WillTopic& p) {
  get_will_topic(f, p);
}
void get(FieldReader& f, WillTopicUpd& p) {
  get_will_topic(f, p);
}
void get(FieldReader& f, WillMsg& p) {
  f.bytes("message", p.message);
}
void get(FieldReader& f, WillMsgUpd& p) {
  f.bytes("message", p.message);
}
void get(FieldReader& f, Register& p) {
  f.number("topic_id", p.topic_id);
  f.number("msg_id", p.msg_id);
  f.bytes("topic_name", p.topic_name);
}
template <class Ack>
void get_topic_ack(FieldReader& f, Ack& p) {
  f.number("topic_id", p.topic_id);
  f.number("msg_id", p.msg_id);
  f.name("return_code", kReturnCodes, p.return_code);
}
void get(FieldReader& f, RegAck& p) {
  get_topic_ack(f, p);
}
void get(FieldReader& f, PubAck& p) {
  get_topic_ack(f, p);
}
void get(FieldReader& f, Publish& p) {
  f.flag("dup", p.dup);
  f.qos("qos", p.qos);
  f.flag("retain", p.retain);
  f.name("topic_id_type", kTopicIdTypes, p.topic_id_type);
  if (p.topic_id_type == TopicIdType::short_name) {
    std::string_view name;
    f.bytes("topic_name", name);
    if (name.size() == 2) {
      p.topic_id = short_topic_id(name[0], name[1]);
    } else {
      f.reject("topic_name", "a short topic name is exactly 2 octets");
    }
  } else {
    f.number("topic_id", p.topic_id);
  }
  f.number("msg_id", p.msg_id);
  f.bytes("data", p.data);
}
template <class Sub>
void get_topic_selector(FieldReader& f, Sub& p) {
  f.name("topic_id_type", kTopicIdTypes, p.topic_id_type);
  f.number("msg_id", p.msg_id);
  if (p.topic_id_type == TopicIdType::predefined) {
    f.number("topic_id", p.topic_id);
  } else {
    f.bytes("topic_name", p.topic_name);
  }
}
void get(FieldReader& f, Subscribe& p) {
  f.flag("dup", p.dup);
  f.qos("qos", p.qos);
  get_topic_selector(f, p);
}
void get(FieldReader& f, Unsubscribe& p) {
  get_topic_selector(f, p);
}
void get(FieldReader& f, SubAck& p) {
  f.qos("qos", p.qos);
  get_topic_ack(f, p);
}
void get(FieldReader& f, PingReq& p) {
  f.bytes("client_id", p.client_id);
}
void get(FieldReader& f, Disconnect& p) {
  f.optional_number("duration_s", p.duration_s);
}
void get(FieldReader& f, PubComp& p) {
  f.number("msg_id", p.msg_id);
}
void get(FieldReader& f, PubRec& p) {
  f.number("msg_id", p.msg_id);
}
void get(FieldReader& f, PubRel& p) {
  f.number("msg_id", p.msg_id);
}
void get(FieldReader& f, UnsubAck& p) {
  f.number("msg_id", p.msg_id);
}
void get(FieldReader& f, ConnAck& p) {
  f.name("return_code", kReturnCodes, p.return_code);
}
void get(FieldReader& f, WillTopicResp& p) {
  f.name("return_code", kReturnCodes, p.return_code);
}
void get(FieldReader& f, WillMsgResp& p) {
  f.name("return_code", kReturnCodes, p.return_code);
}
void get(FieldReader&, WillTopicReq&) {}
void get(FieldReader&, WillMsgReq&) {}
void get(FieldReader&, PingResp&) {}

// Finds the Message alternative named `type` and reads its fields.
template <std::size_t I = 0>
std::optional<Message> read_message(std::string_view type, FieldReader& f) {
  if constexpr (I == std::variant_size_v<Message>) {
    return std::nullopt;
  } else {
    using T = std::variant_alternative_t<I, Message>;
    if (message_type_name(T::kType) != type) return read_message<I + 1>(type, f);
    T value;
    get(f, value);
    return Message(value);
  }
}

FromJsonResult read_packet(const json& j, JsonStorage& storage, bool in_encapsulation);

FromJsonResult read_encapsulated(const json& j, JsonStorage& storage, FieldReader& f) {
  Encapsulated e;
  f.number("radius", e.radius);
  f.bytes("wireless_node_id", e.wireless_node_id);
  f.mark_known("message");
  f.reject_unknown_keys();
  if (!f.error().empty()) return f.error();
  const auto inner_it = j.find("message");
  if (inner_it == j.end()) return std::string("missing \"message\" (the encapsulated packet)");
  auto inner = read_packet(*inner_it, storage, true);
  if (auto* error = std::get_if<std::string>(&inner)) return "message: " + *error;
  e.message = *to_message(std::get<Packet>(inner));
  return Packet(e);
}

FromJsonResult read_packet(const json& j, JsonStorage& storage, bool in_encapsulation) {
  if (!j.is_object()) return std::string("expected a JSON object");
  const auto type_it = j.find("type");
  if (type_it == j.end() || !type_it->is_string()) {
    return std::string("missing \"type\" (a message name such as \"PUBLISH\")");
  }
  const std::string& type = type_it->get_ref<const std::string&>();
  FieldReader f(j, storage);
  if (type == message_type_name(MsgType::encapsulated)) {
    if (in_encapsulation) return std::string("an ENCAPSULATED message cannot carry another");
    return read_encapsulated(j, storage, f);
  }
  auto message = read_message(type, f);
  if (!message) return "unknown message type \"" + type + "\"";
  f.reject_unknown_keys();
  if (!f.error().empty()) return f.error();
  return to_packet(*message);
}

}  // namespace

FromJsonResult from_json(const nlohmann::ordered_json& json, JsonStorage& storage) {
  auto result = read_packet(json, storage, false);
  if (const auto* packet = std::get_if<Packet>(&result)) {
    if (auto error = validate(*packet)) {
      return error->reason + " (" + std::string(error->spec_ref) + ")";
    }
  }
  return result;
}

}  // namespace mqttsim::protocol::sn
