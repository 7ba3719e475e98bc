// MqttSnClient: the client side of MQTT-SN 1.2, sans-I/O, in the shape of ClientSession. It is
// fed datagrams and time and polled for datagrams to send, its next deadline and events. UDP
// loses datagrams, so every request is retried every T_retry up to N_retry times (§6.13); after
// that the request is reported lost and the gateway is considered gone.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/mqttsn.hpp"
#include "protocol/types.hpp"

namespace mqttsim::protocol::sn {

using SnCommandId = std::uint64_t;  // names one command in later events; never 0

// Where a PUBLISH, SUBSCRIBE or UNSUBSCRIBE goes: a topic name (registered with the gateway
// first when needed; for SUBSCRIBE it may be a filter with wildcards), a predefined topic id
// known to both sides, or a two-character short topic name (§3, §6.7).
struct SnTopic {
  TopicIdType type = TopicIdType::normal;
  std::string name;      // normal and short_name
  std::uint16_t id = 0;  // predefined
  static SnTopic named(std::string topic) { return {TopicIdType::normal, std::move(topic), 0}; }
  static SnTopic predefined(std::uint16_t topic_id) {
    return {TopicIdType::predefined, {}, topic_id};
  }
  static SnTopic short_name(std::string two_chars) {
    return {TopicIdType::short_name, std::move(two_chars), 0};
  }
  friend bool operator==(const SnTopic&, const SnTopic&) = default;
};

struct SnWill {
  std::string topic;
  std::string payload;
  QoS qos = QoS::at_most_once;  // 0..2
  bool retain = false;
};

// Suggested values of §6.13: T_retry 10 to 15 s, N_retry 3 to 5.
inline constexpr TimeNs kDefaultRetryIntervalNs = 10'000'000'000;
inline constexpr std::uint32_t kDefaultMaxRetries = 3;

struct MqttSnClientConfig {
  std::string client_id;            // 1..23 octets
  std::uint16_t keep_alive_s = 60;  // CONNECT Duration; 0 turns PINGREQ off
  bool clean_session = true;
  std::optional<SnWill> will;
  TimeNs retry_interval_ns = kDefaultRetryIntervalNs;  // T_retry
  std::uint32_t max_retries = kDefaultMaxRetries;      // N_retry: retransmissions, not sends
  std::size_t max_queued_requests = 1000;   // commands waiting behind the one outstanding
  std::size_t max_topics = 1000;            // registered topic ids remembered
  std::size_t max_qos2_receiver_ids = 256;  // QoS 2 ids awaiting PUBREL remembered
  std::map<std::uint16_t, std::string> predefined_topics;  // names for received messages
};

enum class SnClientState : std::uint8_t {
  disconnected,  // before connect(), after DISCONNECT, or after giving up on the gateway
  connecting,    // CONNECT (and the Will exchange) sent, no CONNACK yet
  connected,
  disconnecting,  // DISCONNECT sent, waiting for the gateway's DISCONNECT
};

// How a publish() ended. `sent` is the end of QoS 0 and -1 (nothing acknowledges them);
// `lost` means N_retry retransmissions went unanswered or the connection ended first (the
// message may or may not have reached the gateway).
enum class PublishOutcome : std::uint8_t {
  accepted,  // PUBACK (QoS 1) or PUBCOMP (QoS 2)
  sent,
  rejected_congestion,
  rejected_invalid_topic_id,
  rejected_not_supported,
  lost,
};
std::string_view publish_outcome_name(PublishOutcome outcome);

enum class DisconnectCause : std::uint8_t {
  requested,     // our DISCONNECT was answered (or went unanswered N_retry times)
  by_gateway,    // the gateway sent DISCONNECT
  gateway_lost,  // a request went unanswered after N_retry retransmissions
};

namespace sn_event {
struct Connected {};
struct ConnectFailed {
  std::optional<ReturnCode> return_code;  // nullopt: no answer after N_retry retransmissions
};
struct Disconnected {
  DisconnectCause cause;
};
struct Message {
  std::string topic;  // resolved name; empty when the id has no known name (predefined)
  TopicIdType topic_id_type = TopicIdType::normal;
  std::uint16_t topic_id = 0;
  std::string payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  bool dup = false;
  std::uint16_t msg_id = 0;
};
struct PublishAcked {  // the end of every accepted publish(), exactly once
  SnCommandId id;
  PublishOutcome outcome;
};
struct Registered {  // our register_topic() (id != 0), or the gateway's REGISTER (id == 0)
  SnCommandId id;
  std::string topic;
  std::uint16_t topic_id = 0;
  std::optional<ReturnCode> return_code;  // nullopt: lost
};
struct Subscribed {
  SnCommandId id;
  QoS granted_qos = QoS::at_most_once;
  std::uint16_t topic_id = 0;
  std::optional<ReturnCode> return_code;  // nullopt: lost
};
struct Unsubscribed {
  SnCommandId id;
  bool lost = false;
};
struct DatagramIgnored {  // malformed, or not a message a gateway sends
  Malformed error;
};
}  // namespace sn_event

using MqttSnClientEvent =
    std::variant<sn_event::Connected, sn_event::ConnectFailed, sn_event::Disconnected,
                 sn_event::Message, sn_event::PublishAcked, sn_event::Registered,
                 sn_event::Subscribed, sn_event::Unsubscribed, sn_event::DatagramIgnored>;

struct SnCommandResult {
  SnCommandId id = 0;
  std::optional<std::string> refused;  // why nothing was queued (no later event follows)
  explicit operator bool() const { return !refused.has_value(); }
};

// One request is outstanding at a time, as the spec's flows assume: the others wait in order
// behind it, so messages from one client keep their order. Gateway-initiated messages
// (PUBLISH, REGISTER) are answered at once and do not wait. Sleeping clients (DISCONNECT with a
// duration, §6.14) are not implemented.
class MqttSnClient {
 public:
  explicit MqttSnClient(MqttSnClientConfig config);
  ~MqttSnClient();
  MqttSnClient(MqttSnClient&&) noexcept;
  MqttSnClient& operator=(MqttSnClient&&) noexcept;

  // Sends CONNECT (a new connection even when connected). With clean_session the registered
  // topics and QoS 2 receiver state are forgotten.
  void connect(TimeNs now);
  // QoS 0..2 need a connection (commands given while connecting wait for it). QoS -1
  // (fire_and_forget) goes out at once, connected or not, to a predefined or short topic only.
  SnCommandResult publish(TimeNs now, SnTopic topic, std::string payload, QoS qos,
                          bool retain = false);
  SnCommandResult register_topic(TimeNs now, std::string topic);
  SnCommandResult subscribe(TimeNs now, SnTopic filter, QoS qos);
  SnCommandResult unsubscribe(TimeNs now, SnTopic filter);
  // Sends DISCONNECT; queued commands end lost. Disconnected{requested} follows.
  void disconnect(TimeNs now);

  void handle_datagram(TimeNs now, ByteView datagram);
  void handle_timeout(TimeNs now);

  std::optional<std::vector<std::uint8_t>> poll_transmit();
  std::optional<TimeNs> poll_timeout() const;
  std::optional<MqttSnClientEvent> poll_event();

  SnClientState state() const;
  std::optional<std::uint16_t> topic_id(const std::string& topic) const;
  std::size_t pending_count() const;  // outstanding + queued commands
  const MqttSnClientConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mqttsim::protocol::sn
