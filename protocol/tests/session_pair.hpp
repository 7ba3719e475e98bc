// Test world for ClientSession: several clients and one BrokerCore wired in memory, in the
// manner of quinn-proto's test Pair. Bytes travel in chunks (one Transmit each) that the test
// delivers all at once or one by one; connections can break with bytes in flight; time moves
// only when the test says so, firing every side's deadlines in order.
#pragma once

#include <catch2/catch.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/broker/broker_core.hpp"
#include "protocol/client/client_session.hpp"

namespace mqttsim::protocol::testing {

class SessionWorld {
 public:
  explicit SessionWorld(BrokerConfig config = {}) : broker(std::move(config)) {}

  std::size_t add_client(ClientConfig config);  // returns its index
  ClientSession& client(std::size_t i) { return clients_.at(i)->session; }
  std::size_t client_count() const { return clients_.size(); }

  // The transport opens a connection for client `i` now.
  void open(std::size_t i);
  bool is_open(std::size_t i) const { return clients_.at(i)->connection.has_value(); }
  // The connection drops: bytes in flight both ways are lost. The client learns it now; the
  // broker now, or (half-open) only at notice_dead_connections(), its keep alive or takeover.
  void break_connection(std::size_t i, bool broker_notices = true);
  void notice_dead_connections();
  // Delivers the oldest chunk in flight to the broker (or to the client); false if none.
  bool deliver_to_broker(std::size_t i);
  bool deliver_to_client(std::size_t i);
  std::size_t chunks_in_flight() const;
  // The chunks on their way, oldest first, for tests that look at the bytes.
  const std::deque<std::vector<std::uint8_t>>& to_broker(std::size_t i) const {
    return clients_.at(i)->to_broker;
  }
  const std::deque<std::vector<std::uint8_t>>& to_client(std::size_t i) const {
    return clients_.at(i)->to_client;
  }

  // Moves output of every side into the links (call after any command).
  void collect();
  // Delivers everything until no side has anything to say (time stands still).
  void flush();
  // Moves time forward, firing deadlines in order and opening connections clients want
  // (when auto_connect), with a flush after each step.
  void advance(TimeNs delta_ns);

  // Every event client `i` produced so far (collected by collect()).
  const std::vector<ClientEvent>& events(std::size_t i) const { return clients_.at(i)->log; }
  // Events since the last call, for step-by-step tests.
  std::vector<ClientEvent> take_events(std::size_t i);
  std::vector<BrokerEvent>& broker_events() { return broker_log_; }

  BrokerCore broker;
  TimeNs now_ns = 0;
  bool auto_connect = true;
  // When set, told every chunk delivered, as "c0 -> broker: PUBLISH id=1 dup ..." lines.
  std::function<void(const std::string&)> trace;

 private:
  struct Peer {
    explicit Peer(ClientConfig config) : session(std::move(config)) {}
    ClientSession session;
    std::optional<ConnectionId> connection;
    std::deque<std::vector<std::uint8_t>> to_broker;
    std::deque<std::vector<std::uint8_t>> to_client;
    bool client_closing = false;  // close once to_broker is delivered
    bool broker_closing = false;  // close once to_client is delivered
    std::vector<ClientEvent> log;
    std::size_t taken = 0;
  };
  struct Route {
    std::size_t client;
    bool dead;  // half-open: the client is gone, the broker does not know yet
  };

  void close_link(std::size_t i);
  bool maybe_close(std::size_t i);  // true if it closed the link
  bool collect_once();              // true if a link closed (more output may follow)
  std::optional<TimeNs> next_deadline() const;

  std::vector<std::unique_ptr<Peer>> clients_;
  std::map<ConnectionId, Route> routes_;
  std::vector<BrokerEvent> broker_log_;
  ConnectionId next_connection_ = 1;
};

// What a test checks of a packet on the wire, decoded from chunks sent by `sender`.
struct WirePacket {
  PacketType type = PacketType::connect;
  bool dup = false;
  std::uint16_t packet_id = 0;
  std::string topic;
  std::optional<std::uint16_t> topic_alias;
  std::uint8_t reason_code = 0;  // PUBACK..PUBCOMP, DISCONNECT
};
std::vector<WirePacket> decode_chunks(const std::deque<std::vector<std::uint8_t>>& chunks,
                                      Version version, Sender sender);

inline constexpr TimeNs kS = 1'000'000'000;

// A client of `version`; persistent: Clean Start 0 and (5.0) a session expiry of an hour.
inline ClientConfig config_for(std::string id, Version version, bool persistent = false) {
  ClientConfig c;
  c.version = version;
  c.client_id = std::move(id);
  c.clean_start = !persistent;
  if (persistent && is_v5(version)) c.session_expiry_interval_s = 3600;
  return c;
}

// Event helpers: the events of type T in `events`.
template <typename T>
std::vector<T> events_of(const std::vector<ClientEvent>& events) {
  std::vector<T> out;
  for (const ClientEvent& e : events) {
    if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
  }
  return out;
}

}  // namespace mqttsim::protocol::testing
