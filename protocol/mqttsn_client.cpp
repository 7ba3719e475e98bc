// MqttSnClient commands, the one outstanding request with its T_retry/N_retry retransmissions,
// keep alive and the end of a connection. What the gateway sends is handled in
// mqttsn_client_receive.cpp.
#include "protocol/mqttsn_client.hpp"

#include <cassert>

#include "protocol/mqttsn_client_impl.hpp"
#include "protocol/topic.hpp"

namespace mqttsim::protocol::sn {

namespace {
constexpr TimeNs kNsPerS = 1'000'000'000;

}  // namespace

std::string_view publish_outcome_name(PublishOutcome outcome) {
  switch (outcome) {
    case PublishOutcome::accepted:
      return "accepted";
    case PublishOutcome::sent:
      return "sent";
    case PublishOutcome::rejected_congestion:
      return "rejected: congestion";
    case PublishOutcome::rejected_invalid_topic_id:
      return "rejected: invalid topic id";
    case PublishOutcome::rejected_not_supported:
      return "rejected: not supported";
    case PublishOutcome::lost:
      return "lost";
  }
  return "unknown";
}

MqttSnClient::MqttSnClient(MqttSnClientConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}
MqttSnClient::~MqttSnClient() = default;
MqttSnClient::MqttSnClient(MqttSnClient&&) noexcept = default;
MqttSnClient& MqttSnClient::operator=(MqttSnClient&&) noexcept = default;

void MqttSnClient::connect(TimeNs now) {
  Impl& m = *impl_;
  m.fail_all();
  m.outstanding.reset();
  if (m.config.clean_session) {
    m.topic_ids.clear();
    m.topic_names.clear();
    m.qos2_received.clear();
    m.qos2_order.clear();
  }
  m.state = SnClientState::connecting;
  const Connect c{m.config.will.has_value(), m.config.clean_session, m.config.keep_alive_s,
                  m.config.client_id};
  m.request(c, c, c.will ? MsgType::willtopicreq : MsgType::connack, 0, now);
}

namespace {
std::optional<std::string> check_topic(const SnTopic& t, bool filter) {
  switch (t.type) {
    case TopicIdType::normal: {
      const auto error = filter ? validate_topic_filter(t.name, Version::v3_1_1)
                                : validate_topic_name(t.name, Version::v3_1_1);
      if (error) return "invalid topic: " + error->reason;
      return std::nullopt;
    }
    case TopicIdType::short_name:
      if (t.name.size() != 2) return "a short topic name has exactly two characters (§6.7)";
      return std::nullopt;
    case TopicIdType::predefined:
      return std::nullopt;
  }
  return "unknown topic id type";
}
}  // namespace

SnCommandResult MqttSnClient::publish(TimeNs now, SnTopic topic, std::string payload, QoS qos,
                                      bool retain) {
  Impl& m = *impl_;
  if (auto why = check_topic(topic, false)) return {0, std::move(why)};
  // Trial encoding with a placeholder id: refuses what the gateway could never receive.
  Publish trial{false, qos, retain, topic.type, 1, 0, ByteView::of(payload)};
  if (qos == QoS::at_least_once || qos == QoS::exactly_once) trial.msg_id = 1;
  if (auto error = validate(trial)) return {0, error->reason};
  const SnCommandId id = m.next_command_id++;
  if (qos == QoS::fire_and_forget) {  // §6.8: no connection, no answer
    trial.topic_id = topic.type == TopicIdType::short_name
                         ? short_topic_id(topic.name[0], topic.name[1])
                         : topic.id;
    m.send(trial, now);
    m.events.push_back(sn_event::PublishAcked{id, PublishOutcome::sent});
    return {id, std::nullopt};
  }
  if (m.state != SnClientState::connected && m.state != SnClientState::connecting) {
    return {0, "not connected (only QoS -1 publishes without a connection)"};
  }
  if (m.queue.size() >= m.config.max_queued_requests) return {0, "request queue full"};
  m.queue.push_back(
      SnCommand{id, SnCommand::Kind::publish, std::move(topic), std::move(payload), qos, retain});
  m.pump(now);
  return {id, std::nullopt};
}

SnCommandResult MqttSnClient::Impl::enqueue(TimeNs now, SnCommand c) {
  if (state != SnClientState::connected && state != SnClientState::connecting) {
    return {0, "not connected"};
  }
  if (queue.size() >= config.max_queued_requests) return {0, "request queue full"};
  const SnCommandId id = next_command_id++;
  c.id = id;
  queue.push_back(std::move(c));
  pump(now);
  return {id, std::nullopt};
}

SnCommandResult MqttSnClient::register_topic(TimeNs now, std::string topic) {
  SnTopic t = SnTopic::named(std::move(topic));
  if (auto why = check_topic(t, false)) return {0, std::move(why)};
  return impl_->enqueue(
      now, SnCommand{0, SnCommand::Kind::register_topic, std::move(t), {}, QoS{}, false});
}

SnCommandResult MqttSnClient::subscribe(TimeNs now, SnTopic filter, QoS qos) {
  if (auto why = check_topic(filter, true)) return {0, std::move(why)};
  if (qos == QoS::fire_and_forget) return {0, "QoS -1 is not a subscription level"};
  return impl_->enqueue(
      now, SnCommand{0, SnCommand::Kind::subscribe, std::move(filter), {}, qos, false});
}

SnCommandResult MqttSnClient::unsubscribe(TimeNs now, SnTopic filter) {
  if (auto why = check_topic(filter, true)) return {0, std::move(why)};
  return impl_->enqueue(
      now, SnCommand{0, SnCommand::Kind::unsubscribe, std::move(filter), {}, QoS{}, false});
}

void MqttSnClient::disconnect(TimeNs now) {
  Impl& m = *impl_;
  if (m.state == SnClientState::disconnected) return;
  m.fail_all();
  m.state = SnClientState::disconnecting;
  const Disconnect d{};
  m.request(d, d, MsgType::disconnect, 0, now);
}

void MqttSnClient::handle_datagram(TimeNs now, ByteView datagram) {
  Impl& m = *impl_;
  DecodeResult result = decode(datagram);
  if (auto* error = std::get_if<Malformed>(&result)) {
    m.events.push_back(sn_event::DatagramIgnored{std::move(*error)});
    return;
  }
  m.dispatch(std::get<Packet>(result), now);
  m.pump(now);
}

void MqttSnClient::handle_timeout(TimeNs now) {
  Impl& m = *impl_;
  if (m.outstanding && now >= m.outstanding->deadline_ns) {
    SnOutstanding& o = *m.outstanding;
    if (o.retransmissions >= m.config.max_retries) {
      m.give_up(now);
      return;
    }
    ++o.retransmissions;
    o.deadline_ns = now + m.config.retry_interval_ns;
    m.out.push_back(o.resend);
    m.last_sent_ns = now;
  }
  if (m.state == SnClientState::connected && !m.outstanding && m.queue.empty() &&
      m.config.keep_alive_s != 0 &&
      now >= m.last_sent_ns + static_cast<TimeNs>(m.config.keep_alive_s) * kNsPerS) {
    m.queue.push_back(SnCommand{0, SnCommand::Kind::ping, {}, {}, QoS{}, false});
    m.pump(now);
  }
}

std::optional<std::vector<std::uint8_t>> MqttSnClient::poll_transmit() {
  if (impl_->out.empty()) return std::nullopt;
  std::vector<std::uint8_t> d = std::move(impl_->out.front());
  impl_->out.pop_front();
  return d;
}

std::optional<TimeNs> MqttSnClient::poll_timeout() const {
  const Impl& m = *impl_;
  if (m.outstanding) return m.outstanding->deadline_ns;
  if (m.state == SnClientState::connected && m.queue.empty() && m.config.keep_alive_s != 0) {
    return m.last_sent_ns + static_cast<TimeNs>(m.config.keep_alive_s) * kNsPerS;
  }
  return std::nullopt;
}

std::optional<MqttSnClientEvent> MqttSnClient::poll_event() {
  if (impl_->events.empty()) return std::nullopt;
  MqttSnClientEvent e = std::move(impl_->events.front());
  impl_->events.pop_front();
  return e;
}

SnClientState MqttSnClient::state() const {
  return impl_->state;
}
std::optional<std::uint16_t> MqttSnClient::topic_id(const std::string& topic) const {
  auto it = impl_->topic_ids.find(topic);
  if (it == impl_->topic_ids.end()) return std::nullopt;
  return it->second;
}
std::size_t MqttSnClient::pending_count() const {
  return impl_->queue.size();
}
const MqttSnClientConfig& MqttSnClient::config() const {
  return impl_->config;
}

// ---- Impl ----

void MqttSnClient::Impl::send(const Packet& packet, TimeNs now) {
  std::vector<std::uint8_t> datagram;
  const auto error = encode(packet, datagram);
  assert(!error && "commands are validated before anything is queued");
  (void)error;
  out.push_back(std::move(datagram));
  last_sent_ns = now;
}

void MqttSnClient::Impl::request(const Packet& packet, const Packet& dup, MsgType awaiting,
                                 std::uint16_t msg_id, TimeNs now) {
  send(packet, now);
  SnOutstanding o{awaiting, msg_id, now + config.retry_interval_ns, 0, {}};
  const auto error = encode(dup, o.resend);
  assert(!error);
  (void)error;
  outstanding = std::move(o);
}

std::uint16_t MqttSnClient::Impl::allocate_msg_id() {
  const std::uint16_t id = next_msg_id;
  next_msg_id = next_msg_id == 0xFFFF ? 1 : static_cast<std::uint16_t>(next_msg_id + 1);
  return id;
}

void MqttSnClient::Impl::pump(TimeNs now) {
  while (state == SnClientState::connected && !outstanding && !queue.empty()) start_head(now);
}

void MqttSnClient::Impl::start_head(TimeNs now) {
  const SnCommand& c = queue.front();
  const std::uint16_t msg_id = allocate_msg_id();
  switch (c.kind) {
    case SnCommand::Kind::publish:
      if (c.topic.type == TopicIdType::normal && !topic_ids.count(c.topic.name)) {
        head_registering = true;
        const Register r{0, msg_id, c.topic.name};
        request(r, r, MsgType::regack, msg_id, now);
      } else {
        send_publish(c, now);
      }
      return;
    case SnCommand::Kind::register_topic: {
      const Register r{0, msg_id, c.topic.name};
      request(r, r, MsgType::regack, msg_id, now);
      return;
    }
    case SnCommand::Kind::subscribe:
    case SnCommand::Kind::unsubscribe: {
      const std::string_view name = c.topic.type == TopicIdType::predefined
                                        ? std::string_view{}
                                        : std::string_view{c.topic.name};
      const std::uint16_t id = c.topic.type == TopicIdType::predefined ? c.topic.id : 0;
      if (c.kind == SnCommand::Kind::subscribe) {
        Subscribe s{false, c.qos, c.topic.type, msg_id, name, id};
        Subscribe dup = s;
        dup.dup = true;
        request(s, dup, MsgType::suback, msg_id, now);
      } else {
        const Unsubscribe u{c.topic.type, msg_id, name, id};
        request(u, u, MsgType::unsuback, msg_id, now);
      }
      return;
    }
    case SnCommand::Kind::ping:
      request(PingReq{}, PingReq{}, MsgType::pingresp, 0, now);
      return;
  }
}

void MqttSnClient::Impl::send_publish(const SnCommand& c, TimeNs now) {
  head_registering = false;
  std::uint16_t topic_id = c.topic.id;
  if (c.topic.type == TopicIdType::normal) topic_id = topic_ids.at(c.topic.name);
  if (c.topic.type == TopicIdType::short_name) {
    topic_id = short_topic_id(c.topic.name[0], c.topic.name[1]);
  }
  Publish p{false, c.qos, c.retain, c.topic.type, topic_id, 0, ByteView::of(c.payload)};
  if (c.qos == QoS::at_most_once) {
    send(p, now);
    finish_head(sn_event::PublishAcked{c.id, PublishOutcome::sent}, now);
    return;
  }
  p.msg_id = allocate_msg_id();
  Publish dup = p;
  dup.dup = true;
  request(p, dup, c.qos == QoS::at_least_once ? MsgType::puback : MsgType::pubrec, p.msg_id, now);
}

void MqttSnClient::Impl::finish_head(MqttSnClientEvent event, TimeNs now) {
  if (queue.front().kind != SnCommand::Kind::ping) events.push_back(std::move(event));
  queue.pop_front();
  outstanding.reset();
  head_registering = false;
  pump(now);
}

void MqttSnClient::Impl::fail(const SnCommand& c) {
  switch (c.kind) {
    case SnCommand::Kind::publish:
      events.push_back(sn_event::PublishAcked{c.id, PublishOutcome::lost});
      return;
    case SnCommand::Kind::register_topic:
      events.push_back(sn_event::Registered{c.id, c.topic.name, 0, std::nullopt});
      return;
    case SnCommand::Kind::subscribe:
      events.push_back(sn_event::Subscribed{c.id, QoS::at_most_once, 0, std::nullopt});
      return;
    case SnCommand::Kind::unsubscribe:
      events.push_back(sn_event::Unsubscribed{c.id, true});
      return;
    case SnCommand::Kind::ping:
      return;
  }
}

void MqttSnClient::Impl::fail_all() {
  for (const SnCommand& c : queue) fail(c);
  queue.clear();
  head_registering = false;
}

void MqttSnClient::Impl::end_connection(TimeNs /*now*/, std::optional<DisconnectCause> cause) {
  const SnClientState was = state;
  fail_all();
  outstanding.reset();
  state = SnClientState::disconnected;
  if (was == SnClientState::connecting) {
    events.push_back(sn_event::ConnectFailed{std::nullopt});
  } else if (was != SnClientState::disconnected && cause) {
    events.push_back(sn_event::Disconnected{*cause});
  }
}

void MqttSnClient::Impl::give_up(TimeNs now) {
  // §6.13: after N_retry the client aborts and assumes it is no longer connected.
  end_connection(now, state == SnClientState::disconnecting ? DisconnectCause::requested
                                                            : DisconnectCause::gateway_lost);
}

void MqttSnClient::Impl::remember_topic(const std::string& name, std::uint16_t id) {
  if (auto old = topic_names.find(id); old != topic_names.end()) topic_ids.erase(old->second);
  if (auto old = topic_ids.find(name); old != topic_ids.end()) topic_names.erase(old->second);
  if (!topic_names.count(id) && topic_names.size() >= config.max_topics) {
    // Bounded: forget the lowest id; the gateway still knows it, so a later publish simply
    // registers the name again and gets the same id back.
    topic_ids.erase(topic_names.begin()->second);
    topic_names.erase(topic_names.begin());
  }
  topic_ids[name] = id;
  topic_names[id] = name;
}

void MqttSnClient::Impl::forget_topic_id(std::uint16_t id) {
  auto it = topic_names.find(id);
  if (it == topic_names.end()) return;
  topic_ids.erase(it->second);
  topic_names.erase(it);
}

}  // namespace mqttsim::protocol::sn
