// validate(): the receiver's rules applied to a packet value before it is encoded, so the
// encoder never produces bytes that the strict decoder would reject. Shares the property and
// topic rules with the decoder; adds the limits a value can break but bytes cannot (string
// lengths, 5.0-only fields set under 3.1.1).
#include <bit>
#include <string>
#include <type_traits>

#include "protocol/codec.hpp"
#include "protocol/packet_reader.hpp"
#include "protocol/property_fields.hpp"
#include "protocol/utf8.hpp"

namespace mqttsim::protocol {
namespace {

using Error = std::optional<Malformed>;

Error invalid(std::string reason, std::string_view ref,
              ErrorKind kind = ErrorKind::malformed_packet) {
  return Malformed{kind, std::move(reason), ref, 0};
}

Error check_string(std::string_view text, std::string_view field, Version v) {
  if (text.size() > 65535)
    return invalid(std::string(field) + " is longer than 65535 bytes", "MQTT-1.5.3");
  const Utf8Check check = check_utf8(text);
  if (check.status == Utf8Status::ok) return std::nullopt;
  return invalid(
      std::string(field) + " is not valid UTF-8: " + std::string(utf8_status_name(check.status)),
      utf8_spec_ref(check.status, v));
}

Error check_binary(ByteView data, std::string_view field) {
  if (data.size() <= 65535) return std::nullopt;
  return invalid(std::string(field) + " is longer than 65535 bytes", "MQTT-5.0 §1.5.6");
}

// The checks of properties that are present, in table order; out of line, so that the usual
// call (no properties) costs only the test in check_properties below.
[[gnu::noinline]] Error check_present_properties(const Properties& props, PacketMask where,
                                                 Version v) {
  if (!is_v5(v)) return invalid("properties need MQTT 5.0", "MQTT-5.0 §2.2.2");
  for (std::uint32_t bits = detail::present_fields(props); bits != 0; bits &= bits - 1) {
    const PropertyInfo& info = kPropertyTable[static_cast<std::size_t>(std::countr_zero(bits))];
    Error error;
    std::visit(
        [&](auto member) {
          const auto& slot = props.*member;
          using Slot = std::remove_cvref_t<decltype(slot)>;
          if constexpr (std::is_same_v<Slot, std::vector<UserProperty>>) {
            for (const UserProperty& pair : slot) {
              if (!error) error = check_string(pair.key, "User Property name", v);
              if (!error) error = check_string(pair.value, "User Property value", v);
            }
          } else if constexpr (std::is_same_v<Slot, std::vector<std::uint32_t>>) {
            for (std::uint32_t value : slot) {
              if (!error) error = detail::check_property_value(info.id, value, where, 0);
            }
          } else {
            using Value = typename Slot::value_type;
            if constexpr (std::is_same_v<Value, std::string_view>) {
              error = check_string(*slot, info.name, v);
            } else if constexpr (std::is_same_v<Value, ByteView>) {
              error = check_binary(*slot, info.name);
            } else {
              error = detail::check_property_value(info.id, static_cast<std::uint32_t>(*slot),
                                                   where, 0);
            }
          }
        },
        info.field);
    if ((info.allowed_in & where) == 0) {
      return invalid(std::string(info.name) + " is not allowed here", "MQTT-5.0 §2.2.2.2");
    }
    if (error) return error;
  }
  return std::nullopt;
}

Error check_properties(const Properties& props, PacketMask where, Version v) {
  if (props.empty()) return std::nullopt;
  return check_present_properties(props, where, v);
}

Error check_packet_id(std::uint16_t id, Version v, Sender sender) {
  if (id != 0) return std::nullopt;
  return invalid("Packet Identifier is 0", detail::packet_id_ref(v, sender),
                 ErrorKind::protocol_error);
}

Error check_reason(PacketType type, ReasonCode code, Version v) {
  if (!is_v5(v) && type != PacketType::connack && type != PacketType::suback) {
    if (code == ReasonCode::success) return std::nullopt;
    return invalid("reason codes in " + std::string(packet_type_name(type)) + " need MQTT 5.0",
                   "MQTT-5.0 §2.4");
  }
  if (reason_code_allowed(type, static_cast<std::uint8_t>(code), v)) return std::nullopt;
  return invalid("reason code " + std::to_string(static_cast<unsigned>(code)) +
                     " is not defined for " + std::string(packet_type_name(type)),
                 is_v5(v) ? "MQTT-5.0 §2.4" : "MQTT-3.1.1 §3.2.2.3", ErrorKind::protocol_error);
}

Error check(const Connect& p, Version v, Sender, const DecodeLimits& limits) {
  if (p.version != v)
    return invalid("CONNECT.version differs from the encoding version", "MQTT-3.1.2-2");
  if (auto e = check_properties(p.properties, mask_of(PacketType::connect), v)) return e;
  if (auto e = check_string(p.client_id, "Client Identifier", v)) return e;
  if (p.will) {
    if (static_cast<unsigned>(p.will->qos) > 2) {
      return invalid("Will QoS is 3", is_v5(v) ? "MQTT-3.1.2-12" : "MQTT-3.1.2-14");
    }
    if (auto e = check_properties(p.will->properties, kWillProperties, v)) return e;
    if (auto e = check_string(p.will->topic, "Will Topic", v)) return e;
    if (auto e = validate_topic_name(p.will->topic, v, limits.topic)) return e;
    if (auto e = check_binary(p.will->payload, "Will Payload")) return e;
  }
  if (p.username) {
    if (auto e = check_string(*p.username, "User Name", v)) return e;
  } else if (p.password && !is_v5(v)) {
    return invalid("Password without User Name", "MQTT-3.1.2-22");
  }
  if (p.password) return check_binary(*p.password, "Password");
  return std::nullopt;
}

Error check(const Connack& p, Version v, Sender, const DecodeLimits&) {
  if (auto e = check_reason(PacketType::connack, p.reason_code, v)) return e;
  if (p.session_present && p.reason_code != ReasonCode::success) {
    return invalid("Session Present with a non-zero return code",
                   is_v5(v) ? "MQTT-3.2.2-6" : "MQTT-3.2.2-4", ErrorKind::protocol_error);
  }
  return check_properties(p.properties, mask_of(PacketType::connack), v);
}

Error check_publish(const Publish& p, Version v, Sender sender, const DecodeLimits& limits) {
  if (static_cast<unsigned>(p.qos) > 2) return invalid("PUBLISH QoS is 3", "MQTT-3.3.1-4");
  if (p.dup && p.qos == QoS::at_most_once) return invalid("DUP on a QoS 0 PUBLISH", "MQTT-3.3.1-2");
  if (p.qos != QoS::at_most_once) {
    if (auto e = check_packet_id(p.packet_id, v, sender)) return e;
  }
  if (auto e = check_properties(p.properties, mask_of(PacketType::publish), v)) return e;
  if (auto e =
          detail::check_property_context(p.properties, PacketType::publish, sender, limits, 0)) {
    return e;
  }
  if (is_v5(v) && p.topic.empty() && p.properties.topic_alias) return std::nullopt;
  return validate_topic_name(p.topic, v, limits.topic);
}

template <PacketType kType>
Error check(const PublishAck<kType>& p, Version v, Sender sender, const DecodeLimits&) {
  if (auto e = check_packet_id(p.packet_id, v, sender)) return e;
  if (auto e = check_reason(kType, p.reason_code, v)) return e;
  return check_properties(p.properties, mask_of(kType), v);
}

Error check(const Subscribe& p, Version v, Sender sender, const DecodeLimits& limits) {
  if (auto e = check_packet_id(p.packet_id, v, sender)) return e;
  if (auto e = check_properties(p.properties, mask_of(PacketType::subscribe), v)) return e;
  if (auto e = detail::check_property_context(p.properties, PacketType::subscribe, Sender::client,
                                              limits, 0)) {
    return e;
  }
  if (p.subscriptions.empty()) {
    return invalid("SUBSCRIBE has no Topic Filter", is_v5(v) ? "MQTT-3.8.3-2" : "MQTT-3.8.3-3",
                   ErrorKind::protocol_error);
  }
  for (const Subscription& sub : p.subscriptions) {
    if (auto e = validate_topic_filter(sub.filter, v, limits.topic)) return e;
    const SubscriptionOptions& o = sub.options;
    if (static_cast<unsigned>(o.max_qos) > 2) return invalid("requested QoS is 3", "MQTT-3-8.3-4");
    if (static_cast<unsigned>(o.retain_handling) > 2) {
      return invalid("Retain Handling is 3", "MQTT-5.0 §3.8.3.1", ErrorKind::protocol_error);
    }
    const bool v5_options = o.no_local || o.retain_as_published ||
                            o.retain_handling != RetainHandling::send_on_subscribe;
    if (v5_options && !is_v5(v))
      return invalid("subscription options need MQTT 5.0", "MQTT-3-8.3-4");
    if (o.no_local && is_v5(v) && parse_shared_subscription(sub.filter)) {
      return invalid("No Local on a shared subscription", "MQTT-3.8.3-4",
                     ErrorKind::protocol_error);
    }
  }
  return std::nullopt;
}

template <typename Ack>
Error check_sub_ack(const Ack& p, PacketType type, Version v, Sender sender) {
  if (auto e = check_packet_id(p.packet_id, v, sender)) return e;
  if (auto e = check_properties(p.properties, mask_of(type), v)) return e;
  if (type == PacketType::unsuback && !is_v5(v)) {
    if (p.reason_codes.empty()) return std::nullopt;
    return invalid("UNSUBACK reason codes need MQTT 5.0", "MQTT-5.0 §3.11.3");
  }
  if (p.reason_codes.empty()) {
    return invalid(std::string(packet_type_name(type)) + " has no reason codes",
                   type == PacketType::suback ? "MQTT-5.0 §3.9.3" : "MQTT-5.0 §3.11.3",
                   ErrorKind::protocol_error);
  }
  for (ReasonCode code : p.reason_codes) {
    if (auto e = check_reason(type, code, v)) return e;
  }
  return std::nullopt;
}

Error check(const Unsubscribe& p, Version v, Sender sender, const DecodeLimits& limits) {
  if (auto e = check_packet_id(p.packet_id, v, sender)) return e;
  if (auto e = check_properties(p.properties, mask_of(PacketType::unsubscribe), v)) return e;
  if (p.filters.empty()) {
    return invalid("UNSUBSCRIBE has no Topic Filter", "MQTT-3.10.3-2", ErrorKind::protocol_error);
  }
  for (std::string_view filter : p.filters) {
    if (auto e = validate_topic_filter(filter, v, limits.topic)) return e;
  }
  return std::nullopt;
}

template <typename P>
Error check_reason_and_properties(const P& p, PacketType type, Version v) {
  if (auto e = check_reason(type, p.reason_code, v)) return e;
  return check_properties(p.properties, mask_of(type), v);
}

Error check_packet(const Packet& packet, Version v, Sender sender, const DecodeLimits& limits) {
  return std::visit(
      [&](const auto& p) -> Error {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Publish>) {
          return check_publish(p, v, sender, limits);
        } else if constexpr (std::is_same_v<T, Suback>) {
          return check_sub_ack(p, PacketType::suback, v, sender);
        } else if constexpr (std::is_same_v<T, Unsuback>) {
          return check_sub_ack(p, PacketType::unsuback, v, sender);
        } else if constexpr (std::is_same_v<T, Disconnect>) {
          return check_reason_and_properties(p, PacketType::disconnect, v);
        } else if constexpr (std::is_same_v<T, Auth>) {
          return check_reason_and_properties(p, PacketType::auth, v);
        } else if constexpr (std::is_same_v<T, Pingreq> || std::is_same_v<T, Pingresp>) {
          return std::nullopt;
        } else {
          return check(p, v, sender, limits);
        }
      },
      packet);
}

}  // namespace

