// An MQTT-SN sensor node: one MqttSnClient over the datagram transport to its gateway, driven
// by a shared ClientBehaviour (publish timers incl. QoS -1, subscriptions) and one kernel timer.
// It tags payloads for the delivery ledger and reports publishes, acks, losses and deliveries.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "protocol/mqttsn_client.hpp"
#include "sim/nodes/behaviour.hpp"
#include "sim/nodes/node_world.hpp"

namespace mqttsim::sim::nodes {

// MQTT-SN datagrams counted per MsgType (0x00-0x1D; ENCAPSULATED 0xFE in slot 31, bytes that
// did not decode in slot 30).
struct SnWireCounters {
  static constexpr std::size_t kSlots = 32;
  std::array<std::uint64_t, kSlots> packets{};
  std::array<std::uint64_t, kSlots> bytes{};
  // Publish-flow datagrams by QoS level, index level + 1, as in WireCounters.
  std::array<std::uint64_t, 4> flow_packets{};
  std::array<std::uint64_t, 4> flow_bytes{};
  static std::size_t slot(std::uint8_t msg_type) {
    return msg_type == 0xFE ? 31 : std::min<std::size_t>(msg_type, 30);
  }
  std::uint64_t total_packets() const;
  std::uint64_t total_bytes() const;
  SnWireCounters& operator+=(const SnWireCounters& other);
};

// Counts and traces (layer mqtt_sn, packet_sent) one datagram `node` sends to `peer`: MsgType,
// QoS (-1 for QoS -1), MsgId and the ledger's message key from a PUBLISH's payload tag.
void account_sn_datagram(NodeWorld& world, net::NodeId node, net::NodeId peer,
                         std::span<const std::uint8_t> datagram, SnWireCounters& counters);

struct SnClientStats {
  std::uint32_t connects = 0;
  std::uint32_t connect_failures = 0;  // refused or unanswered after N_retry
  std::uint32_t gateway_losses = 0;    // Disconnected{gateway_lost}
  std::uint64_t published = 0;         // publish() accepted
  std::uint64_t reported_lost = 0;     // PublishAcked lost or rejected
  std::uint64_t received = 0;
};

class SnClientNode final : public net::DatagramReceiver {
 public:
  // `predefined` maps topic names to the predefined ids shared with the gateway (QoS -1
  // publishes need one unless the topic is two characters: a short topic name). `behaviour`
  // and `predefined` are shared and must outlive the node. std::invalid_argument when a QoS -1
  // topic has neither.
  SnClientNode(NodeWorld& world, net::DatagramTransport& udp, net::NodeId node,
               std::string_view node_name, net::NodeId gateway, std::uint32_t index,
               protocol::sn::MqttSnClientConfig config, const ClientBehaviour& behaviour,
               const std::map<std::string, std::uint16_t>& predefined, const Rng& world_rng);
  ~SnClientNode() override;
  SnClientNode(const SnClientNode&) = delete;
  SnClientNode& operator=(const SnClientNode&) = delete;

  // Binds the node and schedules the connection, subscriptions and publish timers. Call once.
  void start();
  // One publish now, outside the behaviour; `qos_level` -1..2. Returns its ledger key.
  MessageKey publish_now(const std::string& topic, std::size_t payload_size_bytes, int qos_level);

  protocol::sn::MqttSnClient& client() { return client_; }
  LedgerClient ledger_id() const { return ledger_id_; }
  net::NodeId node() const { return node_; }
  const std::string& topic(std::size_t i) const { return publishing_.at(i).topic; }
  const SnWireCounters& sent() const { return sent_; }
  const SnClientStats& stats() const { return stats_; }

  void on_datagram(net::NodeId from, std::span<const std::uint8_t> bytes) override;

 private:
  struct Publishing {
    std::string topic;
    std::uint32_t topic_id = 0;  // interned in the ledger
    std::uint64_t published = 0;
    EventId event;
  };
  struct Filter {
    std::string filter;
    protocol::QoS qos;
  };

  void begin();
  void connect_now();
  void drain();
  void handle_event(const protocol::sn::MqttSnClientEvent& event);
  void on_publish_timer(std::uint32_t which);
  void schedule_publish(std::uint32_t which, TimeNs at_ns);
  MessageKey publish_message(const std::string& topic, std::uint32_t topic_id,
                             std::size_t payload_size_bytes, int qos_level);
  protocol::sn::SnTopic sn_topic(const std::string& topic, bool qos_minus_one) const;

  NodeWorld* world_;
  net::DatagramTransport* udp_;
  const ClientBehaviour* behaviour_;
  const std::map<std::string, std::uint16_t>* predefined_;
  LedgerClient ledger_id_;
  protocol::sn::MqttSnClient client_;
  net::NodeId node_;
  net::NodeId gateway_;
  Rng publish_rng_;
  std::vector<Publishing> publishing_;
  std::vector<Filter> filters_;
  std::map<protocol::sn::SnCommandId, MessageKey> unacked_;
  std::map<protocol::sn::SnCommandId, std::size_t> subscribing_;  // command → filters_ index
  DeadlineTimer client_timer_;
  EventId reconnect_event_;
  bool started_ = false;
  SnWireCounters sent_;
  SnClientStats stats_;
};

}  // namespace mqttsim::sim::nodes
