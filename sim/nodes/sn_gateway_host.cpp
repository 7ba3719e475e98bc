// SnGatewayHost: datagram and stream callbacks feed MqttSnGateway; each is followed by a drain
// that sends datagrams to sensors, carries out broker actions (connect, write, close) and
// traces events, round after round until nothing moves, then re-arms the one timer.
#include "sim/nodes/sn_gateway_host.hpp"

#include <type_traits>
#include <variant>

namespace mqttsim::sim::nodes {
namespace sn = protocol::sn;

SnGatewayHost::SnGatewayHost(NodeWorld& world, net::DatagramTransport& udp, net::NodeId node,
                             net::NodeId broker, sn::MqttSnGatewayConfig config)
    : world_(&world),
      udp_(&udp),
      node_(node),
      broker_(broker),
      gateway_(std::move(config)),
      v5_(protocol::is_v5(gateway_.config().mqtt_version)) {}

SnGatewayHost::~SnGatewayHost() {
  timer_.cancel(world_->kernel);
  if (started_) udp_->bind(node_, nullptr);
}

void SnGatewayHost::start() {
  started_ = true;
  udp_->bind(node_, this);
}

void SnGatewayHost::on_datagram(net::NodeId from, std::span<const std::uint8_t> bytes) {
  gateway_.handle_datagram(world_->kernel.now_ns(), from, protocol::ByteView(bytes));
  drain();
}

void SnGatewayHost::on_stream_accepted(net::StreamId /*id*/) {
  // The gateway connects out; it does not listen.
}

void SnGatewayHost::on_stream_connected(net::StreamId id) {
  auto it = by_stream_.find(id);
  if (it == by_stream_.end()) return;
  Link& link = links_.at(it->second);
  link.up = true;
  gateway_.broker_connection_opened(it->second, world_->kernel.now_ns());
  if (!link.pending.empty()) {
    world_->transport.write(id, net::StreamSide::client, link.pending);
    link.pending.clear();
  }
  drain();
}

void SnGatewayHost::on_stream_data(net::StreamId id, std::span<const std::uint8_t> bytes) {
  auto it = by_stream_.find(id);
  if (it == by_stream_.end()) return;
  links_.at(it->second).scanner.feed(bytes, received_);
  gateway_.handle_broker_bytes(it->second, world_->kernel.now_ns(), protocol::ByteView(bytes));
  drain();
}

void SnGatewayHost::on_stream_closed(net::StreamId id, net::StreamCloseReason /*reason*/) {
  auto it = by_stream_.find(id);
  if (it == by_stream_.end()) return;
  const sn::MqttLinkId link = it->second;
  ++(links_.at(link).up ? stats_.broker_connections_lost : stats_.broker_connects_failed);
  by_stream_.erase(it);
  links_.erase(link);
  gateway_.broker_connection_closed(link, world_->kernel.now_ns());
  drain();
}

void SnGatewayHost::run_action(sn::BrokerAction& action) {
  using Kind = sn::BrokerAction::Kind;
  if (action.kind == Kind::open) {
    Link& link = links_[action.link];
    link.stream = world_->transport.connect(node_, broker_, this);
    by_stream_[link.stream] = action.link;
    return;
  }
  auto it = links_.find(action.link);
  if (it == links_.end()) return;  // already gone: the gateway has been told
  Link& link = it->second;
  if (action.kind == Kind::send) {
    account_sent(*world_, node_, broker_, v5_, /*is_publisher=*/false, action.bytes, sent_);
    if (link.up) {
      world_->transport.write(link.stream, net::StreamSide::client, action.bytes);
    } else {
      link.pending.insert(link.pending.end(), action.bytes.begin(), action.bytes.end());
    }
    return;
  }
  // close: what was written goes first; the gateway hears of the end at once, as in a socket
  // close, since the transport sends no callbacks for a stream this side closed.
  if (link.up) {
    world_->transport.close(link.stream, net::StreamSide::client);
  } else {
    world_->transport.abort(link.stream, net::StreamSide::client);
  }
  by_stream_.erase(link.stream);
  links_.erase(it);
  gateway_.broker_connection_closed(action.link, world_->kernel.now_ns());
}

void SnGatewayHost::drain() {
  for (bool moved = true; moved;) {
    moved = false;
    while (auto t = gateway_.poll_transmit()) {
      const auto to = static_cast<net::NodeId>(t->to);
      account_sn_datagram(*world_, node_, to, t->datagram, sn_sent_);
      udp_->send(node_, to, t->datagram);
      moved = true;
    }
    while (auto action = gateway_.poll_broker_action()) {
      run_action(*action);
      moved = true;
    }
    while (auto event = gateway_.poll_event()) {
      handle_event(*event);
      moved = true;
    }
  }
  if (const auto deadline = gateway_.poll_timeout()) {
    timer_.arm(world_->kernel, *deadline, [this] {
      gateway_.handle_timeout(world_->kernel.now_ns());
      drain();
    });
  } else {
    timer_.cancel(world_->kernel);
  }
}

void SnGatewayHost::handle_event(const sn::GatewayEvent& event) {
  namespace ev = sn::gateway_event;
  std::visit(
      [this](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, ev::ClientConnected>) {
          ++stats_.clients_connected;
          trace_protocol_event(*world_, node_, "sn_client_connected");
        } else if constexpr (std::is_same_v<E, ev::ConnectRefused>) {
          ++stats_.connects_refused;
          trace_protocol_event(*world_, node_, "sn_connect_refused",
                               static_cast<std::uint8_t>(e.return_code));
        } else if constexpr (std::is_same_v<E, ev::ClientDisconnected>) {
          ++stats_.clients_disconnected;
          trace_protocol_event(*world_, node_, "sn_client_disconnected",
                               static_cast<std::uint8_t>(e.cause));
        } else if constexpr (std::is_same_v<E, ev::DeliveryLost>) {
          ++stats_.deliveries_lost;
          trace_protocol_event(*world_, node_, "sn_delivery_lost",
                               static_cast<std::uint8_t>(e.qos));
        } else if constexpr (std::is_same_v<E, ev::PublishDropped>) {
          ++stats_.publishes_dropped;
          trace_protocol_event(*world_, node_, "sn_publish_dropped");
        } else if constexpr (std::is_same_v<E, ev::DatagramRejected>) {
          ++stats_.datagrams_rejected;
          trace_protocol_event(*world_, node_, "sn_datagram_rejected");
        }
      },
      event);
}

}  // namespace mqttsim::sim::nodes
