// MqttSnGateway: datagrams from MQTT-SN clients. CONNECT and the Will exchange open the
// client's MQTT connection; PUBLISH, REGISTER, SUBSCRIBE and UNSUBSCRIBE become ClientSession
// commands; QoS -1 publishes go out on the gateway's own connection without a client session.
#include <algorithm>

#include "protocol/mqttsn_gateway_impl.hpp"
#include "protocol/mqttsn_rules.hpp"
#include "protocol/topic.hpp"

namespace mqttsim::protocol::sn {

namespace {
protocol::QoS mqtt_qos(QoS qos) {
  return qos == QoS::fire_and_forget ? protocol::QoS::at_most_once
                                     : static_cast<protocol::QoS>(qos);
}

bool has_wildcard(std::string_view topic) {
  return topic.find_first_of("+#") != std::string_view::npos;
}

std::string short_name(std::uint16_t id) {
  return std::string{static_cast<char>(id >> 8), static_cast<char>(id & 0xFF)};
}
}  // namespace

void MqttSnGateway::Impl::dispatch(ClientAddress from, const Packet& packet, TimeNs now) {
  GwClient* c = find(from);
  const bool connected = c && c->phase == GwPhase::connected;
  auto reject = [&](std::string reason) {
    ++metrics.datagrams_rejected;
    events.push_back(gateway_event::DatagramRejected{
        from, detail::fail(std::move(reason), detail::section_of(message_type(packet)), 0)});
  };
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Connect>) {
          on_connect(from, p, now);
        } else if constexpr (std::is_same_v<T, SearchGw>) {
          send(from, GwInfo{config.gateway_id, {}});
        } else if constexpr (std::is_same_v<T, Publish>) {
          on_publish(from, p, now);
        } else if constexpr (std::is_same_v<T, Disconnect>) {
          if (c && c->phase != GwPhase::offline) {
            end_client(*c, ClientEndCause::requested, true, now);
          } else {
            send(from, Disconnect{});  // ends the client's retransmissions
          }
        } else if constexpr (std::is_same_v<T, WillTopic>) {
          if (c && (c->phase == GwPhase::will_topic || c->phase == GwPhase::will_msg)) {
            on_will_topic(*c, p, now);
          } else {
            reject("WILLTOPIC outside a CONNECT with the Will flag");
          }
        } else if constexpr (std::is_same_v<T, WillMsg>) {
          if (c && c->phase == GwPhase::will_msg) {
            on_will_msg(*c, p, now);
          } else if (connected) {
            send(from, ConnAck{ReturnCode::accepted});  // our CONNACK was lost
          } else if (!c || c->phase != GwPhase::connecting) {
            reject("WILLMSG outside a CONNECT with the Will flag");
          }
        } else if constexpr (std::is_same_v<T, WillTopicUpd>) {
          send(from, WillTopicResp{ReturnCode::rejected_not_supported});
        } else if constexpr (std::is_same_v<T, WillMsgUpd>) {
          send(from, WillMsgResp{ReturnCode::rejected_not_supported});
        } else if constexpr (std::is_same_v<T, Encapsulated>) {
          reject("forwarder encapsulation is not supported by this gateway");
        } else if constexpr (std::is_same_v<T, Register> || std::is_same_v<T, Subscribe> ||
                             std::is_same_v<T, Unsubscribe> || std::is_same_v<T, PingReq> ||
                             std::is_same_v<T, PubRel> || std::is_same_v<T, RegAck> ||
                             std::is_same_v<T, PubAck> || std::is_same_v<T, PubRec> ||
                             std::is_same_v<T, PubComp>) {
          if (!connected) {
            send(from, Disconnect{});  // tells the client it has no connection here
          } else if constexpr (std::is_same_v<T, Register>) {
            on_register(*c, p);
          } else if constexpr (std::is_same_v<T, Subscribe>) {
            on_subscribe(*c, p, now);
          } else if constexpr (std::is_same_v<T, Unsubscribe>) {
            on_unsubscribe(*c, p, now);
          } else if constexpr (std::is_same_v<T, PingReq>) {
            send(from, PingResp{});
          } else if constexpr (std::is_same_v<T, PubRel>) {
            on_pubrel(*c, p);
          } else {
            on_client_answer(*c, packet, now);
          }
        } else {
          reject(std::string(message_type_name(T::kType)) + " is not sent by a client");
        }
      },
      packet);
}

