// A broker node: BrokerCore behind the stream transport. It listens on its node, maps streams to
// the core's connections, writes what the core transmits, keeps one kernel timer on the core's
// deadline, traces events and wire packets, and can crash and restart (with or without state).
#pragma once

#include <cstdint>
#include <optional>

#include "protocol/broker/broker_core.hpp"
#include "protocol/flat_tables.hpp"
#include "sim/nodes/node_world.hpp"
#include "sim/nodes/wire_counter.hpp"

namespace mqttsim::sim::nodes {

struct BrokerHostStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_lost = 0;    // closed by the transport (peer, timeouts, resets)
  std::uint64_t connections_closed = 0;  // closed by the core
  std::uint64_t protocol_events = 0;     // all of the kinds below
  std::uint64_t clients_connected = 0;
  std::uint64_t connects_refused = 0;
  std::uint64_t graceful_disconnects = 0;
  std::uint64_t abnormal_disconnects = 0;  // the Will is due (if any)
  std::uint64_t protocol_violations = 0;
  std::uint64_t messages_published = 0;  // accepted for routing, Wills included
  std::uint64_t messages_dropped = 0;
  std::uint64_t sessions_expired = 0;
  std::uint64_t crashes = 0;
  std::uint64_t restarts = 0;
};

class BrokerHost final : public net::StreamReceiver {
 public:
  BrokerHost(NodeWorld& world, net::NodeId node, protocol::BrokerConfig config);
  ~BrokerHost() override;
  BrokerHost(const BrokerHost&) = delete;
  BrokerHost& operator=(const BrokerHost&) = delete;

  // Listens on the node; the broker accepts connections from now on.
  void start();
  // The node crashes: its streams vanish without a word to the peers. The broker's state
  // survives only when `persistent` (default: the config's persistence), as a snapshot.
  void crash(std::optional<bool> persistent = std::nullopt);
  // Power back: a new core, restored from the snapshot if one was kept, listening again.
  void restart();

  bool running() const { return core_.has_value(); }
  net::NodeId node() const { return node_; }
  const protocol::BrokerConfig& config() const { return config_; }
  // The running core; std::logic_error while crashed.
  protocol::BrokerCore& core();
  const protocol::BrokerCore& core() const;
  std::size_t open_connections() const { return connections_.size(); }
  const WireCounters& sent() const { return sent_; }
  const WireCounters& received() const { return received_; }
  const BrokerHostStats& stats() const { return stats_; }

  // net::StreamReceiver
  void on_stream_accepted(net::StreamId id) override;
  void on_stream_connected(net::StreamId id) override;
  void on_stream_data(net::StreamId id, std::span<const std::uint8_t> bytes) override;
  void on_stream_closed(net::StreamId id, net::StreamCloseReason reason) override;

 private:
  struct Connection {
    PacketScanner scanner;
    bool v5 = false;  // set at CONNECT: whether a PUBLISH carries properties
  };

  void drain();  // events, then transmits, then the timer
  void drain_events();
  void send(const protocol::Transmit& transmit);
  void on_timer();

  NodeWorld* world_;
  net::NodeId node_;
  protocol::BrokerConfig config_;
  std::optional<protocol::BrokerCore> core_;
  std::optional<protocol::BrokerState> saved_;
  // StreamId doubles as ConnectionId. Looked up on every chunk and every transmit, never
  // iterated; a flat index keeps a fleet's lookups to about one cache miss each.
  protocol::detail::KeyedRecords<Connection> connections_;
  DeadlineTimer timer_;
  std::vector<std::uint8_t> spare_bytes_;  // see drain()
  WireCounters sent_;
  WireCounters received_;
  BrokerHostStats stats_;
};

}  // namespace mqttsim::sim::nodes
