// Generators for valid MQTT packets: topics with multi-byte UTF-8 levels, filters with
// wildcards in legal places, properties drawn from the property table for the packet at hand.
#include "packet_gen.hpp"

#include <type_traits>

namespace mqttsim::protocol::testing {
namespace {

using rc::gen::arbitrary;
using rc::gen::element;
using rc::gen::inRange;

// UTF-8 text without U+0000 or surrogates: ASCII, Latin-1, CJK and astral code points.
std::string gen_text(std::size_t max_chars) {
  const auto count = *inRange<std::size_t>(0, max_chars + 1);
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    const int kind = *inRange(0, 10);
    std::uint32_t cp = kind < 6   ? *inRange<std::uint32_t>(0x20, 0x7F)
                       : kind < 8 ? *inRange<std::uint32_t>(0xA0, 0x800)
                       : kind < 9 ? *inRange<std::uint32_t>(0x4E00, 0x9FFF)
                                  : *inRange<std::uint32_t>(0x1F300, 0x1F64F);
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | cp >> 6));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | cp >> 12));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | cp >> 18));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

std::string gen_level() {
  std::string level = *element<std::string>("sensors", "Zürich", "Florastrasse", "temp", "温度",
                                            "line-07", "", "a", "device 42", "🌡");
  return level;
}

std::string gen_topic_name() {
  const auto levels = *inRange(1, 6);
  std::string topic;
  for (int i = 0; i < levels; ++i) topic += (i ? "/" : "") + gen_level();
  if (topic.empty()) topic = "t";
  return topic;
}

std::string gen_topic_filter(Version v) {
  const auto levels = *inRange(1, 6);
  std::string filter;
  for (int i = 0; i < levels; ++i) {
    filter += i ? "/" : "";
    filter += *inRange(0, 4) == 0 ? "+" : gen_level();
  }
  if (*inRange(0, 4) == 0) filter += levels ? "/#" : "#";
  if (filter.empty()) filter = "#";
  if (is_v5(v) && *inRange(0, 6) == 0)
    filter = "$share/group-" + std::to_string(*inRange(0, 9)) + "/" + filter;
  return filter;
}

std::string gen_bytes(std::size_t max_size) {
  const auto size = *inRange<std::size_t>(0, max_size + 1);
  std::string out;
  for (std::size_t i = 0; i < size; ++i)
    out.push_back(static_cast<char>(*arbitrary<std::uint8_t>()));
  return out;
}

Properties gen_properties(TextStore& store, PacketMask where, Version v, Sender sender) {
  Properties props;
  if (!is_v5(v)) return props;
  for (const PropertyInfo& info : kPropertyTable) {
    if ((info.allowed_in & where) == 0 || *inRange(0, 3) != 0) continue;
    if (info.id == PropertyId::subscription_identifier && where == mask_of(PacketType::publish) &&
        sender == Sender::client) {
      continue;  // MQTT-3.3.4-6
    }
    std::visit(
        [&](auto member) {
          auto& slot = props.*member;
          using Slot = std::remove_cvref_t<decltype(slot)>;
          if constexpr (std::is_same_v<Slot, std::vector<UserProperty>>) {
            for (int i = *inRange(1, 4); i > 0; --i) {
              slot.push_back({store.keep(gen_text(8)), store.keep(gen_text(8))});
            }
          } else if constexpr (std::is_same_v<Slot, std::vector<std::uint32_t>>) {
            const int count = where == mask_of(PacketType::publish) ? *inRange(1, 4) : 1;
            for (int i = 0; i < count; ++i)
              slot.push_back(*inRange<std::uint32_t>(1, kVarintMax + 1));
          } else {
            using Value = typename Slot::value_type;
            if constexpr (std::is_same_v<Value, std::string_view>) {
              slot = info.id == PropertyId::response_topic ? store.keep(gen_topic_name())
                                                           : store.keep(gen_text(12));
            } else if constexpr (std::is_same_v<Value, ByteView>) {
              slot = ByteView::of(store.keep(gen_bytes(16)));
            } else if constexpr (std::is_same_v<Value, bool>) {
              slot = *arbitrary<bool>();
            } else if (info.id == PropertyId::payload_format_indicator ||
                       info.id == PropertyId::maximum_qos) {
              slot = static_cast<Value>(*inRange(0, 2));
            } else {
              slot = *inRange<Value>(1, std::numeric_limits<Value>::max());
            }
          }
        },
        info.field);
  }
  return props;
}

ReasonCode gen_reason(PacketType type, Version v) {
  std::vector<std::uint8_t> allowed;
  for (unsigned code = 0; code < 256; ++code) {
    if (reason_code_allowed(type, static_cast<std::uint8_t>(code), v))
      allowed.push_back(static_cast<std::uint8_t>(code));
  }
  if (allowed.empty()) return ReasonCode::success;
  return static_cast<ReasonCode>(*rc::gen::elementOf(allowed));
}

std::uint16_t gen_packet_id() {
  return *inRange<std::uint16_t>(1, 65535);
}

Packet gen_connect(TextStore& s, Version v) {
  Connect p;
  p.version = v;
  p.clean_start = *arbitrary<bool>();
  p.keep_alive_s = *arbitrary<std::uint16_t>();
  p.client_id = s.keep(gen_text(23));
  if (*arbitrary<bool>()) {
    Will& w = p.will.emplace();
    w.qos = static_cast<QoS>(*inRange(0, 3));
    w.retain = *arbitrary<bool>();
    w.topic = s.keep(gen_topic_name());
    w.payload = ByteView::of(s.keep(gen_bytes(40)));
    w.properties = gen_properties(s, kWillProperties, v, Sender::client);
  }
  if (*arbitrary<bool>()) p.username = s.keep(gen_text(10));
  if ((p.username || is_v5(v)) && *arbitrary<bool>())
    p.password = ByteView::of(s.keep(gen_bytes(12)));
  p.properties = gen_properties(s, mask_of(PacketType::connect), v, Sender::client);
  return p;
}

