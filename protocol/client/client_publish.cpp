// ClientSession QoS flows: publish() and the outgoing queue, the inflight window (the
// server's Receive Maximum), outbound topic aliases, the QoS 1/2 sender state machines, and the
// receiver side (inbound aliases, QoS 2 method B: deliver on PUBLISH, remember until PUBREL).
#include <algorithm>

#include "protocol/client/client_impl.hpp"

namespace mqttsim::protocol {

Properties view_properties(const MessageProperties& p) {
  Properties v;
  v.payload_format_indicator = p.payload_format_indicator;
  v.message_expiry_interval_s = p.message_expiry_interval_s;
  if (p.content_type) v.content_type = *p.content_type;
  if (p.response_topic) v.response_topic = *p.response_topic;
  if (p.correlation_data) v.correlation_data = ByteView::of(*p.correlation_data);
  for (const auto& [key, value] : p.user_properties) v.user_properties.push_back({key, value});
  return v;
}

MessageProperties owned_properties(const Properties& p) {
  MessageProperties o;
  o.payload_format_indicator = p.payload_format_indicator;
  o.message_expiry_interval_s = p.message_expiry_interval_s;
  if (p.content_type) o.content_type = std::string(*p.content_type);
  if (p.response_topic) o.response_topic = std::string(*p.response_topic);
  if (p.correlation_data) o.correlation_data = std::string(p.correlation_data->as_chars());
  for (const UserProperty& u : p.user_properties) {
    o.user_properties.emplace_back(std::string(u.key), std::string(u.value));
  }
  return o;
}

Publish build_publish(const Outgoing& m, Version version) {
  Publish p;
  p.topic = m.topic;
  p.payload = ByteView::of(m.payload);
  p.qos = m.qos;
  p.retain = m.retain;
  if (is_v5(version)) p.properties = view_properties(m.properties);
  return p;
}

CommandResult ClientSession::publish(TimeNs now, std::string topic, std::string payload, QoS qos,
                                     bool retain, MessageProperties properties) {
  Impl& m = *impl_;
  Outgoing message{0, std::move(topic), std::move(payload), qos, retain, std::move(properties)};
  if (auto refused = m.check_publish(message)) return {0, std::move(refused)};
  if (m.limits_known) message.checked_epoch = m.limits_epoch;
  message.id = m.next_message_id++;
  const LocalMessageId id = message.id;
  m.queue.push_back(std::move(message));
  m.pump(now);
  if (m.queue.size() > m.config.max_queued_messages) {
    if (m.config.queue_drop_policy == OutgoingDropPolicy::refuse_new) {
      m.queue.pop_back();  // still queued, so it is the newest: never sent
      return {0, Refusal{ReasonCode::quota_exceeded,
                         "the outgoing queue is full (" +
                             std::to_string(m.config.max_queued_messages) + " messages)"}};
    }
    m.finish(m.queue.front().id, static_cast<std::uint8_t>(ReasonCode::quota_exceeded));
    m.queue.pop_front();
  }
  return {id, std::nullopt};
}

// Refuses what the server would reject: checked at publish() against the limits of the last
// CONNACK, and again when the message leaves the queue, as a new server may differ.
std::optional<Refusal> ClientSession::Impl::check_publish(const Outgoing& m) const {
  Publish p = build_publish(m, config.version);
  if (m.qos != QoS::at_most_once) p.packet_id = 1;
  if (auto error = validate(p, config.version, Sender::client)) {
    return Refusal{static_cast<ReasonCode>(error->kind), error->reason};
  }
  if (!limits_known) return std::nullopt;
  if (m.qos > limits.maximum_qos) {
    return Refusal{ReasonCode::qos_not_supported,
                   "QoS " + std::to_string(static_cast<int>(m.qos)) +
                       " is above the server's Maximum QoS (MQTT-3.2.2-11)"};
  }
  if (m.retain && !limits.retain_available) {
    return Refusal{ReasonCode::retain_not_supported,
                   "the server does not support retained messages (MQTT-3.2.2-14)"};
  }
  // The largest form this message can take: full topic name plus a Topic Alias.
  if (is_v5(config.version) && limits.topic_alias_maximum > 0) p.properties.topic_alias = 1;
  const std::size_t size_bytes = encoded_size(p, config.version);
  // validate() saw it without the alias, and transmit_publish() adds one and then encodes
  // without validating again: the alias's 3 bytes must not push it past the wire format.
  if (size_bytes > kMaxPacketSizeBytes) {
    return Refusal{ReasonCode::packet_too_large,
                   "a PUBLISH of " + std::to_string(size_bytes) +
                       " bytes with its Topic Alias is above MQTT's largest packet, " +
                       std::to_string(kMaxPacketSizeBytes) + " bytes (MQTT-5.0 §2.1.4)"};
  }
  if (size_bytes > limits.maximum_packet_size_bytes) {
    return Refusal{ReasonCode::packet_too_large,
                   "a PUBLISH of " + std::to_string(size_bytes) +
                       " bytes is above the server's Maximum Packet Size of " +
                       std::to_string(limits.maximum_packet_size_bytes) + " (MQTT-3.2.2-15)"};
  }
  return std::nullopt;
}

std::size_t ClientSession::Impl::window() const {
  return std::max<std::size_t>(1, std::min(limits.receive_maximum, config.max_inflight));
}

void ClientSession::Impl::pump(TimeNs now) {
  if (state != ClientState::connected) return;
  while (!queue.empty()) {
    Outgoing& m = queue.front();
    if (m.checked_epoch != limits_epoch) {
      if (auto refused = check_publish(m)) {
        finish(m.id, static_cast<std::uint8_t>(refused->code));
        queue.pop_front();
        continue;
      }
      m.checked_epoch = limits_epoch;  // pump() runs only when connected: limits are known
    }
    if (m.qos == QoS::at_most_once) {  // outside the window (MQTT-4.9.0-2 counts QoS 1/2)
      transmit_publish(m, 0, false, now);
      conn.qos0_in_out.push_back(m.id);
      queue.pop_front();
      continue;
    }
    if (inflight.size() >= window()) return;  // MQTT-3.3.4-7
    const auto id = allocate_packet_id();
    if (!id) return;
    transmit_publish(m, *id, false, now);
    const PublishStage stage =
        m.qos == QoS::at_least_once ? PublishStage::awaiting_puback : PublishStage::awaiting_pubrec;
    inflight.push_back(OutgoingInflight{*id, stage, 0, std::move(m)});
    queue.pop_front();
  }
}

// Topic aliases are handed out first come, first served, up to the server's Topic Alias
// Maximum, and kept for the connection: no replacement, so the choice is deterministic and a
// receiver never sees an alias change meaning.
void ClientSession::Impl::transmit_publish(const Outgoing& m, std::uint16_t packet_id, bool dup,
                                           TimeNs now) {
  Packet packet{std::in_place_type<Publish>, build_publish(m, config.version)};
  Publish& p = std::get<Publish>(packet);
  p.packet_id = packet_id;
  p.dup = dup;
  if (is_v5(config.version) && config.use_topic_aliases && limits.topic_alias_maximum > 0) {
    auto it = conn.outbound_aliases.find(m.topic);
    if (it != conn.outbound_aliases.end()) {
      p.topic = {};
      p.properties.topic_alias = it->second;
    } else if (conn.outbound_aliases.size() < limits.topic_alias_maximum) {
      const auto alias = static_cast<std::uint16_t>(conn.outbound_aliases.size() + 1);
      conn.outbound_aliases.emplace(m.topic, alias);
      p.properties.topic_alias = alias;
    }
  }
  // check_publish() validated this content under the current limits, with a packet id, and
  // with an alias in place of the topic when it measured the size; what differs here (the
  // id, which is never 0, and an alias up to the server's maximum) is valid by construction.
  // A resend (dup) after a reconnect may predate the new limits: the encoder checks it.
  if (!dup && m.checked_epoch == limits_epoch) return send_checked_publish(packet, now);
  send(packet, now);
}

void ClientSession::Impl::finish(LocalMessageId id, std::uint8_t code) {
  events.push_back(client_event::PublishAcked{id, code});
}

void ClientSession::Impl::on_publish(const Publish& p, TimeNs now) {
  std::string topic(p.topic);
  if (const auto alias = p.properties.topic_alias) {
    if (*alias > config.topic_alias_maximum) {
      return violation(
          now, ReasonCode::topic_alias_invalid,
          "Topic Alias " + std::to_string(*alias) + " is above the Topic Alias Maximum we sent",
          "MQTT-3.3.2-11");
    }
    if (!topic.empty()) {
      conn.inbound_aliases[*alias] = topic;
    } else {
      auto known = conn.inbound_aliases.find(*alias);
      if (known == conn.inbound_aliases.end()) {
        return violation(
            now, ReasonCode::protocol_error,
            "Topic Alias " + std::to_string(*alias) + " was never set on this connection",
            "MQTT-5.0 §3.3.2.3.4");
      }
      topic = known->second;
    }
  }
  if (p.qos == QoS::exactly_once) {
    // Delivered already and not yet released: the same message again (MQTT-4.3.3-10), unless
    // Mutant::qos2_deliver_twice hands it to the application a second time.
    const bool repeated = awaiting_pubrel.contains(p.packet_id);
    if (repeated && !config.mutants.has(Mutant::qos2_deliver_twice)) [[likely]] {
      return send(Pubrec{p.packet_id, ReasonCode::success, {}}, now);
    }
    // Under 3.1.1 nothing was announced, so there is no limit to hold the server to.
    if (!repeated && is_v5(config.version) && awaiting_pubrel.size() >= config.receive_maximum) {
      return violation(now, ReasonCode::receive_maximum_exceeded,
                       "more unacknowledged QoS 2 PUBLISH than our Receive Maximum",
                       "MQTT-3.3.4-9");
    }
    awaiting_pubrel.insert(p.packet_id);
  }
  client_event::Message message{std::move(topic),
                                std::string(p.payload.as_chars()),
                                p.qos,
                                p.retain,
                                p.dup,
                                p.packet_id,
                                owned_properties(p.properties),
                                p.properties.subscription_identifiers};
  events.push_back(std::move(message));
  if (p.qos == QoS::at_least_once) send(Puback{p.packet_id, ReasonCode::success, {}}, now);
  if (p.qos == QoS::exactly_once) send(Pubrec{p.packet_id, ReasonCode::success, {}}, now);
}

namespace {
Fifo<OutgoingInflight>::iterator find_inflight(Fifo<OutgoingInflight>& inflight, std::uint16_t id,
                                               PublishStage stage) {
  return std::find_if(inflight.begin(), inflight.end(), [&](const OutgoingInflight& f) {
    return f.packet_id == id && f.stage == stage;
  });
}
}  // namespace

void ClientSession::Impl::on_puback(const Puback& p, TimeNs now) {
  auto it = find_inflight(inflight, p.packet_id, PublishStage::awaiting_puback);
  if (it == inflight.end()) return;  // late or duplicate: nothing waits for it
  finish(it->message.id, static_cast<std::uint8_t>(p.reason_code));
  release_packet_id(p.packet_id);
  inflight.erase(it);
  pump(now);
}

void ClientSession::Impl::on_pubrec(const Pubrec& p, TimeNs now) {
  auto it = find_inflight(inflight, p.packet_id, PublishStage::awaiting_pubrec);
  if (it == inflight.end()) {
    // A repeated PUBREC (ours got lost) wants the PUBREL again; an unknown id gets 0x92.
    // 3.1.1 acknowledgements carry no reason code.
    const bool known =
        find_inflight(inflight, p.packet_id, PublishStage::awaiting_pubcomp) != inflight.end() ||
        !is_v5(config.version);
    return send(
        Pubrel{
            p.packet_id, known ? ReasonCode::success : ReasonCode::packet_identifier_not_found, {}},
        now);
  }
  const auto code = static_cast<std::uint8_t>(p.reason_code);
  if (reason_code_is_failure(code)) {  // refused: the flow ends here (MQTT-4.3.3 / 5.0 §4.3.3)
    finish(it->message.id, code);
    release_packet_id(p.packet_id);
    inflight.erase(it);
    return pump(now);
  }
  it->stage = PublishStage::awaiting_pubcomp;
  it->pubrec_code = code;
  send(Pubrel{p.packet_id, ReasonCode::success, {}}, now);
}

void ClientSession::Impl::on_pubrel(const Pubrel& p, TimeNs now) {
  const bool known = awaiting_pubrel.erase(p.packet_id) || !is_v5(config.version);
  send(
      Pubcomp{
          p.packet_id, known ? ReasonCode::success : ReasonCode::packet_identifier_not_found, {}},
      now);
}

void ClientSession::Impl::on_pubcomp(const Pubcomp& p, TimeNs now) {
  auto it = find_inflight(inflight, p.packet_id, PublishStage::awaiting_pubcomp);
  if (it == inflight.end()) return;
  // The outcome was decided at PUBREC. PUBCOMP can only add 0x92, which after a resent PUBREL
  // means the server released the id already (its first PUBCOMP was lost): still delivered.
  finish(it->message.id, it->pubrec_code);
  release_packet_id(p.packet_id);
  inflight.erase(it);
  pump(now);
}

}  // namespace mqttsim::protocol
