// VirtualClient: transport callbacks and kernel timers feed the ClientSession; each is followed
// by a drain (transmits counted, traced and written; events to the ledger and the trace; timers
// re-armed). Timer handlers capture `this` and at most one small integer.
#include "sim/nodes/virtual_client.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <variant>

#include "sim/digest.hpp"
#include "sim/distributions.hpp"

namespace mqttsim::sim::nodes {
namespace {

bool outlives_connection(const protocol::ClientSession& session) {
  const auto& config = session.config();
  if (protocol::is_v5(config.version)) return session.server_limits().session_expiry_interval_s > 0;
  return !config.clean_start;
}

// A temperature event as a sensor sends it to a cloud IoT platform, the ledger's tag first.
// The reading wanders around 21 °C (normal, σ 2 °C), printed with two decimals.
std::string json_temperature_event(MessageKey key, TimeNs now, std::uint64_t seq, Rng& rng) {
  char tag[kTagBytes];
  write_tag(key, tag);
  const double celsius = normal(rng, 21.0, 2.0);
  const auto centi = static_cast<long long>(round_to_ns(celsius * 100));
  char text[160];
  std::snprintf(
      text, sizeof text,
      "{\"m\":\"%.*s\",\"d\":{\"temperature_c\":%s%lld.%02lld,\"seq\":%llu},\"ts_ms\":%lld}",
      static_cast<int>(kTagBytes), tag, centi < 0 ? "-" : "", std::llabs(centi) / 100,
      std::llabs(centi) % 100, static_cast<unsigned long long>(seq),
      static_cast<long long>(now / 1'000'000));
  return text;
}

}  // namespace

VirtualClient::VirtualClient(NodeWorld& world, net::NodeId node, std::string_view node_name,
                             net::NodeId broker, std::uint32_t index, protocol::ClientConfig config,
                             const ClientBehaviour& behaviour, const Rng& world_rng)
    : world_(&world),
      behaviour_(&behaviour),
      ledger_id_(world.ledger.add_client(std::string(node_name))),
      session_(with_tagged_will(std::move(config))),
      node_(node),
      broker_(broker),
      publish_rng_(world_rng.fork("client/" + std::to_string(index) + "/publish")),
      churn_rng_(world_rng.fork("client/" + std::to_string(index) + "/churn")) {
  const Rng topic_rng = world_rng.fork("client/" + std::to_string(index) + "/topic");
  for (const PublishBehaviour& p : behaviour.publishes) {
    Publishing state;
    state.spec = p;
    state.topic = expand_template(p.topic_template, index, node_name, behaviour.values, topic_rng);
    state.topic_id = world.ledger.intern(state.topic);
    publishing_.push_back(std::move(state));
  }
  for (const protocol::SubscribeFilter& f : behaviour.subscriptions) {
    filters_.push_back(
        {expand_template(f.filter, index, node_name, behaviour.values, topic_rng), f.options});
  }
}

protocol::ClientConfig VirtualClient::with_tagged_will(protocol::ClientConfig config) {
  if (!config.will) return config;
  protocol::ClientWill& will = *config.will;
  DeliveryLedger& ledger = world_->ledger;
  const MessageKey key = ledger.next_key();
  std::string tag(kTagBytes, '.');
  write_tag(key, tag.data());
  will.payload.insert(0, tag);
  ledger.record_publish(ledger_id_, ledger.intern(will.topic), will.qos, will.retain,
                        xxh64(will.payload.data(), will.payload.size()),
                        static_cast<std::uint32_t>(will.payload.size()), world_->kernel.now_ns(), 0,
                        false);
  ledger.mark_will(key);
  will_key_ = key;
  return config;
}

VirtualClient::~VirtualClient() {
  Kernel& k = world_->kernel;
  session_timer_.cancel(k);
  connect_timer_.cancel(k);
  k.cancel(churn_event_);
  for (const Publishing& p : publishing_) k.cancel(p.event);
}

void VirtualClient::start() {
  TimeNs at = std::max(behaviour_->connect_at_ns, world_->kernel.now_ns());
  if (behaviour_->connect_spread_ns > 0) {
    at += uniform_int(publish_rng_, 0, behaviour_->connect_spread_ns - 1);
  }
  world_->kernel.schedule_at(at, [this] { begin(world_->kernel.now_ns()); });
}

void VirtualClient::begin(TimeNs now) {
  if (crashed_) return;
  session_.connect(now);
  subscribe_all();
  for (std::uint32_t i = 0; i < publishing_.size(); ++i) {
    const PublishBehaviour& p = publishing_[i].spec;
    const TimeNs phase = p.interval_ns > 0 ? uniform_int(publish_rng_, 0, p.interval_ns - 1) : 0;
    schedule_publish(i, std::max(now, p.start_ns) + phase);
  }
  if (behaviour_->churn) {
    world_->kernel.cancel(churn_event_);
    const double online_s = exponential(churn_rng_, behaviour_->churn->mean_online_s);
    churn_event_ =
        world_->kernel.schedule_in(round_to_ns(online_s * 1e9), [this] { on_churn_timer(); });
  }
  drain();
}

void VirtualClient::subscribe_all() {
  if (filters_.empty()) return;
  const TimeNs now = world_->kernel.now_ns();
  record_subscribe_requests(now, {});
  session_.subscribe(now, filters_);
}

// The checks need when a SUBSCRIBE could first have reached the broker (see SubscribeRecord).
// `only`: the filters being sent, when not all of them (empty: all).
void VirtualClient::record_subscribe_requests(TimeNs now, const std::vector<std::string>& only) {
  for (const protocol::SubscribeFilter& f : filters_) {
    if (!only.empty() && std::find(only.begin(), only.end(), f.filter) == only.end()) continue;
    world_->ledger.subscribe_requested(ledger_id_, f.filter, now,
                                       static_cast<std::uint8_t>(f.options.retain_handling),
                                       f.options.retain_as_published);
  }
}

void VirtualClient::schedule_publish(std::uint32_t which, TimeNs at_ns) {
  Kernel& k = world_->kernel;
  k.cancel(publishing_[which].event);
  publishing_[which].event =
      k.schedule_at(std::max(at_ns, k.now_ns()), [this, which] { on_publish_timer(which); });
}

void VirtualClient::on_publish_timer(std::uint32_t which) {
  if (crashed_) return;
  Publishing& state = publishing_[which];
  const PublishBehaviour& p = state.spec;
  const TimeNs now = world_->kernel.now_ns();
  if (now > p.stop_ns) return;
  if (p.max_messages != 0 && state.published >= p.max_messages) return;
  const double size =
      std::clamp(p.payload_size_bytes.sample(publish_rng_), 0.0, p.payload_max_bytes);
  publish_message(state.topic, state.topic_id, static_cast<std::size_t>(round_to_ns(size)), p.qos,
                  p.retain, p.json_temperature);
  ++state.published;
  const TimeNs jitter = round_to_ns(p.jitter_ns.sample(publish_rng_));
  schedule_publish(which, now + std::max<TimeNs>(1, p.interval_ns + jitter));
}

MessageKey VirtualClient::publish_now(std::string topic, std::size_t payload_size_bytes,
                                      protocol::QoS qos, bool retain) {
  const std::uint32_t topic_id = world_->ledger.intern(topic);
  return publish_message(std::move(topic), topic_id, payload_size_bytes, qos, retain);
}

MessageKey VirtualClient::publish_message(std::string topic, std::uint32_t topic_id,
                                          std::size_t payload_size_bytes, protocol::QoS qos,
                                          bool retain, bool json_temperature) {
  const TimeNs now = world_->kernel.now_ns();
  DeliveryLedger& ledger = world_->ledger;
  const MessageKey key = ledger.next_key();
  std::string payload;
  if (json_temperature) {
    payload = json_temperature_event(key, now, stats_.published, publish_rng_);
  } else {
    payload = tagged_payload(key, payload_size_bytes);
  }
  const std::size_t size = payload.size();
  const std::uint64_t digest = xxh64(payload.data(), payload.size());
  const auto result = session_.publish(now, std::move(topic), std::move(payload), qos, retain);
  ledger.record_publish(ledger_id_, topic_id, qos, retain, digest, static_cast<std::uint32_t>(size),
                        now, result.id, !result);
  if (result) {
    unacked_.emplace_back(result.id, key);
    ++stats_.published;
  }
  drain();
  return key;
}

void VirtualClient::on_churn_timer() {
  if (crashed_) return;
  if (offline_) {
    go_online();
  } else {
    go_offline(behaviour_->churn ? behaviour_->churn->graceful : true);
  }
}

void VirtualClient::go_offline(bool graceful) {
  if (crashed_ || offline_) return;
  const TimeNs now = world_->kernel.now_ns();
  offline_ = true;
  ++stats_.offline_periods;
  if (stream_up_ && graceful) {
    session_.disconnect(now);  // DISCONNECT, then the transmit asks to close the stream
    drain();
  }
  if (stream_ != 0) {
    world_->transport.abort(stream_, net::StreamSide::client);
    stream_ = 0;
    if (stream_up_) {
      stream_up_ = false;
      last_loss_ns_ = now;
      session_.connection_closed(now);
    }
  }
  session_.disconnect(now);  // no reconnect until go_online()
  connect_timer_.cancel(world_->kernel);
  if (behaviour_->churn) {
    world_->kernel.cancel(churn_event_);
    const double offline_s = exponential(churn_rng_, behaviour_->churn->mean_offline_s);
    churn_event_ =
        world_->kernel.schedule_in(round_to_ns(offline_s * 1e9), [this] { on_churn_timer(); });
  }
  trace_protocol_event(*world_, node_, "client_offline");
  drain();
}

void VirtualClient::go_online() {
  if (crashed_ || !offline_) return;
  offline_ = false;
  session_.connect(world_->kernel.now_ns());
  if (behaviour_->churn) {
    world_->kernel.cancel(churn_event_);
    const double online_s = exponential(churn_rng_, behaviour_->churn->mean_online_s);
    churn_event_ =
        world_->kernel.schedule_in(round_to_ns(online_s * 1e9), [this] { on_churn_timer(); });
  }
  trace_protocol_event(*world_, node_, "client_online");
  drain();
}

void VirtualClient::crash() {
  if (crashed_) return;
  Kernel& k = world_->kernel;
  const TimeNs now = k.now_ns();
  crashed_ = true;
  ++stats_.crashes;
  world_->transport.crash_node(node_);
  stream_ = 0;
  stream_up_ = false;
  last_loss_ns_ = now;
  session_timer_.cancel(k);
  connect_timer_.cancel(k);
  k.cancel(churn_event_);
  for (const Publishing& p : publishing_) k.cancel(p.event);
  // A session that ends with its connection takes the subscriptions along once the broker
  // notices; counting them lost from the crash on is the conservative reading.
  if (!outlives_connection(session_)) world_->ledger.subscriptions_lost(ledger_id_, now);
  if (behaviour_->persistent_state) {
    session_.connection_closed(now);
    session_.disconnect(now);
  } else {
    protocol::ClientConfig config = session_.config();
    session_ = protocol::ClientSession(std::move(config));
    unacked_.clear();
  }
  world_->ledger.client_crashed(ledger_id_, now, behaviour_->persistent_state);
  drain();  // no stream: transmits are dropped; events still reach the ledger
  TraceRecord r;
  r.time_ns = now;
  r.kind = TraceKind::fault;
  r.node = node_;
  r.reason = behaviour_->persistent_state ? 1 : 0;
  r.label = "client_crash";
  world_->trace.record(r);
}

void VirtualClient::recover() {
  if (!crashed_) return;
  crashed_ = false;
  offline_ = false;
  trace_protocol_event(*world_, node_, "client_recovered");
  begin(world_->kernel.now_ns());
}

void VirtualClient::on_stream_accepted(net::StreamId /*id*/) {
  // A client does not listen; nothing to do.
}

void VirtualClient::on_stream_connected(net::StreamId id) {
  if (id != stream_ || crashed_) return;
  stream_up_ = true;
  connect_failures_in_row_ = 0;
  scanner_.reset();
  session_.connection_opened(world_->kernel.now_ns());
  drain();
}

void VirtualClient::on_stream_data(net::StreamId id, std::span<const std::uint8_t> bytes) {
  if (id != stream_ || !stream_up_) return;
  scanner_.feed(bytes, received_);
  session_.handle_bytes(world_->kernel.now_ns(), protocol::ByteView(bytes));
  drain();
}

void VirtualClient::on_stream_closed(net::StreamId id, net::StreamCloseReason /*reason*/) {
  if (id != stream_) return;
  const TimeNs now = world_->kernel.now_ns();
  stream_ = 0;
  if (stream_up_) {
    stream_up_ = false;
    last_loss_ns_ = now;
    ++stats_.connection_losses;
    session_.connection_closed(now);
  } else {
    // The session never saw this attempt: back off here, on the session's own schedule.
    ++stats_.connect_failures;
    ++connect_failures_in_row_;
    const auto& delays = session_.config().reconnect.delays_ns;
    const TimeNs delay =
        delays.empty() ? kNsPerS
                       : delays[std::min<std::size_t>(connect_failures_in_row_, delays.size()) - 1];
    not_before_ns_ = now + delay;
  }
  drain();
}

void VirtualClient::drain() {
  // Buffers swap with the session's and the last one comes back as the spare (a nested drain
  // finds no spare and allocates): no allocation per packet.
  protocol::ClientTransmit transmit;
  transmit.bytes.swap(spare_bytes_);
  while (session_.poll_transmit(transmit)) {
    if (!stream_up_) continue;  // no connection: the bytes have nowhere to go
    account_sent(*world_, node_, broker_, protocol::is_v5(session_.config().version),
                 /*is_publisher=*/true, transmit.bytes, sent_);
    if (!transmit.bytes.empty()) {
      world_->transport.write(stream_, net::StreamSide::client, transmit.bytes);
    }
    if (transmit.close) {
      world_->transport.close(stream_, net::StreamSide::client);
      stream_ = 0;
      stream_up_ = false;
      last_loss_ns_ = world_->kernel.now_ns();
    }
  }
  spare_bytes_.swap(transmit.bytes);
  drain_events();
  arm_timers();
}

void VirtualClient::arm_timers() {
  Kernel& k = world_->kernel;
  if (crashed_) return;
  if (const auto deadline = session_.poll_timeout()) {
    session_timer_.arm(k, *deadline, [this] { on_session_timer(); });
  } else {
    session_timer_.cancel(k);
  }
  const auto wanted = session_.wants_connection_at();
  if (!offline_ && stream_ == 0 && wanted) {
    connect_timer_.arm(k, std::max(*wanted, not_before_ns_), [this] { on_connect_timer(); });
  } else {
    connect_timer_.cancel(k);
  }
}

void VirtualClient::on_session_timer() {
  if (crashed_) return;
  session_.handle_timeout(world_->kernel.now_ns());
  drain();
}

void VirtualClient::on_connect_timer() {
  if (crashed_ || offline_ || stream_ != 0) return;
  const auto wanted = session_.wants_connection_at();
  if (!wanted) return;
  const TimeNs now = world_->kernel.now_ns();
  if (std::max(*wanted, not_before_ns_) > now) {
    arm_timers();  // the wanted time moved out: the early event re-arms
    return;
  }
  stream_ = world_->transport.connect(node_, broker_, this);
  stream_up_ = false;
}

void VirtualClient::drain_events() {
  while (auto event = session_.poll_event()) handle_event(*event);
}

void VirtualClient::handle_event(const protocol::ClientEvent& event) {
  namespace ev = protocol::client_event;
  const TimeNs now = world_->kernel.now_ns();
  DeliveryLedger& ledger = world_->ledger;
  if (const auto* m = std::get_if<ev::Message>(&event)) {
    ++stats_.received;
    ledger.record_delivery(ledger_id_, m->topic, m->payload, m->qos, m->dup, m->retain, now,
                           m->packet_id);
    trace_protocol_event(*world_, node_, "message_received", static_cast<std::uint8_t>(m->qos),
                         read_tag(m->payload).value_or(0));
  } else if (const auto* a = std::get_if<ev::PublishAcked>(&event)) {
    auto it = std::lower_bound(unacked_.begin(), unacked_.end(), a->message_id,
                               [](const std::pair<protocol::LocalMessageId, MessageKey>& u,
                                  protocol::LocalMessageId id) { return u.first < id; });
    if (it != unacked_.end() && it->first == a->message_id) {
      ledger.record_ack(it->second, a->reason_code, now);
      unacked_.erase(it);
    }
  } else if (const auto* c = std::get_if<ev::Connected>(&event)) {
    ++stats_.connects;
    not_before_ns_ = 0;
    // Session Present 0: whatever the broker held for us ended when we last lost it.
    if (!c->session_present) ledger.subscriptions_lost(ledger_id_, last_loss_ns_);
    if (!c->session_present && stats_.connects > 1) {
      ledger.session_restarted(ledger_id_, now);
      // The session subscribes again by itself (resubscribe_on_new_session) to what it was
      // granted; nothing after a crash that wiped its state (begin() recorded that SUBSCRIBE).
      const std::vector<std::string> again = session_.granted_filters();
      if (session_.config().resubscribe_on_new_session && !again.empty()) {
        record_subscribe_requests(now, again);
      }
    }
    trace_protocol_event(*world_, node_, "connected", c->session_present ? 1 : 0);
  } else if (const auto* s = std::get_if<ev::Subscribed>(&event)) {
    on_subscribed(*s);
  } else if (const auto* d = std::get_if<ev::Disconnected>(&event)) {
    if (!outlives_connection(session_)) ledger.subscriptions_lost(ledger_id_, now);
    trace_protocol_event(*world_, node_, "disconnected", d->reason_code);
  } else if (const auto* f = std::get_if<ev::ConnectFailed>(&event)) {
    ++stats_.connect_failures;
    trace_protocol_event(*world_, node_, "connect_failed", f->reason_code);
  } else if (std::holds_alternative<ev::ProtocolViolation>(event)) {
    trace_protocol_event(*world_, node_, "protocol_violation");
  } else if (std::holds_alternative<ev::ReconnectScheduled>(event)) {
    trace_protocol_event(*world_, node_, "reconnect_scheduled");
  }
}

void VirtualClient::on_subscribed(const protocol::client_event::Subscribed& subscribed) {
  // Our own SUBSCRIBE lists filters_ in order; the session's automatic resubscription lists
  // its granted filters sorted by filter (ClientSession keeps them in a std::map).
  std::vector<const protocol::SubscribeFilter*> order;
  for (const auto& f : filters_) order.push_back(&f);
  if (subscribed.request_id == 0) {
    std::sort(order.begin(), order.end(),
              [](const auto* a, const auto* b) { return a->filter < b->filter; });
  }
  const TimeNs now = world_->kernel.now_ns();
  for (std::size_t i = 0; i < subscribed.reason_codes.size() && i < order.size(); ++i) {
    const auto code = static_cast<std::uint8_t>(subscribed.reason_codes[i]);
    if (code >= 0x80) continue;
    world_->ledger.subscription_granted(ledger_id_, order[i]->filter,
                                        static_cast<protocol::QoS>(code), now);
  }
}

}  // namespace mqttsim::sim::nodes
