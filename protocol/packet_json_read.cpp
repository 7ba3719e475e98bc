// packet_from_json: the reverse of to_json, for `mqttsim encode`. Every key is checked
// (unknown keys are errors, so a typo never silently becomes a default) and every error names
// its JSON path.
#include <limits>
#include <set>
#include <type_traits>

#include "protocol/packet_json.hpp"
#include "protocol/wire.hpp"

namespace mqttsim::protocol {

using json = nlohmann::ordered_json;

namespace {

struct JsonError {
  std::string message;
};

// One JSON object being read: typed getters that record which keys were used.
class ObjectReader {
 public:
  ObjectReader(const json& j, std::string path, TextStore& store)
      : j_(j), path_(std::move(path)), store_(store) {
    if (!j_.is_object()) throw JsonError{where() + ": expected an object"};
  }

  bool has(const char* key) {
    used_.insert(key);
    return j_.contains(key);
  }
  const json& at(const char* key) {
    if (!has(key)) throw JsonError{where() + ": missing key \"" + key + "\""};
    return j_.at(key);
  }
  std::uint32_t number(const char* key, std::uint32_t max) { return number_of(at(key), key, max); }
  std::uint32_t number(const char* key, std::uint32_t max, std::uint32_t fallback) {
    return has(key) ? number(key, max) : fallback;
  }
  bool flag(const char* key, bool fallback) {
    if (!has(key)) return fallback;
    if (!j_.at(key).is_boolean()) throw JsonError{path(key) + ": expected true or false"};
    return j_.at(key).get<bool>();
  }
  std::string_view text(const char* key) { return text_of(at(key), path(key)); }
  ByteView binary(const char* key) { return binary_of(at(key), path(key)); }
  std::uint32_t number_of(const json& v, const std::string& key, std::uint32_t max) {
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > max) {
      throw JsonError{path(key) + ": expected an integer 0.." + std::to_string(max)};
    }
    return static_cast<std::uint32_t>(v.get<std::uint64_t>());
  }
  std::string_view text_of(const json& v, const std::string& at_path) {
    if (!v.is_string()) throw JsonError{at_path + ": expected a string"};
    return store_.keep(v.get<std::string>());
  }
  ByteView binary_of(const json& v, const std::string& at_path) {
    if (v.is_string()) return ByteView::of(store_.keep(v.get<std::string>()));
    if (v.is_object() && v.size() == 1 && v.contains("hex") && v["hex"].is_string()) {
      return ByteView::of(store_.keep(from_hex(v["hex"].get<std::string>(), at_path)));
    }
    throw JsonError{at_path + ": expected a string or {\"hex\": \"...\"}"};
  }
  // After reading: any key not asked for is a mistake in the input.
  void finish() {
    for (const auto& [key, value] : j_.items()) {
      if (!used_.count(key)) throw JsonError{path(key) + ": unknown key"};
    }
  }
  std::string path(const std::string& key) const { return path_ + "/" + key; }
  std::string where() const { return path_.empty() ? "/" : path_; }
  TextStore& store() { return store_; }

 private:
  static std::string from_hex(const std::string& hex, const std::string& at_path) {
    auto nibble = [&](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      throw JsonError{at_path + ": \"" + std::string(1, c) + "\" is not a hex digit"};
    };
    if (hex.size() % 2) throw JsonError{at_path + ": odd number of hex digits"};
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    }
    return out;
  }

  const json& j_;
  std::string path_;
  TextStore& store_;
  std::set<std::string> used_;
};

Properties read_properties(ObjectReader& parent, const char* key) {
  Properties props;
  if (!parent.has(key)) return props;
  ObjectReader in(parent.at(key), parent.path(key), parent.store());
  for (const PropertyInfo& info : kPropertyTable) {
    const std::string name(info.json_key);
    if (!in.has(name.c_str())) continue;
    const json& v = in.at(name.c_str());
    std::visit(
        [&](auto member) {
          auto& slot = props.*member;
          using Slot = std::remove_cvref_t<decltype(slot)>;
          if constexpr (std::is_same_v<Slot, std::vector<UserProperty>>) {
            if (!v.is_array()) throw JsonError{in.path(name) + ": expected [[key, value], ...]"};
            for (const json& pair : v) {
              if (!pair.is_array() || pair.size() != 2) {
                throw JsonError{in.path(name) + ": each entry must be [key, value]"};
              }
              slot.push_back(
                  {in.text_of(pair[0], in.path(name)), in.text_of(pair[1], in.path(name))});
            }
          } else if constexpr (std::is_same_v<Slot, std::vector<std::uint32_t>>) {
            if (!v.is_array()) throw JsonError{in.path(name) + ": expected an array of integers"};
            for (const json& id : v) slot.push_back(in.number_of(id, name, kVarintMax));
          } else {
            using Value = typename Slot::value_type;
            if constexpr (std::is_same_v<Value, std::string_view>) {
              slot = in.text_of(v, in.path(name));
            } else if constexpr (std::is_same_v<Value, ByteView>) {
              slot = in.binary_of(v, in.path(name));
            } else if constexpr (std::is_same_v<Value, bool>) {
              if (!v.is_boolean()) throw JsonError{in.path(name) + ": expected true or false"};
              slot = v.get<bool>();
            } else {
              slot = static_cast<Value>(in.number_of(v, name, std::numeric_limits<Value>::max()));
            }
          }
        },
        info.field);
  }
  in.finish();
  return props;
}

ReasonCode read_reason(ObjectReader& in, const char* key) {
  if (!in.has(key)) return ReasonCode::success;
  const json& v = in.at(key);
  if (v.is_object()) {
    ObjectReader code(v, in.path(key), in.store());
    code.has("name");  // informative only; the value decides
    const auto value = static_cast<ReasonCode>(code.number("value", 255));
    code.finish();
    return value;
  }
  return static_cast<ReasonCode>(in.number(key, 255));
}

