// JSON form of packets (see packet_json.hpp). Writing walks the packet; reading checks every
// key and type and reports the JSON path of the first problem.
#include "protocol/packet_json.hpp"

#include <set>
#include <type_traits>

#include "protocol/utf8.hpp"

namespace mqttsim::protocol {

using json = nlohmann::ordered_json;

namespace {

std::string to_hex(ByteView data) {
  constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t b : data) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

json properties_to_json(const Properties& props) {
  json out = json::object();
  for (const PropertyInfo& info : kPropertyTable) {
    const std::string key(info.json_key);
    std::visit(
        [&](auto member) {
          const auto& slot = props.*member;
          using Slot = std::remove_cvref_t<decltype(slot)>;
          if constexpr (std::is_same_v<Slot, std::vector<UserProperty>>) {
            if (slot.empty()) return;
            json pairs = json::array();
            for (const UserProperty& p : slot) pairs.push_back({p.key, p.value});
            out[key] = pairs;
          } else if constexpr (std::is_same_v<Slot, std::vector<std::uint32_t>>) {
            if (!slot.empty()) out[key] = slot;
          } else {
            if (!slot) return;
            using Value = typename Slot::value_type;
            if constexpr (std::is_same_v<Value, ByteView>) {
              out[key] = binary_to_json(*slot);
            } else {
              out[key] = *slot;
            }
          }
        },
        info.field);
  }
  return out;
}

json reason_json(PacketType type, ReasonCode code, Version v) {
  const auto value = static_cast<std::uint8_t>(code);
  return {{"value", value}, {"name", reason_code_name(type, value, v)}};
}

json body_to_json(const Packet& packet, Version v) {
  const PacketType type = packet_type(packet);
  return std::visit(
      [&](const auto& p) -> json {
        using T = std::decay_t<decltype(p)>;
        json j = json::object();
        if constexpr (std::is_same_v<T, Connect>) {
          j["version"] = version_name(p.version);
          j["clean_start"] = p.clean_start;
          j["keep_alive_s"] = p.keep_alive_s;
          j["client_id"] = p.client_id;
          if (p.will) {
            j["will"] = {{"qos", static_cast<int>(p.will->qos)},
                         {"retain", p.will->retain},
                         {"topic", p.will->topic},
                         {"payload", binary_to_json(p.will->payload)}};
            if (is_v5(v)) j["will"]["properties"] = properties_to_json(p.will->properties);
          }
          if (p.username) j["username"] = *p.username;
          if (p.password) j["password"] = binary_to_json(*p.password);
        } else if constexpr (std::is_same_v<T, Connack>) {
          j["session_present"] = p.session_present;
          j["reason_code"] = reason_json(type, p.reason_code, v);
        } else if constexpr (std::is_same_v<T, Publish>) {
          j["dup"] = p.dup;
          j["qos"] = static_cast<int>(p.qos);
          j["retain"] = p.retain;
          j["topic"] = p.topic;
          if (p.qos != QoS::at_most_once) j["packet_id"] = p.packet_id;
          j["payload"] = binary_to_json(p.payload);
        } else if constexpr (std::is_same_v<T, Subscribe>) {
          j["packet_id"] = p.packet_id;
          j["subscriptions"] = json::array();
          for (const Subscription& s : p.subscriptions) {
            json sub = {{"filter", s.filter}, {"qos", static_cast<int>(s.options.max_qos)}};
            if (is_v5(v)) {
              sub["no_local"] = s.options.no_local;
              sub["retain_as_published"] = s.options.retain_as_published;
              sub["retain_handling"] = static_cast<int>(s.options.retain_handling);
            }
            j["subscriptions"].push_back(sub);
          }
        } else if constexpr (std::is_same_v<T, Suback> || std::is_same_v<T, Unsuback>) {
          j["packet_id"] = p.packet_id;
          j["reason_codes"] = json::array();
          for (ReasonCode c : p.reason_codes) j["reason_codes"].push_back(reason_json(type, c, v));
        } else if constexpr (std::is_same_v<T, Unsubscribe>) {
          j["packet_id"] = p.packet_id;
          j["filters"] = p.filters;
        } else if constexpr (std::is_same_v<T, Disconnect> || std::is_same_v<T, Auth>) {
          if (is_v5(v)) j["reason_code"] = reason_json(type, p.reason_code, v);
        } else if constexpr (std::is_same_v<T, Pingreq> || std::is_same_v<T, Pingresp>) {
        } else {  // PUBACK, PUBREC, PUBREL, PUBCOMP
          j["packet_id"] = p.packet_id;
          if (is_v5(v)) j["reason_code"] = reason_json(type, p.reason_code, v);
        }
        if constexpr (requires { p.properties; }) {
          if (is_v5(v)) j["properties"] = properties_to_json(p.properties);
        }
        return j;
      },
      packet);
}

}  // namespace

json binary_to_json(ByteView data) {
  if (check_utf8(data.as_chars()).status == Utf8Status::ok) return std::string(data.as_chars());
  return {{"hex", to_hex(data)}};
}

json to_json(const Packet& packet, Version version) {
  json j = {{"type", packet_type_name(packet_type(packet))}};
  j.update(body_to_json(packet, version));
  return j;
}

json to_json(const Malformed& error) {
  return {{"reason", error.reason},
          {"spec_ref", error.spec_ref},
          {"reason_code", static_cast<int>(error.kind)},
          {"offset", error.offset}};
}

std::optional<Version> parse_version(std::string_view text) {
  if (text == "3.1" || text == "3") return Version::v3_1;
  if (text == "3.1.1" || text == "4") return Version::v3_1_1;
  if (text == "5" || text == "5.0") return Version::v5;
  return std::nullopt;
}

}  // namespace mqttsim::protocol