void MqttSnGateway::Impl::on_connect(ClientAddress from, const Connect& p, TimeNs now) {
  GwClient* c = find(from);
  if (c && c->client_id == p.client_id && c->phase == GwPhase::connecting && !p.will) {
    return;  // a retransmission while the broker answers: CONNACK follows
  }
  if (c && c->phase != GwPhase::offline) {  // every other CONNECT starts a new connection
    end_client(*c, ClientEndCause::replaced, false, now);
    c = find(from);
  }
  if (!c && clients.size() >= config.max_clients) {
    // Make room by forgetting the kept session that was heard from longest ago.
    GwClient* oldest = nullptr;
    for (auto& [address, k] : clients) {
      if (k.phase == GwPhase::offline && (!oldest || k.last_heard_ns < oldest->last_heard_ns)) {
        oldest = &k;
      }
    }
    if (!oldest) {
      send(from, ConnAck{ReturnCode::rejected_congestion});
      events.push_back(
          gateway_event::ConnectRefused{from, ReturnCode::rejected_congestion, "too many clients"});
      return;
    }
    end_client(*oldest, ClientEndCause::evicted, false, now);
  }
  if (!c) c = &clients.emplace(from, GwClient{}).first->second;
  if (p.clean_session || c->client_id != p.client_id) {
    const std::uint16_t next_msg_id = c->next_msg_id;  // ids keep rising across connections
    *c = GwClient{};
    c->next_msg_id = next_msg_id;
  }
  c->address = from;
  c->client_id = std::string(p.client_id);
  c->clean_session = p.clean_session;
  c->duration_s = p.duration_s;
  c->last_heard_ns = now;
  c->will.reset();
  if (p.will) {
    c->phase = GwPhase::will_topic;
    send(from, WillTopicReq{});
  } else {
    start_mqtt(*c, now);
  }
}

void MqttSnGateway::Impl::start_mqtt(GwClient& c, TimeNs now) {
  ClientConfig s;
  s.version = config.mqtt_version;
  s.client_id = c.client_id;
  s.clean_start = c.clean_session;
  if (is_v5(s.version) && !c.clean_session) s.session_expiry_interval_s = 0xFFFFFFFF;
  s.keep_alive_s = config.mqtt_keep_alive_s;
  s.will = c.will;
  s.reconnect = ReconnectPolicy{{}, false};  // a lost MQTT connection ends the client
  s.resubscribe_on_new_session = false;
  s.max_queued_messages = config.max_forwarding_per_client;
  c.phase = GwPhase::connecting;
  const ClientAddress address = c.address;
  const MqttLinkId link = next_link;
  c.link = link;
  open_link(std::move(s), address, now);
}

void MqttSnGateway::Impl::on_will_topic(GwClient& c, const WillTopic& p, TimeNs now) {
  if (p.topic.empty()) {  // the empty WILLTOPIC: no Will after all
    c.will.reset();
    start_mqtt(c, now);
    return;
  }
  if (validate_topic_name(p.topic, config.mqtt_version)) {
    send(c.address, ConnAck{ReturnCode::rejected_not_supported});
    events.push_back(gateway_event::ConnectRefused{c.address, ReturnCode::rejected_not_supported,
                                                   "invalid Will topic"});
    end_client(c, ClientEndCause::requested, false, now);
    return;
  }
  ClientWill w;
  w.topic = std::string(p.topic);
  w.qos = mqtt_qos(p.qos);
  w.retain = p.retain;
  c.will = std::move(w);
  c.phase = GwPhase::will_msg;
  send(c.address, WillMsgReq{});
}

void MqttSnGateway::Impl::on_will_msg(GwClient& c, const WillMsg& p, TimeNs now) {
  if (!c.will) {
    start_mqtt(c, now);
    return;
  }
  c.will->payload = std::string(p.message.as_chars());
  start_mqtt(c, now);
}

