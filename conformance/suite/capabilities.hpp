// What a broker can do, as far as the suite cares: discovered first (5.0 CONNACK properties and
// probes), then overridden by a profile file. A case that needs what the broker lacks is
// reported `skipped (capability)`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/types.hpp"

namespace mqttsim::conformance {

enum class Capability : std::uint8_t {
  qos1,
  qos2,
  retain,
  wildcard_subscriptions,
  shared_subscriptions,
  subscription_identifiers,
  topic_aliases,        // the broker accepts aliases from clients (Topic Alias Maximum > 0)
  session_persistence,  // sessions survive a disconnect (Clean Session 0 / Session Expiry)
  long_client_ids,      // client ids of 24-64 characters (only 1-23 must be accepted)
  anonymous,            // a CONNECT without credentials is accepted
  empty_client_id,      // the broker assigns an id to a CONNECT with an empty one
};
std::string_view capability_name(Capability c);

struct Capabilities {
  protocol::QoS maximum_qos = protocol::QoS::exactly_once;
  bool retain = true;
  bool wildcard_subscriptions = true;
  bool shared_subscriptions = true;
  bool subscription_identifiers = true;
  std::uint16_t topic_alias_maximum = 0;
  std::uint16_t receive_maximum = 65535;
  std::uint32_t maximum_packet_size_bytes = 0;        // 0: no limit announced
  std::optional<std::uint32_t> session_expiry_max_s;  // a cap the broker applied, if any
  bool session_persistence = true;
  bool long_client_ids = true;
  bool anonymous = true;
  bool empty_client_id = true;

  bool has(Capability c) const;
  std::vector<std::pair<std::string, std::string>> describe() const;
};

// A failure the profile declares: a real broker's real bug, checked by hand. Such a case is
// reported `deviation (declared)` with its full evidence and does not fail the run, so a known
// bug of a third-party broker cannot turn CI red; a declared case that passes is reported
// `stale` and does fail the run, so the list cannot rot. `flaky` (timing) may pass.
struct Deviation {
  std::string case_id;
  std::string mqtt_version;  // "3.1.1" or "5.0"; empty: every version the case runs under
  std::string reason;        // what the broker does, and the rule it breaks
  bool flaky = false;
  int line = 0;  // where it is declared (1-based), for messages
};

// A broker profile: credentials and capabilities that discovery cannot see or gets wrong, and
// the broker's declared deviations.
// YAML:
//   name: mosquitto 2.0
//   username: u            # optional, with password
//   password: p
//   capabilities: {maximum_qos: 2, retain: true, shared_subscriptions: true, ...}
//   timeouts: {response_ms: 2000, silence_ms: 300}
//   deviations:
//     - case: subscribe.overlapping   # a case id of the suite
//       mqtt: 3.1.1                   # optional: 3.1.1 or 5.0; default: both
//       reason: delivers one copy at QoS 0 (MQTT-3.3.5-1)
//       flaky: false                  # optional: true for timing cases that may pass
struct Profile {
  std::string name;
  std::optional<std::string> username;
  std::optional<std::string> password;
  // Each declared capability as name -> value text, applied after discovery.
  std::vector<std::pair<std::string, std::string>> capabilities;
  std::optional<std::int64_t> response_ms;
  std::optional<std::int64_t> silence_ms;
  std::vector<Deviation> deviations;
};

// Errors name the file, line and column (FILE:LINE:COL: ...). Deviations must name a case of
// the suite that runs under the version given.
std::variant<Profile, std::string> load_profile(const std::string& path);

// Applies the profile's declared values. Returns an error for an unknown name or a bad value.
std::optional<std::string> apply_profile(const Profile& profile, Capabilities& caps);

// The declaration covering (case, version "3.1.1"/"5.0"), if any.
const Deviation* find_deviation(const Profile& profile, std::string_view case_id,
                                std::string_view mqtt_version);

}  // namespace mqttsim::conformance
