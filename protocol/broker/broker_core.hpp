// BrokerCore: the whole server side of MQTT 3.1, 3.1.1 and 5.0, sans-I/O. The caller feeds
// it bytes per connection and the time; it answers with bytes to send per connection, the next
// deadline, and events. The simulator (virtual time), the TCP listener (wall time) and unit
// tests (time stepped by hand) all drive this same object.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "protocol/broker/broker_config.hpp"
#include "protocol/broker/broker_state.hpp"
#include "protocol/broker/message.hpp"
#include "protocol/codec.hpp"

namespace mqttsim::protocol {

using ConnectionId = std::uint64_t;  // chosen by the caller, unique among open connections

// Bytes for one connection. `close` asks the caller to close the connection once the bytes are
// written (after a refusing CONNACK, a DISCONNECT, or a protocol violation).
struct Transmit {
  ConnectionId connection = 0;
  std::vector<std::uint8_t> bytes;
  bool close = false;
};

namespace broker_event {
struct ClientConnected {
  ConnectionId connection;
  std::string client_id;
  Version version;
  bool session_present;
};
struct ConnectRefused {
  ConnectionId connection;
  std::uint8_t reason_code;  // CONNACK code sent (3.1.1 return code or 5.0 reason code)
};
struct ClientDisconnected {
  ConnectionId connection;
  std::string client_id;
  bool graceful;        // DISCONNECT 0x00 arrived: the Will is discarded
  bool will_scheduled;  // the Will goes out now or after its delay
  std::string reason;
};
struct ProtocolViolation {
  ConnectionId connection;
  Malformed error;
};
struct MessagePublished {  // a PUBLISH (or Will) accepted for routing
  // The broker's own immutable copy (topic, publisher_client_id, sequence, qos, ...), shared
  // rather than copied: this event comes with every message.
  MessagePtr message;
  std::size_t matched_sessions;
};
struct MessageDropped {
  std::uint64_t sequence;
  std::string client_id;  // the session that lost it
  std::string reason;     // "queue full", "expired", "too large for the client"
};
struct SessionExpired {
  std::string client_id;
};
}  // namespace broker_event

using BrokerEvent = std::variant<broker_event::ClientConnected, broker_event::ConnectRefused,
                                 broker_event::ClientDisconnected, broker_event::ProtocolViolation,
                                 broker_event::MessagePublished, broker_event::MessageDropped,
                                 broker_event::SessionExpired>;

struct BrokerMetrics {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;
  std::uint64_t protocol_violations = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t messages_delivered = 0;  // PUBLISH packets sent to subscribers, resends included
  std::uint64_t messages_redelivered = 0;
  std::uint64_t messages_dropped_queue_full = 0;
  std::uint64_t messages_dropped_expired = 0;
  std::uint64_t messages_dropped_too_large = 0;
  std::uint64_t wills_published = 0;
  std::uint64_t sessions_expired = 0;
};

class BrokerCore {
 public:
  explicit BrokerCore(BrokerConfig config);
  // A persistent broker restarted after a crash: every session offline, inflight and queued
  // messages and retained messages as they were, deadlines recomputed from `now`.
  BrokerCore(BrokerConfig config, const BrokerState& state, TimeNs now);
  ~BrokerCore();
  BrokerCore(BrokerCore&&) noexcept;
  BrokerCore& operator=(BrokerCore&&) noexcept;

  void connection_opened(ConnectionId connection, TimeNs now);
  void handle_bytes(ConnectionId connection, TimeNs now, ByteView bytes);
  // The transport lost the connection (or the caller closed it after a Transmit with close).
  void connection_closed(ConnectionId connection, TimeNs now);
  void handle_timeout(TimeNs now);
  // Server shutdown: DISCONNECT 0x8B to 5.0 clients, close everyone.
  void shutdown(TimeNs now);

  std::optional<Transmit> poll_transmit();
  // The same into `out`: true when there was one. out.bytes' old buffer goes to the connection
  // for its next output, so a caller that keeps one Transmit allocates nothing per packet.
  bool poll_transmit(Transmit& out);
  std::optional<TimeNs> poll_timeout() const;
  std::optional<BrokerEvent> poll_event();

  BrokerState snapshot() const;
  const BrokerMetrics& metrics() const;
  const BrokerConfig& config() const;
  std::size_t session_count() const;
  std::size_t retained_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mqttsim::protocol
