// A virtual client node: one ClientSession over the stream transport, driven by a shared
// ClientBehaviour (publish timers, subscriptions, churn) and by its own faults (crash, recover).
// It tags every payload for the delivery ledger and reports publishes, acks and deliveries to it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "protocol/client/client_session.hpp"
#include "sim/nodes/behaviour.hpp"
#include "sim/nodes/node_world.hpp"

namespace mqttsim::sim::nodes {

struct ClientStats {
  std::uint32_t connects = 0;           // CONNACK accepted
  std::uint32_t connection_losses = 0;  // an established connection ended unasked
  std::uint32_t connect_failures = 0;   // the transport could not connect, or CONNACK refused
  std::uint32_t offline_periods = 0;    // churn
  std::uint32_t crashes = 0;
  std::uint64_t published = 0;  // publish() accepted
  std::uint64_t received = 0;   // messages delivered to this client
};

class VirtualClient final : public net::StreamReceiver {
 public:
  // `index` is the {id} of templates and names the random streams ("client/<index>/...",
  // forked from `world_rng`); `behaviour` is shared and must outlive the client.
  VirtualClient(NodeWorld& world, net::NodeId node, std::string_view node_name, net::NodeId broker,
                std::uint32_t index, protocol::ClientConfig config,
                const ClientBehaviour& behaviour, const Rng& world_rng);
  ~VirtualClient() override;
  VirtualClient(const VirtualClient&) = delete;
  VirtualClient& operator=(const VirtualClient&) = delete;

  // Schedules the first connection (behaviour.connect_at_ns), the subscriptions and the
  // publish timers. Call once.
  void start();
  // The node crashes: its stream vanishes, timers stop, and the session state is lost unless
  // behaviour.persistent_state. recover() powers it back on: connect, subscribe, publish again.
  void crash();
  void recover();
  // Churn by hand: leave now (DISCONNECT or abort per `graceful`) / come back now.
  void go_offline(bool graceful = true);
  void go_online();

  // One publish now, outside the behaviour (tests, scripted scenarios); returns its ledger key.
  MessageKey publish_now(std::string topic, std::size_t payload_size_bytes, protocol::QoS qos,
                         bool retain = false);

  protocol::ClientSession& session() { return session_; }
  LedgerClient ledger_id() const { return ledger_id_; }
  // The ledger record of the client's Will (ClientConfig::will, its payload prefixed with the
  // record's tag); 0 when it has none.
  MessageKey will_key() const { return will_key_; }
  net::NodeId node() const { return node_; }
  bool crashed() const { return crashed_; }
  bool offline() const { return offline_; }
  // The expanded topic of publish behaviour `i`.
  const std::string& topic(std::size_t i) const { return publishing_.at(i).topic; }
  const std::vector<protocol::SubscribeFilter>& filters() const { return filters_; }
  const WireCounters& sent() const { return sent_; }
  const WireCounters& received() const { return received_; }
  const ClientStats& stats() const { return stats_; }

  // net::StreamReceiver
  void on_stream_accepted(net::StreamId id) override;
  void on_stream_connected(net::StreamId id) override;
  void on_stream_data(net::StreamId id, std::span<const std::uint8_t> bytes) override;
  void on_stream_closed(net::StreamId id, net::StreamCloseReason reason) override;

 private:
  void drain();  // transmits, events, then the timers
  void drain_events();
  void handle_event(const protocol::ClientEvent& event);
  void on_subscribed(const protocol::client_event::Subscribed& subscribed);
  void arm_timers();
  void on_session_timer();
  void on_connect_timer();
  void on_publish_timer(std::uint32_t which);
  void schedule_publish(std::uint32_t which, TimeNs at_ns);
  void on_churn_timer();
  void subscribe_all();
  void record_subscribe_requests(TimeNs now, const std::vector<std::string>& only);
  void begin(TimeNs now);  // connect, subscribe, publish timers (start and recover)
  MessageKey publish_message(std::string topic, std::uint32_t topic_id,
                             std::size_t payload_size_bytes, protocol::QoS qos, bool retain,
                             bool json_temperature = false);

  protocol::ClientConfig with_tagged_will(protocol::ClientConfig config);

  NodeWorld* world_;
  const ClientBehaviour* behaviour_;
  LedgerClient ledger_id_;   // before session_: the Will's tag is made from it
  MessageKey will_key_ = 0;  // the ledger record of our Will; 0 without one
  protocol::ClientSession session_;
  net::NodeId node_;
  net::NodeId broker_;
  net::StreamId stream_ = 0;  // 0: none
  bool stream_up_ = false;    // handshake done, session told
  bool crashed_ = false;
  bool offline_ = false;
  std::uint32_t connect_failures_in_row_ = 0;
  TimeNs not_before_ns_ = 0;  // connect backoff after transport failures
  TimeNs last_loss_ns_ = 0;   // when the last connection ended
  Rng publish_rng_;
  Rng churn_rng_;
  // Per publish behaviour, in one allocation: a client's state is cold between its publishes.
  // The behaviour is copied in: read through behaviour_ it was two more cache misses a publish.
  struct Publishing {
    PublishBehaviour spec;
    std::string topic;
    std::uint32_t topic_id = 0;  // interned in the ledger
    std::uint64_t published = 0;
    EventId event;
  };
  std::vector<Publishing> publishing_;
  std::vector<protocol::SubscribeFilter> filters_;
  std::vector<std::pair<protocol::LocalMessageId, MessageKey>> unacked_;  // ascending ids
  // Touched on every publish: kept with the fields above, ahead of the bulky counters.
  ClientStats stats_;
  std::vector<std::uint8_t> spare_bytes_;  // see drain()
  DeadlineTimer session_timer_;
  DeadlineTimer connect_timer_;
  PacketScanner scanner_;
  EventId churn_event_;
  WireCounters sent_;
  WireCounters received_;
};

}  // namespace mqttsim::sim::nodes
