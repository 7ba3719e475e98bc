// MqttSnGateway: a transparent MQTT-SN 1.2 gateway (§4.2.1), sans-I/O. Every MQTT-SN client
// gets its own MQTT connection, driven by one ClientSession; QoS -1 publishes, which need no
// connection, share one MQTT connection of the gateway's own. Fed datagrams per client address
// and bytes per MQTT connection; polled for datagrams, broker-side actions, deadlines, events.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/mqttsn.hpp"
#include "protocol/mqttsn_client.hpp"
#include "protocol/types.hpp"

namespace mqttsim::protocol::sn {

using ClientAddress = std::uint64_t;  // the transport's name for a client's network address
using MqttLinkId = std::uint64_t;     // one MQTT connection of the gateway, never reused

struct MqttSnGatewayConfig {
  std::uint8_t gateway_id = 1;  // in GWINFO
  Version mqtt_version = Version::v3_1_1;
  std::uint16_t mqtt_keep_alive_s = 60;                // of the gateway's MQTT connections
  TimeNs retry_interval_ns = kDefaultRetryIntervalNs;  // T_retry towards clients
  std::uint32_t max_retries = kDefaultMaxRetries;      // N_retry towards clients
  // A client silent for this many keep alive periods is gone and its Will goes out.
  double keep_alive_tolerance = 1.5;
  std::size_t max_clients = 1000;
  std::size_t max_topics_per_client = 1000;    // registered topic ids per client
  std::size_t max_queued_per_client = 100;     // messages for a client behind the outstanding one
  std::size_t max_forwarding_per_client = 16;  // client QoS 1/2 publishes not yet acknowledged
  std::size_t max_qos2_ids_per_client = 64;    // QoS 2 ids from a client awaiting its PUBREL
  std::map<std::uint16_t, std::string> predefined_topics;  // the same table as the clients'
  std::string forwarder_client_id = "mqttsn-gateway";      // the QoS -1 MQTT connection
};

struct SnTransmit {
  ClientAddress to = 0;
  std::vector<std::uint8_t> datagram;
};

// What the broker-side transport must do: open a connection for `link` (then call
// broker_connection_opened, or broker_connection_closed if it fails), write `bytes` on it, or
// close it once what was written before has gone out.
struct BrokerAction {
  enum class Kind : std::uint8_t { open, send, close };
  Kind kind = Kind::send;
  MqttLinkId link = 0;
  std::vector<std::uint8_t> bytes;
};

enum class ClientEndCause : std::uint8_t {
  requested,          // the client sent DISCONNECT
  replaced,           // a new CONNECT from the same address
  retries_exhausted,  // a message to the client went unanswered N_retry times
  keep_alive,         // nothing from the client for keep_alive_tolerance × its Duration
  broker,             // the MQTT connection ended (broker DISCONNECT, close, or keep alive)
  evicted,            // its kept session made room for a new client (max_clients)
};
std::string_view client_end_cause_name(ClientEndCause cause);

namespace gateway_event {
struct ClientConnected {
  ClientAddress address;
  std::string client_id;
  MqttLinkId link;
};
struct ConnectRefused {
  ClientAddress address;
  ReturnCode return_code;
  std::string reason;
};
struct ClientDisconnected {
  ClientAddress address;
  std::string client_id;
  ClientEndCause cause;
};
// A message for a client that the gateway accepted from the broker (and acknowledged there)
// but could not deliver: reported, not hidden, as MQTT-SN's bounded retries allow.
struct DeliveryLost {
  ClientAddress address;
  std::string topic;
  QoS qos;
  std::string reason;
};
struct PublishDropped {  // a client's QoS -1/0 publish that could not be forwarded
  ClientAddress address;
  std::string reason;
};
struct DatagramRejected {  // malformed, or not acceptable from a client; nothing else changes
  ClientAddress address;
  Malformed error;
};
}  // namespace gateway_event

using GatewayEvent = std::variant<gateway_event::ClientConnected, gateway_event::ConnectRefused,
                                  gateway_event::ClientDisconnected, gateway_event::DeliveryLost,
                                  gateway_event::PublishDropped, gateway_event::DatagramRejected>;

struct GatewayMetrics {
  std::uint64_t datagrams_received = 0;
  std::uint64_t datagrams_rejected = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t retransmissions = 0;
  std::uint64_t forwarded_to_broker = 0;   // client publishes handed to an MQTT connection
  std::uint64_t delivered_to_clients = 0;  // broker messages acknowledged by (or sent to) clients
  std::uint64_t deliveries_lost = 0;
  std::uint64_t qos_minus_one_forwarded = 0;
};

// Not implemented: sleeping clients (a DISCONNECT with a duration is treated as a plain
// DISCONNECT), ADVERTISE broadcasts, Will updates (WILLTOPICUPD/WILLMSGUPD are rejected), and
// forwarder encapsulation (rejected with DatagramRejected).
class MqttSnGateway {
 public:
  explicit MqttSnGateway(MqttSnGatewayConfig config);
  ~MqttSnGateway();
  MqttSnGateway(MqttSnGateway&&) noexcept;
  MqttSnGateway& operator=(MqttSnGateway&&) noexcept;

  void handle_datagram(TimeNs now, ClientAddress from, ByteView datagram);
  void broker_connection_opened(MqttLinkId link, TimeNs now);
  void handle_broker_bytes(MqttLinkId link, TimeNs now, ByteView bytes);
  void broker_connection_closed(MqttLinkId link, TimeNs now);
  void handle_timeout(TimeNs now);

  std::optional<SnTransmit> poll_transmit();
  std::optional<BrokerAction> poll_broker_action();
  std::optional<TimeNs> poll_timeout() const;
  std::optional<GatewayEvent> poll_event();

  std::size_t client_count() const;  // clients known (connected, connecting, or kept)
  std::size_t connected_count() const;
  std::size_t link_count() const;  // MQTT connections the gateway holds
  // Messages and requests in progress: deliveries queued or outstanding towards clients, and
  // client publishes and (un)subscriptions waiting for the broker.
  std::size_t pending_count() const;
  const GatewayMetrics& metrics() const;
  const MqttSnGatewayConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mqttsim::protocol::sn
