// SnClientNode: datagrams and kernel timers feed the MqttSnClient; each is followed by a drain
// (datagrams counted, traced and sent; events to the ledger and the trace; the timer re-armed).
// A connection that fails or is lost is retried after T_retry, subscriptions with it.
#include "sim/nodes/sn_client_node.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <variant>

#include "protocol/mqttsn.hpp"
#include "sim/digest.hpp"
#include "sim/distributions.hpp"

namespace mqttsim::sim::nodes {
namespace sn = protocol::sn;
namespace {

std::uint8_t ack_reason(sn::PublishOutcome outcome) {
  switch (outcome) {
    case sn::PublishOutcome::accepted:
    case sn::PublishOutcome::sent:
      return 0x00;
    case sn::PublishOutcome::rejected_congestion:
      return 0x97;  // the MQTT 5 "quota exceeded" reading of congestion
    case sn::PublishOutcome::rejected_invalid_topic_id:
      return 0x90;
    case sn::PublishOutcome::rejected_not_supported:
      return 0x83;
    case sn::PublishOutcome::lost:
      return 0x80;
  }
  return 0x80;
}

protocol::QoS mqtt_qos(sn::QoS qos) {
  return qos == sn::QoS::fire_and_forget ? protocol::QoS::at_most_once
                                         : static_cast<protocol::QoS>(qos);
}

}  // namespace

std::uint64_t SnWireCounters::total_packets() const {
  std::uint64_t n = 0;
  for (std::uint64_t p : packets) n += p;
  return n;
}

std::uint64_t SnWireCounters::total_bytes() const {
  std::uint64_t n = 0;
  for (std::uint64_t b : bytes) n += b;
  return n;
}

SnWireCounters& SnWireCounters::operator+=(const SnWireCounters& other) {
  for (std::size_t i = 0; i < kSlots; ++i) {
    packets[i] += other.packets[i];
    bytes[i] += other.bytes[i];
  }
  for (std::size_t i = 0; i < flow_packets.size(); ++i) {
    flow_packets[i] += other.flow_packets[i];
    flow_bytes[i] += other.flow_bytes[i];
  }
  return *this;
}

void account_sn_datagram(NodeWorld& world, net::NodeId node, net::NodeId peer,
                         std::span<const std::uint8_t> datagram, SnWireCounters& counters) {
  TraceRecord r;
  r.time_ns = world.kernel.now_ns();
  r.kind = TraceKind::packet_sent;
  r.layer = TraceLayer::mqtt_sn;
  r.node = node;
  r.peer = peer;
  r.size_bytes = static_cast<std::uint32_t>(datagram.size());
  const sn::DecodeResult decoded = sn::decode(protocol::ByteView(datagram));
  std::size_t slot = 30;
  if (const auto* packet = std::get_if<sn::Packet>(&decoded)) {
    std::visit(
        [&](const auto& m) {
          r.packet_type = static_cast<std::uint8_t>(m.kType);
          slot = SnWireCounters::slot(r.packet_type);
          if constexpr (requires { m.msg_id; }) r.packet_id = m.msg_id;
        },
        *packet);
    if (const auto* p = std::get_if<sn::Publish>(packet)) {
      r.qos =
          p->qos == sn::QoS::fire_and_forget ? std::int8_t{-1} : static_cast<std::int8_t>(p->qos);
      const std::string_view payload(reinterpret_cast<const char*>(p->data.data()), p->data.size());
      r.message_id = read_tag(payload).value_or(0);
    }
  }
  ++counters.packets[slot];
  counters.bytes[slot] += datagram.size();
  // The flow's QoS level: a PUBLISH says it; PUBACK ends QoS 1 flows (or rejects one), the
  // PUBREC/PUBREL/PUBCOMP exchange belongs to QoS 2.
  std::optional<int> level;
  using sn::MsgType;
  if (r.packet_type == static_cast<std::uint8_t>(MsgType::publish)) level = r.qos;
  if (r.packet_type == static_cast<std::uint8_t>(MsgType::puback)) level = 1;
  if (r.packet_type == static_cast<std::uint8_t>(MsgType::pubrec) ||
      r.packet_type == static_cast<std::uint8_t>(MsgType::pubrel) ||
      r.packet_type == static_cast<std::uint8_t>(MsgType::pubcomp)) {
    level = 2;
  }
  if (level) {
    counters.flow_packets[static_cast<std::size_t>(*level + 1)] += 1;
    counters.flow_bytes[static_cast<std::size_t>(*level + 1)] += datagram.size();
  }
  world.trace.record(r);
}

SnClientNode::SnClientNode(NodeWorld& world, net::DatagramTransport& udp, net::NodeId node,
                           std::string_view node_name, net::NodeId gateway, std::uint32_t index,
                           sn::MqttSnClientConfig config, const ClientBehaviour& behaviour,
                           const std::map<std::string, std::uint16_t>& predefined,
                           const Rng& world_rng)
    : world_(&world),
      udp_(&udp),
      behaviour_(&behaviour),
      predefined_(&predefined),
      ledger_id_(world.ledger.add_client(std::string(node_name))),
      client_(std::move(config)),
      node_(node),
      gateway_(gateway),
      publish_rng_(world_rng.fork("client/" + std::to_string(index) + "/publish")) {
  const Rng topic_rng = world_rng.fork("client/" + std::to_string(index) + "/topic");
  for (const PublishBehaviour& p : behaviour.publishes) {
    Publishing state;
    state.topic = expand_template(p.topic_template, index, node_name, behaviour.values, topic_rng);
    state.topic_id = world.ledger.intern(state.topic);
    if (p.qos_minus_one) sn_topic(state.topic, true);  // throws early for an unknown topic
    publishing_.push_back(std::move(state));
  }
  for (const protocol::SubscribeFilter& f : behaviour.subscriptions) {
    filters_.push_back({expand_template(f.filter, index, node_name, behaviour.values, topic_rng),
                        f.options.max_qos});
  }
}

SnClientNode::~SnClientNode() {
  Kernel& k = world_->kernel;
  client_timer_.cancel(k);
  k.cancel(reconnect_event_);
  for (const Publishing& p : publishing_) k.cancel(p.event);
  if (started_) udp_->bind(node_, nullptr);
}

sn::SnTopic SnClientNode::sn_topic(const std::string& topic, bool qos_minus_one) const {
  if (auto it = predefined_->find(topic); it != predefined_->end()) {
    return sn::SnTopic::predefined(it->second);
  }
  if (topic.size() == 2) return sn::SnTopic::short_name(topic);
  if (qos_minus_one) {
    throw std::invalid_argument("MQTT-SN QoS -1 topic '" + topic +
                                "' is neither predefined nor a two-character short name");
  }
  return sn::SnTopic::named(topic);
}

void SnClientNode::start() {
  started_ = true;
  udp_->bind(node_, this);
  TimeNs at = std::max(behaviour_->connect_at_ns, world_->kernel.now_ns());
  if (behaviour_->connect_spread_ns > 0) {
    at += uniform_int(publish_rng_, 0, behaviour_->connect_spread_ns - 1);
  }
  world_->kernel.schedule_at(at, [this] { begin(); });
}

void SnClientNode::begin() {
  const TimeNs now = world_->kernel.now_ns();
  connect_now();
  for (std::uint32_t i = 0; i < publishing_.size(); ++i) {
    const PublishBehaviour& p = behaviour_->publishes[i];
    const TimeNs phase = p.interval_ns > 0 ? uniform_int(publish_rng_, 0, p.interval_ns - 1) : 0;
    schedule_publish(i, std::max(now, p.start_ns) + phase);
  }
}

void SnClientNode::connect_now() {
  client_.connect(world_->kernel.now_ns());
  drain();
}

void SnClientNode::schedule_publish(std::uint32_t which, TimeNs at_ns) {
  Kernel& k = world_->kernel;
  k.cancel(publishing_[which].event);
  publishing_[which].event =
      k.schedule_at(std::max(at_ns, k.now_ns()), [this, which] { on_publish_timer(which); });
}

void SnClientNode::on_publish_timer(std::uint32_t which) {
  const PublishBehaviour& p = behaviour_->publishes[which];
  const TimeNs now = world_->kernel.now_ns();
  if (now > p.stop_ns) return;
  Publishing& state = publishing_[which];
  if (p.max_messages != 0 && state.published >= p.max_messages) return;
  const double size =
      std::clamp(p.payload_size_bytes.sample(publish_rng_), 0.0, p.payload_max_bytes);
  publish_message(state.topic, state.topic_id, static_cast<std::size_t>(round_to_ns(size)),
                  p.qos_minus_one ? -1 : static_cast<int>(p.qos));
  ++state.published;
  const TimeNs jitter = round_to_ns(p.jitter_ns.sample(publish_rng_));
  schedule_publish(which, now + std::max<TimeNs>(1, p.interval_ns + jitter));
}

MessageKey SnClientNode::publish_now(const std::string& topic, std::size_t payload_size_bytes,
                                     int qos_level) {
  return publish_message(topic, world_->ledger.intern(topic), payload_size_bytes, qos_level);
}

MessageKey SnClientNode::publish_message(const std::string& topic, std::uint32_t topic_id,
                                         std::size_t payload_size_bytes, int qos_level) {
  const TimeNs now = world_->kernel.now_ns();
  DeliveryLedger& ledger = world_->ledger;
  const MessageKey key = ledger.next_key();
  std::string payload = tagged_payload(key, payload_size_bytes);
  const std::size_t size = payload.size();
  const std::uint64_t digest = xxh64(payload.data(), payload.size());
  const bool minus_one = qos_level < 0;
  const sn::QoS qos = minus_one ? sn::QoS::fire_and_forget : static_cast<sn::QoS>(qos_level);
  const auto result = client_.publish(now, sn_topic(topic, minus_one), std::move(payload), qos);
  const protocol::QoS recorded =
      minus_one ? protocol::QoS::at_most_once : static_cast<protocol::QoS>(qos_level);
  ledger.record_publish(ledger_id_, topic_id, recorded, false, digest,
                        static_cast<std::uint32_t>(size), now, result.id, !result);
  if (minus_one) ledger.mark_qos_minus_one(key);
  if (result) {
    unacked_.emplace(result.id, key);
    ++stats_.published;
  }
  drain();
  return key;
}

void SnClientNode::on_datagram(net::NodeId from, std::span<const std::uint8_t> bytes) {
  if (from != gateway_) return;  // only our gateway speaks to us
  client_.handle_datagram(world_->kernel.now_ns(), protocol::ByteView(bytes));
  drain();
}

void SnClientNode::drain() {
  // Events may give commands (subscribe on Connected): go round until nothing moves.
  for (bool moved = true; moved;) {
    moved = false;
    while (auto datagram = client_.poll_transmit()) {
      account_sn_datagram(*world_, node_, gateway_, *datagram, sent_);
      udp_->send(node_, gateway_, *datagram);
      moved = true;
    }
    while (auto event = client_.poll_event()) {
      handle_event(*event);
      moved = true;
    }
  }
  Kernel& k = world_->kernel;
  if (const auto deadline = client_.poll_timeout()) {
    client_timer_.arm(k, *deadline, [this] {
      client_.handle_timeout(world_->kernel.now_ns());
      drain();
    });
  } else {
    client_timer_.cancel(k);
  }
}

void SnClientNode::handle_event(const sn::MqttSnClientEvent& event) {
  namespace ev = sn::sn_event;
  const TimeNs now = world_->kernel.now_ns();
  DeliveryLedger& ledger = world_->ledger;
  Kernel& k = world_->kernel;
  const TimeNs retry_ns = client_.config().retry_interval_ns;
  if (const auto* m = std::get_if<ev::Message>(&event)) {
    ++stats_.received;
    ledger.record_delivery(ledger_id_, m->topic, m->payload, mqtt_qos(m->qos), m->dup, m->retain,
                           now);
    trace_protocol_event(*world_, node_, "message_received", static_cast<std::uint8_t>(m->qos),
                         read_tag(m->payload).value_or(0));
  } else if (const auto* a = std::get_if<ev::PublishAcked>(&event)) {
    auto it = unacked_.find(a->id);
    if (it == unacked_.end()) return;
    const std::uint8_t reason = ack_reason(a->outcome);
    if (reason >= 0x80) {
      ++stats_.reported_lost;
      trace_protocol_event(*world_, node_, "publish_lost", reason, it->second);
    }
    ledger.record_ack(it->second, reason, now);
    unacked_.erase(it);
  } else if (std::holds_alternative<ev::Connected>(event)) {
    ++stats_.connects;
    trace_protocol_event(*world_, node_, "connected");
    // A clean session starts without subscriptions: (re)subscribe on every connection.
    for (std::size_t i = 0; i < filters_.size(); ++i) {
      const auto r = client_.subscribe(now, sn::SnTopic::named(filters_[i].filter),
                                       static_cast<sn::QoS>(filters_[i].qos));
      if (r) subscribing_.emplace(r.id, i);
    }
  } else if (const auto* s = std::get_if<ev::Subscribed>(&event)) {
    auto it = subscribing_.find(s->id);
    if (it == subscribing_.end()) return;
    if (s->return_code == sn::ReturnCode::accepted) {
      ledger.subscription_granted(ledger_id_, filters_[it->second].filter, mqtt_qos(s->granted_qos),
                                  now);
    }
    subscribing_.erase(it);
  } else if (const auto* f = std::get_if<ev::ConnectFailed>(&event)) {
    ++stats_.connect_failures;
    trace_protocol_event(*world_, node_, "connect_failed",
                         f->return_code ? static_cast<std::uint8_t>(*f->return_code) : 0xFF);
    k.cancel(reconnect_event_);
    reconnect_event_ = k.schedule_in(retry_ns, [this] { connect_now(); });
  } else if (const auto* d = std::get_if<ev::Disconnected>(&event)) {
    if (client_.config().clean_session) ledger.subscriptions_lost(ledger_id_, now);
    trace_protocol_event(*world_, node_, "disconnected", static_cast<std::uint8_t>(d->cause));
    if (d->cause != sn::DisconnectCause::requested) {
      if (d->cause == sn::DisconnectCause::gateway_lost) ++stats_.gateway_losses;
      k.cancel(reconnect_event_);
      reconnect_event_ = k.schedule_in(retry_ns, [this] { connect_now(); });
    }
  } else if (std::holds_alternative<ev::DatagramIgnored>(event)) {
    trace_protocol_event(*world_, node_, "datagram_ignored");
  }
}

}  // namespace mqttsim::sim::nodes
