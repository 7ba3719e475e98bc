// MqttSnClient: what the gateway sends. Answers to the outstanding request move it on; PUBLISH,
// PUBREL and REGISTER from the gateway are answered at once, with the QoS 2 receiver state that
// delivers a message once however often its PUBLISH is retransmitted before PUBREL.
#include "protocol/mqttsn_client_impl.hpp"
#include "protocol/mqttsn_rules.hpp"

namespace mqttsim::protocol::sn {

namespace {
PublishOutcome outcome_of(ReturnCode rc) {
  switch (rc) {
    case ReturnCode::accepted:
      return PublishOutcome::accepted;
    case ReturnCode::rejected_congestion:
      return PublishOutcome::rejected_congestion;
    case ReturnCode::rejected_invalid_topic_id:
      return PublishOutcome::rejected_invalid_topic_id;
    case ReturnCode::rejected_not_supported:
      return PublishOutcome::rejected_not_supported;
  }
  return PublishOutcome::rejected_not_supported;
}

bool has_wildcard(std::string_view topic) {
  return topic.find_first_of("+#") != std::string_view::npos;
}

template <typename T>
std::optional<std::uint16_t> msg_id_of(const T& p) {
  if constexpr (requires { p.msg_id; }) {
    return p.msg_id;
  } else {
    return std::nullopt;
  }
}
}  // namespace

void MqttSnClient::Impl::dispatch(const Packet& packet, TimeNs now) {
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Publish>) {
          on_publish(p, now);
        } else if constexpr (std::is_same_v<T, PubRel>) {
          on_pubrel(p, now);
        } else if constexpr (std::is_same_v<T, Register>) {
          on_register(p, now);
        } else if constexpr (std::is_same_v<T, Disconnect>) {
          end_connection(now, state == SnClientState::disconnecting ? DisconnectCause::requested
                                                                    : DisconnectCause::by_gateway);
        } else if constexpr (std::is_same_v<T, ConnAck> || std::is_same_v<T, WillTopicReq> ||
                             std::is_same_v<T, WillMsgReq> || std::is_same_v<T, RegAck> ||
                             std::is_same_v<T, PubAck> || std::is_same_v<T, PubRec> ||
                             std::is_same_v<T, PubComp> || std::is_same_v<T, SubAck> ||
                             std::is_same_v<T, UnsubAck> || std::is_same_v<T, PingResp>) {
          on_answer(packet, now);
        } else if constexpr (std::is_same_v<T, Advertise> || std::is_same_v<T, GwInfo>) {
          // Gateway discovery is the transport's business; nothing to do here.
        } else {
          events.push_back(sn_event::DatagramIgnored{
              detail::fail(std::string(message_type_name(T::kType)) + " is not sent by a gateway",
                           detail::ref::msg_type, 0)});
        }
      },
      packet);
}

// An answer counts only when it is the one the outstanding request waits for (type and msg
// id): late answers to earlier retransmissions are dropped.
void MqttSnClient::Impl::on_answer(const Packet& packet, TimeNs now) {
  const MsgType type = message_type(packet);
  if (const auto* ack = std::get_if<PubAck>(&packet);
      ack && (!outstanding || outstanding->msg_id != ack->msg_id)) {
    // A PUBACK for a QoS 0 publish rejects its topic id (§6.5): register again next time.
    if (ack->return_code == ReturnCode::rejected_invalid_topic_id) forget_topic_id(ack->topic_id);
    return;
  }
  if (!outstanding) return;
  const std::optional<std::uint16_t> msg_id =
      std::visit([](const auto& p) { return msg_id_of(p); }, packet);
  const bool puback_ends_qos2 = type == MsgType::puback && outstanding->awaiting == MsgType::pubrec;
  if ((type != outstanding->awaiting && !puback_ends_qos2) ||
      (msg_id && *msg_id != outstanding->msg_id)) {
    return;
  }
  if (type == MsgType::willtopicreq || type == MsgType::willmsgreq) {
    send_will_part(type, now);
    return;
  }
  if (const auto* c = std::get_if<ConnAck>(&packet)) {
    outstanding.reset();
    if (c->return_code == ReturnCode::accepted) {
      state = SnClientState::connected;
      events.push_back(sn_event::Connected{});
    } else {
      fail_all();
      state = SnClientState::disconnected;
      events.push_back(sn_event::ConnectFailed{c->return_code});
    }
    return;
  }
  if (type == MsgType::pubrec) {  // QoS 2, second half: PUBREL until PUBCOMP
    const PubRel rel{outstanding->msg_id};
    request(rel, rel, MsgType::pubcomp, rel.msg_id, now);
    return;
  }
  if (queue.empty()) return;
  const SnCommand& c = queue.front();
  if (const auto* r = std::get_if<RegAck>(&packet)) {
    if (r->return_code == ReturnCode::accepted) remember_topic(c.topic.name, r->topic_id);
    if (c.kind == SnCommand::Kind::register_topic) {
      finish_head(sn_event::Registered{c.id, c.topic.name, r->topic_id, r->return_code}, now);
    } else if (r->return_code == ReturnCode::accepted) {
      outstanding.reset();
      send_publish(c, now);
    } else {
      finish_head(sn_event::PublishAcked{c.id, outcome_of(r->return_code)}, now);
    }
  } else if (const auto* a = std::get_if<PubAck>(&packet)) {
    if (a->return_code == ReturnCode::rejected_invalid_topic_id &&
        c.topic.type == TopicIdType::normal) {
      forget_topic_id(a->topic_id);
    }
    finish_head(sn_event::PublishAcked{c.id, outcome_of(a->return_code)}, now);
  } else if (type == MsgType::pubcomp) {
    finish_head(sn_event::PublishAcked{c.id, PublishOutcome::accepted}, now);
  } else if (const auto* s = std::get_if<SubAck>(&packet)) {
    if (s->return_code == ReturnCode::accepted && c.topic.type == TopicIdType::normal &&
        !has_wildcard(c.topic.name) && s->topic_id != 0) {
      remember_topic(c.topic.name, s->topic_id);
    }
    finish_head(sn_event::Subscribed{c.id, s->qos, s->topic_id, s->return_code}, now);
  } else if (type == MsgType::unsuback) {
    finish_head(sn_event::Unsubscribed{c.id, false}, now);
  } else if (type == MsgType::pingresp) {
    finish_head(sn_event::Unsubscribed{}, now);  // a ping ends without an event
  }
}

