// Internal to BrokerCore: per-connection state, and the Impl whose member functions are split
// by concern over broker_core.cpp (I/O, timers, lifecycle), broker_connect.cpp (CONNECT,
// DISCONNECT, Will), broker_publish.cpp (QoS flows, routing, queues) and broker_subscribe.cpp.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "protocol/broker/broker_core.hpp"
#include "protocol/broker/broker_state.hpp"
#include "protocol/flat_tables.hpp"
#include "protocol/subscription_index.hpp"

namespace mqttsim::protocol {

inline constexpr TimeNs kNsPerS = 1'000'000'000;

struct Connection {
  // What every packet reads or writes comes first, then the decoder (its per-packet fields lead
  // it): a broker of a fleet holds thousands of connections, each cold when its packet arrives.
  ConnectionId id = 0;
  Version version = Version::v3_1_1;
  bool connected = false;  // CONNACK 0 sent, session attached
  bool closing = false;    // no more input; close once `out` is flushed
  bool disconnect_received = false;
  bool queued_for_transmit = false;
  std::uint16_t keep_alive_s = 0;
  // What the client announced in its 5.0 CONNECT.
  std::uint16_t client_receive_maximum = 65535;
  std::uint16_t client_topic_alias_maximum = 0;
  std::uint32_t client_maximum_packet_size = kMaxPacketSizeBytes;
  TimeNs last_packet_ns = 0;
  // The session of client_id as last looked up, valid while Impl::sessions_erased still equals
  // session_epoch (std::map nodes stay put until erased): saves a lookup by string per packet.
  Session* session = nullptr;
  std::uint64_t session_epoch = 0;
  std::vector<std::uint8_t> out;
  StreamDecoder decoder;
  std::string client_id;  // set once CONNECT is accepted
  std::map<std::uint16_t, std::string> inbound_aliases;
  std::map<std::string, std::uint16_t> outbound_aliases;

  explicit Connection(ConnectionId connection_id, const BrokerConfig& config);
};

// A failure that ends a connection: the reason code for a 5.0 DISCONNECT (or CONNACK) and the
// rule broken, for the ProtocolViolation event.
struct Violation {
  ReasonCode code;
  std::string reason;
  std::string_view spec_ref;
};

struct BrokerCore::Impl {
  BrokerConfig config;
  BrokerState state;
  BrokerMetrics metrics;
  detail::KeyedRecords<Connection> connections;
  std::deque<ConnectionId> transmit_queue;  // connections with output, first come first served
  Fifo<BrokerEvent> events;
  std::vector<ConnectionId> broken;  // send() failed on these; settle() closes them
  // Deadlines. Keep-alive entries are checked lazily against last_packet_ns when they fire,
  // so a packet does not have to move its connection's entry.
  std::set<std::pair<TimeNs, ConnectionId>> keep_alive_timers;
  std::set<std::tuple<TimeNs, int, std::string>> session_timers;  // kind: kWillTimer/kExpiry
  // Mutant::ack_before_store only: QoS 1 messages PUBACKed but not yet stored and routed, in
  // arrival order, each with the time its write-behind completes. Not in BrokerState, so a
  // crash loses them. Always empty with the mutant off.
  std::deque<std::pair<TimeNs, MessagePtr>> write_behind;
  // Routing: the index answers who matches; subscribers_[handle] is that session.
  SubscriptionIndex index;
  MatchResult match_scratch;
  std::vector<Session*> subscribers;
  std::vector<std::uint32_t> free_subscribers;

  static constexpr int kWillTimer = 0;
  static constexpr int kExpiryTimer = 1;

  static constexpr TimeNs kWriteBehindDelayNs = 100'000'000;  // Mutant::ack_before_store

  explicit Impl(BrokerConfig broker_config) : config(std::move(broker_config)) {
    index.set_wildcards_match_dollar_topics(config.mutants.has(Mutant::dollar_wildcard_match));
  }

  // broker_core.cpp
  void send(Connection& c, const Packet& packet);
  void settle(TimeNs now);  // ends the connections a failed send() marked broken
  void end_connection(Connection& c, TimeNs now, bool graceful, std::string reason);
  void violation(Connection& c, TimeNs now, const Violation& v);
  void dispatch(Connection& c, Packet& packet, TimeNs now);
  void arm_keep_alive(Connection& c);
  void fire_keep_alive(ConnectionId id, TimeNs at, TimeNs now);
  void fire_session_timer(int kind, const std::string& client_id, TimeNs now);
  Connection* connection_of(const Session& s);

  // broker_connect.cpp
  void on_connect(Connection& c, const Connect& p, TimeNs now);
  void on_disconnect(Connection& c, const Disconnect& p, TimeNs now);
  void refuse(Connection& c, std::uint8_t v5_code, std::uint8_t v3_code, std::string reason);
  Session& attach_session(Connection& c, const Connect& p, TimeNs now, bool& present);
  void forget_on_resume(Session& s);  // Mutant::forget_qos2_state_on_reconnect, drop_queue_...
  void detach_session(Session& s, TimeNs now, bool graceful);
  void publish_will(Session& s, TimeNs now);
  void end_session(const std::string& client_id, TimeNs now);
  // state.sessions.at(c.client_id), through the connection's cached pointer when it is valid.
  Session& session_of(Connection& c);
  std::uint64_t sessions_erased = 0;  // bumped by every erase from state.sessions

  std::uint32_t register_subscriber(Session& s);
  void release_subscriber(Session& s);

  // broker_publish.cpp
  void on_publish(Connection& c, Publish& p, TimeNs now);
  // Stores a retained message and routes: what accepting a PUBLISH means. Returns the number of
  // sessions it matched.
  std::size_t accept(const MessagePtr& message, TimeNs now);
  void complete_write_behind(TimeNs now);  // Mutant::ack_before_store
  void on_puback(Connection& c, std::uint16_t id, TimeNs now);
  void on_pubrec(Connection& c, const Pubrec& p, TimeNs now);
  void on_pubrel(Connection& c, std::uint16_t id);
  void on_pubcomp(Connection& c, std::uint16_t id, TimeNs now);
  std::size_t route(const MessagePtr& message, TimeNs now);
  void deliver(Session& s, Delivery d, TimeNs now);
  void enqueue(Session& s, Delivery d);
  void pump(Session& s, Connection& c, TimeNs now);
  void transmit_publish(Session& s, Connection& c, Delivery d, TimeNs now);
  // False when the packet was dropped (larger than the client accepts).
  bool send_publish(Connection& c, const Delivery& d, std::uint16_t packet_id, bool dup,
                    TimeNs now);
  // Sets a Topic Alias on an outbound PUBLISH; true when it is a new one.
  bool apply_outbound_alias(const Connection& c, Publish& p);
  void resume(Session& s, Connection& c, TimeNs now);
  void drop(const Session& s, const Message& m, std::string reason);

  // broker_subscribe.cpp
  void on_subscribe(Connection& c, const Subscribe& p, TimeNs now);
  void on_unsubscribe(Connection& c, const Unsubscribe& p);
  void send_retained(Session& s, const std::string& filter, const SubscriptionEntry& e, TimeNs now);
};

}  // namespace mqttsim::protocol