std::optional<std::string> MqttSnGateway::Impl::topic_of(const GwClient& c, TopicIdType type,
                                                         std::uint16_t id) const {
  if (type == TopicIdType::normal) {
    auto it = c.topic_names.find(id);
    if (it == c.topic_names.end()) return std::nullopt;
    return it->second;
  }
  if (type == TopicIdType::predefined) {
    auto it = config.predefined_topics.find(id);
    if (it == config.predefined_topics.end()) return std::nullopt;
    return it->second;
  }
  std::string name = short_name(id);
  if (validate_topic_name(name, config.mqtt_version)) return std::nullopt;
  return name;
}

std::optional<std::uint16_t> MqttSnGateway::Impl::register_name(GwClient& c,
                                                                const std::string& name) {
  if (auto it = c.topic_ids.find(name); it != c.topic_ids.end()) return it->second;
  if (c.topic_ids.size() >= std::min<std::size_t>(config.max_topics_per_client, 0xFFFE)) {
    return std::nullopt;
  }
  while (c.next_topic_id == 0 || c.topic_names.count(c.next_topic_id)) ++c.next_topic_id;
  const std::uint16_t id = c.next_topic_id++;
  c.topic_ids.emplace(name, id);
  c.topic_names.emplace(id, name);
  return id;
}

void MqttSnGateway::Impl::on_publish(ClientAddress from, const Publish& p, TimeNs now) {
  if (p.qos == QoS::fire_and_forget) {
    forward_qos_minus_one(from, p, now);
    return;
  }
  GwClient* c = find(from);
  if (!c || c->phase != GwPhase::connected) {
    send(from, Disconnect{});
    return;
  }
  const std::optional<std::string> topic = topic_of(*c, p.topic_id_type, p.topic_id);
  if (!topic) {  // §6.5: unknown topic id
    send(from, PubAck{p.topic_id, p.msg_id, ReturnCode::rejected_invalid_topic_id});
    return;
  }
  const MqttLinkId link = *c->link;
  ClientSession& session = links.at(link)->session;
  const std::string payload(p.data.as_chars());
  if (p.qos == QoS::at_most_once) {
    if (session.publish(now, *topic, payload, protocol::QoS::at_most_once, p.retain)) {
      ++metrics.forwarded_to_broker;
    } else {
      events.push_back(gateway_event::PublishDropped{from, "the MQTT session refused it"});
    }
    service(link, now);
    return;
  }
  if (p.qos == QoS::exactly_once) {
    if (auto q = c->qos2_in.find(p.msg_id); q != c->qos2_in.end()) {
      if (q->second) send(from, PubRec{p.msg_id});  // our PUBREC was lost
      return;  // otherwise still on its way to the broker: PUBREC follows its PUBCOMP
    }
  } else {
    for (const auto& [id, f] : c->forwards) {
      if (f.msg_id == p.msg_id && f.qos == QoS::at_least_once) return;  // PUBACK follows
    }
  }
  if (c->forwards.size() >= config.max_forwarding_per_client ||
      (p.qos == QoS::exactly_once && c->qos2_in.size() >= config.max_qos2_ids_per_client)) {
    send(from, PubAck{p.topic_id, p.msg_id, ReturnCode::rejected_congestion});
    return;
  }
  const CommandResult r = session.publish(now, *topic, payload, mqtt_qos(p.qos), p.retain);
  if (!r) {
    send(from, PubAck{p.topic_id, p.msg_id, ReturnCode::rejected_congestion});
    return;
  }
  ++metrics.forwarded_to_broker;
  c->forwards.emplace(r.id, GwForward{p.msg_id, p.topic_id, p.qos});
  if (p.qos == QoS::exactly_once) c->qos2_in.emplace(p.msg_id, false);
  service(link, now);
}

