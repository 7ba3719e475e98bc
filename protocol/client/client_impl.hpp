// Internal to ClientSession: its state, and the Impl whose member functions are split by
// concern over client_session.cpp (I/O, dispatch, timers), client_connect.cpp (CONNECT,
// CONNACK, resumption, reconnect, DISCONNECT, SUBSCRIBE) and client_publish.cpp (QoS flows).
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "protocol/client/client_session.hpp"
#include "protocol/fifo.hpp"

namespace mqttsim::protocol {

inline constexpr TimeNs kClientNsPerS = 1'000'000'000;

// Packet Identifiers in use, as a sorted vector: usually a handful, and once its capacity is
// reached no allocation per message (a std::set allocates a node per identifier). At most
// 65535 entries, so the worst insert moves 128 KB.
class PacketIdSet {
 public:
  std::size_t size() const { return ids_.size(); }
  bool contains(std::uint16_t id) const { return std::binary_search(ids_.begin(), ids_.end(), id); }
  void insert(std::uint16_t id) {
    const auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    if (it == ids_.end() || *it != id) ids_.insert(it, id);
  }
  bool erase(std::uint16_t id) {  // whether it was there
    const auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    if (it == ids_.end() || *it != id) return false;
    ids_.erase(it);
    return true;
  }
  void clear() { ids_.clear(); }

 private:
  std::vector<std::uint16_t> ids_;
};

// One application message on its way out: owned, so packets built from it can use views.
struct Outgoing {
  LocalMessageId id = 0;
  std::string topic;
  std::string payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  MessageProperties properties;
  // The limits_epoch check_publish() last passed under; kNeverChecked before that. A message
  // is checked again as it leaves the queue only when a CONNACK since may have changed limits.
  std::uint32_t checked_epoch = kNeverChecked;
  static constexpr std::uint32_t kNeverChecked = UINT32_MAX;
};

enum class PublishStage : std::uint8_t {
  awaiting_puback,   // QoS 1 PUBLISH sent
  awaiting_pubrec,   // QoS 2 PUBLISH sent
  awaiting_pubcomp,  // QoS 2 PUBREL sent
};

struct OutgoingInflight {
  std::uint16_t packet_id = 0;
  PublishStage stage = PublishStage::awaiting_puback;
  std::uint8_t pubrec_code = 0;  // kept for PublishAcked (e.g. 0x10 No matching subscribers)
  Outgoing message;
};

// A SUBSCRIBE or UNSUBSCRIBE not yet acknowledged. Sent again (with a new packet id) on every
// new connection until its acknowledgement arrives: both are idempotent.
struct PendingRequest {
  RequestId id = 0;  // 0: an automatic resubscription
  bool subscribe = true;
  std::vector<SubscribeFilter> filters;  // for UNSUBSCRIBE only the filter strings count
  std::optional<std::uint32_t> subscription_identifier;
  std::uint16_t packet_id = 0;  // 0 while not sent on the current connection
};

// A subscription the server granted, as asked for: what a resubscription sends again.
struct ActiveSubscription {
  SubscriptionOptions options;
  std::optional<std::uint32_t> identifier;
};

// Per-connection state, reset by connection_opened.
struct ClientConnection {
  // What every packet sent touches first; the decoder (some 500 bytes) last.
  std::vector<std::uint8_t> out;
  TimeNs last_sent_ns = 0;
  TimeNs opened_ns = 0;
  bool close_requested = false;
  bool clean_start_sent = true;
  bool normal_disconnect_sent = false;      // the server discards our Will (MQTT-3.14.4-3)
  std::optional<TimeNs> ping_deadline_ns;   // a PINGREQ is outstanding
  std::vector<LocalMessageId> qos0_in_out;  // QoS 0 PUBLISH in `out`, acked once handed out
  std::map<std::uint16_t, std::string> inbound_aliases;
  std::map<std::string, std::uint16_t, std::less<>> outbound_aliases;
  std::optional<StreamDecoder> decoder;
};

struct ClientSession::Impl {
  // The state a publish and its acknowledgement touch comes first and together: a fleet's
  // sessions are cold between their messages, so each cache line they span is a miss.
  ClientState state = ClientState::idle;
  bool limits_known = false;       // a CONNACK has been seen
  bool ever_connected = false;     // decides Clean Start of later connections
  std::uint32_t limits_epoch = 0;  // counts CONNACKs: which `limits` a check ran against
  ServerLimits limits;
  // Outgoing QoS flows.
  std::uint16_t next_packet_id = 1;
  LocalMessageId next_message_id = 1;
  Fifo<Outgoing> queue;             // not yet sent, in publish() order
  Fifo<OutgoingInflight> inflight;  // in send order: resent in this order
  PacketIdSet ids_in_use;           // by inflight and by sent requests
  Fifo<ClientEvent> events;
  ClientConnection conn;

