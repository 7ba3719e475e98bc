// Test world for MQTT-SN: MqttSnClients ↔ one MqttSnGateway ↔ one BrokerCore ↔ MQTT
// ClientSessions, all in memory with time stepped by hand. Datagrams can be dropped by a test
// predicate (UDP); the MQTT side is reliable and in order (TCP), as the design requires.
#pragma once

#include <catch2/catch.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "protocol/broker/broker_core.hpp"
#include "protocol/client/client_session.hpp"
#include "protocol/mqttsn_client.hpp"
#include "protocol/mqttsn_gateway.hpp"

namespace mqttsim::protocol::testing {

inline constexpr TimeNs kSecondNs = 1'000'000'000;

struct SnDatagramRecord {
  TimeNs at_ns = 0;
  bool to_gateway = true;
  sn::ClientAddress address = 0;
  std::vector<std::uint8_t> bytes;
  bool dropped = false;
  std::string summary() const;  // "c1 -> gw PUBLISH id=3 dup (dropped)"
};

class SnWorld {
 public:
  explicit SnWorld(sn::MqttSnGatewayConfig gateway_config = {}, BrokerConfig broker_config = {});

  // An MQTT-SN client at address index+1; returns its index.
  std::size_t add_sn_client(sn::MqttSnClientConfig config);
  // An MQTT client (ClientSession) that connects at once; returns its index.
  std::size_t add_mqtt_client(ClientConfig config);
  sn::MqttSnClient& sn_client(std::size_t i) { return sn_.at(i)->client; }
  ClientSession& mqtt_client(std::size_t i) { return mqtt_.at(i)->session; }
  static sn::ClientAddress address_of(std::size_t sn_index) { return sn_index + 1; }

  // Injects a raw datagram from `address` to the gateway (subject to `drop`).
  void inject(sn::ClientAddress address, std::vector<std::uint8_t> bytes);

  // Moves everything until no side has anything to say (time stands still).
  void flush();
  // Moves time forward, firing every deadline in order, flushing after each step.
  void advance(TimeNs delta_ns);

  const std::vector<sn::MqttSnClientEvent>& sn_events(std::size_t i) const {
    return sn_.at(i)->log;
  }
  const std::vector<ClientEvent>& mqtt_events(std::size_t i) const { return mqtt_.at(i)->log; }
  const std::vector<sn::GatewayEvent>& gateway_events() const { return gateway_log_; }
  const std::vector<SnDatagramRecord>& datagrams() const { return datagrams_; }
  std::string trace() const;  // every datagram, one per line

  BrokerCore broker;
  sn::MqttSnGateway gateway;
  TimeNs now_ns = 0;
  // Return true to lose a datagram (both directions). The MQTT side never loses bytes.
  std::function<bool(const SnDatagramRecord&)> drop;

 private:
  struct SnPeer {
    explicit SnPeer(sn::MqttSnClientConfig c) : client(std::move(c)) {}
    sn::MqttSnClient client;
    std::vector<sn::MqttSnClientEvent> log;
  };
  struct MqttPeer {
    explicit MqttPeer(ClientConfig c) : session(std::move(c)) {}
    ClientSession session;
    bool open = false;
    std::vector<ClientEvent> log;
  };
  static constexpr ConnectionId kGatewayConnectionBase = 1'000'000;

  bool step_once();  // true if anything moved
  bool run_gateway_actions();
  bool run_broker_output();
  void route(bool to_gateway, sn::ClientAddress address, std::vector<std::uint8_t> bytes);
  void close_mqtt(std::size_t i);
  std::optional<TimeNs> next_deadline() const;

  std::vector<std::unique_ptr<SnPeer>> sn_;
  std::vector<std::unique_ptr<MqttPeer>> mqtt_;
  std::map<sn::MqttLinkId, bool> gateway_links_;  // open links
  std::deque<SnDatagramRecord> in_flight_;
  std::vector<SnDatagramRecord> datagrams_;
  std::vector<sn::GatewayEvent> gateway_log_;
};

template <typename T, typename Event>
std::vector<T> of_type(const std::vector<Event>& events) {
  std::vector<T> out;
  for (const Event& e : events) {
    if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
  }
  return out;
}

}  // namespace mqttsim::protocol::testing
