// ClientSession: the client side of MQTT 3.1.1 and 5.0, sans-I/O. One object per client
// identity; it owns one connection at a time, is fed bytes and time, and is polled for bytes to
// write, its next deadline, events, and when it wants the transport to open a connection.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/codec.hpp"
#include "protocol/mutants.hpp"
#include "protocol/types.hpp"

namespace mqttsim::protocol {

using LocalMessageId = std::uint64_t;  // names one publish() call in later events; never 0
using RequestId = std::uint64_t;       // names one subscribe()/unsubscribe() call; never 0

// When to try again after a connection is lost or refused: the k-th consecutive failure waits
// delays_ns[k-1]. Past the end of the list, repeat_last keeps using the last delay; otherwise
// the session gives up until connect() is called. An empty list never reconnects. Jitter, if
// wanted, is the caller's to put into the list: the session draws no random numbers.
struct ReconnectPolicy {
  std::vector<TimeNs> delays_ns;
  bool repeat_last = true;
};

// What happens to publish() when the outgoing queue (messages not yet sent) is full.
enum class OutgoingDropPolicy : std::uint8_t {
  refuse_new,   // publish() is refused with Quota exceeded (0x97)
  drop_oldest,  // the oldest queued message ends with PublishAcked{Quota exceeded}
};

// The application-message properties of 5.0 PUBLISH, owned. Ignored under 3.1.1.
struct MessageProperties {
  std::optional<std::uint8_t> payload_format_indicator;
  std::optional<std::uint32_t> message_expiry_interval_s;
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;
  std::optional<std::string> correlation_data;
  std::vector<std::pair<std::string, std::string>> user_properties;
  friend bool operator==(const MessageProperties&, const MessageProperties&) = default;
};

struct ClientWill {
  std::string topic;
  std::string payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  std::uint32_t delay_s = 0;  // 5.0 Will Delay Interval
  MessageProperties properties;
};

struct ClientConfig {
  Version version = Version::v5;
  std::string client_id;  // empty: the server assigns one, which later connections reuse
  // Clean Start of the first connection. Later connections resume the session whenever it
  // outlives the connection (5.0 Session Expiry > 0; 3.1.1 Clean Session 0).
  bool clean_start = true;
  std::uint32_t session_expiry_interval_s = 0;  // 5.0
  std::uint16_t keep_alive_s = 60;              // 0 turns keep alive off
  // Without any packet from the server this long after a PINGREQ, the connection is given up.
  // Default: the keep alive interval.
  std::optional<TimeNs> ping_timeout_ns;
  TimeNs connect_timeout_ns = 30'000'000'000;  // CONNECT sent, no CONNACK: give up
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<ClientWill> will;
  // Announced in the 5.0 CONNECT and enforced on what the server sends.
  std::uint16_t receive_maximum = 65535;
  std::uint32_t maximum_packet_size_bytes = kMaxPacketSizeBytes;
  std::uint16_t topic_alias_maximum = 0;  // aliases the server may set towards us
  bool use_topic_aliases = true;          // alias outgoing topics up to the server's maximum
  std::uint16_t max_inflight = 65535;     // own cap, below the server's Receive Maximum
  std::size_t max_queued_messages = 1000;
  OutgoingDropPolicy queue_drop_policy = OutgoingDropPolicy::refuse_new;
  // When the server has no session for us (Session Present 0) after we had subscriptions,
  // subscribe to them again, as MQTT.js does; the application sees Subscribed{request_id 0}.
  bool resubscribe_on_new_session = true;
  ReconnectPolicy reconnect{{1'000'000'000, 2'000'000'000, 4'000'000'000, 8'000'000'000}, true};
  // Fault switches for issue 6's proof that the checks catch real bugs. Only tests and
  // `mqttsim check --mutant` set them: on purpose, no YAML or config file key reaches this.
  MutantSet mutants;
};

// What the server announced in CONNACK (5.0), or the specification's defaults (3.1.1).
struct ServerLimits {
  std::uint16_t receive_maximum = 65535;
  QoS maximum_qos = QoS::exactly_once;
  bool retain_available = true;
  std::uint32_t maximum_packet_size_bytes = kMaxPacketSizeBytes;
  std::uint16_t topic_alias_maximum = 0;
  bool wildcard_subscriptions_available = true;
  bool subscription_identifiers_available = true;
  bool shared_subscriptions_available = true;
  std::uint16_t keep_alive_s = 0;               // in effect: the Server Keep Alive or ours
  std::uint32_t session_expiry_interval_s = 0;  // in effect: the server's or ours
  friend bool operator==(const ServerLimits&, const ServerLimits&) = default;
};

struct SubscribeFilter {
  std::string filter;
  SubscriptionOptions options;
};

// Why a command was refused on the spot (nothing is sent and no later event follows).
struct Refusal {
  ReasonCode code = ReasonCode::unspecified_error;
  std::string reason;
};

// The id of an accepted command, or why it was refused.
struct CommandResult {
  std::uint64_t id = 0;
  std::optional<Refusal> refused;
  explicit operator bool() const { return !refused.has_value(); }
};

// Bytes to write on the current connection; `close` asks the transport to close it once they
// are written (after a DISCONNECT, a refused CONNACK, a protocol violation or a timeout).
struct ClientTransmit {
  std::vector<std::uint8_t> bytes;
  bool close = false;
};

namespace client_event {
struct Connected {
  bool session_present = false;
  std::string client_id;                          // in use: ours or the assigned one
  std::optional<std::string> assigned_client_id;  // 5.0 Assigned Client Identifier
  ServerLimits limits;
};
struct ConnectFailed {       // the connection ended before a successful CONNACK
  std::uint8_t reason_code;  // the CONNACK code (3.1.1 return code or 5.0 reason code), or
  std::string reason;        // 0x80 when no CONNACK came (connection lost, timeout)
};
struct Disconnected {
  std::uint8_t reason_code;  // of the DISCONNECT sent or received; 0x80 for a lost connection
  std::string reason;
  bool by_server = false;      // the server sent DISCONNECT or the connection dropped under us
  bool will_expected = false;  // the server should publish our Will
};
struct Message {
  std::string topic;  // aliases resolved
  std::string payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;
  MessageProperties properties;
  std::vector<std::uint32_t> subscription_identifiers;
};
// The end of every accepted publish(), exactly once: QoS 0 once written, QoS 1 at PUBACK
// (its code), QoS 2 at PUBCOMP (with the PUBREC's code) or at a failing PUBREC. A code >= 0x80
// says why it failed: the server's, or ours (Quota exceeded when dropped from a full queue, Packet
// too large / QoS not supported / Retain not supported when the server's limits changed,
// Unspecified error for QoS 0 bytes lost with the connection).
struct PublishAcked {
  LocalMessageId message_id;
  std::uint8_t reason_code;
};
struct Subscribed {
  RequestId request_id;  // 0 for an automatic resubscription
  std::uint16_t packet_id;
  std::vector<ReasonCode> reason_codes;  // granted QoS or failure, one per filter
};
struct Unsubscribed {
  RequestId request_id;
  std::uint16_t packet_id;
  std::vector<ReasonCode> reason_codes;  // 5.0 only
};
struct ProtocolViolation {  // the server broke a rule; the connection is being closed
  Malformed error;
};
struct ReconnectScheduled {
  TimeNs at_ns;
  std::uint32_t attempt;  // 1 for the first retry after a success
};
}  // namespace client_event

using ClientEvent =
    std::variant<client_event::Connected, client_event::ConnectFailed, client_event::Disconnected,
                 client_event::Message, client_event::PublishAcked, client_event::Subscribed,
                 client_event::Unsubscribed, client_event::ProtocolViolation,
                 client_event::ReconnectScheduled>;

enum class ClientState : std::uint8_t {
  idle,        // no connection, none wanted (before connect(), after disconnect() or giving up)
  waiting,     // no connection; wants_connection_at() says when to open one
  connecting,  // CONNECT sent, no CONNACK yet
  connected,
};

// Resumption: a session that outlives its connection (see ClientConfig::clean_start) is asked
// back with Clean Start 0. With Session Present 1, unacknowledged PUBLISH go again with DUP=1
// and PUBREL again, with their packet ids, in their original order, before anything new. With
// Session Present 0 the server forgot our packet ids, so the session drops its protocol state
// (ids, QoS 2 receiver state) but not the application's messages: those the server never
// confirmed (no PUBACK / PUBREC yet) go out again as new messages (DUP=0, new ids) ahead of
// newer ones, which keeps QoS 1 at least once and may duplicate a QoS 2 message the old
// session had received; one already PUBREC'd is reported complete (PublishAcked) instead.
class ClientSession {
 public:
  explicit ClientSession(ClientConfig config);
  ~ClientSession();
  ClientSession(ClientSession&&) noexcept;
  ClientSession& operator=(ClientSession&&) noexcept;

