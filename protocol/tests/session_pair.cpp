// The in-memory world of ClientSessions and one BrokerCore (see session_pair.hpp).
#include "session_pair.hpp"

#include <algorithm>

namespace mqttsim::protocol::testing {

std::size_t SessionWorld::add_client(ClientConfig config) {
  clients_.push_back(std::make_unique<Peer>(std::move(config)));
  return clients_.size() - 1;
}

void SessionWorld::open(std::size_t i) {
  Peer& p = *clients_.at(i);
  REQUIRE_FALSE(p.connection.has_value());
  const ConnectionId id = next_connection_++;
  p.connection = id;
  p.to_broker.clear();
  p.to_client.clear();
  p.client_closing = p.broker_closing = false;
  routes_[id] = Route{i, false};
  broker.connection_opened(id, now_ns);
  p.session.connection_opened(now_ns);
  collect();
}

void SessionWorld::break_connection(std::size_t i, bool broker_notices) {
  Peer& p = *clients_.at(i);
  if (!p.connection) return;
  if (trace) trace("c" + std::to_string(i) + " connection breaks");
  const ConnectionId id = *p.connection;
  p.connection.reset();
  p.to_broker.clear();
  p.to_client.clear();
  p.session.connection_closed(now_ns);
  if (broker_notices) {
    routes_.erase(id);
    broker.connection_closed(id, now_ns);
  } else {
    routes_.at(id).dead = true;
  }
  collect();
}

void SessionWorld::notice_dead_connections() {
  for (auto it = routes_.begin(); it != routes_.end();) {
    if (it->second.dead) {
      const ConnectionId id = it->first;
      it = routes_.erase(it);
      broker.connection_closed(id, now_ns);
    } else {
      ++it;
    }
  }
  collect();
}

void SessionWorld::close_link(std::size_t i) {
  Peer& p = *clients_.at(i);
  const ConnectionId id = *p.connection;
  p.connection.reset();
  p.to_broker.clear();
  p.to_client.clear();
  routes_.erase(id);
  p.session.connection_closed(now_ns);  // a no-op when the client asked for the close
  broker.connection_closed(id, now_ns);
}

bool SessionWorld::maybe_close(std::size_t i) {
  Peer& p = *clients_.at(i);
  if (!p.connection) return false;
  // Like TCP: data sent before the close arrives; what travels the other way is lost.
  if ((p.client_closing && p.to_broker.empty()) || (p.broker_closing && p.to_client.empty())) {
    close_link(i);
    return true;
  }
  return false;
}

namespace {
std::string summary(const std::vector<std::uint8_t>& chunk, Version v, Sender sender) {
  std::string out;
  for (const WirePacket& w : decode_chunks({chunk}, v, sender)) {
    out += " " + std::string(packet_type_name(w.type));
    if (w.packet_id != 0) out += " id=" + std::to_string(w.packet_id);
    if (w.dup) out += " dup";
    if (w.reason_code != 0) out += " rc=" + std::to_string(w.reason_code);
  }
  return out;
}
}  // namespace

bool SessionWorld::deliver_to_broker(std::size_t i) {
  Peer& p = *clients_.at(i);
  if (!p.connection || p.to_broker.empty()) return false;
  std::vector<std::uint8_t> chunk = std::move(p.to_broker.front());
  p.to_broker.pop_front();
  if (trace) {
    trace("c" + std::to_string(i) +
          " -> broker:" + summary(chunk, p.session.config().version, Sender::client));
  }
  broker.handle_bytes(*p.connection, now_ns, ByteView(chunk.data(), chunk.size()));
  collect();
  return true;
}

bool SessionWorld::deliver_to_client(std::size_t i) {
  Peer& p = *clients_.at(i);
  if (!p.connection || p.to_client.empty()) return false;
  std::vector<std::uint8_t> chunk = std::move(p.to_client.front());
  p.to_client.pop_front();
  if (trace) {
    trace("broker -> c" + std::to_string(i) + ":" +
          summary(chunk, p.session.config().version, Sender::server));
  }
  p.session.handle_bytes(now_ns, ByteView(chunk.data(), chunk.size()));
  collect();
  return true;
}

std::size_t SessionWorld::chunks_in_flight() const {
  std::size_t n = 0;
  for (const auto& p : clients_) n += p->to_broker.size() + p->to_client.size();
  return n;
}

void SessionWorld::collect() {
  // A close can make more output (a Will, a reconnect event), so repeat until none happens.
  while (collect_once()) {
  }
}

bool SessionWorld::collect_once() {
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    Peer& p = *clients_[i];
    while (auto t = p.session.poll_transmit()) {
      if (!p.connection) continue;  // nothing to write to: the bytes are lost
      if (!t->bytes.empty()) p.to_broker.push_back(std::move(t->bytes));
      if (t->close) p.client_closing = true;
    }
    while (auto e = p.session.poll_event()) p.log.push_back(std::move(*e));
  }
  while (auto t = broker.poll_transmit()) {
    auto route = routes_.find(t->connection);
    REQUIRE(route != routes_.end());
    if (route->second.dead) {  // written into a connection nobody reads any more
      if (t->close) {
        routes_.erase(route);
        broker.connection_closed(t->connection, now_ns);
      }
      continue;  // (its close made no output: the connection was already closing)
    }
    Peer& p = *clients_[route->second.client];
    if (!t->bytes.empty()) p.to_client.push_back(std::move(t->bytes));
    if (t->close) p.broker_closing = true;
  }
  while (auto e = broker.poll_event()) broker_log_.push_back(std::move(*e));
  bool closed = false;
  for (std::size_t i = 0; i < clients_.size(); ++i) closed = maybe_close(i) || closed;
  return closed;
}

