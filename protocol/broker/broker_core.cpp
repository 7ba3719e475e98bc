// BrokerCore plumbing: connections in and out, packet dispatch, protocol violations, deadlines
// (keep alive, delayed Wills, session expiry), shutdown, and the state snapshot.
#include "protocol/broker/broker_core.hpp"

#include "protocol/broker/broker_impl.hpp"

namespace mqttsim::protocol {

namespace {
StreamOptions server_stream_options(const BrokerConfig& config) {
  StreamOptions options;
  options.sender = Sender::client;
  options.enforce_connect_order = true;
  options.limits.max_packet_size_bytes = config.maximum_packet_size_bytes;
  options.limits.topic.max_levels = config.max_topic_levels;
  return options;
}
}  // namespace

Connection::Connection(ConnectionId connection_id, const BrokerConfig& config)
    : id(connection_id), decoder(server_stream_options(config)) {}

BrokerCore::BrokerCore(BrokerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

BrokerCore::BrokerCore(BrokerConfig config, const BrokerState& state, TimeNs now)
    : BrokerCore(std::move(config)) {
  impl_->state = state;
  std::vector<std::string> ids;
  for (auto& [id, session] : impl_->state.sessions) {
    ids.push_back(id);
    session.subscriber = impl_->register_subscriber(session);
    for (const auto& [filter, entry] : session.subscriptions) {
      impl_->index.add(session.subscriber, filter, entry.options, entry.identifier,
                       session.version);
    }
  }
  // Every connection ended with the crash: sessions go offline as after an abnormal close.
  for (const std::string& id : ids) {
    Session& s = impl_->state.sessions.at(id);
    if (s.connected) impl_->detach_session(s, now, /*graceful=*/false);
  }
}

BrokerCore::~BrokerCore() = default;
BrokerCore::BrokerCore(BrokerCore&&) noexcept = default;
BrokerCore& BrokerCore::operator=(BrokerCore&&) noexcept = default;

void BrokerCore::connection_opened(ConnectionId connection, TimeNs now) {
  auto [c, inserted] = impl_->connections.try_emplace(connection, connection, impl_->config);
  if (!inserted) return;
  c->last_packet_ns = now;
  // Until CONNECT arrives, the keep alive is unknown; a client that never sends CONNECT is
  // closed after the broker's own patience (the 3.1.1 §3.1 "reasonable amount of time").
  c->keep_alive_s = 60;
  impl_->arm_keep_alive(*c);
}

void BrokerCore::handle_bytes(ConnectionId connection, TimeNs now, ByteView bytes) {
  Connection* const found = impl_->connections.find(connection);
  if (found == nullptr || found->closing) return;
  Connection& c = *found;
  c.decoder.feed(bytes);
  Packet packet;
  while (!c.closing) {
    const StreamDecoder::Status status = c.decoder.next(packet);
    if (status == StreamDecoder::Status::need_more) break;
    if (status == StreamDecoder::Status::malformed) {
      const Malformed& e = c.decoder.error();
      impl_->violation(c, now, {static_cast<ReasonCode>(e.kind), e.reason, e.spec_ref});
      break;
    }
    c.last_packet_ns = now;
    impl_->dispatch(c, packet, now);
  }
  impl_->settle(now);
}

void BrokerCore::connection_closed(ConnectionId connection, TimeNs now) {
  Connection* const c = impl_->connections.find(connection);
  if (c == nullptr) return;
  if (!c->closing) {
    impl_->end_connection(*c, now, c->disconnect_received, "the network connection closed");
  }
  impl_->connections.erase(connection);
}

void BrokerCore::handle_timeout(TimeNs now) {
  Impl& m = *impl_;
  while (!m.keep_alive_timers.empty() && m.keep_alive_timers.begin()->first <= now) {
    const auto [at, id] = *m.keep_alive_timers.begin();
    m.keep_alive_timers.erase(m.keep_alive_timers.begin());
    m.fire_keep_alive(id, at, now);
  }
  while (!m.session_timers.empty() && std::get<0>(*m.session_timers.begin()) <= now) {
    const auto [at, kind, client_id] = *m.session_timers.begin();
    m.session_timers.erase(m.session_timers.begin());
    m.fire_session_timer(kind, client_id, now);
  }
  if (!m.write_behind.empty()) [[unlikely]]
    m.complete_write_behind(now);
  m.settle(now);
}

void BrokerCore::shutdown(TimeNs now) {
  for (const ConnectionId id : impl_->connections.sorted_keys()) {
    Connection* const found = impl_->connections.find(id);
    if (found == nullptr || found->closing) continue;
    Connection& c = *found;
    if (c.connected && is_v5(c.version)) {
      impl_->send(c, Disconnect{ReasonCode::server_shutting_down, {}});
    }
    impl_->end_connection(c, now, /*graceful=*/false, "the server shut down");
  }
}

std::optional<Transmit> BrokerCore::poll_transmit() {
  Transmit t;
  if (!poll_transmit(t)) return std::nullopt;
  return t;
}

bool BrokerCore::poll_transmit(Transmit& out) {
  Impl& m = *impl_;
  while (!m.transmit_queue.empty()) {
    const ConnectionId id = m.transmit_queue.front();
    m.transmit_queue.pop_front();
    Connection* const found = m.connections.find(id);
    if (found == nullptr) continue;
    Connection& c = *found;
    c.queued_for_transmit = false;
    out.connection = id;
    out.close = c.closing;
    out.bytes.swap(c.out);
    c.out.clear();
    // A closing connection's state is gone once its last bytes are handed out.
    if (c.closing) m.connections.erase(id);
    return true;
  }
  return false;
}

std::optional<TimeNs> BrokerCore::poll_timeout() const {
  std::optional<TimeNs> next;
  if (!impl_->keep_alive_timers.empty()) next = impl_->keep_alive_timers.begin()->first;
  if (!impl_->session_timers.empty()) {
    const TimeNs at = std::get<0>(*impl_->session_timers.begin());
    if (!next || at < *next) next = at;
  }
  if (!impl_->write_behind.empty()) [[unlikely]] {  // Mutant::ack_before_store
    const TimeNs at = impl_->write_behind.front().first;
    if (!next || at < *next) next = at;
  }
  return next;
}

std::optional<BrokerEvent> BrokerCore::poll_event() {
  if (impl_->events.empty()) return std::nullopt;
  BrokerEvent e = std::move(impl_->events.front());
  impl_->events.pop_front();
  return e;
}

BrokerState BrokerCore::snapshot() const {
  BrokerState copy = impl_->state;
  // Mutant::no_persist_inflight: what a broker writes when it persists sessions and queues but
  // keeps its unacknowledged outbound messages in memory only; a restart from it loses them.
  if (impl_->config.mutants.has(Mutant::no_persist_inflight)) [[unlikely]] {
    for (auto& [id, session] : copy.sessions) session.inflight.clear();
  }
  return copy;
}
const BrokerMetrics& BrokerCore::metrics() const {
  return impl_->metrics;
}
const BrokerConfig& BrokerCore::config() const {
  return impl_->config;
}
std::size_t BrokerCore::session_count() const {
  return impl_->state.sessions.size();
}
std::size_t BrokerCore::retained_count() const {
  return impl_->state.retained.size();
}

// ---- Impl: output, violations, dispatch, timers ----

void BrokerCore::Impl::send(Connection& c, const Packet& packet) {
  if (auto error = encode(packet, c.version, Sender::server, c.out)) {
    // Every packet the broker builds is valid by construction; reaching this is a bug, and
    // the connection is closed rather than fed bytes its peer would reject. Closing may publish
    // a Will, which routes, so it waits for settle() instead of running inside a send.
    events.push_back(broker_event::ProtocolViolation{c.id, *error});
    broken.push_back(c.id);
    return;
  }
  if (!c.queued_for_transmit) {
    c.queued_for_transmit = true;
    transmit_queue.push_back(c.id);
  }
}

void BrokerCore::Impl::violation(Connection& c, TimeNs now, const Violation& v) {
  ++metrics.protocol_violations;
  events.push_back(broker_event::ProtocolViolation{
      c.id, Malformed{static_cast<ErrorKind>(v.code), v.reason, v.spec_ref, 0}});
  // 5.0: tell the client why (MQTT-4.13.1-1); 3.1.1 has no way to, the connection just closes.
  if (is_v5(c.version) && c.connected) {
    Disconnect d{v.code, {}};
    d.properties.reason_string = v.reason;
    // The Reason String is optional: left out when it would not fit (MQTT-3.14.2-3).
    if (encoded_size(d, c.version) > c.client_maximum_packet_size)
      d.properties.reason_string.reset();
    send(c, d);
  } else if (!c.connected && v.code == ReasonCode::unsupported_protocol_version) {
    // MQTT-3.1.2-2: answer an unknown protocol level with return code 0x01, in 3.1.1 form
    // since a client we cannot understand may be older.
    c.version = Version::v3_1_1;
    send(c, Connack{false, static_cast<ReasonCode>(1), {}});
  }
  end_connection(c, now, /*graceful=*/false, v.reason);
}

void BrokerCore::Impl::end_connection(Connection& c, TimeNs now, bool graceful,
                                      std::string reason) {
  c.closing = true;
  if (!c.queued_for_transmit) {  // the caller learns to close through an (empty) Transmit
    c.queued_for_transmit = true;
    transmit_queue.push_back(c.id);
  }
  if (!c.connected) return;
  c.connected = false;
  auto it = state.sessions.find(c.client_id);
  if (it == state.sessions.end()) return;
  Session& s = it->second;
  const bool will = !graceful && s.will.has_value();
  events.push_back(
      broker_event::ClientDisconnected{c.id, c.client_id, graceful, will, std::move(reason)});
  detach_session(s, now, graceful);
}

void BrokerCore::Impl::settle(TimeNs now) {
  while (!broken.empty()) {
    const ConnectionId id = broken.back();
    broken.pop_back();
    Connection* const c = connections.find(id);
    if (c == nullptr || c->closing) continue;
    end_connection(*c, now, /*graceful=*/false, "internal error: a packet failed to encode");
  }
}

Connection* BrokerCore::Impl::connection_of(const Session& s) {
  if (!s.connected) return nullptr;
  Connection* const c = connections.find(s.connection);
  return c == nullptr || c->closing ? nullptr : c;
}

void BrokerCore::Impl::dispatch(Connection& c, Packet& packet, TimeNs now) {
  if (auto* connect = std::get_if<Connect>(&packet)) return on_connect(c, *connect, now);
  if (!c.connected) {  // the decoder enforces CONNECT first; a refused one ends the stream
    return violation(c, now, {ReasonCode::protocol_error, "packet before CONNACK", "MQTT-3.1.0-1"});
  }
  std::visit(
      [&](auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Publish>) {
          on_publish(c, p, now);
        } else if constexpr (std::is_same_v<T, Puback>) {
          on_puback(c, p.packet_id, now);
        } else if constexpr (std::is_same_v<T, Pubrec>) {
          on_pubrec(c, p, now);
        } else if constexpr (std::is_same_v<T, Pubrel>) {
          on_pubrel(c, p.packet_id);
        } else if constexpr (std::is_same_v<T, Pubcomp>) {
          on_pubcomp(c, p.packet_id, now);
        } else if constexpr (std::is_same_v<T, Subscribe>) {
          on_subscribe(c, p, now);
        } else if constexpr (std::is_same_v<T, Unsubscribe>) {
          on_unsubscribe(c, p);
        } else if constexpr (std::is_same_v<T, Pingreq>) {
          send(c, Pingresp{});
        } else if constexpr (std::is_same_v<T, Disconnect>) {
          on_disconnect(c, p, now);
        } else if constexpr (std::is_same_v<T, Auth>) {
          // Enhanced authentication is not offered (no Authentication Method was accepted),
          // so any AUTH is a Protocol Error (MQTT-5.0 §4.12).
          violation(c, now,
                    {ReasonCode::protocol_error, "AUTH without an authentication method",
                     "MQTT-5.0 §4.12"});
        }
      },
      packet);
}

void BrokerCore::Impl::arm_keep_alive(Connection& c) {
  if (c.keep_alive_s == 0) return;  // 0 turns the mechanism off (MQTT-3.1.2-... §3.1.2.10)
  // 1.5 times the interval (MQTT-3.1.2-24 in 3.1.1, MQTT-3.1.2-22 in 5.0).
  const TimeNs grace_ns = static_cast<TimeNs>(c.keep_alive_s) * kNsPerS * 3 / 2;
  keep_alive_timers.emplace(c.last_packet_ns + grace_ns, c.id);
}

void BrokerCore::Impl::fire_keep_alive(ConnectionId id, TimeNs at, TimeNs now) {
  Connection* const found = connections.find(id);
  if (found == nullptr || found->closing) return;
  Connection& c = *found;
  const TimeNs grace_ns = static_cast<TimeNs>(c.keep_alive_s) * kNsPerS * 3 / 2;
  if (c.keep_alive_s == 0) return;
  if (c.last_packet_ns + grace_ns > at) {  // traffic since: re-arm at the real deadline
    keep_alive_timers.emplace(c.last_packet_ns + grace_ns, id);
    return;
  }
  if (!c.connected) return end_connection(c, now, false, "no CONNECT in time");
  violation(
      c, now,
      {ReasonCode::keep_alive_timeout,
       "no packet within 1.5 times the Keep Alive of " + std::to_string(c.keep_alive_s) + " s",
       is_v5(c.version) ? "MQTT-3.1.2-22" : "MQTT-3.1.2-24"});
}

void BrokerCore::Impl::fire_session_timer(int kind, const std::string& client_id, TimeNs now) {
  auto it = state.sessions.find(client_id);
  if (it == state.sessions.end() || it->second.connected) return;
  Session& s = it->second;
  if (kind == kWillTimer) {
    if (s.will_due_ns && *s.will_due_ns <= now) publish_will(s, now);
    return;
  }
  if (s.expires_ns && *s.expires_ns <= now) end_session(client_id, now);
}

}  // namespace mqttsim::protocol
