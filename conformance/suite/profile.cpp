// The broker profile loader: YAML into a Profile, every error located as FILE:LINE:COL, and the
// declared deviations checked against the suite's case ids and versions.
#include <yaml-cpp/yaml.h>

#include <set>
#include <utility>

#include "conformance/suite/capabilities.hpp"
#include "conformance/suite/suite.hpp"

namespace mqttsim::conformance {
namespace {

// A located error: thrown inside the loader, turned into the returned message.
struct ProfileError {
  std::string message;
};

std::string where(const std::string& path, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return path;
  return path + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

[[noreturn]] void fail_at(const std::string& path, const YAML::Node& node, std::string what) {
  throw ProfileError{where(path, node) + ": " + std::move(what)};
}

// "3.1.1", "5.0" (or "5"), "both"; anything else is an error at `node`.
std::string read_version(const std::string& path, const YAML::Node& node) {
  const std::string v = node.as<std::string>();
  if (v == "3.1.1" || v == "5.0") return v;
  if (v == "5") return "5.0";
  if (v == "both") return "";
  fail_at(path, node, "mqtt: expected 3.1.1, 5.0 or both, got '" + v + "'");
}

const Case* find_case(std::string_view id) {
  for (const Case& c : all_cases()) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

Deviation read_deviation(const std::string& path, const YAML::Node& entry) {
  if (!entry.IsMap()) fail_at(path, entry, "deviations: each entry is a map with case and reason");
  Deviation d;
  d.line = static_cast<int>(entry.Mark().line) + 1;
  YAML::Node case_node;
  for (const auto& kv : entry) {
    const std::string key = kv.first.as<std::string>();
    if (key == "case") {
      case_node = kv.second;
      d.case_id = kv.second.as<std::string>();
    } else if (key == "mqtt") {
      d.mqtt_version = read_version(path, kv.second);
    } else if (key == "reason") {
      d.reason = kv.second.as<std::string>();
    } else if (key == "flaky") {
      d.flaky = kv.second.as<bool>();
    } else {
      fail_at(path, kv.first, "deviations: unknown key '" + key + "' (case, mqtt, reason, flaky)");
    }
  }
  if (!case_node) fail_at(path, entry, "deviations: an entry without 'case'");
  if (d.reason.empty()) fail_at(path, entry, "deviations: '" + d.case_id + "' needs a reason");
  const Case* c = find_case(d.case_id);
  if (c == nullptr) {
    fail_at(path, case_node, "deviations: unknown case id '" + d.case_id + "' (see --list)");
  }
  const std::uint8_t bit =
      d.mqtt_version.empty() ? c->versions : (d.mqtt_version == "5.0" ? kV5 : kV311);
  if ((c->versions & bit) == 0) {
    fail_at(path, case_node,
            "deviations: case '" + d.case_id + "' does not run under MQTT " + d.mqtt_version);
  }
  return d;
}

void read_deviations(const std::string& path, const YAML::Node& list, Profile& p) {
  if (!list.IsSequence()) fail_at(path, list, "deviations: expected a list");
  std::set<std::pair<std::string, std::string>> seen;  // (case, version or "")
  for (const auto& entry : list) {
    Deviation d = read_deviation(path, entry);
    const std::vector<std::string> keys = d.mqtt_version.empty()
                                              ? std::vector<std::string>{"3.1.1", "5.0"}
                                              : std::vector<std::string>{d.mqtt_version};
    for (const std::string& k : keys) {
      if (!seen.insert({d.case_id, k}).second) {
        fail_at(path, entry, "deviations: '" + d.case_id + "' (MQTT " + k + ") declared twice");
      }
    }
    p.deviations.push_back(std::move(d));
  }
}

void read_timeouts(const std::string& path, const YAML::Node& node, Profile& p) {
  for (const auto& t : node) {
    const std::string key = t.first.as<std::string>();
    if (key == "response_ms") {
      p.response_ms = t.second.as<std::int64_t>();
    } else if (key == "silence_ms") {
      p.silence_ms = t.second.as<std::int64_t>();
    } else {
      fail_at(path, t.first, "timeouts: unknown key '" + key + "'");
    }
  }
}

Profile read_profile(const std::string& path, const YAML::Node& root) {
  Profile p;
  if (!root.IsMap()) fail_at(path, root, "a profile is a map (name, capabilities, ...)");
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "name") {
      p.name = v.as<std::string>();
    } else if (key == "username") {
      p.username = v.as<std::string>();
    } else if (key == "password") {
      p.password = v.as<std::string>();
    } else if (key == "capabilities") {
      for (const auto& c : v) {
        p.capabilities.emplace_back(c.first.as<std::string>(), c.second.as<std::string>());
        Capabilities scratch;
        Profile one;
        one.capabilities = {p.capabilities.back()};
        if (auto error = apply_profile(one, scratch)) fail_at(path, c.first, *error);
      }
    } else if (key == "timeouts") {
      read_timeouts(path, v, p);
    } else if (key == "deviations") {
      read_deviations(path, v, p);
    } else {
      fail_at(path, kv.first, "unknown key '" + key + "'");
    }
  }
  return p;
}

}  // namespace

std::variant<Profile, std::string> load_profile(const std::string& path) {
  try {
    return read_profile(path, YAML::LoadFile(path));
  } catch (const ProfileError& e) {
    return e.message;
  } catch (const YAML::Exception& e) {
    // yaml-cpp's message already carries "line L, column C"; the mark is 0-based there too.
    if (e.mark.is_null()) return path + ": " + e.msg;
    return path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
           ": " + e.msg;
  }
}

const Deviation* find_deviation(const Profile& profile, std::string_view case_id,
                                std::string_view mqtt_version) {
  for (const Deviation& d : profile.deviations) {
    if (d.case_id == case_id && (d.mqtt_version.empty() || d.mqtt_version == mqtt_version)) {
      return &d;
    }
  }
  return nullptr;
}

}  // namespace mqttsim::conformance
