// Internal state of MqttSnGateway, shared by its source files: the API, links and timers
// (mqttsn_gateway.cpp), datagrams from clients (mqttsn_gateway_client.cpp), and MQTT session
// events with the one-outstanding delivery queue towards each client (mqttsn_gateway_deliver.cpp).
#pragma once

#include <deque>
#include <set>

#include "protocol/client/client_session.hpp"
#include "protocol/mqttsn_gateway.hpp"

namespace mqttsim::protocol::sn {

// A broker message on its way to a client.
struct GwDelivery {
  std::string topic;
  std::string payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
};

struct GwOutstanding {
  MsgType awaiting = MsgType::puback;
  std::uint16_t msg_id = 0;
  std::uint16_t topic_id = 0;  // REGISTER: the id being registered
  TimeNs deadline_ns = 0;
  std::uint32_t retransmissions = 0;
  std::vector<std::uint8_t> resend;
};

// A client's QoS 1/2 PUBLISH handed to its MQTT session, until the broker acknowledges it.
struct GwForward {
  std::uint16_t msg_id = 0;
  std::uint16_t topic_id = 0;
  QoS qos = QoS::at_least_once;
};

struct GwRequest {  // a client's SUBSCRIBE/UNSUBSCRIBE handed to its MQTT session
  std::uint16_t msg_id = 0;
  std::uint16_t topic_id = 0;
  bool subscribe = true;
};

enum class GwPhase : std::uint8_t {
  will_topic,  // WILLTOPICREQ sent
  will_msg,    // WILLMSGREQ sent
  connecting,  // MQTT CONNECT on its way
  connected,
  offline,  // no connection; registrations kept for a session without clean flag
};

struct GwClient {
  ClientAddress address = 0;
  std::string client_id;
  GwPhase phase = GwPhase::offline;
  bool clean_session = true;
  std::uint16_t duration_s = 0;
  std::optional<ClientWill> will;
  std::optional<MqttLinkId> link;
  std::map<std::string, std::uint16_t> topic_ids;
  std::map<std::uint16_t, std::string> topic_names;
  std::uint16_t next_topic_id = 1;
  std::uint16_t next_msg_id = 1;
  std::map<std::uint16_t, bool> qos2_in;  // msg id -> PUBREC sent (false: still forwarding)
  std::map<LocalMessageId, GwForward> forwards;
  std::map<RequestId, GwRequest> requests;
  std::deque<GwDelivery> deliveries;  // front() is the outstanding one when `outstanding` is set
  std::optional<GwOutstanding> outstanding;
  TimeNs last_heard_ns = 0;
  std::optional<TimeNs> timer_key;  // its entry in Impl::timers
};

struct GwLink {
  explicit GwLink(ClientConfig c) : session(std::move(c)) {}
  ClientSession session;
  std::optional<ClientAddress> owner;  // nullopt: the gateway's own QoS -1 connection
  bool open_requested = false;
  bool opened = false;
  TimeNs open_not_before_ns = 0;
};

struct MqttSnGateway::Impl {
  explicit Impl(MqttSnGatewayConfig c);

  MqttSnGatewayConfig config;
  std::map<std::string, std::uint16_t> predefined_ids;  // reverse of config.predefined_topics
  std::map<ClientAddress, GwClient> clients;
  std::map<MqttLinkId, std::unique_ptr<GwLink>> links;
  std::optional<MqttLinkId> forwarder;  // the QoS -1 link, once needed
  std::set<std::pair<TimeNs, ClientAddress>> timers;
  std::deque<SnTransmit> datagrams;
  std::deque<BrokerAction> actions;
  std::deque<GatewayEvent> events;
  GatewayMetrics metrics;
  MqttLinkId next_link = 1;

  // mqttsn_gateway.cpp
  void send(ClientAddress to, const Packet& packet);
  MqttLinkId open_link(ClientConfig config, std::optional<ClientAddress> owner, TimeNs now);
  void drop_link(MqttLinkId link, bool graceful, TimeNs now);
  void service(MqttLinkId link, TimeNs now);  // moves a session's output and events out
  void drain(MqttLinkId link, TimeNs now);
  void refresh_timer(GwClient& c);
  std::optional<TimeNs> client_deadline(const GwClient& c) const;
  void client_timeout(GwClient& c, TimeNs now);
  void end_client(GwClient& c, ClientEndCause cause, bool tell_client, TimeNs now);
  GwClient* find(ClientAddress address);
  std::uint16_t allocate_msg_id(GwClient& c);

  // mqttsn_gateway_client.cpp
  void dispatch(ClientAddress from, const Packet& packet, TimeNs now);
  void on_connect(ClientAddress from, const Connect& p, TimeNs now);
  void start_mqtt(GwClient& c, TimeNs now);
  void on_will_topic(GwClient& c, const WillTopic& p, TimeNs now);
  void on_will_msg(GwClient& c, const WillMsg& p, TimeNs now);
  void on_publish(ClientAddress from, const Publish& p, TimeNs now);
  void forward_qos_minus_one(ClientAddress from, const Publish& p, TimeNs now);
  void on_pubrel(GwClient& c, const PubRel& p);
  void on_register(GwClient& c, const Register& p);
  void on_subscribe(GwClient& c, const Subscribe& p, TimeNs now);
  void on_unsubscribe(GwClient& c, const Unsubscribe& p, TimeNs now);
  std::optional<std::string> topic_of(const GwClient& c, TopicIdType type, std::uint16_t id) const;
  std::optional<std::uint16_t> register_name(GwClient& c, const std::string& name);

  // mqttsn_gateway_deliver.cpp
  void on_session_event(MqttLinkId link, ClientEvent event, TimeNs now);
  void on_forwarder_event(const ClientEvent& event);
  void on_published(GwClient& c, const client_event::PublishAcked& e);
  void on_subscribed(GwClient& c, RequestId id, const std::vector<ReasonCode>& codes);
  void enqueue_delivery(GwClient& c, GwDelivery d, TimeNs now);
  void pump_deliveries(GwClient& c, TimeNs now);
  void send_delivery(GwClient& c, std::uint16_t topic_id, TopicIdType type, TimeNs now);
  void on_client_answer(GwClient& c, const Packet& packet, TimeNs now);
  void finish_delivery(GwClient& c, std::optional<std::string> lost_reason, TimeNs now);
  void await(GwClient& c, const Packet& packet, const Packet& dup, MsgType awaiting,
             std::uint16_t msg_id, TimeNs now);
};

}  // namespace mqttsim::protocol::sn