std::optional<Malformed> validate(const Packet& packet, Version version, Sender sender,
                                  const DecodeLimits& limits) {
  std::size_t body_size = 0;
  return detail::validate_sized(packet, version, sender, limits, body_size);
}

std::optional<Malformed> detail::validate_sized(const Packet& packet, Version version,
                                                Sender sender, const DecodeLimits& limits,
                                                std::size_t& body_size) {
  const PacketType type = packet_type(packet);
  if (!may_send(sender, type, version)) {
    return invalid(std::string(packet_type_name(type)) + " may not be sent by a " +
                       (sender == Sender::client ? "client" : "server") + " under MQTT " +
                       std::string(version_name(version)),
                   is_v5(version) ? "MQTT-5.0 §2.1.2" : "MQTT-3.1.1 §2.2.1",
                   ErrorKind::protocol_error);
  }
  if (auto error = check_packet(packet, version, sender, limits)) return error;
  body_size = detail::body_size(packet, version);
  if (body_size > kVarintMax) {
    return invalid("packet body of " + std::to_string(body_size) +
                       " bytes exceeds the largest Remaining Length, 268435455",
                   detail::remaining_length_ref(version), ErrorKind::packet_too_large);
  }
  const std::size_t total = 1 + varint_size(static_cast<std::uint32_t>(body_size)) + body_size;
  if (total > limits.max_packet_size_bytes) {
    return invalid(
        "packet of " + std::to_string(total) + " bytes exceeds the Maximum Packet Size of " +
            std::to_string(limits.max_packet_size_bytes),
        sender == Sender::server ? "MQTT-3.1.2-24" : "MQTT-3.2.2-15", ErrorKind::packet_too_large);
  }
  return std::nullopt;
}

}  // namespace mqttsim::protocol
