// BrokerConfig from YAML (see broker_yaml.hpp): one table of keys, each with its reader.
#include "sim/scenario/broker_yaml.hpp"

#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <utility>

namespace mqttsim::sim::scenario {
namespace {

using protocol::BrokerConfig;
using Field =
    std::function<void(YamlReader&, const YAML::Node&, const std::string&, BrokerConfig&)>;

template <class T>
Field number(T BrokerConfig::*member, std::int64_t min, std::int64_t max) {
  return [=](YamlReader& r, const YAML::Node& n, const std::string& path, BrokerConfig& c) {
    if (auto v = r.integer(n, path, min, max)) c.*member = static_cast<T>(*v);
  };
}

Field flag(bool BrokerConfig::*member) {
  return [=](YamlReader& r, const YAML::Node& n, const std::string& path, BrokerConfig& c) {
    if (auto v = r.flag(n, path)) c.*member = *v;
  };
}

void read_credentials(YamlReader& r, const YAML::Node& n, const std::string& path,
                      BrokerConfig& c) {
  if (!r.expect_sequence(n, path)) return;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string at = index_path(path, i);
    if (!r.expect_map(n[i], at, {"username", "password"})) continue;
    if (!n[i]["username"] || !n[i]["password"]) {
      r.error(n[i], at, "needs both username and password");
      continue;
    }
    auto user = r.text(n[i]["username"], join_path(at, "username"));
    auto pass = r.text(n[i]["password"], join_path(at, "password"));
    if (user && pass) c.credentials.push_back({*user, *pass});
  }
}

const std::vector<std::pair<std::string, Field>>& fields() {
  constexpr std::int64_t u16 = std::numeric_limits<std::uint16_t>::max();
  constexpr std::int64_t u32 = std::numeric_limits<std::uint32_t>::max();
  static const std::vector<std::pair<std::string, Field>> table = {
      {"maximum_qos", number(&BrokerConfig::maximum_qos, 0, 2)},
      {"retain_available", flag(&BrokerConfig::retain_available)},
      {"wildcard_subscriptions_available", flag(&BrokerConfig::wildcard_subscriptions_available)},
      {"shared_subscriptions_available", flag(&BrokerConfig::shared_subscriptions_available)},
      {"subscription_identifiers_available",
       flag(&BrokerConfig::subscription_identifiers_available)},
      {"allow_anonymous", flag(&BrokerConfig::allow_anonymous)},
      {"credentials", read_credentials},
      {"assign_client_ids", flag(&BrokerConfig::assign_client_ids)},
      {"receive_maximum", number(&BrokerConfig::receive_maximum, 1, u16)},
      {"maximum_packet_size_bytes",
       number(&BrokerConfig::maximum_packet_size_bytes, 16, 268'435'460)},
      {"topic_alias_maximum", number(&BrokerConfig::topic_alias_maximum, 0, u16)},
      {"server_keep_alive_s",
       [](YamlReader& r, const YAML::Node& n, const std::string& path, BrokerConfig& c) {
         if (auto v = r.integer(n, path, 0, u16)) c.server_keep_alive_s = std::uint16_t(*v);
       }},
      {"maximum_session_expiry_s", number(&BrokerConfig::maximum_session_expiry_s, 0, u32)},
      {"max_queued_messages", number(&BrokerConfig::max_queued_messages, 0, 100'000'000)},
      {"queue_drop_policy",
       [](YamlReader& r, const YAML::Node& n, const std::string& path, BrokerConfig& c) {
         if (auto v = r.choice(n, path, {"drop_oldest", "drop_newest"})) {
           c.queue_drop_policy = *v == "drop_oldest" ? protocol::QueueDropPolicy::drop_oldest
                                                     : protocol::QueueDropPolicy::drop_newest;
         }
       }},
      {"queue_qos0_offline", flag(&BrokerConfig::queue_qos0_offline)},
      {"persistence", flag(&BrokerConfig::persistence)},
      {"max_topic_levels", number(&BrokerConfig::max_topic_levels, 1, 65535)},
  };
  return table;
}

}  // namespace

const std::vector<std::string>& broker_config_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (const auto& [key, unused] : fields()) out.push_back(key);
    return out;
  }();
  return keys;
}

void read_broker_config(YamlReader& reader, const YAML::Node& node, const std::string& path,
                        const std::vector<std::string>& extra_keys,
                        protocol::BrokerConfig& config) {
  std::vector<std::string> known = broker_config_keys();
  known.insert(known.end(), extra_keys.begin(), extra_keys.end());
  if (!reader.expect_map(node, path, known)) return;
  for (const auto& [key, read] : fields()) {
    if (node[key]) read(reader, node[key], join_path(path, key), config);
  }
}

BrokerConfigResult parse_broker_config(const std::string& yaml_text, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    return std::vector<std::string>{name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                    std::to_string(e.mark.column + 1) + ": " + e.msg};
  }
  protocol::BrokerConfig config;
  if (root.IsNull()) return config;
  YamlReader reader(name);
  read_broker_config(reader, root, "", {}, config);
  if (!reader.ok()) return reader.errors();
  return config;
}

BrokerConfigResult load_broker_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::vector<std::string>{path + ": cannot open the file"};
  std::stringstream text;
  text << in.rdbuf();
  return parse_broker_config(text.str(), path);
}

}  // namespace mqttsim::sim::scenario
