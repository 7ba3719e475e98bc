// Capabilities: names, and the table a profile file's keys map onto (the loader is profile.cpp).
#include "conformance/suite/capabilities.hpp"

#include <functional>
#include <limits>
#include <map>

namespace mqttsim::conformance {

std::string_view capability_name(Capability c) {
  switch (c) {
    case Capability::qos1:
      return "qos1";
    case Capability::qos2:
      return "qos2";
    case Capability::retain:
      return "retain";
    case Capability::wildcard_subscriptions:
      return "wildcard_subscriptions";
    case Capability::shared_subscriptions:
      return "shared_subscriptions";
    case Capability::subscription_identifiers:
      return "subscription_identifiers";
    case Capability::topic_aliases:
      return "topic_aliases";
    case Capability::session_persistence:
      return "session_persistence";
    case Capability::long_client_ids:
      return "long_client_ids";
    case Capability::anonymous:
      return "anonymous";
    case Capability::empty_client_id:
      return "empty_client_id";
  }
  return "?";
}

bool Capabilities::has(Capability c) const {
  switch (c) {
    case Capability::qos1:
      return maximum_qos >= protocol::QoS::at_least_once;
    case Capability::qos2:
      return maximum_qos == protocol::QoS::exactly_once;
    case Capability::retain:
      return retain;
    case Capability::wildcard_subscriptions:
      return wildcard_subscriptions;
    case Capability::shared_subscriptions:
      return shared_subscriptions;
    case Capability::subscription_identifiers:
      return subscription_identifiers;
    case Capability::topic_aliases:
      return topic_alias_maximum > 0;
    case Capability::session_persistence:
      return session_persistence;
    case Capability::long_client_ids:
      return long_client_ids;
    case Capability::anonymous:
      return anonymous;
    case Capability::empty_client_id:
      return empty_client_id;
  }
  return false;
}

namespace {

// One entry per key a profile may declare: how to read it and how to print it.
struct Field {
  std::function<bool(const std::string&, Capabilities&)> set;  // false: bad value
  std::function<std::string(const Capabilities&)> get;
};

bool parse_bool(const std::string& v, bool& out) {
  if (v == "true" || v == "yes" || v == "1") return out = true, true;
  if (v == "false" || v == "no" || v == "0") return out = false, true;
  return false;
}

template <typename T>
bool parse_uint(const std::string& v, T& out) {
  try {
    std::size_t used = 0;
    const unsigned long long n = std::stoull(v, &used);
    if (used != v.size() || n > std::numeric_limits<T>::max()) return false;
    out = static_cast<T>(n);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

Field bool_field(bool Capabilities::*member) {
  return {[member](const std::string& v, Capabilities& c) { return parse_bool(v, c.*member); },
          [member](const Capabilities& c) { return std::string(c.*member ? "true" : "false"); }};
}

template <typename T>
Field uint_field(T Capabilities::*member) {
  return {[member](const std::string& v, Capabilities& c) { return parse_uint(v, c.*member); },
          [member](const Capabilities& c) { return std::to_string(c.*member); }};
}

const std::map<std::string, Field>& fields() {
  static const std::map<std::string, Field> table = {
      {"maximum_qos",
       {[](const std::string& v, Capabilities& c) {
          unsigned q = 0;
          if (!parse_uint(v, q) || q > 2) return false;
          c.maximum_qos = static_cast<protocol::QoS>(q);
          return true;
        },
        [](const Capabilities& c) { return std::to_string(static_cast<int>(c.maximum_qos)); }}},
      {"retain", bool_field(&Capabilities::retain)},
      {"wildcard_subscriptions", bool_field(&Capabilities::wildcard_subscriptions)},
      {"shared_subscriptions", bool_field(&Capabilities::shared_subscriptions)},
      {"subscription_identifiers", bool_field(&Capabilities::subscription_identifiers)},
      {"topic_alias_maximum", uint_field(&Capabilities::topic_alias_maximum)},
      {"receive_maximum", uint_field(&Capabilities::receive_maximum)},
      {"maximum_packet_size", uint_field(&Capabilities::maximum_packet_size_bytes)},
      {"session_persistence", bool_field(&Capabilities::session_persistence)},
      {"long_client_ids", bool_field(&Capabilities::long_client_ids)},
      {"anonymous", bool_field(&Capabilities::anonymous)},
      {"empty_client_id", bool_field(&Capabilities::empty_client_id)},
  };
  return table;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> Capabilities::describe() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, field] : fields()) out.emplace_back(name, field.get(*this));
  out.emplace_back("session_expiry_max",
                   session_expiry_max_s ? std::to_string(*session_expiry_max_s) : "none");
  return out;
}

std::optional<std::string> apply_profile(const Profile& profile, Capabilities& caps) {
  for (const auto& [name, value] : profile.capabilities) {
    auto it = fields().find(name);
    if (it == fields().end()) return "profile: unknown capability '" + name + "'";
    if (!it->second.set(value, caps)) {
      return "profile: bad value '" + value + "' for capability '" + name + "'";
    }
  }
  return std::nullopt;
}

}  // namespace mqttsim::conformance
