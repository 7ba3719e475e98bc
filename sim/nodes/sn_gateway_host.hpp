// An MQTT-SN gateway node: MqttSnGateway between the datagram transport (its sensors, addressed
// by NodeId) and the stream transport (one TCP connection to the broker per MQTT link the
// gateway opens). One kernel timer, trace records and wire counters on both sides.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "protocol/mqttsn_gateway.hpp"
#include "sim/nodes/node_world.hpp"
#include "sim/nodes/sn_client_node.hpp"
#include "sim/nodes/wire_counter.hpp"

namespace mqttsim::sim::nodes {

struct SnGatewayStats {
  std::uint64_t clients_connected = 0;
  std::uint64_t connects_refused = 0;
  std::uint64_t clients_disconnected = 0;
  std::uint64_t deliveries_lost = 0;    // accepted from the broker, not delivered to a sensor
  std::uint64_t publishes_dropped = 0;  // QoS -1/0 publishes the gateway could not forward
  std::uint64_t datagrams_rejected = 0;
  std::uint64_t broker_connects_failed = 0;
  std::uint64_t broker_connections_lost = 0;  // closed by the transport or the broker
};

class SnGatewayHost final : public net::StreamReceiver, public net::DatagramReceiver {
 public:
  SnGatewayHost(NodeWorld& world, net::DatagramTransport& udp, net::NodeId node, net::NodeId broker,
                protocol::sn::MqttSnGatewayConfig config);
  ~SnGatewayHost() override;
  SnGatewayHost(const SnGatewayHost&) = delete;
  SnGatewayHost& operator=(const SnGatewayHost&) = delete;

  // Binds the node for datagrams. Call once.
  void start();

  net::NodeId node() const { return node_; }
  protocol::sn::MqttSnGateway& gateway() { return gateway_; }
  const protocol::sn::MqttSnGateway& gateway() const { return gateway_; }
  const SnWireCounters& sn_sent() const { return sn_sent_; }
  const WireCounters& sent() const { return sent_; }  // MQTT towards the broker
  const WireCounters& received() const { return received_; }
  const SnGatewayStats& stats() const { return stats_; }

  // net::DatagramReceiver
  void on_datagram(net::NodeId from, std::span<const std::uint8_t> bytes) override;
  // net::StreamReceiver
  void on_stream_accepted(net::StreamId id) override;
  void on_stream_connected(net::StreamId id) override;
  void on_stream_data(net::StreamId id, std::span<const std::uint8_t> bytes) override;
  void on_stream_closed(net::StreamId id, net::StreamCloseReason reason) override;

 private:
  struct Link {
    net::StreamId stream = 0;
    bool up = false;
    std::vector<std::uint8_t> pending;  // written before the handshake completed
    PacketScanner scanner;
  };

  void drain();
  void run_action(protocol::sn::BrokerAction& action);
  void handle_event(const protocol::sn::GatewayEvent& event);

  NodeWorld* world_;
  net::DatagramTransport* udp_;
  net::NodeId node_;
  net::NodeId broker_;
  protocol::sn::MqttSnGateway gateway_;
  bool v5_;
  bool started_ = false;
  std::map<protocol::sn::MqttLinkId, Link> links_;
  std::map<net::StreamId, protocol::sn::MqttLinkId> by_stream_;
  DeadlineTimer timer_;
  SnWireCounters sn_sent_;
  WireCounters sent_;
  WireCounters received_;
  SnGatewayStats stats_;
};

}  // namespace mqttsim::sim::nodes
