// YAML to BrokerConfig with precise errors (see broker_config_yaml.hpp).
#include "conformance/broker_config_yaml.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

namespace mqttsim::conformance {
namespace {

using protocol::BrokerConfig;

// Edit distance, for "did you mean".
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

class Reader {
 public:
  Reader(std::string name, std::vector<std::string>& errors)
      : name_(std::move(name)), errors_(errors) {}

  void error(const YAML::Node& node, const std::string& key, const std::string& message) {
    const YAML::Mark m = node.Mark();
    errors_.push_back(name_ + ":" + std::to_string(m.line + 1) + ":" +
                      std::to_string(m.column + 1) + ": " + key + ": " + message);
  }

  template <typename T>
  void number(const YAML::Node& node, const std::string& key, T& out, long long min,
              long long max) {
    long long value = 0;
    try {
      value = node.as<long long>();
    } catch (const YAML::Exception&) {
      return error(node, key, "expected an integer");
    }
    if (value < min || value > max) {
      return error(node, key,
                   "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    out = static_cast<T>(value);
  }

  void flag(const YAML::Node& node, const std::string& key, bool& out) {
    try {
      out = node.as<bool>();
    } catch (const YAML::Exception&) {
      error(node, key, "expected true or false");
    }
  }

  std::string text(const YAML::Node& node, const std::string& key) {
    if (!node.IsScalar()) {
      error(node, key, "expected a string");
      return {};
    }
    return node.as<std::string>();
  }

 private:
  std::string name_;
  std::vector<std::string>& errors_;
};

using Field = std::function<void(Reader&, const YAML::Node&, const std::string&, BrokerConfig&)>;

std::map<std::string, Field> fields() {
  constexpr long long u16 = std::numeric_limits<std::uint16_t>::max();
  constexpr long long u32 = std::numeric_limits<std::uint32_t>::max();
  auto flag = [](bool BrokerConfig::*m) {
    return [m](Reader& r, const YAML::Node& n, const std::string& k, BrokerConfig& c) {
      r.flag(n, k, c.*m);
    };
  };
  return {
      {"maximum_qos",
       [](Reader& r, const YAML::Node& n, const std::string& k, BrokerConfig& c) {
         int qos = 2;
         r.number(n, k, qos, 0, 2);
         c.maximum_qos = static_cast<protocol::QoS>(qos);
       }},
      {"retain_available", flag(&BrokerConfig::retain_available)},
      {"wildcard_subscriptions_available", flag(&BrokerConfig::wildcard_subscriptions_available)},
      {"shared_subscriptions_available", flag(&BrokerConfig::shared_subscriptions_available)},
      {"subscription_identifiers_available",
       flag(&BrokerConfig::subscription_identifiers_available)},
      {"allow_anonymous", flag(&BrokerConfig::allow_anonymous)},
      {"assign_client_ids", flag(&BrokerConfig::assign_client_ids)},
      {"queue_qos0_offline", flag(&BrokerConfig::queue_qos0_offline)},
      {"persistence", flag(&BrokerConfig::persistence)},
      {"receive_maximum", [=](Reader& r, const YAML::Node& n, const std::string& k,
                              BrokerConfig& c) { r.number(n, k, c.receive_maximum, 1, u16); }},
      {"maximum_packet_size_bytes",
       [=](Reader& r, const YAML::Node& n, const std::string& k, BrokerConfig& c) {
         r.number(n, k, c.maximum_packet_size_bytes, 16, 268'435'460);
       }},
      {"topic_alias_maximum",
       [=](Reader& r, const YAML::Node& n, const std::string& k, BrokerConfig& c) {
         r.number(n, k, c.topic_alias_maximum, 0, u16);
       }},
      {"server_keep_alive_s",
       [=](Reader& r, const YAML::Node& n, const std::string& k, BrokerConfig& c) {
         std::uint16_t v = 0;
         r.number(n, k, v, 0, u16);
         c.server_keep_alive_s = v;
       }},
      {"maximum_session_expiry_s",
       [=](Reader& r, const YAML::Node& n, const std::string& k, BrokerConfig& c) {
         r.number(n, k, c.maximum_session_expiry_s, 0, u32);
       }},
      {"max_queued_messages",
       [](Reader& r, const YAML::Node& n, const std::string& k, BrokerConfig& c) {
         r.number(n, k, c.max_queued_messages, 0, 100'000'000);
       }},
      {"max_topic_levels", [](Reader& r, const YAML::Node& n, const std::string& k,
                              BrokerConfig& c) { r.number(n, k, c.max_topic_levels, 1, 65535); }},
      {"queue_drop_policy",
       [](Reader& r, const YAML::Node& n, const std::string& k, BrokerConfig& c) {
         const std::string v = r.text(n, k);
         if (v == "drop_oldest")
           c.queue_drop_policy = protocol::QueueDropPolicy::drop_oldest;
         else if (v == "drop_newest")
           c.queue_drop_policy = protocol::QueueDropPolicy::drop_newest;
         else
           r.error(n, k, "expected drop_oldest or drop_newest");
       }},
      {"credentials",
       [](Reader& r, const YAML::Node& n, const std::string& k, BrokerConfig& c) {
         if (!n.IsSequence()) return r.error(n, k, "expected a list of {username, password}");
         for (std::size_t i = 0; i < n.size(); ++i) {
           const YAML::Node e = n[i];
           const std::string at = k + "[" + std::to_string(i) + "]";
           if (!e.IsMap() || !e["username"] || !e["password"]) {
             r.error(e, at, "expected {username: ..., password: ...}");
             continue;
           }
           c.credentials.push_back(
               {r.text(e["username"], at + ".username"), r.text(e["password"], at + ".password")});
         }
       }},
  };
}

}  // namespace

BrokerConfigResult parse_broker_config(const std::string& yaml_text, const std::string& name) {
  std::vector<std::string> errors;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    return std::vector<std::string>{name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                    std::to_string(e.mark.column + 1) + ": " + e.msg};
  }
  BrokerConfig config;
  if (root.IsNull()) return config;
  Reader reader(name, errors);
  if (!root.IsMap()) {
    reader.error(root, "(top level)", "expected a mapping of settings");
    return errors;
  }
  const auto known = fields();
  for (const auto& item : root) {
    const std::string key = item.first.as<std::string>();
    auto field = known.find(key);
    if (field != known.end()) {
      field->second(reader, item.second, key, config);
      continue;
    }
    std::string best;
    std::size_t best_distance = 4;
    for (const auto& [candidate, unused] : known) {
      const std::size_t d = distance(key, candidate);
      if (d < best_distance) best = candidate, best_distance = d;
    }
    reader.error(item.first, key,
                 "unknown setting" + (best.empty() ? "" : "; did you mean " + best + "?"));
  }
  if (!errors.empty()) return errors;
  return config;
}

BrokerConfigResult load_broker_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::vector<std::string>{path + ": cannot open the file"};
  std::stringstream text;
  text << in.rdbuf();
  return parse_broker_config(text.str(), path);
}

}  // namespace mqttsim::conformance
