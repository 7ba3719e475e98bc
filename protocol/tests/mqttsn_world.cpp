// The in-memory MQTT-SN world (see mqttsn_world.hpp): datagrams queue in one FIFO and may be
// dropped; MQTT bytes go straight to their receiver, in order.
#include "mqttsn_world.hpp"

#include <algorithm>

namespace mqttsim::protocol::testing {

std::string SnDatagramRecord::summary() const {
  std::string who = "c" + std::to_string(address);
  std::string out = to_gateway ? who + " -> gw " : "gw -> " + who + " ";
  const sn::DecodeResult r = sn::decode(ByteView(bytes.data(), bytes.size()));
  if (const auto* p = std::get_if<sn::Packet>(&r)) {
    out += std::string(sn::message_type_name(*p));
    std::visit(
        [&](const auto& m) {
          if constexpr (requires { m.msg_id; }) out += " id=" + std::to_string(m.msg_id);
          if constexpr (requires { m.dup; }) {
            if (m.dup) out += " dup";
          }
        },
        *p);
  } else {
    out += "MALFORMED";
  }
  if (dropped) out += " (dropped)";
  return out;
}

SnWorld::SnWorld(sn::MqttSnGatewayConfig gateway_config, BrokerConfig broker_config)
    : broker(std::move(broker_config)), gateway(std::move(gateway_config)) {}

std::size_t SnWorld::add_sn_client(sn::MqttSnClientConfig config) {
  sn_.push_back(std::make_unique<SnPeer>(std::move(config)));
  return sn_.size() - 1;
}

std::size_t SnWorld::add_mqtt_client(ClientConfig config) {
  mqtt_.push_back(std::make_unique<MqttPeer>(std::move(config)));
  mqtt_.back()->session.connect(now_ns);
  flush();
  return mqtt_.size() - 1;
}

void SnWorld::inject(sn::ClientAddress address, std::vector<std::uint8_t> bytes) {
  route(true, address, std::move(bytes));
  flush();
}

void SnWorld::route(bool to_gateway, sn::ClientAddress address, std::vector<std::uint8_t> bytes) {
  SnDatagramRecord d{now_ns, to_gateway, address, std::move(bytes), false};
  d.dropped = drop && drop(d);
  datagrams_.push_back(d);
  if (!d.dropped) in_flight_.push_back(std::move(d));
}

void SnWorld::close_mqtt(std::size_t i) {
  MqttPeer& p = *mqtt_[i];
  if (!p.open) return;
  p.open = false;
  broker.connection_closed(i + 1, now_ns);
  p.session.connection_closed(now_ns);
}

bool SnWorld::run_gateway_actions() {
  bool moved = false;
  while (auto a = gateway.poll_broker_action()) {
    moved = true;
    const ConnectionId conn = kGatewayConnectionBase + a->link;
    if (a->kind == sn::BrokerAction::Kind::open) {
      gateway_links_[a->link] = true;
      broker.connection_opened(conn, now_ns);
      gateway.broker_connection_opened(a->link, now_ns);
    } else if (gateway_links_[a->link]) {
      if (a->kind == sn::BrokerAction::Kind::send) {
        broker.handle_bytes(conn, now_ns, ByteView(a->bytes.data(), a->bytes.size()));
      } else {
        gateway_links_[a->link] = false;
        broker.connection_closed(conn, now_ns);
        gateway.broker_connection_closed(a->link, now_ns);
      }
    }
  }
  return moved;
}

bool SnWorld::run_broker_output() {
  bool moved = false;
  while (auto t = broker.poll_transmit()) {
    moved = true;
    if (t->connection >= kGatewayConnectionBase) {
      const sn::MqttLinkId link = t->connection - kGatewayConnectionBase;
      if (!gateway_links_[link]) continue;
      if (!t->bytes.empty()) {
        gateway.handle_broker_bytes(link, now_ns, ByteView(t->bytes.data(), t->bytes.size()));
      }
      if (t->close) {
        gateway_links_[link] = false;
        broker.connection_closed(t->connection, now_ns);
        gateway.broker_connection_closed(link, now_ns);
      }
    } else {
      const std::size_t i = t->connection - 1;
      MqttPeer& p = *mqtt_.at(i);
      if (!p.open) continue;
      if (!t->bytes.empty()) {
        p.session.handle_bytes(now_ns, ByteView(t->bytes.data(), t->bytes.size()));
      }
      if (t->close) close_mqtt(i);
    }
  }
  return moved;
}

bool SnWorld::step_once() {
  bool moved = false;
  for (std::size_t i = 0; i < sn_.size(); ++i) {
    SnPeer& p = *sn_[i];
    while (auto d = p.client.poll_transmit()) {
      route(true, address_of(i), std::move(*d));
      moved = true;
    }
    while (auto e = p.client.poll_event()) p.log.push_back(std::move(*e));
  }
  while (auto t = gateway.poll_transmit()) {
    route(false, t->to, std::move(t->datagram));
    moved = true;
  }
  moved = run_gateway_actions() || moved;
  while (auto e = gateway.poll_event()) gateway_log_.push_back(std::move(*e));
  for (std::size_t i = 0; i < mqtt_.size(); ++i) {
    MqttPeer& p = *mqtt_[i];
    const auto wanted = p.session.wants_connection_at();
    if (!p.open && wanted && *wanted <= now_ns) {
      p.open = true;
      broker.connection_opened(i + 1, now_ns);
      p.session.connection_opened(now_ns);
      moved = true;
    }
    while (auto t = p.session.poll_transmit()) {
      moved = true;
      if (!p.open) continue;
      if (!t->bytes.empty()) {
        broker.handle_bytes(i + 1, now_ns, ByteView(t->bytes.data(), t->bytes.size()));
      }
      if (t->close) close_mqtt(i);
    }
    while (auto e = p.session.poll_event()) p.log.push_back(std::move(*e));
  }
  moved = run_broker_output() || moved;
  while (broker.poll_event()) {
  }
  // Datagrams arrive one at a time, oldest first, so answers interleave as on a real link.
  if (!in_flight_.empty()) {
    moved = true;
    SnDatagramRecord d = std::move(in_flight_.front());
    in_flight_.pop_front();
    const ByteView bytes(d.bytes.data(), d.bytes.size());
    if (d.to_gateway) {
      gateway.handle_datagram(now_ns, d.address, bytes);
    } else if (d.address >= 1 && d.address <= sn_.size()) {
      sn_[d.address - 1]->client.handle_datagram(now_ns, bytes);
    }
  }
  return moved;
}

void SnWorld::flush() {
  for (int round = 0; round < 1'000'000; ++round) {
    if (!step_once()) return;
  }
  FAIL("the world keeps talking without end");
}

std::optional<TimeNs> SnWorld::next_deadline() const {
  std::optional<TimeNs> next;
  auto consider = [&](std::optional<TimeNs> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  consider(broker.poll_timeout());
  consider(gateway.poll_timeout());
  for (const auto& p : sn_) consider(p->client.poll_timeout());
  for (const auto& p : mqtt_) {
    consider(p->session.poll_timeout());
    if (!p->open) consider(p->session.wants_connection_at());
  }
  return next;
}

void SnWorld::advance(TimeNs delta_ns) {
  const TimeNs until = now_ns + delta_ns;
  flush();
  for (int step = 0; step < 1'000'000; ++step) {
    const std::optional<TimeNs> next = next_deadline();
    if (!next || *next > until) {
      now_ns = until;
      return;
    }
    now_ns = std::max(now_ns, *next);
    broker.handle_timeout(now_ns);
    gateway.handle_timeout(now_ns);
    for (auto& p : sn_) p->client.handle_timeout(now_ns);
    for (auto& p : mqtt_) p->session.handle_timeout(now_ns);
    flush();
  }
  FAIL("deadlines keep firing at the same time");
}

std::string SnWorld::trace() const {
  std::string out;
  for (const SnDatagramRecord& d : datagrams_) {
    out += "t=" + std::to_string(d.at_ns / 1'000'000) + "ms " + d.summary() + "\n";
  }
  return out;
}

}  // namespace mqttsim::protocol::testing