  ClientConfig config;
  std::string client_id;  // ours, or the one the server assigned

  // Reconnect schedule.
  std::optional<TimeNs> reconnect_at_ns;
  std::uint32_t failures = 0;  // consecutive, since the last successful CONNACK

  // Incoming QoS 2 (method B): ids delivered and PUBREC'd, waiting for their PUBREL.
  PacketIdSet awaiting_pubrel;

  Fifo<PendingRequest> requests;
  RequestId next_request_id = 1;
  std::map<std::string, ActiveSubscription> subscriptions;  // granted, by filter

  explicit Impl(ClientConfig client_config);

  // client_session.cpp
  void send(const Packet& packet, TimeNs now);
  // send() without the encoder's validation: only for a PUBLISH that check_publish() passed.
  void send_checked_publish(const Packet& packet, TimeNs now);
  void dispatch(Packet& packet, TimeNs now);
  void violation(TimeNs now, ReasonCode code, std::string reason, std::string_view spec_ref);
  // Ends the current connection: events, per-connection state, reconnect schedule. `close`
  // asks the transport to close it (the session ended it); otherwise it is already gone.
  void end_connection(TimeNs now, std::uint8_t code, std::string reason, bool by_server, bool close,
                      bool reconnect);
  void schedule_reconnect(TimeNs now);
  std::optional<std::uint16_t> allocate_packet_id();
  void release_packet_id(std::uint16_t id);

  // client_connect.cpp
  void send_connect(TimeNs now);
  void on_connack(const Connack& p, TimeNs now);
  void adopt_limits(const Connack& p);
  void resume_session(TimeNs now);
  void restart_session(TimeNs now);
  void pump_requests(TimeNs now);
  void on_suback(const Suback& p, TimeNs now);
  void on_unsuback(const Unsuback& p, TimeNs now);
  void on_server_disconnect(const Disconnect& p, TimeNs now);
  Fifo<PendingRequest>::iterator find_request(std::uint16_t packet_id, bool subscribe);

  // client_publish.cpp
  std::optional<Refusal> check_publish(const Outgoing& m) const;
  void enqueue(Outgoing m);
  void pump(TimeNs now);
  void transmit_publish(const Outgoing& m, std::uint16_t packet_id, bool dup, TimeNs now);
  void finish(LocalMessageId id, std::uint8_t code);
  void on_publish(const Publish& p, TimeNs now);
  void on_puback(const Puback& p, TimeNs now);
  void on_pubrec(const Pubrec& p, TimeNs now);
  void on_pubrel(const Pubrel& p, TimeNs now);
  void on_pubcomp(const Pubcomp& p, TimeNs now);
  std::size_t window() const;
};

// The PUBLISH carrying `m`; its views point into `m`.
Publish build_publish(const Outgoing& m, Version version);
// Views of `p` for a PUBLISH or a Will (5.0).
Properties view_properties(const MessageProperties& p);
// Owned copies of the application-message properties of a received PUBLISH.
MessageProperties owned_properties(const Properties& p);

}  // namespace mqttsim::protocol
