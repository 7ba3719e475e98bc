// The property table of MQTT 5.0 §2.2.2.2 (id, name, value type, where allowed). The decoder,
// encoder and JSON writer are all driven by it.
#include "protocol/properties.hpp"

#include <stdexcept>

#include "protocol/property_fields.hpp"

namespace mqttsim::protocol {
namespace {

constexpr PacketMask kConnect = mask_of(PacketType::connect);
constexpr PacketMask kConnack = mask_of(PacketType::connack);
constexpr PacketMask kPublish = mask_of(PacketType::publish);
constexpr PacketMask kSubscribe = mask_of(PacketType::subscribe);
constexpr PacketMask kDisconnect = mask_of(PacketType::disconnect);
constexpr PacketMask kAuth = mask_of(PacketType::auth);
constexpr PacketMask kAcks = mask_of(PacketType::puback) | mask_of(PacketType::pubrec) |
                             mask_of(PacketType::pubrel) | mask_of(PacketType::pubcomp) |
                             mask_of(PacketType::suback) | mask_of(PacketType::unsuback);
constexpr PacketMask kMessage = kPublish | kWillProperties;
constexpr PacketMask kEverywhere = kConnect | kConnack | kPublish | kWillProperties | kAcks |
                                   kSubscribe | mask_of(PacketType::unsubscribe) | kDisconnect |
                                   kAuth;

using P = Properties;
using enum PropertyId;

}  // namespace

const std::array<PropertyInfo, 27> kPropertyTable = {{
    {payload_format_indicator, "Payload Format Indicator", "payload_format_indicator", kMessage,
     &P::payload_format_indicator},
    {message_expiry_interval, "Message Expiry Interval", "message_expiry_interval_s", kMessage,
     &P::message_expiry_interval_s},
    {content_type, "Content Type", "content_type", kMessage, &P::content_type},
    {response_topic, "Response Topic", "response_topic", kMessage, &P::response_topic},
    {correlation_data, "Correlation Data", "correlation_data", kMessage, &P::correlation_data},
    {subscription_identifier, "Subscription Identifier", "subscription_identifiers",
     kPublish | kSubscribe, &P::subscription_identifiers},
    {session_expiry_interval, "Session Expiry Interval", "session_expiry_interval_s",
     kConnect | kConnack | kDisconnect, &P::session_expiry_interval_s},
    {assigned_client_identifier, "Assigned Client Identifier", "assigned_client_identifier",
     kConnack, &P::assigned_client_identifier},
    {server_keep_alive, "Server Keep Alive", "server_keep_alive_s", kConnack,
     &P::server_keep_alive_s},
    {authentication_method, "Authentication Method", "authentication_method",
     kConnect | kConnack | kAuth, &P::authentication_method},
    {authentication_data, "Authentication Data", "authentication_data", kConnect | kConnack | kAuth,
     &P::authentication_data},
    {request_problem_information, "Request Problem Information", "request_problem_information",
     kConnect, &P::request_problem_information},
    {will_delay_interval, "Will Delay Interval", "will_delay_interval_s", kWillProperties,
     &P::will_delay_interval_s},
    {request_response_information, "Request Response Information", "request_response_information",
     kConnect, &P::request_response_information},
    {response_information, "Response Information", "response_information", kConnack,
     &P::response_information},
    {server_reference, "Server Reference", "server_reference", kConnack | kDisconnect,
     &P::server_reference},
    {reason_string, "Reason String", "reason_string", kConnack | kAcks | kDisconnect | kAuth,
     &P::reason_string},
    {receive_maximum, "Receive Maximum", "receive_maximum", kConnect | kConnack,
     &P::receive_maximum},
    {topic_alias_maximum, "Topic Alias Maximum", "topic_alias_maximum", kConnect | kConnack,
     &P::topic_alias_maximum},
    {topic_alias, "Topic Alias", "topic_alias", kPublish, &P::topic_alias},
    {maximum_qos, "Maximum QoS", "maximum_qos", kConnack, &P::maximum_qos},
    {retain_available, "Retain Available", "retain_available", kConnack, &P::retain_available},
    {user_property, "User Property", "user_properties", kEverywhere, &P::user_properties},
    {maximum_packet_size, "Maximum Packet Size", "maximum_packet_size_bytes", kConnect | kConnack,
     &P::maximum_packet_size_bytes},
    {wildcard_subscription_available, "Wildcard Subscription Available",
     "wildcard_subscription_available", kConnack, &P::wildcard_subscription_available},
    {subscription_identifier_available, "Subscription Identifier Available",
     "subscription_identifier_available", kConnack, &P::subscription_identifier_available},
    {shared_subscription_available, "Shared Subscription Available",
     "shared_subscription_available", kConnack, &P::shared_subscription_available},
}};

namespace {
// Wire id -> table index + 1 (0 = undefined id), built once from the table itself.
std::array<std::uint8_t, 256> build_index() {
  std::array<std::uint8_t, 256> index{};
  for (std::size_t i = 0; i < kPropertyTable.size(); ++i) {
    index[static_cast<std::uint8_t>(kPropertyTable[i].id)] = static_cast<std::uint8_t>(i + 1);
  }
  return index;
}
const std::array<std::uint8_t, 256> kIndex = build_index();  // after kPropertyTable: same TU
}  // namespace

const PropertyInfo* property_info(std::uint8_t id) {
  return kIndex[id] == 0 ? nullptr : &kPropertyTable[kIndex[id] - 1];
}

namespace {
struct PropertySection {
  PacketMask where;
  PropertyId id;
  std::string_view ref;
};

constexpr PacketMask kPuback = mask_of(PacketType::puback), kPubrec = mask_of(PacketType::pubrec),
                     kPubrel = mask_of(PacketType::pubrel), kPubcomp = mask_of(PacketType::pubcomp),
                     kSuback = mask_of(PacketType::suback),
                     kUnsubscribe = mask_of(PacketType::unsubscribe),
                     kUnsuback = mask_of(PacketType::unsuback);

// MQTT 5.0 chapter 3: where each property is defined for each packet.
constexpr PropertySection kSections[] = {
    {kConnect, session_expiry_interval, "MQTT-5.0 §3.1.2.11.2"},
    {kConnect, receive_maximum, "MQTT-5.0 §3.1.2.11.3"},
    {kConnect, maximum_packet_size, "MQTT-5.0 §3.1.2.11.4"},
    {kConnect, topic_alias_maximum, "MQTT-5.0 §3.1.2.11.5"},
    {kConnect, request_response_information, "MQTT-5.0 §3.1.2.11.6"},
    {kConnect, request_problem_information, "MQTT-5.0 §3.1.2.11.7"},
    {kConnect, user_property, "MQTT-5.0 §3.1.2.11.8"},
    {kConnect, authentication_method, "MQTT-5.0 §3.1.2.11.9"},
    {kConnect, authentication_data, "MQTT-5.0 §3.1.2.11.10"},
    {kWillProperties, will_delay_interval, "MQTT-5.0 §3.1.3.2.2"},
    {kWillProperties, payload_format_indicator, "MQTT-5.0 §3.1.3.2.3"},
    {kWillProperties, message_expiry_interval, "MQTT-5.0 §3.1.3.2.4"},
    {kWillProperties, content_type, "MQTT-5.0 §3.1.3.2.5"},
    {kWillProperties, response_topic, "MQTT-5.0 §3.1.3.2.6"},
    {kWillProperties, correlation_data, "MQTT-5.0 §3.1.3.2.7"},
    {kWillProperties, user_property, "MQTT-5.0 §3.1.3.2.8"},
    {kConnack, session_expiry_interval, "MQTT-5.0 §3.2.2.3.2"},
    {kConnack, receive_maximum, "MQTT-5.0 §3.2.2.3.3"},
    {kConnack, maximum_qos, "MQTT-5.0 §3.2.2.3.4"},
    {kConnack, retain_available, "MQTT-5.0 §3.2.2.3.5"},
    {kConnack, maximum_packet_size, "MQTT-5.0 §3.2.2.3.6"},
    {kConnack, assigned_client_identifier, "MQTT-5.0 §3.2.2.3.7"},
    {kConnack, topic_alias_maximum, "MQTT-5.0 §3.2.2.3.8"},
    {kConnack, reason_string, "MQTT-5.0 §3.2.2.3.9"},
    {kConnack, user_property, "MQTT-5.0 §3.2.2.3.10"},
    {kConnack, wildcard_subscription_available, "MQTT-5.0 §3.2.2.3.11"},
    {kConnack, subscription_identifier_available, "MQTT-5.0 §3.2.2.3.12"},
    {kConnack, shared_subscription_available, "MQTT-5.0 §3.2.2.3.13"},
    {kConnack, server_keep_alive, "MQTT-5.0 §3.2.2.3.14"},
    {kConnack, response_information, "MQTT-5.0 §3.2.2.3.15"},
    {kConnack, server_reference, "MQTT-5.0 §3.2.2.3.16"},
    {kConnack, authentication_method, "MQTT-5.0 §3.2.2.3.17"},
    {kConnack, authentication_data, "MQTT-5.0 §3.2.2.3.18"},
    {kPublish, payload_format_indicator, "MQTT-5.0 §3.3.2.3.2"},
    {kPublish, message_expiry_interval, "MQTT-5.0 §3.3.2.3.3"},
    {kPublish, topic_alias, "MQTT-5.0 §3.3.2.3.4"},
    {kPublish, response_topic, "MQTT-5.0 §3.3.2.3.5"},
    {kPublish, correlation_data, "MQTT-5.0 §3.3.2.3.6"},
    {kPublish, user_property, "MQTT-5.0 §3.3.2.3.7"},
    {kPublish, subscription_identifier, "MQTT-5.0 §3.3.2.3.8"},
    {kPublish, content_type, "MQTT-5.0 §3.3.2.3.9"},
    {kPuback, reason_string, "MQTT-5.0 §3.4.2.2.2"},
    {kPuback, user_property, "MQTT-5.0 §3.4.2.2.3"},
    {kPubrec, reason_string, "MQTT-5.0 §3.5.2.2.2"},
    {kPubrec, user_property, "MQTT-5.0 §3.5.2.2.3"},
    {kPubrel, reason_string, "MQTT-5.0 §3.6.2.2.2"},
    {kPubrel, user_property, "MQTT-5.0 §3.6.2.2.3"},
    {kPubcomp, reason_string, "MQTT-5.0 §3.7.2.2.2"},
    {kPubcomp, user_property, "MQTT-5.0 §3.7.2.2.3"},
    {kSubscribe, subscription_identifier, "MQTT-5.0 §3.8.2.1.2"},
    {kSubscribe, user_property, "MQTT-5.0 §3.8.2.1.3"},
    {kSuback, reason_string, "MQTT-5.0 §3.9.2.1.2"},
    {kSuback, user_property, "MQTT-5.0 §3.9.2.1.3"},
    {kUnsubscribe, user_property, "MQTT-5.0 §3.10.2.1.2"},
    {kUnsuback, reason_string, "MQTT-5.0 §3.11.2.1.2"},
    {kUnsuback, user_property, "MQTT-5.0 §3.11.2.1.3"},
    {kDisconnect, session_expiry_interval, "MQTT-5.0 §3.14.2.2.2"},
    {kDisconnect, reason_string, "MQTT-5.0 §3.14.2.2.3"},
    {kDisconnect, user_property, "MQTT-5.0 §3.14.2.2.4"},
    {kDisconnect, server_reference, "MQTT-5.0 §3.14.2.2.5"},
    {kAuth, authentication_method, "MQTT-5.0 §3.15.2.2.2"},
    {kAuth, authentication_data, "MQTT-5.0 §3.15.2.2.3"},
    {kAuth, reason_string, "MQTT-5.0 §3.15.2.2.4"},
    {kAuth, user_property, "MQTT-5.0 §3.15.2.2.5"},
};
}  // namespace

std::string_view property_spec_ref(PropertyId id, PacketMask where) {
  for (const PropertySection& s : kSections) {
    if (s.id == id && s.where == where) return s.ref;
  }
  return "MQTT-5.0 §2.2.2.2";
}

namespace {

// 1 when a property is present. Unsigned rather than bool, so that the folds below OR them in
// one pass of loads and ORs with no branch per field (almost every call finds nothing,
// so short-circuiting never pays).
template <class T>
unsigned present(const std::optional<T>& value) {
  return value.has_value() ? 1u : 0u;
}
template <class T>
unsigned present(const std::vector<T>& values) {
  return values.empty() ? 0u : 1u;
}

template <auto... kMembers>
bool none_present(const Properties& props, detail::FieldList<kMembers...>) {
  return (present(props.*kMembers) | ...) == 0;
}

// A bit per field, in list order: a shift per field more than none_present, which is why
// empty() does not use it.
template <auto... kMembers>
std::uint32_t present_bits(const Properties& props, detail::FieldList<kMembers...>) {
  std::uint32_t bits = 0;
  unsigned bit = 0;
  ((bits |= present(props.*kMembers) << bit++), ...);
  return bits;
}

}  // namespace

// Field by field (PropertyFields lists them all) rather than `*this == Properties{}`: this runs
// for every encoded ack and every reused PUBLISH, and building a temporary to compare against
// costs several times more. Order does not matter here, so no table check.
bool Properties::empty() const {
  return none_present(*this, detail::PropertyFields{});
}

std::uint32_t detail::present_fields(const Properties& props) {
  static const bool kMatches = fields_match_table(PropertyFields{});
  if (!kMatches)
    throw std::logic_error("present_fields: PropertyFields differs from kPropertyTable");
  return present_bits(props, PropertyFields{});
}

}  // namespace mqttsim::protocol