template <typename T>
void read_fields(ObjectReader& in, Version& v, T& p);

Packet read_packet(ObjectReader& in, std::string_view type, Version v) {
  for (std::size_t i = 0; i < std::variant_size_v<Packet>; ++i) {
    if (packet_type_name(static_cast<PacketType>(i + 1)) != type) continue;
    Packet packet;
    // Construct alternative i, then fill it.
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((I == i ? (void)packet.emplace<I>() : (void)0), ...);
    }
    (std::make_index_sequence<std::variant_size_v<Packet>>{});
    std::visit([&](auto& p) { read_fields(in, v, p); }, packet);
    return packet;
  }
  throw JsonError{in.path("type") + ": unknown packet type \"" + std::string(type) + "\""};
}

template <typename T>
void read_fields(ObjectReader& in, Version& v, T& p) {
  if constexpr (std::is_same_v<T, Connect>) {
    if (in.has("version")) {
      const auto parsed = parse_version(in.text("version"));
      if (!parsed) throw JsonError{in.path("version") + ": expected \"3.1\", \"3.1.1\" or \"5.0\""};
      v = *parsed;
    }
    p.version = v;
    p.clean_start = in.flag("clean_start", true);
    p.keep_alive_s = static_cast<std::uint16_t>(in.number("keep_alive_s", 65535, 60));
    p.client_id = in.has("client_id") ? in.text("client_id") : std::string_view();
    if (in.has("will")) {
      ObjectReader w(in.at("will"), in.path("will"), in.store());
      Will& will = p.will.emplace();
      will.qos = static_cast<QoS>(w.number("qos", 3, 0));
      will.retain = w.flag("retain", false);
      will.topic = w.text("topic");
      will.payload = w.has("payload") ? w.binary("payload") : ByteView();
      will.properties = read_properties(w, "properties");
      w.finish();
    }
    if (in.has("username")) p.username = in.text("username");
    if (in.has("password")) p.password = in.binary("password");
  } else if constexpr (std::is_same_v<T, Connack>) {
    p.session_present = in.flag("session_present", false);
    p.reason_code = read_reason(in, "reason_code");
  } else if constexpr (std::is_same_v<T, Publish>) {
    p.dup = in.flag("dup", false);
    p.qos = static_cast<QoS>(in.number("qos", 3, 0));
    p.retain = in.flag("retain", false);
    p.topic = in.text("topic");
    p.packet_id = static_cast<std::uint16_t>(in.number("packet_id", 65535, 0));
    p.payload = in.has("payload") ? in.binary("payload") : ByteView();
  } else if constexpr (std::is_same_v<T, Subscribe>) {
    p.packet_id = static_cast<std::uint16_t>(in.number("packet_id", 65535));
    const json& subs = in.at("subscriptions");
    if (!subs.is_array()) throw JsonError{in.path("subscriptions") + ": expected an array"};
    for (std::size_t i = 0; i < subs.size(); ++i) {
      ObjectReader s(subs[i], in.path("subscriptions/" + std::to_string(i)), in.store());
      Subscription& sub = p.subscriptions.emplace_back();
      sub.filter = s.text("filter");
      sub.options.max_qos = static_cast<QoS>(s.number("qos", 3, 0));
      sub.options.no_local = s.flag("no_local", false);
      sub.options.retain_as_published = s.flag("retain_as_published", false);
      sub.options.retain_handling = static_cast<RetainHandling>(s.number("retain_handling", 3, 0));
      s.finish();
    }
  } else if constexpr (std::is_same_v<T, Suback> || std::is_same_v<T, Unsuback>) {
    p.packet_id = static_cast<std::uint16_t>(in.number("packet_id", 65535));
    if (in.has("reason_codes")) {
      const json& codes = in.at("reason_codes");
      if (!codes.is_array()) throw JsonError{in.path("reason_codes") + ": expected an array"};
      for (std::size_t i = 0; i < codes.size(); ++i) {
        json holder = {{"code", codes[i]}};
        ObjectReader one(holder, in.path("reason_codes/" + std::to_string(i)), in.store());
        p.reason_codes.push_back(read_reason(one, "code"));
      }
    }
  } else if constexpr (std::is_same_v<T, Unsubscribe>) {
    p.packet_id = static_cast<std::uint16_t>(in.number("packet_id", 65535));
    const json& filters = in.at("filters");
    if (!filters.is_array()) throw JsonError{in.path("filters") + ": expected an array"};
    for (std::size_t i = 0; i < filters.size(); ++i) {
      p.filters.push_back(in.text_of(filters[i], in.path("filters/" + std::to_string(i))));
    }
  } else if constexpr (std::is_same_v<T, Disconnect> || std::is_same_v<T, Auth>) {
    p.reason_code = read_reason(in, "reason_code");
  } else if constexpr (std::is_same_v<T, Pingreq> || std::is_same_v<T, Pingresp>) {
  } else {
    p.packet_id = static_cast<std::uint16_t>(in.number("packet_id", 65535));
    p.reason_code = read_reason(in, "reason_code");
  }
  if constexpr (requires { p.properties; }) p.properties = read_properties(in, "properties");
}

}  // namespace

std::variant<Packet, std::string> packet_from_json(const json& j, Version version,
                                                   TextStore& store) {
  try {
    ObjectReader in(j, "", store);
    const std::string_view type = in.text("type");
    Packet packet = read_packet(in, type, version);
    in.finish();
    return packet;
  } catch (const JsonError& error) {
    return error.message;
  }
}

}  // namespace mqttsim::protocol