  // Asks for a connection now (the transport reads wants_connection_at()) and restarts the
  // backoff schedule.
  void connect(TimeNs now);
  // Transport events: it opened a connection (CONNECT is queued), bytes arrived, it lost the
  // connection. connection_closed after a close the session asked for is a no-op.
  void connection_opened(TimeNs now);
  void handle_bytes(TimeNs now, ByteView bytes);
  void connection_closed(TimeNs now);
  void handle_timeout(TimeNs now);

  // Commands. They may be given while disconnected: publishes and requests wait for the next
  // connection. `now` times the keep alive (a sent packet postpones PINGREQ).
  CommandResult publish(TimeNs now, std::string topic, std::string payload, QoS qos,
                        bool retain = false, MessageProperties properties = {});
  CommandResult subscribe(TimeNs now, std::vector<SubscribeFilter> filters,
                          std::optional<std::uint32_t> subscription_identifier = std::nullopt);
  CommandResult unsubscribe(TimeNs now, std::vector<std::string> filters);
  // Sends DISCONNECT (5.0: with `reason`, and a new Session Expiry if given) and closes. No
  // reconnect follows until connect(). Unacknowledged messages stay for a resumed session.
  void disconnect(TimeNs now, ReasonCode reason = ReasonCode::success,
                  std::optional<std::uint32_t> session_expiry_interval_s = std::nullopt);

  std::optional<ClientTransmit> poll_transmit();
  // The same into `out`: true when there was one. out.bytes' old buffer becomes the session's
  // output buffer, so a caller that keeps one ClientTransmit allocates nothing per packet.
  bool poll_transmit(ClientTransmit& out);
  // The session's own next deadline (CONNACK timeout, PINGREQ due, PINGRESP timeout). The
  // reconnect time is not one of them: see wants_connection_at().
  std::optional<TimeNs> poll_timeout() const;
  std::optional<ClientEvent> poll_event();
  // When the transport should open a connection (and call connection_opened); nullopt when
  // the session is connected, connecting, or idle.
  std::optional<TimeNs> wants_connection_at() const;

  ClientState state() const;
  const std::string& client_id() const;
  const ServerLimits& server_limits() const;
  std::size_t inflight_count() const;    // QoS 1/2 messages sent and not yet acknowledged
  std::size_t queued_count() const;      // messages waiting for a connection or the window
  std::size_t pending_requests() const;  // SUBSCRIBE/UNSUBSCRIBE not yet acknowledged
  // The filters the server granted, in order: those a Session Present 0 subscribes again.
  std::vector<std::string> granted_filters() const;
  const ClientConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mqttsim::protocol
