// ClientSession plumbing: the connection lifecycle (opened, bytes, closed), packet dispatch,
// protocol violations, the deadlines (CONNACK timeout, keep alive), the reconnect schedule and
// packet identifier allocation.
#include "protocol/client/client_session.hpp"

#include <algorithm>

#include "protocol/client/client_impl.hpp"
#include "protocol/packet_reader.hpp"

namespace mqttsim::protocol {

namespace {
StreamOptions client_stream_options(const ClientConfig& config) {
  StreamOptions options;
  options.sender = Sender::server;
  options.version = config.version;
  if (is_v5(config.version)) {
    // What we announce as Maximum Packet Size is what we refuse above (MQTT-3.1.2-24 is the
    // server's duty; a larger packet is still a Protocol Error here, 5.0 §3.1.2.11.4).
    options.limits.max_packet_size_bytes = config.maximum_packet_size_bytes;
  }
  return options;
}
}  // namespace

ClientSession::Impl::Impl(ClientConfig client_config)
    : config(std::move(client_config)), client_id(config.client_id) {
  limits.keep_alive_s = config.keep_alive_s;
  limits.session_expiry_interval_s = config.session_expiry_interval_s;
}

ClientSession::ClientSession(ClientConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}
ClientSession::~ClientSession() = default;
ClientSession::ClientSession(ClientSession&&) noexcept = default;
ClientSession& ClientSession::operator=(ClientSession&&) noexcept = default;

void ClientSession::connect(TimeNs now) {
  Impl& m = *impl_;
  if (m.state == ClientState::connecting || m.state == ClientState::connected) return;
  m.state = ClientState::waiting;
  m.reconnect_at_ns = now;
  m.failures = 0;
}

void ClientSession::connection_opened(TimeNs now) {
  Impl& m = *impl_;
  // A second connection while one is up would be a transport bug; the first one is kept.
  if (m.state == ClientState::connecting || m.state == ClientState::connected) return;
  m.conn = ClientConnection{};
  m.conn.decoder.emplace(client_stream_options(m.config));
  m.conn.opened_ns = now;
  m.conn.last_sent_ns = now;
  m.state = ClientState::connecting;
  m.reconnect_at_ns.reset();
  m.send_connect(now);
}

void ClientSession::handle_bytes(TimeNs now, ByteView bytes) {
  Impl& m = *impl_;
  auto live = [&] {
    return m.state == ClientState::connecting || m.state == ClientState::connected;
  };
  if (!live() || !m.conn.decoder) return;
  StreamDecoder& decoder = *m.conn.decoder;
  decoder.feed(bytes);
  Packet packet;
  while (live()) {
    const StreamDecoder::Status status = decoder.next(packet);
    if (status == StreamDecoder::Status::need_more) break;
    if (status == StreamDecoder::Status::malformed) {
      const Malformed e = decoder.error();  // a copy: the violation ends the connection
      m.violation(now, static_cast<ReasonCode>(e.kind), e.reason, e.spec_ref);
      break;
    }
    m.conn.ping_deadline_ns.reset();  // any packet shows the server is alive
    m.dispatch(packet, now);
  }
}

void ClientSession::connection_closed(TimeNs now) {
  Impl& m = *impl_;
  if (m.state != ClientState::connecting && m.state != ClientState::connected) return;
  m.end_connection(now, static_cast<std::uint8_t>(ReasonCode::unspecified_error),
                   "the network connection closed", /*by_server=*/true, /*close=*/false,
                   /*reconnect=*/true);
}

void ClientSession::handle_timeout(TimeNs now) {
  Impl& m = *impl_;
  if (m.state == ClientState::connecting) {
    if (now >= m.conn.opened_ns + m.config.connect_timeout_ns) {
      m.end_connection(now, static_cast<std::uint8_t>(ReasonCode::unspecified_error),
                       "no CONNACK in time", false, /*close=*/true, /*reconnect=*/true);
    }
    return;
  }
  if (m.state != ClientState::connected || m.limits.keep_alive_s == 0) return;
  if (m.conn.ping_deadline_ns) {
    if (now >= *m.conn.ping_deadline_ns) {
      // The server does not answer: close without DISCONNECT, it would not be read anyway.
      m.end_connection(now, static_cast<std::uint8_t>(ReasonCode::keep_alive_timeout),
                       "no answer to PINGREQ in time", false, /*close=*/true, /*reconnect=*/true);
    }
    return;
  }
  const TimeNs keep_alive_ns = static_cast<TimeNs>(m.limits.keep_alive_s) * kClientNsPerS;
  if (now >= m.conn.last_sent_ns + keep_alive_ns) {  // idle for the interval (MQTT-3.1.2-20)
    m.send(Pingreq{}, now);
    m.conn.ping_deadline_ns = now + m.config.ping_timeout_ns.value_or(keep_alive_ns);
  }
}

std::optional<ClientTransmit> ClientSession::poll_transmit() {
  ClientTransmit t;
  if (!poll_transmit(t)) return std::nullopt;
  return t;
}

bool ClientSession::poll_transmit(ClientTransmit& out) {
  Impl& m = *impl_;
  if (m.conn.out.empty() && !m.conn.close_requested) return false;
  out.bytes.swap(m.conn.out);
  out.close = m.conn.close_requested;
  m.conn.out.clear();
  m.conn.close_requested = false;
  for (LocalMessageId id : m.conn.qos0_in_out) m.finish(id, 0);  // QoS 0 ends once written
  m.conn.qos0_in_out.clear();
  return true;
}

std::optional<TimeNs> ClientSession::poll_timeout() const {
  const Impl& m = *impl_;
  if (m.state == ClientState::connecting) return m.conn.opened_ns + m.config.connect_timeout_ns;
  if (m.state != ClientState::connected || m.limits.keep_alive_s == 0) return std::nullopt;
  if (m.conn.ping_deadline_ns) return m.conn.ping_deadline_ns;
  return m.conn.last_sent_ns + static_cast<TimeNs>(m.limits.keep_alive_s) * kClientNsPerS;
}

std::optional<ClientEvent> ClientSession::poll_event() {
  if (impl_->events.empty()) return std::nullopt;
  return impl_->events.take_front();
}

std::optional<TimeNs> ClientSession::wants_connection_at() const {
  return impl_->state == ClientState::waiting ? impl_->reconnect_at_ns : std::nullopt;
}

ClientState ClientSession::state() const {
  return impl_->state;
}
const std::string& ClientSession::client_id() const {
  return impl_->client_id;
}
const ServerLimits& ClientSession::server_limits() const {
  return impl_->limits;
}
std::size_t ClientSession::inflight_count() const {
  return impl_->inflight.size();
}
std::size_t ClientSession::queued_count() const {
  return impl_->queue.size();
}
std::size_t ClientSession::pending_requests() const {
  return impl_->requests.size();
}
std::vector<std::string> ClientSession::granted_filters() const {
  std::vector<std::string> filters;
  for (const auto& entry : impl_->subscriptions) filters.push_back(entry.first);
  return filters;
}
const ClientConfig& ClientSession::config() const {
  return impl_->config;
}

// ---- Impl: output, dispatch, violations, connection end, reconnect, packet ids ----

void ClientSession::Impl::send(const Packet& packet, TimeNs now) {
  if (auto error = encode(packet, config.version, Sender::client, conn.out)) {
    // Commands are validated before anything is queued, so this is a bug in the session; the
    // packet is not sent rather than sent malformed.
    events.push_back(client_event::ProtocolViolation{*error});
    return;
  }
  conn.last_sent_ns = now;
}

void ClientSession::Impl::send_checked_publish(const Packet& packet, TimeNs now) {
  detail::encode_validated(packet, config.version, conn.out);
  conn.last_sent_ns = now;
}

void ClientSession::Impl::dispatch(Packet& packet, TimeNs now) {
  if (state == ClientState::connecting) {
    if (auto* connack = std::get_if<Connack>(&packet)) return on_connack(*connack, now);
    return violation(now, ReasonCode::protocol_error,
                     "the first packet from the server is not CONNACK", "MQTT-3.2.0-1");
  }
  std::visit(
      [&](auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Connack>) {
          violation(now, ReasonCode::protocol_error, "a second CONNACK", "MQTT-3.2.0-1");
        } else if constexpr (std::is_same_v<T, Publish>) {
          on_publish(p, now);
        } else if constexpr (std::is_same_v<T, Puback>) {
          on_puback(p, now);
        } else if constexpr (std::is_same_v<T, Pubrec>) {
          on_pubrec(p, now);
        } else if constexpr (std::is_same_v<T, Pubrel>) {
          on_pubrel(p, now);
        } else if constexpr (std::is_same_v<T, Pubcomp>) {
          on_pubcomp(p, now);
        } else if constexpr (std::is_same_v<T, Suback>) {
          on_suback(p, now);
        } else if constexpr (std::is_same_v<T, Unsuback>) {
          on_unsuback(p, now);
        } else if constexpr (std::is_same_v<T, Disconnect>) {
          on_server_disconnect(p, now);
        } else if constexpr (std::is_same_v<T, Auth>) {
          // We never send an Authentication Method, so the server may not start AUTH.
          violation(now, ReasonCode::protocol_error, "AUTH without an authentication method",
                    "MQTT-5.0 §4.12");
        }
        // PINGRESP needs nothing beyond the arrival itself; client-only packets do not
        // decode on this side.
      },
      packet);
}

