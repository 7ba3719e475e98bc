// ClientSession connection management: CONNECT, CONNACK and the server's limits, session
// resumption (Session Present 1) or restart (Session Present 0), server DISCONNECT, the
// disconnect() command, and SUBSCRIBE/UNSUBSCRIBE with their acknowledgements.
#include <algorithm>

#include "protocol/client/client_impl.hpp"

namespace mqttsim::protocol {

namespace {
// Whether the server keeps our session after the connection ends, so that later connections
// ask to resume it.
bool session_outlives_connection(const ClientConfig& c) {
  return is_v5(c.version) ? c.session_expiry_interval_s > 0 : !c.clean_start;
}
}  // namespace

void ClientSession::Impl::send_connect(TimeNs now) {
  Connect c;
  c.version = config.version;
  c.clean_start =
      ever_connected && session_outlives_connection(config) ? false : config.clean_start;
  c.keep_alive_s = config.keep_alive_s;
  c.client_id = client_id;
  if (config.will) {
    const ClientWill& w = *config.will;
    Will will{w.qos, w.retain, w.topic, ByteView::of(w.payload), {}};
    if (is_v5(config.version)) {
      will.properties = view_properties(w.properties);
      if (w.delay_s != 0) will.properties.will_delay_interval_s = w.delay_s;
    }
    c.will = will;
  }
  if (config.username) c.username = *config.username;
  if (config.password) c.password = ByteView::of(*config.password);
  if (is_v5(config.version)) {
    Properties& props = c.properties;
    if (config.session_expiry_interval_s != 0) {
      props.session_expiry_interval_s = config.session_expiry_interval_s;
    }
    if (config.receive_maximum != 65535) props.receive_maximum = config.receive_maximum;
    if (config.maximum_packet_size_bytes != kMaxPacketSizeBytes) {
      props.maximum_packet_size_bytes = config.maximum_packet_size_bytes;
    }
    if (config.topic_alias_maximum != 0) props.topic_alias_maximum = config.topic_alias_maximum;
  }
  conn.clean_start_sent = c.clean_start;
  if (auto error = encode(c, config.version, Sender::client, conn.out)) {
    // A configuration the protocol cannot express (say, a 3.1.1 password without a user
    // name): retrying would fail the same way.
    events.push_back(client_event::ProtocolViolation{*error});
    end_connection(now, static_cast<std::uint8_t>(ReasonCode::unspecified_error),
                   "CONNECT cannot be encoded: " + error->reason, false, /*close=*/true,
                   /*reconnect=*/false);
    return;
  }
  conn.last_sent_ns = now;
}

void ClientSession::Impl::on_connack(const Connack& p, TimeNs now) {
  const auto code = static_cast<std::uint8_t>(p.reason_code);
  if (code != 0) {
    std::string reason(reason_code_name(PacketType::connack, code, config.version));
    return end_connection(now, code, "CONNACK refused: " + reason, /*by_server=*/true,
                          /*close=*/true, /*reconnect=*/true);
  }
  if (p.session_present && conn.clean_start_sent) {
    return violation(now, ReasonCode::protocol_error, "Session Present 1 after Clean Start 1",
                     is_v5(config.version) ? "MQTT-3.2.2-2" : "MQTT-3.2.2-1");
  }
  adopt_limits(p);
  state = ClientState::connected;
  failures = 0;
  ever_connected = true;
  limits_known = true;
  std::optional<std::string> assigned;
  if (p.properties.assigned_client_identifier) assigned = client_id;
  events.push_back(client_event::Connected{p.session_present, client_id, assigned, limits});
  // Session Present 1: the server kept our packet ids, so resend with them (MQTT-4.4.0-1).
  if (p.session_present) {
    resume_session(now);
  } else {
    restart_session(now);
  }
  pump_requests(now);
  pump(now);
}

void ClientSession::Impl::adopt_limits(const Connack& p) {
  ServerLimits l;
  l.keep_alive_s = config.keep_alive_s;
  l.session_expiry_interval_s = config.session_expiry_interval_s;
  if (is_v5(config.version)) {
    const Properties& props = p.properties;
    l.receive_maximum = props.receive_maximum.value_or(65535);
    l.maximum_qos = static_cast<QoS>(props.maximum_qos.value_or(2));
    l.retain_available = props.retain_available.value_or(true);
    l.maximum_packet_size_bytes = props.maximum_packet_size_bytes.value_or(kMaxPacketSizeBytes);
    l.topic_alias_maximum = props.topic_alias_maximum.value_or(0);
    l.wildcard_subscriptions_available = props.wildcard_subscription_available.value_or(true);
    l.subscription_identifiers_available = props.subscription_identifier_available.value_or(true);
    l.shared_subscriptions_available = props.shared_subscription_available.value_or(true);
    l.keep_alive_s = props.server_keep_alive_s.value_or(config.keep_alive_s);  // MQTT-3.2.2-21
    l.session_expiry_interval_s =
        props.session_expiry_interval_s.value_or(config.session_expiry_interval_s);
    // Later connections use it, so a persistent session can be found again.
    if (props.assigned_client_identifier) client_id = *props.assigned_client_identifier;
  }
  limits = l;
  limits_epoch = limits_epoch + 1 == Outgoing::kNeverChecked ? 0 : limits_epoch + 1;
}

void ClientSession::Impl::resume_session(TimeNs now) {
  for (const OutgoingInflight& f : inflight) {
    if (f.stage == PublishStage::awaiting_pubcomp) {
      send(Pubrel{f.packet_id, ReasonCode::success, {}}, now);
    } else {
      transmit_publish(f.message, f.packet_id, /*dup=*/true, now);
    }
  }
}

// The server has no session for us (new, expired, or lost in a crash). Its packet ids and
// QoS 2 state are gone, so ours go too (5.0 §3.2.2.1.1), but the application's messages are not
// dropped: those the server never confirmed (no PUBACK, no PUBREC) go out again as new
// messages, ahead of newer ones. A QoS 2 message already PUBREC'd is complete: the server took
// ownership of it at PUBREC, and sending it again could deliver it twice.
void ClientSession::Impl::restart_session(TimeNs now) {
  (void)now;
  awaiting_pubrel.clear();
  std::vector<Outgoing> again;
  for (OutgoingInflight& f : inflight) {
    release_packet_id(f.packet_id);
    if (f.stage == PublishStage::awaiting_pubcomp) {
      finish(f.message.id, f.pubrec_code);
    } else {
      again.push_back(std::move(f.message));
    }
  }
  inflight.clear();
  queue.insert(queue.begin(), std::make_move_iterator(again.begin()),
               std::make_move_iterator(again.end()));
  if (!config.resubscribe_on_new_session || subscriptions.empty()) return;
  // One SUBSCRIBE per Subscription Identifier (it is per packet), ahead of newer requests.
  std::map<std::optional<std::uint32_t>, PendingRequest> by_identifier;
  for (const auto& [filter, s] : subscriptions) {
    PendingRequest& r = by_identifier[s.identifier];
    r.subscription_identifier = s.identifier;
    r.filters.push_back({filter, s.options});
  }
  for (auto it = by_identifier.rbegin(); it != by_identifier.rend(); ++it) {
    requests.push_front(std::move(it->second));
  }
}

void ClientSession::Impl::pump_requests(TimeNs now) {
  if (state != ClientState::connected) return;
  for (PendingRequest& r : requests) {
    if (r.packet_id != 0) continue;
    const auto id = allocate_packet_id();
    if (!id) return;  // every id in use: the rest go when acknowledgements free some
    r.packet_id = *id;
    if (r.subscribe) {
      Subscribe s{r.packet_id, {}, {}};
      if (r.subscription_identifier && is_v5(config.version)) {
        s.properties.subscription_identifiers.push_back(*r.subscription_identifier);
      }
      for (const SubscribeFilter& f : r.filters) s.subscriptions.push_back({f.filter, f.options});
      send(s, now);
    } else {
      Unsubscribe u{r.packet_id, {}, {}};
      for (const SubscribeFilter& f : r.filters) u.filters.push_back(f.filter);
      send(u, now);
    }
  }
}

Fifo<PendingRequest>::iterator ClientSession::Impl::find_request(std::uint16_t packet_id,
                                                                 bool subscribe) {
  return std::find_if(requests.begin(), requests.end(), [&](const PendingRequest& r) {
    return r.packet_id == packet_id && r.subscribe == subscribe;
  });
}

void ClientSession::Impl::on_suback(const Suback& p, TimeNs now) {
  auto it = find_request(p.packet_id, /*subscribe=*/true);
  if (it == requests.end()) {
    return violation(now, ReasonCode::protocol_error,
                     "SUBACK for packet id " + std::to_string(p.packet_id) +
                         " which no SUBSCRIBE is waiting for",
                     "MQTT-3.8.4-2");
  }
  if (p.reason_codes.size() != it->filters.size()) {
    return violation(now, ReasonCode::protocol_error,
                     "SUBACK with " + std::to_string(p.reason_codes.size()) + " reason codes for " +
                         std::to_string(it->filters.size()) + " filters",
                     is_v5(config.version) ? "MQTT-3.9.3-1" : "MQTT-3.8.4-5");
  }
  for (std::size_t i = 0; i < p.reason_codes.size(); ++i) {
    if (reason_code_is_failure(static_cast<std::uint8_t>(p.reason_codes[i]))) continue;
    subscriptions[it->filters[i].filter] = {it->filters[i].options, it->subscription_identifier};
  }
  release_packet_id(p.packet_id);
  events.push_back(client_event::Subscribed{it->id, p.packet_id, p.reason_codes});
  requests.erase(it);
  pump_requests(now);
  pump(now);  // a freed id may let a waiting PUBLISH go
}

void ClientSession::Impl::on_unsuback(const Unsuback& p, TimeNs now) {
  auto it = find_request(p.packet_id, /*subscribe=*/false);
  if (it == requests.end()) {
    return violation(now, ReasonCode::protocol_error,
                     "UNSUBACK for packet id " + std::to_string(p.packet_id) +
                         " which no UNSUBSCRIBE is waiting for",
                     is_v5(config.version) ? "MQTT-3.10.4-5" : "MQTT-3.10.4-4");
  }
  if (is_v5(config.version) && p.reason_codes.size() != it->filters.size()) {
    return violation(now, ReasonCode::protocol_error,
                     "UNSUBACK with " + std::to_string(p.reason_codes.size()) +
                         " reason codes for " + std::to_string(it->filters.size()) + " filters",
                     "MQTT-3.11.3-1");
  }
  for (const SubscribeFilter& f : it->filters) subscriptions.erase(f.filter);
  release_packet_id(p.packet_id);
  events.push_back(client_event::Unsubscribed{it->id, p.packet_id, p.reason_codes});
  requests.erase(it);
  pump_requests(now);
  pump(now);
}

void ClientSession::Impl::on_server_disconnect(const Disconnect& p, TimeNs now) {
  const auto code = static_cast<std::uint8_t>(p.reason_code);
  std::string reason =
      p.properties.reason_string
          ? std::string(*p.properties.reason_string)
          : std::string(reason_code_name(PacketType::disconnect, code, config.version));
  // The server closes the connection after DISCONNECT (MQTT-3.14.4-1); we close our end too.
  end_connection(now, code, "DISCONNECT from the server: " + reason, /*by_server=*/true,
                 /*close=*/true, /*reconnect=*/true);
}

void ClientSession::disconnect(TimeNs now, ReasonCode reason,
                               std::optional<std::uint32_t> session_expiry_interval_s) {
  Impl& m = *impl_;
  if (m.state == ClientState::connected) {
    const bool v5 = is_v5(m.config.version);
    Disconnect d{v5 ? reason : ReasonCode::success, {}};
    // A session that ended with the connection cannot be revived here (MQTT-5.0 §3.14.2.2.2).
    if (v5 && session_expiry_interval_s && m.limits.session_expiry_interval_s != 0) {
      d.properties.session_expiry_interval_s = *session_expiry_interval_s;
    }
    m.send(d, now);
    m.conn.normal_disconnect_sent = d.reason_code == ReasonCode::success;
    m.end_connection(now, static_cast<std::uint8_t>(d.reason_code), "DISCONNECT sent",
                     /*by_server=*/false, /*close=*/true, /*reconnect=*/false);
  } else if (m.state == ClientState::connecting) {
    m.end_connection(now, static_cast<std::uint8_t>(ReasonCode::unspecified_error),
                     "disconnect() before CONNACK", false, /*close=*/true, /*reconnect=*/false);
  }
  m.state = ClientState::idle;
  m.reconnect_at_ns.reset();
}

CommandResult ClientSession::subscribe(TimeNs now, std::vector<SubscribeFilter> filters,
                                       std::optional<std::uint32_t> subscription_identifier) {
  Impl& m = *impl_;
  Subscribe probe{1, {}, {}};  // checked as it will be sent, so the server never sees it bad
  if (subscription_identifier && is_v5(m.config.version)) {
    probe.properties.subscription_identifiers.push_back(*subscription_identifier);
  }
  for (const SubscribeFilter& f : filters) probe.subscriptions.push_back({f.filter, f.options});
  if (auto error = validate(probe, m.config.version, Sender::client)) {
    return {0, Refusal{static_cast<ReasonCode>(error->kind), error->reason}};
  }
  PendingRequest r{m.next_request_id++, true, std::move(filters), subscription_identifier, 0};
  const RequestId id = r.id;
  m.requests.push_back(std::move(r));
  m.pump_requests(now);
  return {id, std::nullopt};
}

CommandResult ClientSession::unsubscribe(TimeNs now, std::vector<std::string> filters) {
  Impl& m = *impl_;
  Unsubscribe probe{1, {}, {}};
  for (const std::string& f : filters) probe.filters.push_back(f);
  if (auto error = validate(probe, m.config.version, Sender::client)) {
    return {0, Refusal{static_cast<ReasonCode>(error->kind), error->reason}};
  }
  PendingRequest r{m.next_request_id++, false, {}, std::nullopt, 0};
  for (std::string& f : filters) r.filters.push_back({std::move(f), {}});
  const RequestId id = r.id;
  m.requests.push_back(std::move(r));
  m.pump_requests(now);
  return {id, std::nullopt};
}

}  // namespace mqttsim::protocol
