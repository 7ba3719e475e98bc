// kPropertyTable's fields as compile-time constants, in the table's order, for the walks that
// run on every packet: a walk is then inlined presence tests, not a std::visit per table entry.
// Internal to protocol/ (encode.cpp, validate.cpp, properties.cpp).
#pragma once

#include <cstdint>

#include "protocol/properties.hpp"

namespace mqttsim::protocol::detail {

template <auto... kMembers>
struct FieldList {};

using PropertyFields = FieldList<
    &Properties::payload_format_indicator, &Properties::message_expiry_interval_s,
    &Properties::content_type, &Properties::response_topic, &Properties::correlation_data,
    &Properties::subscription_identifiers, &Properties::session_expiry_interval_s,
    &Properties::assigned_client_identifier, &Properties::server_keep_alive_s,
    &Properties::authentication_method, &Properties::authentication_data,
    &Properties::request_problem_information, &Properties::will_delay_interval_s,
    &Properties::request_response_information, &Properties::response_information,
    &Properties::server_reference, &Properties::reason_string, &Properties::receive_maximum,
    &Properties::topic_alias_maximum, &Properties::topic_alias, &Properties::maximum_qos,
    &Properties::retain_available, &Properties::user_properties,
    &Properties::maximum_packet_size_bytes, &Properties::wildcard_subscription_available,
    &Properties::subscription_identifier_available, &Properties::shared_subscription_available>;

// Whether PropertyFields lists kPropertyTable's fields in the table's order (checked once by
// each user, since the table is not constexpr).
template <auto... kMembers>
bool fields_match_table(FieldList<kMembers...>) {
  if (sizeof...(kMembers) != kPropertyTable.size()) return false;
  std::size_t i = 0;
  return ((kPropertyTable[i++].field == PropertyField(kMembers)) && ...);
}

// Bit i is set when kPropertyTable[i]'s property is present in `props`.
std::uint32_t present_fields(const Properties& props);

}  // namespace mqttsim::protocol::detail