void SessionWorld::flush() {
  collect();
  for (int round = 0; round < 100000; ++round) {
    bool moved = false;
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      moved = deliver_to_broker(i) || moved;
      moved = deliver_to_client(i) || moved;
    }
    if (!moved) return;
  }
  FAIL("the sessions keep talking without end");
}

std::optional<TimeNs> SessionWorld::next_deadline() const {
  std::optional<TimeNs> next = broker.poll_timeout();
  auto consider = [&](std::optional<TimeNs> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (const auto& p : clients_) {
    consider(p->session.poll_timeout());
    if (auto_connect && !p->connection) consider(p->session.wants_connection_at());
  }
  return next;
}

void SessionWorld::advance(TimeNs delta_ns) {
  const TimeNs until = now_ns + delta_ns;
  flush();
  for (int step = 0; step < 100000; ++step) {
    const std::optional<TimeNs> next = next_deadline();
    if (!next || *next > until) {
      now_ns = until;
      return;
    }
    now_ns = std::max(now_ns, *next);
    broker.handle_timeout(now_ns);
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      Peer& p = *clients_[i];
      p.session.handle_timeout(now_ns);
      const auto wanted = p.session.wants_connection_at();
      if (auto_connect && !p.connection && wanted && *wanted <= now_ns) open(i);
    }
    flush();
  }
  FAIL("deadlines keep firing at the same time");
}

std::vector<ClientEvent> SessionWorld::take_events(std::size_t i) {
  Peer& p = *clients_.at(i);
  collect();
  std::vector<ClientEvent> out(p.log.begin() + static_cast<std::ptrdiff_t>(p.taken), p.log.end());
  p.taken = p.log.size();
  return out;
}

std::vector<WirePacket> decode_chunks(const std::deque<std::vector<std::uint8_t>>& chunks,
                                      Version version, Sender sender) {
  StreamOptions options;
  options.sender = sender;
  options.version = version;
  StreamDecoder decoder(options);
  std::vector<WirePacket> out;
  for (const std::vector<std::uint8_t>& chunk : chunks) {
    decoder.feed(ByteView(chunk.data(), chunk.size()));
    Packet packet;
    StreamDecoder::Status status;
    while ((status = decoder.next(packet)) == StreamDecoder::Status::packet) {
      WirePacket w;
      w.type = packet_type(packet);
      std::visit(
          [&](const auto& p) {
            using T = std::decay_t<decltype(p)>;
            if constexpr (std::is_same_v<T, Publish>) {
              w.dup = p.dup;
              w.packet_id = p.packet_id;
              w.topic = std::string(p.topic);
              w.topic_alias = p.properties.topic_alias;
            } else if constexpr (std::is_same_v<T, Puback> || std::is_same_v<T, Pubrec> ||
                                 std::is_same_v<T, Pubrel> || std::is_same_v<T, Pubcomp>) {
              w.packet_id = p.packet_id;
              w.reason_code = static_cast<std::uint8_t>(p.reason_code);
            } else if constexpr (std::is_same_v<T, Disconnect>) {
              w.reason_code = static_cast<std::uint8_t>(p.reason_code);
            }
          },
          packet);
      out.push_back(std::move(w));
    }
    INFO(decoder.error().reason);
    REQUIRE(status == StreamDecoder::Status::need_more);
  }
  return out;
}

}  // namespace mqttsim::protocol::testing
