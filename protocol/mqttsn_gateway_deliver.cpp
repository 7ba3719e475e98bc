// MqttSnGateway: events of the MQTT sessions (connection results, broker acknowledgements of
// forwarded publishes, SUBACKs, messages) turned into MQTT-SN answers, and the delivery queue
// towards each client: one message outstanding at a time, REGISTER first when the client does
// not know the topic yet, retransmitted every T_retry, reported lost after N_retry.
#include <cassert>

#include "protocol/mqttsn_gateway_impl.hpp"

namespace mqttsim::protocol::sn {

namespace {
ReturnCode rejection_of(std::uint8_t reason_code) {
  return reason_code == static_cast<std::uint8_t>(ReasonCode::quota_exceeded)
             ? ReturnCode::rejected_congestion
             : ReturnCode::rejected_not_supported;
}
}  // namespace

void MqttSnGateway::Impl::on_session_event(MqttLinkId link, ClientEvent event, TimeNs now) {
  const GwLink& l = *links.at(link);
  if (!l.owner) {
    on_forwarder_event(event);
    return;
  }
  GwClient* c = find(*l.owner);
  if (!c || c->link != link) return;
  std::visit(
      [&](auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, client_event::Connected>) {
          if (c->phase != GwPhase::connecting) return;
          c->phase = GwPhase::connected;
          c->last_heard_ns = now;
          send(c->address, ConnAck{ReturnCode::accepted});
          events.push_back(gateway_event::ClientConnected{c->address, c->client_id, link});
          pump_deliveries(*c, now);
        } else if constexpr (std::is_same_v<T, client_event::ConnectFailed>) {
          // The broker refused (or never answered): MQTT-SN has no finer code than this one.
          send(c->address, ConnAck{ReturnCode::rejected_not_supported});
          events.push_back(gateway_event::ConnectRefused{
              c->address, ReturnCode::rejected_not_supported,
              "MQTT CONNECT failed (code " + std::to_string(e.reason_code) + "): " + e.reason});
          end_client(*c, ClientEndCause::broker, false, now);
        } else if constexpr (std::is_same_v<T, client_event::Disconnected>) {
          end_client(*c, ClientEndCause::broker, true, now);
        } else if constexpr (std::is_same_v<T, client_event::Message>) {
          enqueue_delivery(*c,
                           GwDelivery{std::move(e.topic), std::move(e.payload),
                                      static_cast<QoS>(e.qos), e.retain},
                           now);
        } else if constexpr (std::is_same_v<T, client_event::PublishAcked>) {
          on_published(*c, e);
        } else if constexpr (std::is_same_v<T, client_event::Subscribed>) {
          on_subscribed(*c, e.request_id, e.reason_codes);
        } else if constexpr (std::is_same_v<T, client_event::Unsubscribed>) {
          if (auto it = c->requests.find(e.request_id); it != c->requests.end()) {
            send(c->address, UnsubAck{it->second.msg_id});
            c->requests.erase(it);
          }
        }
        // ProtocolViolation is followed by Disconnected; no reconnect is ever scheduled.
      },
      event);
}

void MqttSnGateway::Impl::on_forwarder_event(const ClientEvent& event) {
  if (const auto* e = std::get_if<client_event::PublishAcked>(&event);
      e && e->reason_code >= 0x80) {
    events.push_back(gateway_event::PublishDropped{
        0, "QoS -1 forwarding failed (code " + std::to_string(e->reason_code) + ")"});
  }
}

void MqttSnGateway::Impl::on_published(GwClient& c, const client_event::PublishAcked& e) {
  auto it = c.forwards.find(e.message_id);
  if (it == c.forwards.end()) return;
  const GwForward f = it->second;
  c.forwards.erase(it);
  const bool ok = e.reason_code < 0x80;
  if (f.qos == QoS::exactly_once && ok) {
    c.qos2_in[f.msg_id] = true;  // the broker has it: PUBREC, then wait for PUBREL
    send(c.address, PubRec{f.msg_id});
    return;
  }
  if (f.qos == QoS::exactly_once) c.qos2_in.erase(f.msg_id);
  send(c.address,
       PubAck{f.topic_id, f.msg_id, ok ? ReturnCode::accepted : rejection_of(e.reason_code)});
}

void MqttSnGateway::Impl::on_subscribed(GwClient& c, RequestId id,
                                        const std::vector<ReasonCode>& codes) {
  auto it = c.requests.find(id);
  if (it == c.requests.end()) return;
  const GwRequest r = it->second;
  c.requests.erase(it);
  const auto code = codes.empty() ? 0x80 : static_cast<std::uint8_t>(codes.front());
  if (code <= 2) {
    send(c.address, SubAck{static_cast<QoS>(code), r.topic_id, r.msg_id, ReturnCode::accepted});
  } else {
    send(c.address, SubAck{QoS::at_most_once, 0, r.msg_id, ReturnCode::rejected_not_supported});
  }
}

void MqttSnGateway::Impl::enqueue_delivery(GwClient& c, GwDelivery d, TimeNs now) {
  if (c.deliveries.size() >= config.max_queued_per_client + 1) {  // +1: the outstanding one
    ++metrics.deliveries_lost;
    events.push_back(
        gateway_event::DeliveryLost{c.address, std::move(d.topic), d.qos, "delivery queue full"});
    return;
  }
  c.deliveries.push_back(std::move(d));
  pump_deliveries(c, now);
}