void MqttSnGateway::Impl::forward_qos_minus_one(ClientAddress from, const Publish& p, TimeNs now) {
  std::optional<std::string> topic;
  if (p.topic_id_type == TopicIdType::predefined) {
    if (auto it = config.predefined_topics.find(p.topic_id); it != config.predefined_topics.end()) {
      topic = it->second;
    }
  } else if (p.topic_id_type == TopicIdType::short_name) {
    topic = short_name(p.topic_id);
    if (validate_topic_name(*topic, config.mqtt_version)) topic.reset();
  }
  if (!topic) {
    events.push_back(gateway_event::PublishDropped{
        from, "QoS -1 needs a known predefined topic id or a short topic name (§6.8)"});
    return;
  }
  if (!forwarder) {
    ClientConfig s;
    s.version = config.mqtt_version;
    s.client_id = config.forwarder_client_id;
    s.keep_alive_s = config.mqtt_keep_alive_s;
    forwarder = open_link(std::move(s), std::nullopt, now);
  }
  ClientSession& session = links.at(*forwarder)->session;
  if (session.publish(now, *topic, std::string(p.data.as_chars()), protocol::QoS::at_most_once,
                      p.retain)) {
    ++metrics.qos_minus_one_forwarded;
  } else {
    events.push_back(gateway_event::PublishDropped{from, "the forwarder's queue is full"});
  }
  service(*forwarder, now);
}

void MqttSnGateway::Impl::on_pubrel(GwClient& c, const PubRel& p) {
  if (auto q = c.qos2_in.find(p.msg_id); q != c.qos2_in.end() && q->second) c.qos2_in.erase(q);
  send(c.address, PubComp{p.msg_id});
}

void MqttSnGateway::Impl::on_register(GwClient& c, const Register& p) {
  const std::string name(p.topic_name);
  if (has_wildcard(name) || validate_topic_name(name, config.mqtt_version)) {
    send(c.address, RegAck{0, p.msg_id, ReturnCode::rejected_not_supported});
    return;
  }
  const std::optional<std::uint16_t> id = register_name(c, name);
  send(c.address, RegAck{id.value_or(0), p.msg_id,
                         id ? ReturnCode::accepted : ReturnCode::rejected_congestion});
}

void MqttSnGateway::Impl::on_subscribe(GwClient& c, const Subscribe& p, TimeNs now) {
  auto refuse = [&](ReturnCode rc) { send(c.address, SubAck{QoS::at_most_once, 0, p.msg_id, rc}); };
  std::string filter;
  std::uint16_t topic_id = 0;
  if (p.topic_id_type == TopicIdType::predefined) {
    auto it = config.predefined_topics.find(p.topic_id);
    if (it == config.predefined_topics.end()) return refuse(ReturnCode::rejected_invalid_topic_id);
    filter = it->second;
    topic_id = p.topic_id;
  } else {
    filter = std::string(p.topic_name);
    if (validate_topic_filter(filter, config.mqtt_version)) {
      return refuse(ReturnCode::rejected_invalid_topic_id);
    }
    if (p.topic_id_type == TopicIdType::normal && !has_wildcard(filter)) {
      const std::optional<std::uint16_t> id = register_name(c, filter);
      if (!id) return refuse(ReturnCode::rejected_congestion);
      topic_id = *id;
    }
  }
  if (c.requests.size() >= config.max_forwarding_per_client) {
    return refuse(ReturnCode::rejected_congestion);
  }
  const MqttLinkId link = *c.link;
  SubscribeFilter f{filter, {}};
  f.options.max_qos = mqtt_qos(p.qos);
  const CommandResult r = links.at(link)->session.subscribe(now, {std::move(f)});
  if (!r) return refuse(ReturnCode::rejected_congestion);
  c.requests.emplace(r.id, GwRequest{p.msg_id, topic_id, true});
  service(link, now);
}

void MqttSnGateway::Impl::on_unsubscribe(GwClient& c, const Unsubscribe& p, TimeNs now) {
  std::string filter(p.topic_name);
  if (p.topic_id_type == TopicIdType::predefined) {
    auto it = config.predefined_topics.find(p.topic_id);
    if (it == config.predefined_topics.end()) {
      send(c.address, UnsubAck{p.msg_id});  // nothing to unsubscribe from
      return;
    }
    filter = it->second;
  }
  if (c.requests.size() >= config.max_forwarding_per_client ||
      validate_topic_filter(filter, config.mqtt_version)) {
    send(c.address, UnsubAck{p.msg_id});
    return;
  }
  const MqttLinkId link = *c.link;
  const CommandResult r = links.at(link)->session.unsubscribe(now, {filter});
  if (!r) {
    send(c.address, UnsubAck{p.msg_id});
    return;
  }
  c.requests.emplace(r.id, GwRequest{p.msg_id, 0, false});
  service(link, now);
}

}  // namespace mqttsim::protocol::sn
