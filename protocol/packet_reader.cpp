// Field reads for the decoder: strings with UTF-8 rules, packet identifiers, and the 5.0
// property list with its duplicate, placement and range rules (MQTT 5.0 §2.2.2).
#include "protocol/packet_reader.hpp"

#include <string>
#include <type_traits>

#include "protocol/utf8.hpp"

namespace mqttsim::protocol::detail {

std::string_view remaining_length_ref(Version v) {
  return is_v5(v) ? "MQTT-5.0 §2.1.4" : "MQTT-3.1.1 §2.2.3";
}
std::string_view fixed_header_flags_ref(Version v) {
  return is_v5(v) ? "MQTT-2.1.3-1" : "MQTT-2.2.2-1";
}
std::string_view packet_id_ref(Version v, Sender sender) {
  if (!is_v5(v)) return "MQTT-2.3.1-1";
  return sender == Sender::server ? "MQTT-2.2.1-4" : "MQTT-2.2.1-3";
}
std::string_view varint_error_ref(VarintStatus status, Version v) {
  if (!is_v5(v)) return "MQTT-3.1.1 §2.2.3";  // 3.1.1 has no numbered statement for either
  return status == VarintStatus::non_minimal ? "MQTT-1.5.5-1" : "MQTT-5.0 §1.5.5";
}
std::string_view varint_problem(VarintStatus status) {
  return status == VarintStatus::non_minimal ? "not encoded in the minimum number of bytes"
                                             : "a Variable Byte Integer longer than 4 bytes";
}
std::string_view packet_too_large_ref(Version v, Sender sender) {
  if (!is_v5(v)) return "mqttsim-limit";  // 3.1.1 has no Maximum Packet Size
  return sender == Sender::client ? "MQTT-5.0 §3.2.2.3.6" : "MQTT-5.0 §3.1.2.11.4";
}

namespace {
std::string hex_byte(unsigned value) {
  constexpr char kDigits[] = "0123456789ABCDEF";
  return std::string("0x") + kDigits[(value >> 4) & 0xF] + kDigits[value & 0xF];
}
// The name of a single-packet mask, for messages.
std::string mask_name(PacketMask where) {
  if (where == kWillProperties) return "Will Properties";
  for (unsigned type = 1; type <= 15; ++type) {
    if (where == mask_of(static_cast<PacketType>(type))) {
      return std::string(packet_type_name(static_cast<PacketType>(type)));
    }
  }
  return "this packet";
}
}  // namespace

bool PacketReader::fail(ErrorKind kind, std::string reason, std::string_view spec_ref) {
  return fail_at(r_.offset(), kind, std::move(reason), spec_ref);
}

bool PacketReader::fail_at(std::size_t offset, ErrorKind kind, std::string reason,
                           std::string_view spec_ref) {
  if (!error_) error_ = Malformed{kind, std::move(reason), spec_ref, offset};
  return false;
}

bool PacketReader::truncated(std::string_view field, std::size_t needed) {
  return fail(ErrorKind::malformed_packet,
              std::string(field) + " needs " + std::to_string(needed) + " bytes but only " +
                  std::to_string(r_.remaining()) + " remain in the packet",
              remaining_length_ref(version_));
}

bool PacketReader::u8(std::uint8_t& out, std::string_view field) {
  return r_.u8(out) || truncated(field, 1);
}

bool PacketReader::u16(std::uint16_t& out, std::string_view field) {
  return r_.u16(out) || truncated(field, 2);
}

bool PacketReader::packet_id(std::uint16_t& out) {
  if (!u16(out, "Packet Identifier")) return false;
  if (out != 0) return true;
  return fail_at(r_.offset() - 2, ErrorKind::protocol_error, "Packet Identifier is 0",
                 packet_id_ref(version_, sender_));
}

bool PacketReader::raw_string(std::string_view& out, std::string_view field) {
  if (r_.prefixed(out)) return true;
  std::uint16_t length = 0;
  WireReader peek = r_;
  if (!peek.u16(length)) return truncated(std::string(field) + " length", 2);
  return truncated(std::string(field) + " (length " + std::to_string(length) + ")", length + 2);
}

bool PacketReader::utf8_string(std::string_view& out, std::string_view field) {
  if (!raw_string(out, field)) return false;
  const Utf8Check check = check_utf8(out);
  if (check.status == Utf8Status::ok) return true;
  return fail_at(r_.offset() - out.size() + check.offset, ErrorKind::malformed_packet,
                 std::string(field) +
                     " is not valid UTF-8: " + std::string(utf8_status_name(check.status)) +
                     " at byte " + std::to_string(check.offset),
                 utf8_spec_ref(check.status, version_));
}

bool PacketReader::binary(ByteView& out, std::string_view field) {
  if (r_.prefixed(out)) return true;
  std::uint16_t length = 0;
  WireReader peek = r_;
  if (!peek.u16(length)) return truncated(std::string(field) + " length", 2);
  return truncated(std::string(field) + " (length " + std::to_string(length) + ")", length + 2);
}

bool PacketReader::expect_end(std::string_view packet_name) {
  if (r_.at_end()) return true;
  return fail(ErrorKind::malformed_packet,
              std::to_string(r_.remaining()) + " unexpected bytes after the end of the " +
                  std::string(packet_name) + " fields",
              remaining_length_ref(version_));
}

bool PacketReader::properties(Properties& out, PacketMask where) {
  const std::size_t length_offset = r_.offset();
  std::uint32_t length = 0;
  const VarintStatus status = r_.varint(length);
  switch (status) {
    case VarintStatus::ok:
      break;
    case VarintStatus::need_more:
      return truncated("Property Length", 1);
    case VarintStatus::too_long:
    case VarintStatus::non_minimal:
      return fail(ErrorKind::malformed_packet,
                  "Property Length is " + std::string(varint_problem(status)),
                  varint_error_ref(status, version_));
  }
  ByteView section;
  if (!r_.bytes(length, section)) {
    return fail_at(length_offset, ErrorKind::malformed_packet,
                   "Property Length " + std::to_string(length) + " exceeds the " +
                       std::to_string(r_.remaining()) + " bytes left in the packet",
                   "MQTT-5.0 §2.2.2.1");
  }
  const std::size_t section_offset = r_.offset() - length;
  WireReader in(section, section_offset);
  while (!in.at_end()) {
    const std::size_t id_offset = in.offset();
    std::uint32_t id = 0;
    const VarintStatus id_status = in.varint(id);
    const PropertyInfo* info = id_status == VarintStatus::ok && id < 256
                                   ? property_info(static_cast<std::uint8_t>(id))
                                   : nullptr;
    if (info == nullptr) {
      const std::uint8_t first = section[id_offset - section_offset];
      return fail_at(id_offset, ErrorKind::malformed_packet,
                     "unknown property identifier " + hex_byte(first), "MQTT-5.0 §2.2.2.2");
    }
    if ((info->allowed_in & where) == 0) {
      return fail_at(id_offset, ErrorKind::malformed_packet,
                     std::string(info->name) + " is not allowed in " + mask_name(where),
                     "MQTT-5.0 §2.2.2.2");
    }
    if (!property(*info, out, in, where)) return false;
  }
  return true;
}

// Reads one property value into its typed slot, rejecting duplicates and out-of-range values.
bool PacketReader::property(const PropertyInfo& info, Properties& out, WireReader& in,
                            PacketMask where) {
  const std::size_t offset = in.offset();
  const std::string name(info.name);
  auto cut = [&] {
    return fail_at(offset, ErrorKind::malformed_packet, name + " value runs past Property Length",
                   "MQTT-5.0 §2.2.2.1");
  };
  auto duplicate = [&] {
    return fail_at(offset, ErrorKind::protocol_error, name + " appears more than once",
                   property_spec_ref(info.id, where));
  };
  auto range = [&](std::uint32_t value) {
    if (auto error = check_property_value(info.id, value, where, offset)) {
      if (!error_) error_ = std::move(error);
      return false;
    }
    return true;
  };
  return std::visit(
      [&](auto member) -> bool {
        auto& slot = out.*member;
        using Slot = std::remove_reference_t<decltype(slot)>;
        if constexpr (std::is_same_v<Slot, std::vector<UserProperty>>) {
          UserProperty pair;
          if (!in.prefixed(pair.key) || !in.prefixed(pair.value)) return cut();
          for (std::string_view text : {pair.key, pair.value}) {
            const Utf8Check check = check_utf8(text);
            if (check.status != Utf8Status::ok) {
              return fail_at(offset, ErrorKind::malformed_packet,
                             "User Property is not valid UTF-8: " +
                                 std::string(utf8_status_name(check.status)),
                             "MQTT-1.5.7-1");
            }
          }
          if (slot.size() >= limits_.max_user_properties) {
            return fail_at(
                offset, ErrorKind::implementation_limit,
                "more than " + std::to_string(limits_.max_user_properties) + " User Properties",
                "mqttsim-limit");
          }
          slot.push_back(pair);
          return true;
        } else if constexpr (std::is_same_v<Slot, std::vector<std::uint32_t>>) {
          std::uint32_t value = 0;
          const VarintStatus status = in.varint(value);
          if (status == VarintStatus::need_more) return cut();
          if (status != VarintStatus::ok) {
            return fail_at(offset, ErrorKind::malformed_packet,
                           name + " is not a valid Variable Byte Integer",
                           varint_error_ref(status, version_));
          }
          if (!slot.empty() && where != mask_of(PacketType::publish)) return duplicate();
          if (!range(value)) return false;
          slot.push_back(value);
          return true;
        } else {
          using Value = typename Slot::value_type;
          if (slot.has_value()) return duplicate();
          if constexpr (std::is_same_v<Value, std::string_view>) {
            std::string_view text;
            if (!in.prefixed(text)) return cut();
            const Utf8Check check = check_utf8(text);
            if (check.status != Utf8Status::ok) {
              return fail_at(
                  offset, ErrorKind::malformed_packet,
                  name + " is not valid UTF-8: " + std::string(utf8_status_name(check.status)),
                  utf8_spec_ref(check.status, version_));
            }
            slot = text;
          } else if constexpr (std::is_same_v<Value, ByteView>) {
            ByteView data;
            if (!in.prefixed(data)) return cut();
            slot = data;
          } else if constexpr (std::is_same_v<Value, std::uint32_t>) {
            std::uint32_t value = 0;
            if (!in.u32(value)) return cut();
            if (!range(value)) return false;
            slot = value;
          } else if constexpr (std::is_same_v<Value, std::uint16_t>) {
            std::uint16_t value = 0;
            if (!in.u16(value)) return cut();
            if (!range(value)) return false;
            slot = value;
          } else {  // bool or uint8_t: one byte
            std::uint8_t value = 0;
            if (!in.u8(value)) return cut();
            if (!range(value)) return false;
            slot = static_cast<Value>(value);
          }
          return true;
        }
      },
      info.field);
}

namespace {

// Builds the error for a value check_property_value found out of range; kept out of line so
// that the valid case, which runs for every property of every packet, builds no strings.
[[gnu::cold, gnu::noinline]] Malformed describe_bad_value(PropertyId id, std::uint32_t value,
                                                          PacketMask where, std::size_t offset) {
  const PropertyInfo& info = *property_info(static_cast<std::uint8_t>(id));
  const std::string shown = std::string(info.name) + " " + std::to_string(value);
  const std::string_view ref = property_spec_ref(id, where);
  std::string reason;
  switch (id) {
    case PropertyId::receive_maximum:
    case PropertyId::maximum_packet_size:
      reason = shown + " is not allowed";
      break;
    case PropertyId::topic_alias:
      return Malformed{ErrorKind::protocol_error, "Topic Alias is 0", "MQTT-3.3.2-8", offset};
    case PropertyId::subscription_identifier:
      reason = "Subscription Identifier is 0";
      break;
    default:
      reason = shown + " is not 0 or 1";
      break;
  }
  return Malformed{ErrorKind::protocol_error, std::move(reason), ref, offset};
}

}  // namespace

std::optional<Malformed> check_property_value(PropertyId id, std::uint32_t value, PacketMask where,
                                              std::size_t offset) {
  bool valid = true;
  switch (id) {
    case PropertyId::payload_format_indicator:
    case PropertyId::request_problem_information:
    case PropertyId::request_response_information:
    case PropertyId::retain_available:
    case PropertyId::wildcard_subscription_available:
    case PropertyId::subscription_identifier_available:
    case PropertyId::shared_subscription_available:
    case PropertyId::maximum_qos:
      valid = value <= 1;
      break;
    case PropertyId::receive_maximum:
    case PropertyId::maximum_packet_size:
    case PropertyId::topic_alias:
    case PropertyId::subscription_identifier:
      valid = value != 0;
      break;
    default:
      break;
  }
  if (valid) return std::nullopt;
  return describe_bad_value(id, value, where, offset);
}

std::optional<Malformed> check_property_context(const Properties& props, PacketType type,
                                                Sender sender, const DecodeLimits& limits,
                                                std::size_t offset) {
  if (type == PacketType::publish && sender == Sender::client &&
      !props.subscription_identifiers.empty()) {
    return Malformed{ErrorKind::protocol_error,
                     "a PUBLISH sent by a client carries a Subscription Identifier", "MQTT-3.3.4-6",
                     offset};
  }
  if (type != PacketType::publish && props.subscription_identifiers.size() > 1) {
    return Malformed{ErrorKind::protocol_error, "Subscription Identifier appears more than once",
                     property_spec_ref(PropertyId::subscription_identifier, mask_of(type)), offset};
  }
  if (props.user_properties.size() > limits.max_user_properties) {
    return Malformed{ErrorKind::implementation_limit,
                     "more than " + std::to_string(limits.max_user_properties) + " User Properties",
                     "mqttsim-limit", offset};
  }
  return std::nullopt;
}

}  // namespace mqttsim::protocol::detail