// The gateway asks for the Will in two steps (§6.3); each answer waits for the next request.
void MqttSnClient::Impl::send_will_part(MsgType request, TimeNs now) {
  const SnWill& w = *config.will;
  if (request == MsgType::willtopicreq) {
    const WillTopic t{w.qos, w.retain, w.topic};
    this->request(t, t, MsgType::willmsgreq, 0, now);
  } else {
    const WillMsg wm{ByteView::of(w.payload)};
    this->request(wm, wm, MsgType::connack, 0, now);
  }
}

std::optional<std::string> MqttSnClient::Impl::resolve(TopicIdType type, std::uint16_t id) const {
  switch (type) {
    case TopicIdType::normal: {
      auto it = topic_names.find(id);
      if (it == topic_names.end()) return std::nullopt;
      return it->second;
    }
    case TopicIdType::predefined: {
      auto it = config.predefined_topics.find(id);
      return it == config.predefined_topics.end() ? std::string{} : it->second;
    }
    case TopicIdType::short_name:
      return std::string{static_cast<char>(id >> 8), static_cast<char>(id & 0xFF)};
  }
  return std::nullopt;
}

void MqttSnClient::Impl::on_publish(const Publish& p, TimeNs now) {
  if (state != SnClientState::connected && state != SnClientState::disconnecting) return;
  const std::optional<std::string> topic = resolve(p.topic_id_type, p.topic_id);
  if (!topic) {  // §6.10: the receiver rejects an unknown topic id
    send(PubAck{p.topic_id, p.msg_id, ReturnCode::rejected_invalid_topic_id}, now);
    return;
  }
  sn_event::Message message{*topic, p.topic_id_type, p.topic_id, std::string(p.data.as_chars()),
                            p.qos,  p.retain,        p.dup,      p.msg_id};
  switch (p.qos) {
    case QoS::fire_and_forget:
    case QoS::at_most_once:
      events.push_back(std::move(message));
      return;
    case QoS::at_least_once:
      events.push_back(std::move(message));
      send(PubAck{p.topic_id, p.msg_id, ReturnCode::accepted}, now);
      return;
    case QoS::exactly_once:
      if (qos2_received.insert(p.msg_id).second) {  // first time: deliver, remember the id
        qos2_order.push_back(p.msg_id);
        if (qos2_order.size() > config.max_qos2_receiver_ids) {
          // Bounded: an id whose PUBREL never came (the gateway gave up) is forgotten first.
          qos2_received.erase(qos2_order.front());
          qos2_order.pop_front();
        }
        events.push_back(std::move(message));
      }
      send(PubRec{p.msg_id}, now);
      return;
  }
}

void MqttSnClient::Impl::on_pubrel(const PubRel& p, TimeNs now) {
  if (qos2_received.erase(p.msg_id) != 0) {
    for (auto it = qos2_order.begin(); it != qos2_order.end(); ++it) {
      if (*it == p.msg_id) {
        qos2_order.erase(it);
        break;
      }
    }
  }
  send(PubComp{p.msg_id}, now);  // also for an unknown id: our PUBCOMP may have been lost
}

void MqttSnClient::Impl::on_register(const Register& r, TimeNs now) {
  if (state != SnClientState::connected && state != SnClientState::disconnecting) return;
  const std::string name(r.topic_name);
  remember_topic(name, r.topic_id);
  send(RegAck{r.topic_id, r.msg_id, ReturnCode::accepted}, now);
  events.push_back(sn_event::Registered{0, name, r.topic_id, ReturnCode::accepted});
}

}  // namespace mqttsim::protocol::sn
