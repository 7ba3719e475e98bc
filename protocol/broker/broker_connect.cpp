// CONNECT and DISCONNECT: client identifiers, authentication, takeover, clean start and
// session resumption, session expiry, and the Will (delay, cancellation, publication).
#include <limits>

#include "protocol/broker/broker_impl.hpp"

namespace mqttsim::protocol {

namespace {
constexpr std::uint32_t kNeverExpires = std::numeric_limits<std::uint32_t>::max();

bool credentials_match(const BrokerConfig& config, std::string_view user, ByteView password) {
  for (const Credential& c : config.credentials) {
    if (c.username == user && password == ByteView::of(c.password)) return true;
  }
  return false;
}
}  // namespace

void BrokerCore::Impl::refuse(Connection& c, std::uint8_t v5_code, std::uint8_t v3_code,
                              std::string reason) {
  const std::uint8_t code = is_v5(c.version) ? v5_code : v3_code;
  send(c, Connack{false, static_cast<ReasonCode>(code), {}});
  ++metrics.connections_refused;
  events.push_back(broker_event::ConnectRefused{c.id, code});
  (void)reason;
  c.closing = true;  // MQTT-3.2.2-5 / MQTT-3.2.2-7: close after a refusing CONNACK
}

void BrokerCore::Impl::on_connect(Connection& c, const Connect& p, TimeNs now) {
  c.version = p.version;
  const bool v5 = is_v5(p.version);
  if (v5 && p.properties.authentication_method) {
    return refuse(c, 0x8C, 5, "enhanced authentication is not offered");
  }
  std::string client_id(p.client_id);
  if (client_id.empty()) {
    // 3.1.1 allows an empty id only with Clean Session 1 (MQTT-3.1.3-7, -8).
    if (!config.assign_client_ids || (!v5 && !p.clean_start)) {
      return refuse(c, 0x85, 2, "empty client identifier");
    }
    do {
      client_id = "mqttsim-" + std::to_string(state.next_assigned_client_id++);
    } while (state.sessions.count(client_id) != 0);
  }
  if (p.username) {
    if (!config.credentials.empty() || !config.allow_anonymous) {
      if (!credentials_match(config, *p.username, p.password.value_or(ByteView()))) {
        return refuse(c, 0x86, 4, "bad user name or password");
      }
    }
  } else if (!config.allow_anonymous) {
    return refuse(c, 0x87, 5, "anonymous clients are not allowed");
  }
  if (p.will && v5) {
    if (p.will->qos > config.maximum_qos) return refuse(c, 0x9B, 5, "Will QoS not supported");
    if (p.will->retain && !config.retain_available) {
      return refuse(c, 0x9A, 5, "retained Will not supported");
    }
  }
  // Takeover: the same client id ends the older connection (MQTT-3.1.4-2 / MQTT-3.1.4-3).
  if (auto existing = state.sessions.find(client_id);
      existing != state.sessions.end() && existing->second.connected) {
    if (Connection* old = connection_of(existing->second)) {
      if (is_v5(old->version)) send(*old, Disconnect{ReasonCode::session_taken_over, {}});
      end_connection(*old, now, /*graceful=*/false, "session taken over");
    }
  }
  c.client_id = client_id;
  c.keep_alive_s = v5 && config.server_keep_alive_s ? *config.server_keep_alive_s : p.keep_alive_s;
  if (v5) {
    c.client_receive_maximum = p.properties.receive_maximum.value_or(65535);
    c.client_maximum_packet_size =
        p.properties.maximum_packet_size_bytes.value_or(kMaxPacketSizeBytes);
    c.client_topic_alias_maximum = p.properties.topic_alias_maximum.value_or(0);
  }
  bool present = false;
  Session& s = attach_session(c, p, now, present);
  Connack ack{present, ReasonCode::success, {}};
  if (v5) {
    Properties& props = ack.properties;
    if (p.client_id.empty()) props.assigned_client_identifier = c.client_id;
    if (config.receive_maximum != 65535) props.receive_maximum = config.receive_maximum;
    if (config.maximum_qos != QoS::exactly_once) {
      props.maximum_qos = static_cast<std::uint8_t>(config.maximum_qos);
    }
    if (!config.retain_available) props.retain_available = false;
    props.maximum_packet_size_bytes = config.maximum_packet_size_bytes;
    if (config.topic_alias_maximum > 0) props.topic_alias_maximum = config.topic_alias_maximum;
    if (!config.wildcard_subscriptions_available) props.wildcard_subscription_available = false;
    if (!config.subscription_identifiers_available) props.subscription_identifier_available = false;
    if (!config.shared_subscriptions_available) props.shared_subscription_available = false;
    if (config.server_keep_alive_s) props.server_keep_alive_s = *config.server_keep_alive_s;
    const std::uint32_t asked = p.properties.session_expiry_interval_s.value_or(0);
    if (asked != s.expiry_interval_s) props.session_expiry_interval_s = s.expiry_interval_s;
  }
  send(c, ack);
  c.connected = true;
  ++metrics.connections_accepted;
  events.push_back(broker_event::ClientConnected{c.id, c.client_id, p.version, present});
  arm_keep_alive(c);
  resume(s, c, now);
}

Session& BrokerCore::Impl::attach_session(Connection& c, const Connect& p, TimeNs now,
                                          bool& present) {
  auto it = state.sessions.find(c.client_id);
  if (it != state.sessions.end() && p.clean_start) {
    end_session(c.client_id, now);  // Clean Start discards it (MQTT-3.1.2-4 / MQTT-3.1.2-6)
    it = state.sessions.end();
  }
  present = it != state.sessions.end();
  if (!present) {
    it = state.sessions.emplace(c.client_id, Session{}).first;
    it->second.subscriber = register_subscriber(it->second);
  }
  Session& s = it->second;
  if (present && !config.mutants.empty()) [[unlikely]]
    forget_on_resume(s);
  s.client_id = c.client_id;
  s.version = p.version;
  const std::uint32_t asked = is_v5(p.version) ? p.properties.session_expiry_interval_s.value_or(0)
                                               : (p.clean_start ? 0 : kNeverExpires);
  s.expiry_interval_s = std::min(asked, config.maximum_session_expiry_s);
  s.connected = true;
  s.connection = c.id;
  s.expires_ns.reset();
  s.will_due_ns.reset();  // a reconnect in time cancels a delayed Will (MQTT-3.1.3-9)
  s.will.reset();
  if (p.will) {
    Publish as_publish;
    as_publish.qos = p.will->qos;
    as_publish.retain = p.will->retain && config.retain_available;
    as_publish.payload = p.will->payload;
    as_publish.properties = p.will->properties;
    auto message =
        std::make_shared<Message>(make_message(as_publish, p.will->topic, c.client_id, 0, now));
    s.will = SessionWill{std::move(message), p.will->properties.will_delay_interval_s.value_or(0)};
  }
  return s;
}

// The mutants that lose session state on resumption, as brokers that rebuild a session from an
// incomplete record do. Session Present stays 1: the client cannot tell.
void BrokerCore::Impl::forget_on_resume(Session& s) {
  // The ids awaiting PUBREL are gone, so a retransmitted QoS 2 PUBLISH is new (MQTT-4.3.3-10).
  if (config.mutants.has(Mutant::forget_qos2_state_on_reconnect)) s.awaiting_pubrel.clear();
  // Messages queued while offline are gone (MQTT-3.1.2-5 keeps them part of the session).
  if (config.mutants.has(Mutant::drop_queue_on_resume)) s.queue.clear();
}

void BrokerCore::Impl::on_disconnect(Connection& c, const Disconnect& p, TimeNs now) {
  c.disconnect_received = true;
  Session& s = session_of(c);
  if (const auto asked = p.properties.session_expiry_interval_s) {
    // A Protocol Error in prose, without a statement id (MQTT-3.14.2-2 is the server's rule).
    if (s.expiry_interval_s == 0 && *asked != 0) {
      return violation(c, now,
                       {ReasonCode::protocol_error,
                        "DISCONNECT sets a Session Expiry Interval after CONNECT had 0",
                        "MQTT-5.0 §3.14.2.2.2"});
    }
    s.expiry_interval_s = std::min(*asked, config.maximum_session_expiry_s);
  }
  // Only 0x00 discards the Will (MQTT-3.1.2-10, MQTT-3.14.4-3): 0x04 asks for it, and a client
  // ending the connection over an error (0x80 and above) leaves it to be published too.
  const bool with_will = p.reason_code != ReasonCode::success;
  end_connection(c, now, !with_will,
                 with_will ? "DISCONNECT with reason code " +
                                 std::to_string(static_cast<unsigned>(p.reason_code))
                           : "DISCONNECT");
}

std::uint32_t BrokerCore::Impl::register_subscriber(Session& s) {
  if (!free_subscribers.empty()) {
    const std::uint32_t id = free_subscribers.back();
    free_subscribers.pop_back();
    subscribers[id] = &s;
    return id;
  }
  subscribers.push_back(&s);
  return static_cast<std::uint32_t>(subscribers.size() - 1);
}

void BrokerCore::Impl::release_subscriber(Session& s) {
  index.remove_all(s.subscriber);
  subscribers[s.subscriber] = nullptr;
  free_subscribers.push_back(s.subscriber);
}

void BrokerCore::Impl::detach_session(Session& s, TimeNs now, bool graceful) {
  s.connected = false;
  if (graceful) s.will.reset();
  const std::string client_id = s.client_id;
  if (s.will) {
    const bool ends_now = s.expiry_interval_s == 0;
    if (s.will->delay_s == 0 || ends_now) {
      publish_will(s, now);
    } else {
      s.will_due_ns = now + static_cast<TimeNs>(s.will->delay_s) * kNsPerS;
      session_timers.emplace(*s.will_due_ns, kWillTimer, client_id);
    }
  }
  if (s.expiry_interval_s == 0) return end_session(client_id, now);
  if (s.expiry_interval_s != kNeverExpires) {
    // The Will is due at the earlier of its delay and the end of the session (§3.1.3.2.2).
    s.expires_ns = now + static_cast<TimeNs>(s.expiry_interval_s) * kNsPerS;
    session_timers.emplace(*s.expires_ns, kExpiryTimer, client_id);
  }
}

void BrokerCore::Impl::publish_will(Session& s, TimeNs now) {
  if (!s.will) return;
  auto message = std::make_shared<Message>(*s.will->message);
  message->sequence = state.next_message_sequence++;
  if (message->expires_ns)
    message->expires_ns = now + (*message->expires_ns - message->received_ns);
  message->received_ns = now;
  s.will.reset();
  s.will_due_ns.reset();
  ++metrics.wills_published;
  if (message->retain) {
    if (message->payload.empty())
      state.retained.erase(message->topic);
    else
      state.retained[message->topic] = message;
  }
  const std::size_t matched = route(message, now);
  events.push_back(broker_event::MessagePublished{message, matched});
}

void BrokerCore::Impl::end_session(const std::string& client_id, TimeNs now) {
  auto it = state.sessions.find(client_id);
  if (it == state.sessions.end()) return;
  if (!it->second.connected && it->second.will) publish_will(it->second, now);
  const bool expired = it->second.expires_ns.has_value() && *it->second.expires_ns <= now;
  release_subscriber(it->second);
  ++sessions_erased;  // cached Connection::session pointers may dangle now
  state.sessions.erase(client_id);
  if (expired) {
    ++metrics.sessions_expired;
    events.push_back(broker_event::SessionExpired{client_id});
  }
}

Session& BrokerCore::Impl::session_of(Connection& c) {
  if (c.session != nullptr && c.session_epoch == sessions_erased) return *c.session;
  Session& s = state.sessions.at(c.client_id);
  c.session = &s;
  c.session_epoch = sessions_erased;
  return s;
}

}  // namespace mqttsim::protocol