Packet gen_publish(TextStore& s, Version v, Sender sender) {
  Publish p;
  p.qos = static_cast<QoS>(*inRange(0, 3));
  p.dup = p.qos != QoS::at_most_once && *arbitrary<bool>();
  p.retain = *arbitrary<bool>();
  p.topic = s.keep(gen_topic_name());
  if (p.qos != QoS::at_most_once) p.packet_id = gen_packet_id();
  p.properties = gen_properties(s, mask_of(PacketType::publish), v, sender);
  if (p.properties.topic_alias && *arbitrary<bool>()) p.topic = {};
  p.payload = ByteView::of(s.keep(gen_bytes(*inRange(0, 4) == 0 ? 300 : 40)));
  return p;
}

Packet gen_subscribe(TextStore& s, Version v) {
  Subscribe p;
  p.packet_id = gen_packet_id();
  p.properties = gen_properties(s, mask_of(PacketType::subscribe), v, Sender::client);
  for (int i = *inRange(1, 5); i > 0; --i) {
    Subscription& sub = p.subscriptions.emplace_back();
    sub.filter = s.keep(gen_topic_filter(v));
    sub.options.max_qos = static_cast<QoS>(*inRange(0, 3));
    if (is_v5(v)) {
      sub.options.no_local = !parse_shared_subscription(sub.filter) && *arbitrary<bool>();
      sub.options.retain_as_published = *arbitrary<bool>();
      sub.options.retain_handling = static_cast<RetainHandling>(*inRange(0, 3));
    }
  }
  return p;
}

template <typename Ack>
Packet gen_sub_ack(TextStore& s, Version v, PacketType type) {
  Ack p;
  p.packet_id = gen_packet_id();
  p.properties = gen_properties(s, mask_of(type), v, Sender::server);
  if (type == PacketType::suback || is_v5(v)) {
    for (int i = *inRange(1, 5); i > 0; --i) p.reason_codes.push_back(gen_reason(type, v));
  }
  return p;
}

template <typename Ack>
Packet gen_publish_ack(TextStore& s, Version v, Sender sender) {
  Ack p;
  p.packet_id = gen_packet_id();
  if (is_v5(v)) {
    p.reason_code = gen_reason(Ack::type, v);
    p.properties = gen_properties(s, mask_of(Ack::type), v, sender);
  }
  return p;
}

Packet gen_packet(TextStore& s, Version v, Sender sender) {
  std::vector<PacketType> types;
  for (unsigned t = 1; t <= 15; ++t) {
    if (may_send(sender, static_cast<PacketType>(t), v))
      types.push_back(static_cast<PacketType>(t));
  }
  switch (*rc::gen::elementOf(types)) {
    case PacketType::connect:
      return gen_connect(s, v);
    case PacketType::connack: {
      Connack p;
      p.reason_code = gen_reason(PacketType::connack, v);
      p.session_present = p.reason_code == ReasonCode::success && *arbitrary<bool>();
      p.properties = gen_properties(s, mask_of(PacketType::connack), v, sender);
      return p;
    }
    case PacketType::publish:
      return gen_publish(s, v, sender);
    case PacketType::puback:
      return gen_publish_ack<Puback>(s, v, sender);
    case PacketType::pubrec:
      return gen_publish_ack<Pubrec>(s, v, sender);
    case PacketType::pubrel:
      return gen_publish_ack<Pubrel>(s, v, sender);
    case PacketType::pubcomp:
      return gen_publish_ack<Pubcomp>(s, v, sender);
    case PacketType::subscribe:
      return gen_subscribe(s, v);
    case PacketType::suback:
      return gen_sub_ack<Suback>(s, v, PacketType::suback);
    case PacketType::unsubscribe: {
      Unsubscribe p;
      p.packet_id = gen_packet_id();
      p.properties = gen_properties(s, mask_of(PacketType::unsubscribe), v, sender);
      for (int i = *inRange(1, 4); i > 0; --i) p.filters.push_back(s.keep(gen_topic_filter(v)));
      return p;
    }
    case PacketType::unsuback:
      return gen_sub_ack<Unsuback>(s, v, PacketType::unsuback);
    case PacketType::pingreq:
      return Pingreq{};
    case PacketType::pingresp:
      return Pingresp{};
    case PacketType::disconnect: {
      Disconnect p;
      if (is_v5(v)) {
        p.reason_code = gen_reason(PacketType::disconnect, v);
        p.properties = gen_properties(s, mask_of(PacketType::disconnect), v, sender);
      }
      return p;
    }
    case PacketType::auth: {
      Auth p;
      p.reason_code = gen_reason(PacketType::auth, v);
      p.properties = gen_properties(s, mask_of(PacketType::auth), v, sender);
      return p;
    }
  }
  return Pingreq{};
}

}  // namespace

rc::Gen<Version> gen_version() {
  return element(Version::v3_1, Version::v3_1_1, Version::v5);
}

rc::Gen<Sample> gen_sample_for(Version version, Sender sender) {
  return rc::gen::exec([version, sender] {
    Sample sample{std::make_shared<TextStore>(), Pingreq{}, version, sender};
    sample.packet = gen_packet(*sample.store, version, sender);
    return sample;
  });
}

rc::Gen<Sample> gen_sample() {
  return rc::gen::exec([] {
    const Version version = *gen_version();
    const Sender sender = *element(Sender::client, Sender::server);
    return *gen_sample_for(version, sender);
  });
}

}  // namespace mqttsim::protocol::testing
