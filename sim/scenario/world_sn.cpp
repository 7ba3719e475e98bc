// The MQTT-SN part of building a World: the predefined topic table, sensor nodes on the UDP
// transport, and one gateway host per gateway node, shared by every group that names it.
#include <set>

#include "sim/scenario/world.hpp"

namespace mqttsim::sim::scenario {

// Predefined topic ids (MQTT-SN §2.2): every QoS -1 topic of every mqtt-sn group, expanded for
// each client, except two-character names (those travel as short topic names). The distinct
// names are sorted bytewise and numbered from 1, so the table depends only on the scenario;
// every sensor and every gateway gets the whole table.
void World::build_predefined_topics() {
  std::set<std::string> names;
  for (const ClientGroupSpec& group : spec_.clients) {
    if (group.protocol != ClientProtocol::mqtt_sn || !group.publish || group.publish->qos >= 0) {
      continue;
    }
    for (std::int64_t n = 1; n <= group.count; ++n) {
      const std::string id = expand_client_template(group.client_id, n, "", group.name, {});
      std::string topic =
          expand_client_template(group.publish->topic, n, id, group.name, group.publish->values);
      if (topic.size() != 2) names.insert(std::move(topic));
    }
  }
  if (names.size() > 0xFFFF) {
    throw WorldError("MQTT-SN QoS -1 topics: " + std::to_string(names.size()) +
                     " distinct names do not fit the 65535 predefined topic ids");
  }
  std::uint16_t next = 1;
  for (const std::string& name : names) predefined_.emplace(name, next++);
}

nodes::SnGatewayHost& World::gateway_host(const std::string& gateway_node) {
  if (auto it = gateway_index_.find(gateway_node); it != gateway_index_.end()) {
    return sn_gateways_[it->second];
  }
  protocol::sn::MqttSnGatewayConfig config;
  config.gateway_id = static_cast<std::uint8_t>(sn_gateways_.size() + 1);
  config.retry_interval_ns = spec_.mqtt_sn.retry_ns;
  config.max_retries = static_cast<std::uint32_t>(spec_.mqtt_sn.max_retries);
  // The broker sees one MQTT client per gateway for QoS -1: its id must differ per gateway.
  config.forwarder_client_id = "mqttsn-gw-" + gateway_node;
  for (const auto& [name, id] : predefined_) config.predefined_topics.emplace(id, name);
  const net::NodeId node = *topology_.find_node(gateway_node);
  sn_gateways_.emplace_back(*node_world_, *udp_, node, broker_->node(), std::move(config));
  gateway_index_.emplace(gateway_node, sn_gateways_.size() - 1);
  return sn_gateways_.back();
}

void World::add_sn_client(const ClientGroupSpec& group, const std::string& id, net::NodeId node,
                          std::uint32_t index, const nodes::ClientBehaviour& behaviour) {
  const std::string where = "clients." + group.name + ": ";
  if (group.will || group.churn.enabled || group.username || group.password) {
    throw WorldError(
        where +
            "will, churn and credentials are not built for MQTT-SN sensors (MQTT-SN has "
            "no credentials; Will and churn are not wired into SnClientNode yet)",
        WorldError::Kind::not_built);
  }
  if (id.empty() || id.size() > protocol::sn::kMaxClientIdLength) {
    throw WorldError(where + "MQTT-SN client id '" + id + "' must be 1 to 23 characters");
  }
  gateway_host(group.gateway);
  protocol::sn::MqttSnClientConfig config;
  config.client_id = id;
  config.keep_alive_s = static_cast<std::uint16_t>(
      std::min<TimeNs>(group.session.keep_alive_ns / kNsPerS, UINT16_MAX));
  config.clean_session = group.session.clean_start && group.session.expiry_ns == 0;
  config.retry_interval_ns = spec_.mqtt_sn.retry_ns;
  config.max_retries = static_cast<std::uint32_t>(spec_.mqtt_sn.max_retries);
  for (const auto& [name, topic_id] : predefined_) config.predefined_topics.emplace(topic_id, name);
  const net::NodeId gateway = *topology_.find_node(group.gateway);
  try {
    sn_clients_.emplace_back(*node_world_, *udp_, node, id, gateway, index, std::move(config),
                             behaviour, predefined_, rng_);
  } catch (const std::invalid_argument& e) {
    throw WorldError(where + e.what());
  }
}

}  // namespace mqttsim::sim::scenario
