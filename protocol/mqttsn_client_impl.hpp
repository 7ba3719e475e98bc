// Internal state of MqttSnClient, shared by its two source files: commands and the one
// outstanding request (mqttsn_client.cpp), and what the gateway sends (mqttsn_client_receive.cpp).
#pragma once

#include <deque>
#include <set>

#include "protocol/mqttsn_client.hpp"

namespace mqttsim::protocol::sn {

struct SnCommand {
  enum class Kind : std::uint8_t { publish, register_topic, subscribe, unsubscribe, ping };
  SnCommandId id = 0;
  Kind kind = Kind::publish;
  SnTopic topic;
  std::string payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
};

// The request waiting for its answer, and the datagram to send again if none comes.
struct SnOutstanding {
  MsgType awaiting = MsgType::connack;
  std::uint16_t msg_id = 0;
  TimeNs deadline_ns = 0;
  std::uint32_t retransmissions = 0;
  std::vector<std::uint8_t> resend;  // with DUP set where the message has the flag
};

struct MqttSnClient::Impl {
  explicit Impl(MqttSnClientConfig c) : config(std::move(c)) {}

  MqttSnClientConfig config;
  SnClientState state = SnClientState::disconnected;
  std::deque<SnCommand> queue;  // front() is the outstanding one when `outstanding` is set
  std::optional<SnOutstanding> outstanding;  // for a command, CONNECT..WILLMSG or DISCONNECT
  bool head_registering = false;             // the front publish waits for its REGACK
  std::deque<std::vector<std::uint8_t>> out;
  std::deque<MqttSnClientEvent> events;
  std::map<std::string, std::uint16_t> topic_ids;
  std::map<std::uint16_t, std::string> topic_names;
  std::set<std::uint16_t> qos2_received;  // QoS 2 msg ids delivered, PUBREL not yet seen
  std::deque<std::uint16_t> qos2_order;   // the same ids, oldest first, to bound the set
  TimeNs last_sent_ns = 0;
  SnCommandId next_command_id = 1;
  std::uint16_t next_msg_id = 1;

  void send(const Packet& packet, TimeNs now);
  // Sends `packet` and waits for `awaiting`; `dup` is what a retransmission sends.
  void request(const Packet& packet, const Packet& dup, MsgType awaiting, std::uint16_t msg_id,
               TimeNs now);
  std::uint16_t allocate_msg_id();
  SnCommandResult enqueue(TimeNs now, SnCommand c);
  void pump(TimeNs now);
  void start_head(TimeNs now);
  void send_publish(const SnCommand& c, TimeNs now);
  void finish_head(MqttSnClientEvent event, TimeNs now);
  void fail(const SnCommand& c);
  void fail_all();
  void end_connection(TimeNs now, std::optional<DisconnectCause> cause);
  void give_up(TimeNs now);
  void remember_topic(const std::string& name, std::uint16_t id);
  void forget_topic_id(std::uint16_t id);

  // mqttsn_client_receive.cpp
  void dispatch(const Packet& packet, TimeNs now);
  void on_answer(const Packet& packet, TimeNs now);
  void send_will_part(MsgType request, TimeNs now);
  void on_publish(const Publish& p, TimeNs now);
  void on_register(const Register& r, TimeNs now);
  void on_pubrel(const PubRel& p, TimeNs now);
  std::optional<std::string> resolve(TopicIdType type, std::uint16_t id) const;
};

}  // namespace mqttsim::protocol::sn
