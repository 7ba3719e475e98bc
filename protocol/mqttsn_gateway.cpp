// MqttSnGateway: the API, the MQTT links (one ClientSession each) and their broker-side
// actions, the per-client timers (retransmission, keep alive, Will handshake) and the end of a
// client. Client datagrams are in mqttsn_gateway_client.cpp, deliveries in _deliver.cpp.
#include "protocol/mqttsn_gateway.hpp"

#include <cassert>

#include "protocol/mqttsn_gateway_impl.hpp"
#include "protocol/mqttsn_rules.hpp"

namespace mqttsim::protocol::sn {

std::string_view client_end_cause_name(ClientEndCause cause) {
  switch (cause) {
    case ClientEndCause::requested:
      return "requested";
    case ClientEndCause::replaced:
      return "replaced by a new CONNECT";
    case ClientEndCause::retries_exhausted:
      return "retries exhausted";
    case ClientEndCause::keep_alive:
      return "keep alive expired";
    case ClientEndCause::broker:
      return "MQTT connection ended";
    case ClientEndCause::evicted:
      return "evicted";
  }
  return "unknown";
}

MqttSnGateway::Impl::Impl(MqttSnGatewayConfig c) : config(std::move(c)) {
  for (const auto& [id, name] : config.predefined_topics) predefined_ids.emplace(name, id);
}

MqttSnGateway::MqttSnGateway(MqttSnGatewayConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}
MqttSnGateway::~MqttSnGateway() = default;
MqttSnGateway::MqttSnGateway(MqttSnGateway&&) noexcept = default;
MqttSnGateway& MqttSnGateway::operator=(MqttSnGateway&&) noexcept = default;

void MqttSnGateway::handle_datagram(TimeNs now, ClientAddress from, ByteView datagram) {
  Impl& m = *impl_;
  ++m.metrics.datagrams_received;
  DecodeResult result = decode(datagram);
  if (auto* error = std::get_if<Malformed>(&result)) {
    // One bad datagram is dropped; the client's state and everyone else's stay as they were.
    ++m.metrics.datagrams_rejected;
    m.events.push_back(gateway_event::DatagramRejected{from, std::move(*error)});
    return;
  }
  if (GwClient* c = m.find(from); c && c->phase != GwPhase::offline) c->last_heard_ns = now;
  m.dispatch(from, std::get<Packet>(result), now);
  if (GwClient* c = m.find(from)) m.refresh_timer(*c);
}

void MqttSnGateway::broker_connection_opened(MqttLinkId link, TimeNs now) {
  Impl& m = *impl_;
  auto it = m.links.find(link);
  if (it == m.links.end()) return;
  it->second->opened = true;
  it->second->open_requested = false;
  it->second->session.connection_opened(now);
  m.service(link, now);
}

void MqttSnGateway::handle_broker_bytes(MqttLinkId link, TimeNs now, ByteView bytes) {
  Impl& m = *impl_;
  auto it = m.links.find(link);
  if (it == m.links.end() || !it->second->opened) return;
  it->second->session.handle_bytes(now, bytes);
  m.service(link, now);
}

void MqttSnGateway::broker_connection_closed(MqttLinkId link, TimeNs now) {
  Impl& m = *impl_;
  auto it = m.links.find(link);
  if (it == m.links.end()) return;
  GwLink& l = *it->second;
  // Open asked for but never reported: the transport could not connect. (A link whose
  // session asked for the close has neither flag set, and its session ignores the news.)
  const bool never_opened = l.open_requested && !l.opened;
  l.opened = false;
  l.open_requested = false;
  if (never_opened) {
    // The transport could not connect: the session never saw a connection. Client links end;
    // the forwarder tries again after T_retry.
    if (l.owner) {
      if (GwClient* c = m.find(*l.owner)) {
        if (c->phase == GwPhase::connecting) {
          m.send(c->address, ConnAck{ReturnCode::rejected_congestion});
          m.events.push_back(gateway_event::ConnectRefused{
              c->address, ReturnCode::rejected_congestion, "the broker cannot be reached"});
        }
        m.end_client(*c, ClientEndCause::broker, false, now);
      }
      return;
    }
    l.open_not_before_ns = now + m.config.retry_interval_ns;
    return;
  }
  l.session.connection_closed(now);
  m.service(link, now);
}

void MqttSnGateway::handle_timeout(TimeNs now) {
  Impl& m = *impl_;
  std::vector<ClientAddress> due;
  for (auto it = m.timers.begin(); it != m.timers.end() && it->first <= now; ++it) {
    due.push_back(it->second);
  }
  for (ClientAddress address : due) {
    if (GwClient* c = m.find(address)) m.client_timeout(*c, now);
    if (GwClient* c = m.find(address)) m.refresh_timer(*c);
  }
  if (m.forwarder) {
    m.links.at(*m.forwarder)->session.handle_timeout(now);
    m.service(*m.forwarder, now);
  }
}

std::optional<SnTransmit> MqttSnGateway::poll_transmit() {
  Impl& m = *impl_;
  if (m.datagrams.empty()) return std::nullopt;
  SnTransmit t = std::move(m.datagrams.front());
  m.datagrams.pop_front();
  return t;
}

std::optional<BrokerAction> MqttSnGateway::poll_broker_action() {
  Impl& m = *impl_;
  if (m.actions.empty()) return std::nullopt;
  BrokerAction a = std::move(m.actions.front());
  m.actions.pop_front();
  return a;
}

std::optional<TimeNs> MqttSnGateway::poll_timeout() const {
  const Impl& m = *impl_;
  std::optional<TimeNs> next;
  if (!m.timers.empty()) next = m.timers.begin()->first;
  if (m.forwarder) {
    const GwLink& l = *m.links.at(*m.forwarder);
    auto consider = [&](std::optional<TimeNs> t) {
      if (t && (!next || *t < *next)) next = t;
    };
    consider(l.session.poll_timeout());
    if (!l.opened && !l.open_requested) {
      if (auto w = l.session.wants_connection_at()) consider(std::max(*w, l.open_not_before_ns));
    }
  }
  return next;
}

std::optional<GatewayEvent> MqttSnGateway::poll_event() {
  Impl& m = *impl_;
  if (m.events.empty()) return std::nullopt;
  GatewayEvent e = std::move(m.events.front());
  m.events.pop_front();
  return e;
}

std::size_t MqttSnGateway::client_count() const {
  return impl_->clients.size();
}
std::size_t MqttSnGateway::connected_count() const {
  std::size_t n = 0;
  for (const auto& [address, c] : impl_->clients) n += c.phase == GwPhase::connected ? 1 : 0;
  return n;
}
std::size_t MqttSnGateway::link_count() const {
  return impl_->links.size();
}
std::size_t MqttSnGateway::pending_count() const {
  std::size_t n = 0;
  for (const auto& [address, c] : impl_->clients) {
    n += c.deliveries.size() + c.forwards.size() + c.requests.size();
  }
  return n;
}
const GatewayMetrics& MqttSnGateway::metrics() const {
  return impl_->metrics;
}
const MqttSnGatewayConfig& MqttSnGateway::config() const {
  return impl_->config;
}

// ---- Impl: datagrams, links, timers, the end of a client ----

void MqttSnGateway::Impl::send(ClientAddress to, const Packet& packet) {
  SnTransmit t{to, {}};
  const auto error = encode(packet, t.datagram);
  assert(!error && "the gateway only sends what it validated");
  (void)error;
  ++metrics.datagrams_sent;
  datagrams.push_back(std::move(t));
}

GwClient* MqttSnGateway::Impl::find(ClientAddress address) {
  auto it = clients.find(address);
  return it == clients.end() ? nullptr : &it->second;
}

std::uint16_t MqttSnGateway::Impl::allocate_msg_id(GwClient& c) {
  const std::uint16_t id = c.next_msg_id;
  c.next_msg_id = c.next_msg_id == 0xFFFF ? 1 : static_cast<std::uint16_t>(c.next_msg_id + 1);
  return id;
}

MqttLinkId MqttSnGateway::Impl::open_link(ClientConfig session_config,
                                          std::optional<ClientAddress> owner, TimeNs now) {
  const MqttLinkId id = next_link++;
  auto link = std::make_unique<GwLink>(std::move(session_config));
  link->owner = owner;
  link->session.connect(now);
  links.emplace(id, std::move(link));
  service(id, now);
  return id;
}

void MqttSnGateway::Impl::drop_link(MqttLinkId id, bool graceful, TimeNs now) {
  auto it = links.find(id);
  if (it == links.end()) return;
  GwLink& l = *it->second;
  if (graceful) l.session.disconnect(now);  // DISCONNECT: the broker discards the Will
  while (auto t = l.session.poll_transmit()) {
    if (l.opened && !t->bytes.empty()) {
      actions.push_back(BrokerAction{BrokerAction::Kind::send, id, std::move(t->bytes)});
    }
  }
  // Without DISCONNECT the broker sees the connection drop and publishes the Will.
  if (l.opened || l.open_requested)
    actions.push_back(BrokerAction{BrokerAction::Kind::close, id, {}});
  links.erase(it);
}

void MqttSnGateway::Impl::service(MqttLinkId id, TimeNs now) {
  auto first = links.find(id);
  if (first == links.end()) return;
  const std::optional<ClientAddress> owner = first->second->owner;
  drain(id, now);
  // Broker-side input moves the client's deadlines too (keep alive, a CONNACK timeout).
  if (owner) {
    if (GwClient* c = find(*owner)) refresh_timer(*c);
  }
}

void MqttSnGateway::Impl::drain(MqttLinkId id, TimeNs now) {
  // Each round handles one event, which may end the link or make more output.
  for (int round = 0; round < 1'000'000; ++round) {
    auto it = links.find(id);
    if (it == links.end()) return;
    GwLink& l = *it->second;
    bool moved = false;
    while (auto t = l.session.poll_transmit()) {
      moved = true;
      if (!l.opened) continue;
      if (!t->bytes.empty()) {
        actions.push_back(BrokerAction{BrokerAction::Kind::send, id, std::move(t->bytes)});
      }
      if (t->close) {
        actions.push_back(BrokerAction{BrokerAction::Kind::close, id, {}});
        l.opened = false;
      }
    }
    const auto wanted = l.session.wants_connection_at();
    if (!l.opened && !l.open_requested && wanted && *wanted <= now && l.open_not_before_ns <= now) {
      actions.push_back(BrokerAction{BrokerAction::Kind::open, id, {}});
      l.open_requested = true;
    }
    std::optional<ClientEvent> event = l.session.poll_event();
    if (!event && !moved) return;
    if (event) on_session_event(id, std::move(*event), now);  // may erase the link
  }
}

std::optional<TimeNs> MqttSnGateway::Impl::client_deadline(const GwClient& c) const {
  std::optional<TimeNs> next;
  auto consider = [&](std::optional<TimeNs> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (c.outstanding) consider(c.outstanding->deadline_ns);
  if (c.phase == GwPhase::connected && c.duration_s != 0) {
    consider(c.last_heard_ns + static_cast<TimeNs>(config.keep_alive_tolerance *
                                                   static_cast<double>(c.duration_s) * 1e9));
  }
  if (c.phase == GwPhase::will_topic || c.phase == GwPhase::will_msg) {
    // A client that stops half way through the Will exchange is forgotten once it would have
    // given up itself.
    consider(c.last_heard_ns +
             config.retry_interval_ns * static_cast<TimeNs>(config.max_retries + 2));
  }
  if (c.link) {
    if (auto it = links.find(*c.link); it != links.end()) {
      consider(it->second->session.poll_timeout());
    }
  }
  return next;
}

void MqttSnGateway::Impl::refresh_timer(GwClient& c) {
  if (c.timer_key) timers.erase({*c.timer_key, c.address});
  c.timer_key = client_deadline(c);
  if (c.timer_key) timers.insert({*c.timer_key, c.address});
}

void MqttSnGateway::Impl::client_timeout(GwClient& c, TimeNs now) {
  const ClientAddress address = c.address;
  if (c.link) {
    links.at(*c.link)->session.handle_timeout(now);
    service(*c.link, now);
  }
  GwClient* live = find(address);
  if (!live) return;
  if (live->outstanding && now >= live->outstanding->deadline_ns) {
    GwOutstanding& o = *live->outstanding;
    if (o.retransmissions >= config.max_retries) {
      end_client(*live, ClientEndCause::retries_exhausted, true, now);
      return;
    }
    ++o.retransmissions;
    ++metrics.retransmissions;
    o.deadline_ns = now + config.retry_interval_ns;
    ++metrics.datagrams_sent;
    datagrams.push_back(SnTransmit{address, o.resend});
  }
  const TimeNs silent_ns = now - live->last_heard_ns;
  if (live->phase == GwPhase::connected && live->duration_s != 0 &&
      silent_ns >= static_cast<TimeNs>(config.keep_alive_tolerance *
                                       static_cast<double>(live->duration_s) * 1e9)) {
    end_client(*live, ClientEndCause::keep_alive, true, now);
  } else if ((live->phase == GwPhase::will_topic || live->phase == GwPhase::will_msg) &&
             silent_ns >= config.retry_interval_ns * static_cast<TimeNs>(config.max_retries + 2)) {
    end_client(*live, ClientEndCause::keep_alive, false, now);
  }
}

void MqttSnGateway::Impl::end_client(GwClient& c, ClientEndCause cause, bool tell_client,
                                     TimeNs now) {
  for (const GwDelivery& d : c.deliveries) {
    ++metrics.deliveries_lost;
    events.push_back(gateway_event::DeliveryLost{c.address, d.topic, d.qos,
                                                 std::string(client_end_cause_name(cause))});
  }
  c.deliveries.clear();
  c.outstanding.reset();
  if (c.link) {
    const bool graceful = cause == ClientEndCause::requested || cause == ClientEndCause::replaced;
    drop_link(*c.link, graceful, now);
    c.link.reset();
  }
  if (tell_client) send(c.address, Disconnect{});
  if (c.phase == GwPhase::connected) {
    events.push_back(gateway_event::ClientDisconnected{c.address, c.client_id, cause});
  }
  c.phase = GwPhase::offline;
  c.forwards.clear();
  c.requests.clear();
  c.qos2_in.clear();
  c.will.reset();
  if (c.timer_key) timers.erase({*c.timer_key, c.address});
  c.timer_key.reset();
  // A session without clean flag keeps its topic registrations for the next CONNECT.
  if (c.clean_session || cause == ClientEndCause::evicted) clients.erase(c.address);
}

}  // namespace mqttsim::protocol::sn