void MqttSnGateway::Impl::pump_deliveries(GwClient& c, TimeNs now) {
  while (c.phase == GwPhase::connected && !c.outstanding && !c.deliveries.empty()) {
    const std::string& topic = c.deliveries.front().topic;
    if (auto p = predefined_ids.find(topic); p != predefined_ids.end()) {
      send_delivery(c, p->second, TopicIdType::predefined, now);
    } else if (topic.size() == 2) {
      send_delivery(c, short_topic_id(topic[0], topic[1]), TopicIdType::short_name, now);
    } else if (auto n = c.topic_ids.find(topic); n != c.topic_ids.end()) {
      send_delivery(c, n->second, TopicIdType::normal, now);
    } else if (const std::optional<std::uint16_t> id = register_name(c, topic)) {
      // The client has never seen this topic (a wildcard subscription matched it): §6.10.
      const std::uint16_t msg_id = allocate_msg_id(c);
      const Register r{*id, msg_id, topic};
      await(c, r, r, MsgType::regack, msg_id, now);
      c.outstanding->topic_id = *id;
    } else {
      finish_delivery(c, "the client's topic registry is full", now);
    }
  }
}

void MqttSnGateway::Impl::send_delivery(GwClient& c, std::uint16_t topic_id, TopicIdType type,
                                        TimeNs now) {
  const GwDelivery& d = c.deliveries.front();
  Publish p{false, d.qos, d.retain, type, topic_id, 0, ByteView::of(d.payload)};
  if (d.qos == QoS::at_most_once) {
    send(c.address, p);
    ++metrics.delivered_to_clients;
    c.deliveries.pop_front();
    return;
  }
  p.msg_id = allocate_msg_id(c);
  Publish dup = p;
  dup.dup = true;
  await(c, p, dup, d.qos == QoS::at_least_once ? MsgType::puback : MsgType::pubrec, p.msg_id, now);
}

void MqttSnGateway::Impl::await(GwClient& c, const Packet& packet, const Packet& dup,
                                MsgType awaiting, std::uint16_t msg_id, TimeNs now) {
  send(c.address, packet);
  GwOutstanding o{awaiting, msg_id, 0, now + config.retry_interval_ns, 0, {}};
  const auto error = encode(dup, o.resend);
  assert(!error);
  (void)error;
  c.outstanding = std::move(o);
}

void MqttSnGateway::Impl::on_client_answer(GwClient& c, const Packet& packet, TimeNs now) {
  const auto* puback = std::get_if<PubAck>(&packet);
  if (!c.outstanding) {
    // A PUBACK to a QoS 0 PUBLISH can only reject its topic id: forget it, REGISTER next time.
    if (puback && puback->return_code == ReturnCode::rejected_invalid_topic_id) {
      if (auto it = c.topic_names.find(puback->topic_id); it != c.topic_names.end()) {
        c.topic_ids.erase(it->second);
        c.topic_names.erase(it);
      }
    }
    return;
  }
  GwOutstanding& o = *c.outstanding;
  const MsgType type = message_type(packet);
  const std::uint16_t msg_id = std::visit(
      [](const auto& p) -> std::uint16_t {
        if constexpr (requires { p.msg_id; }) {
          return p.msg_id;
        } else {
          return 0;
        }
      },
      packet);
  const bool puback_ends_qos2 = type == MsgType::puback && o.awaiting == MsgType::pubrec;
  if ((type != o.awaiting && !puback_ends_qos2) || msg_id != o.msg_id) return;
  if (const auto* r = std::get_if<RegAck>(&packet)) {
    const std::uint16_t topic_id = o.topic_id;
    if (r->return_code == ReturnCode::accepted) {
      c.outstanding.reset();
      send_delivery(c, topic_id, TopicIdType::normal, now);
      pump_deliveries(c, now);
      return;
    }
    c.topic_ids.erase(c.topic_names[topic_id]);
    c.topic_names.erase(topic_id);
    finish_delivery(c, "the client refused the REGISTER", now);
  } else if (puback) {
    if (puback->return_code == ReturnCode::accepted) {
      finish_delivery(c, std::nullopt, now);
      return;
    }
    if (puback->return_code == ReturnCode::rejected_invalid_topic_id) {
      if (auto it = c.topic_names.find(puback->topic_id); it != c.topic_names.end()) {
        c.topic_ids.erase(it->second);
        c.topic_names.erase(it);
      }
    }
    finish_delivery(c,
                    "the client answered PUBACK with return code " +
                        std::to_string(static_cast<int>(puback->return_code)),
                    now);
  } else if (type == MsgType::pubrec) {
    const PubRel rel{o.msg_id};
    await(c, rel, rel, MsgType::pubcomp, rel.msg_id, now);
  } else if (type == MsgType::pubcomp) {
    finish_delivery(c, std::nullopt, now);
  }
}

void MqttSnGateway::Impl::finish_delivery(GwClient& c, std::optional<std::string> lost_reason,
                                          TimeNs now) {
  GwDelivery& d = c.deliveries.front();
  if (lost_reason) {
    ++metrics.deliveries_lost;
    events.push_back(
        gateway_event::DeliveryLost{c.address, std::move(d.topic), d.qos, std::move(*lost_reason)});
  } else {
    ++metrics.delivered_to_clients;
  }
  c.deliveries.pop_front();
  c.outstanding.reset();
  pump_deliveries(c, now);
}

}  // namespace mqttsim::protocol::sn
