// BrokerHost: drives BrokerCore from transport callbacks and its one kernel timer. Each callback
// feeds the core, then drains it: events (traced; a CONNECT tells the stream's version), then
// transmits (counted, traced, written, closed when asked), then re-arms the timer.
#include "sim/nodes/broker_host.hpp"

#include <stdexcept>
#include <type_traits>
#include <variant>

namespace mqttsim::sim::nodes {

BrokerHost::BrokerHost(NodeWorld& world, net::NodeId node, protocol::BrokerConfig config)
    : world_(&world), node_(node), config_(std::move(config)) {}

BrokerHost::~BrokerHost() {
  timer_.cancel(world_->kernel);
}

void BrokerHost::start() {
  if (!core_) core_.emplace(config_);
  world_->transport.listen(node_, this);
}

void BrokerHost::crash(std::optional<bool> persistent) {
  if (!core_) return;
  const bool keep = persistent.value_or(config_.persistence);
  world_->transport.crash_node(node_);
  if (keep) saved_ = core_->snapshot();
  core_.reset();
  connections_.clear();
  timer_.cancel(world_->kernel);
  ++stats_.crashes;
  world_->ledger.broker_crashed(world_->kernel.now_ns(), keep);
  TraceRecord r;
  r.time_ns = world_->kernel.now_ns();
  r.kind = TraceKind::fault;
  r.node = node_;
  r.reason = keep ? 1 : 0;
  r.label = "broker_crash";
  world_->trace.record(r);
}

void BrokerHost::restart() {
  if (core_) return;
  const TimeNs now = world_->kernel.now_ns();
  if (saved_) {
    core_.emplace(config_, *saved_, now);
    saved_.reset();
  } else {
    core_.emplace(config_);
  }
  ++stats_.restarts;
  TraceRecord r;
  r.time_ns = now;
  r.kind = TraceKind::fault;
  r.node = node_;
  r.label = "broker_restart";
  world_->trace.record(r);
  world_->transport.listen(node_, this);
  drain();  // restored sessions have deadlines (expiry, delayed Wills)
}

protocol::BrokerCore& BrokerHost::core() {
  if (!core_) throw std::logic_error("the broker is crashed");
  return *core_;
}

const protocol::BrokerCore& BrokerHost::core() const {
  if (!core_) throw std::logic_error("the broker is crashed");
  return *core_;
}

void BrokerHost::on_stream_accepted(net::StreamId id) {
  if (!core_) return;
  connections_.try_emplace(id);
  ++stats_.connections_accepted;
  core_->connection_opened(id, world_->kernel.now_ns());
  drain();
}

void BrokerHost::on_stream_connected(net::StreamId /*id*/) {
  // A broker never connects out; nothing to do.
}

void BrokerHost::on_stream_data(net::StreamId id, std::span<const std::uint8_t> bytes) {
  Connection* const c = connections_.find(id);
  if (!core_ || c == nullptr) return;
  c->scanner.feed(bytes, received_);
  core_->handle_bytes(id, world_->kernel.now_ns(), protocol::ByteView(bytes));
  drain();
}

void BrokerHost::on_stream_closed(net::StreamId id, net::StreamCloseReason /*reason*/) {
  if (!core_ || !connections_.erase(id)) return;
  ++stats_.connections_lost;
  core_->connection_closed(id, world_->kernel.now_ns());
  drain();
}

void BrokerHost::drain() {
  if (!core_) return;
  drain_events();
  // The buffer of an earlier drain goes round the connections (a nested drain, from a callback
  // of send(), finds none and allocates): no allocation per packet.
  protocol::Transmit transmit;
  transmit.bytes.swap(spare_bytes_);
  while (core_ && core_->poll_transmit(transmit)) {
    send(transmit);
    drain_events();
  }
  spare_bytes_.swap(transmit.bytes);
  if (!core_) return;
  const auto deadline = core_->poll_timeout();
  if (!deadline) {
    timer_.cancel(world_->kernel);
    return;
  }
  timer_.arm(world_->kernel, *deadline, [this] { on_timer(); });
}

void BrokerHost::send(const protocol::Transmit& transmit) {
  const Connection* const c = connections_.find(transmit.connection);
  if (c == nullptr) return;  // the stream is already gone
  account_sent(*world_, node_, kNoNode, c->v5, /*is_publisher=*/false, transmit.bytes, sent_);
  if (!transmit.bytes.empty()) {
    world_->transport.write(transmit.connection, net::StreamSide::server, transmit.bytes);
  }
  if (transmit.close) {
    world_->transport.close(transmit.connection, net::StreamSide::server);
    connections_.erase(transmit.connection);
    ++stats_.connections_closed;
  }
}

void BrokerHost::on_timer() {
  if (!core_) return;
  core_->handle_timeout(world_->kernel.now_ns());
  drain();
}

void BrokerHost::drain_events() {
  namespace ev = protocol::broker_event;
  while (auto event = core_->poll_event()) {
    ++stats_.protocol_events;
    std::visit(
        [this](const auto& e) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, ev::ClientConnected>) {
            if (Connection* c = connections_.find(e.connection)) c->v5 = protocol::is_v5(e.version);
            ++stats_.clients_connected;
            trace_protocol_event(*world_, node_, "client_connected", e.session_present ? 1 : 0);
          } else if constexpr (std::is_same_v<E, ev::ConnectRefused>) {
            ++stats_.connects_refused;
            trace_protocol_event(*world_, node_, "connect_refused", e.reason_code);
          } else if constexpr (std::is_same_v<E, ev::ClientDisconnected>) {
            ++(e.graceful ? stats_.graceful_disconnects : stats_.abnormal_disconnects);
            world_->ledger.connection_ended(e.client_id, world_->kernel.now_ns(), e.graceful,
                                            e.will_scheduled);
            trace_protocol_event(*world_, node_,
                                 e.graceful ? "client_disconnected" : "client_lost");
          } else if constexpr (std::is_same_v<E, ev::ProtocolViolation>) {
            ++stats_.protocol_violations;
            trace_protocol_event(*world_, node_, "protocol_violation",
                                 static_cast<std::uint8_t>(e.error.kind));
          } else if constexpr (std::is_same_v<E, ev::MessagePublished>) {
            ++stats_.messages_published;
            trace_protocol_event(*world_, node_, "message_published",
                                 static_cast<std::uint8_t>(e.message->qos));
          } else if constexpr (std::is_same_v<E, ev::MessageDropped>) {
            ++stats_.messages_dropped;
            trace_protocol_event(*world_, node_, "message_dropped");
          } else if constexpr (std::is_same_v<E, ev::SessionExpired>) {
            ++stats_.sessions_expired;
            trace_protocol_event(*world_, node_, "session_expired");
          }
        },
        *event);
  }
}

}  // namespace mqttsim::sim::nodes