void ClientSession::Impl::violation(TimeNs now, ReasonCode code, std::string reason,
                                    std::string_view spec_ref) {
  events.push_back(client_event::ProtocolViolation{
      Malformed{static_cast<ErrorKind>(code), reason, spec_ref, 0}});
  // 5.0: tell the server why (MQTT-4.13.1-1); before CONNACK, and under 3.1.1, just close.
  if (is_v5(config.version) && state == ClientState::connected) {
    Disconnect d{code, {}};
    d.properties.reason_string = reason;
    send(d, now);
  }
  end_connection(now, static_cast<std::uint8_t>(code), std::move(reason), /*by_server=*/false,
                 /*close=*/true, /*reconnect=*/true);
}

void ClientSession::Impl::end_connection(TimeNs now, std::uint8_t code, std::string reason,
                                         bool by_server, bool close, bool reconnect) {
  if (state == ClientState::connected) {
    const bool will = config.will.has_value() && !conn.normal_disconnect_sent;
    events.push_back(client_event::Disconnected{code, std::move(reason), by_server, will});
  } else {
    events.push_back(client_event::ConnectFailed{code, std::move(reason)});
  }
  conn.ping_deadline_ns.reset();
  conn.inbound_aliases.clear();
  conn.outbound_aliases.clear();
  if (close) {
    conn.close_requested = true;  // `out` still goes out, then the transport closes
  } else {
    // The bytes were never written: QoS 0 messages in them are lost (at most once).
    for (LocalMessageId id : conn.qos0_in_out) {
      finish(id, static_cast<std::uint8_t>(ReasonCode::unspecified_error));
    }
    conn.qos0_in_out.clear();
    conn.out.clear();
  }
  for (PendingRequest& r : requests) {  // sent again on the next connection
    if (r.packet_id != 0) release_packet_id(r.packet_id);
    r.packet_id = 0;
  }
  state = ClientState::idle;
  reconnect_at_ns.reset();
  if (reconnect) schedule_reconnect(now);
}

void ClientSession::Impl::schedule_reconnect(TimeNs now) {
  const std::vector<TimeNs>& delays = config.reconnect.delays_ns;
  if (delays.empty() || (failures >= delays.size() && !config.reconnect.repeat_last)) {
    return;  // gave up: idle until connect()
  }
  const TimeNs delay_ns = delays[std::min<std::size_t>(failures, delays.size() - 1)];
  ++failures;
  state = ClientState::waiting;
  reconnect_at_ns = now + delay_ns;
  events.push_back(client_event::ReconnectScheduled{*reconnect_at_ns, failures});
}

std::optional<std::uint16_t> ClientSession::Impl::allocate_packet_id() {
  if (ids_in_use.size() >= 65535) return std::nullopt;
  std::uint16_t id = next_packet_id;
  while (ids_in_use.contains(id)) id = static_cast<std::uint16_t>(id == 65535 ? 1 : id + 1);
  next_packet_id = static_cast<std::uint16_t>(id == 65535 ? 1 : id + 1);
  ids_in_use.insert(id);
  return id;
}

void ClientSession::Impl::release_packet_id(std::uint16_t id) {
  ids_in_use.erase(id);
}

}  // namespace mqttsim::protocol
