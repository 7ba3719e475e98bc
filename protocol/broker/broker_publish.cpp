// QoS flows through the broker: inbound PUBLISH (topic aliases, feature checks, the QoS 2
// receiver state), routing to matching sessions, and outbound delivery with an inflight
// window, packet id allocation, offline queues and redelivery on resume.
#include <algorithm>

#include "protocol/broker/broker_impl.hpp"

namespace mqttsim::protocol {

namespace {
Violation bad_publish(ReasonCode code, std::string reason, std::string_view ref) {
  return {code, std::move(reason), ref};
}
}  // namespace

void BrokerCore::Impl::on_publish(Connection& c, Publish& p, TimeNs now) {
  // 5.0 Topic Alias: a name sets the alias, an empty name uses it (§3.3.2.3.4).
  if (const auto alias = p.properties.topic_alias) {
    if (*alias > config.topic_alias_maximum) {
      return violation(
          c, now,
          bad_publish(ReasonCode::topic_alias_invalid,
                      "Topic Alias " + std::to_string(*alias) + " is above the Topic Alias Maximum",
                      "MQTT-3.3.2-9"));
    }
    if (!p.topic.empty()) {
      c.inbound_aliases[*alias] = std::string(p.topic);
    } else {
      auto known = c.inbound_aliases.find(*alias);
      if (known == c.inbound_aliases.end()) {
        return violation(c, now,
                         bad_publish(ReasonCode::protocol_error,
                                     "Topic Alias " + std::to_string(*alias) +
                                         " was never set on this connection",
                                     "MQTT-5.0 §3.3.4"));
      }
      p.topic = known->second;
    }
  }
  if (p.qos > config.maximum_qos) {
    return violation(c, now,
                     bad_publish(ReasonCode::qos_not_supported,
                                 "PUBLISH QoS above the server's Maximum QoS", "MQTT-3.2.2-11"));
  }
  if (p.retain && !config.retain_available) {
    return violation(c, now,
                     bad_publish(ReasonCode::retain_not_supported,
                                 "RETAIN set but Retain Available is 0", "MQTT-3.2.2-14"));
  }
  Session& s = session_of(c);
  if (p.qos == QoS::exactly_once) {
    // A repeated QoS 2 id before its PUBREL is not a new message (MQTT-4.3.3-9 / -10).
    if (s.awaiting_pubrel.count(p.packet_id) != 0) return send(c, Pubrec{p.packet_id, {}, {}});
    // Only a 5.0 client was told the Receive Maximum; 3.1.1 is bounded by its 16-bit ids.
    if (is_v5(c.version) && s.awaiting_pubrel.size() >= config.receive_maximum) {
      return violation(
          c, now,
          bad_publish(ReasonCode::receive_maximum_exceeded,
                      "more unacknowledged QoS 2 PUBLISH than Receive Maximum", "MQTT-3.3.4-7"));
    }
    s.awaiting_pubrel.insert(p.packet_id);
  }
  auto message = std::make_shared<Message>(
      make_message(p, p.topic, c.client_id, state.next_message_sequence++, now));
  ++metrics.messages_received;
  if (p.qos == QoS::at_least_once && config.mutants.has(Mutant::ack_before_store)) [[unlikely]] {
    // The bug: ownership is acknowledged (MQTT-4.3.2-4) before the message is stored anywhere
    // a crash would not reach. Only QoS 1 takes this path; QoS 0 and 2 are accepted at once,
    // so a publisher mixing QoS levels on one topic may also see them overtake each other.
    write_behind.emplace_back(now + kWriteBehindDelayNs, std::move(message));
    return send(c, Puback{p.packet_id, ReasonCode::success, {}});
  }
  const std::size_t matched = accept(message, now);
  const ReasonCode ack_code =
      is_v5(c.version) && matched == 0 ? ReasonCode::no_matching_subscribers : ReasonCode::success;
  if (p.qos == QoS::at_least_once) send(c, Puback{p.packet_id, ack_code, {}});
  if (p.qos == QoS::exactly_once) send(c, Pubrec{p.packet_id, ack_code, {}});
}

std::size_t BrokerCore::Impl::accept(const MessagePtr& message, TimeNs now) {
  if (message->retain) {  // an empty payload clears the retained message (MQTT-3.3.1-10 / -6)
    if (message->payload.empty())
      state.retained.erase(message->topic);
    else
      state.retained[message->topic] = message;
  }
  const std::size_t matched = route(message, now);
  events.push_back(broker_event::MessagePublished{message, matched});
  return matched;
}

void BrokerCore::Impl::complete_write_behind(TimeNs now) {
  while (!write_behind.empty() && write_behind.front().first <= now) {
    const MessagePtr message = std::move(write_behind.front().second);
    write_behind.pop_front();
    accept(message, now);
  }
}

void BrokerCore::Impl::on_pubrel(Connection& c, std::uint16_t id) {
  Session& s = session_of(c);
  const bool known = s.awaiting_pubrel.erase(id) != 0;
  // 3.1.1 acknowledgements carry no reason code: 0x92 would not encode.
  const bool ok = known || !is_v5(c.version);
  send(c, Pubcomp{id, ok ? ReasonCode::success : ReasonCode::packet_identifier_not_found, {}});
}

namespace {
template <typename Pred>
Fifo<Inflight>::iterator find_inflight(Session& s, std::uint16_t id, Pred stage_ok) {
  return std::find_if(s.inflight.begin(), s.inflight.end(),
                      [&](const Inflight& f) { return f.packet_id == id && stage_ok(f.stage); });
}
}  // namespace

void BrokerCore::Impl::on_puback(Connection& c, std::uint16_t id, TimeNs now) {
  Session& s = session_of(c);
  auto it =
      find_inflight(s, id, [](OutboundStage st) { return st == OutboundStage::awaiting_puback; });
  if (it == s.inflight.end()) return;  // late or duplicate: nothing is waiting for it
  s.inflight.erase(it);
  pump(s, c, now);
}

void BrokerCore::Impl::on_pubrec(Connection& c, const Pubrec& p, TimeNs now) {
  Session& s = session_of(c);
  auto it = find_inflight(s, p.packet_id, [](OutboundStage st) {
    return st == OutboundStage::awaiting_pubrec || st == OutboundStage::awaiting_pubcomp;
  });
  if (it == s.inflight.end()) {
    return send(
        c, Pubrel{p.packet_id,
                  is_v5(c.version) ? ReasonCode::packet_identifier_not_found : ReasonCode::success,
                  {}});
  }
  if (reason_code_is_failure(static_cast<std::uint8_t>(p.reason_code))) {
    s.inflight.erase(it);  // the receiver refused it: the flow ends here (§4.3.3)
    return pump(s, c, now);
  }
  it->stage = OutboundStage::awaiting_pubcomp;
  send(c, Pubrel{p.packet_id, ReasonCode::success, {}});
}

void BrokerCore::Impl::on_pubcomp(Connection& c, std::uint16_t id, TimeNs now) {
  Session& s = session_of(c);
  auto it =
      find_inflight(s, id, [](OutboundStage st) { return st == OutboundStage::awaiting_pubcomp; });
  if (it == s.inflight.end()) return;
  s.inflight.erase(it);
  pump(s, c, now);
}

// Every session with a matching subscription gets one copy: at the highest granted QoS among
// its matching subscriptions, with all their identifiers (5.0 §3.3.4 allows one copy per
// subscription too; one copy is the choice here). A shared subscription delivers to one
// member, round robin in subscription order, connected members first.
std::size_t BrokerCore::Impl::route(const MessagePtr& message, TimeNs now) {
  index.match(message->topic, match_scratch);
  // The index's answer stays valid only until the index changes; delivering never changes it.
  const std::vector<MatchedSubscription>& found = match_scratch.subscriptions;
  std::size_t delivered = 0;
  for (std::size_t i = 0; i < found.size();) {
    Session& s = *subscribers[found[i].subscriber];
    Delivery d{message, QoS::at_most_once, false, {}};
    bool any = false;
    for (; i < found.size() && subscribers[found[i].subscriber] == &s; ++i) {
      const MatchedSubscription& m = found[i];
      if (m.options.no_local && s.client_id == message->publisher_client_id) continue;
      any = true;
      d.qos = std::max(d.qos, std::min(message->qos, m.options.max_qos));
      d.retain = d.retain || (m.options.retain_as_published && message->retain);
      if (m.subscription_identifier != 0)
        d.subscription_identifiers.push_back(m.subscription_identifier);
    }
    if (!any) continue;
    ++delivered;
    deliver(s, std::move(d), now);
  }
  for (const MatchedShareGroup& group : match_scratch.shared_groups) {
    const ShareMember* member = index.choose_round_robin(
        group.group, [&](SubscriberId id) { return subscribers[id]->connected; });
    if (member == nullptr) member = index.choose_round_robin(group.group);
    if (member == nullptr) continue;
    Delivery d{message, std::min(message->qos, member->options.max_qos), false, {}};
    if (member->subscription_identifier != 0) {
      d.subscription_identifiers.push_back(member->subscription_identifier);
    }
    ++delivered;
    deliver(*subscribers[member->subscriber], std::move(d), now);
  }
  return delivered;
}

void BrokerCore::Impl::deliver(Session& s, Delivery d, TimeNs now) {
  Connection* c = connection_of(s);
  if (c == nullptr) {
    if (d.qos == QoS::at_most_once && !config.queue_qos0_offline) return;
    return enqueue(s, std::move(d));
  }
  if (d.qos != QoS::at_most_once &&
      (!s.queue.empty() || s.inflight.size() >= c->client_receive_maximum)) {
    return enqueue(s, std::move(d));  // behind earlier messages: order is kept (MQTT-4.6.0-6)
  }
  transmit_publish(s, *c, std::move(d), now);
}

void BrokerCore::Impl::enqueue(Session& s, Delivery d) {
  if (s.queue.size() >= config.max_queued_messages) {
    ++metrics.messages_dropped_queue_full;
    if (config.queue_drop_policy == QueueDropPolicy::drop_newest) {
      return drop(s, *d.message, "queue full (newest dropped)");
    }
    drop(s, *s.queue.front().message, "queue full (oldest dropped)");
    s.queue.pop_front();
  }
  s.queue.push_back(std::move(d));
}

void BrokerCore::Impl::drop(const Session& s, const Message& m, std::string reason) {
  events.push_back(broker_event::MessageDropped{m.sequence, s.client_id, std::move(reason)});
}

void BrokerCore::Impl::pump(Session& s, Connection& c, TimeNs now) {
  while (!s.queue.empty() && (s.queue.front().qos == QoS::at_most_once ||
                              s.inflight.size() < c.client_receive_maximum)) {
    Delivery d = std::move(s.queue.front());
    s.queue.pop_front();
    transmit_publish(s, c, std::move(d), now);
  }
}

void BrokerCore::Impl::transmit_publish(Session& s, Connection& c, Delivery d, TimeNs now) {
  if (d.message->expired(now)) {  // MQTT-3.3.2-5: not delivered once its interval has passed
    ++metrics.messages_dropped_expired;
    return drop(s, *d.message, "expired");
  }
  std::uint16_t id = 0;
  if (d.qos != QoS::at_most_once) {
    // The next id not in use; the window is at most 65535 so one is always free.
    auto in_use = [&](std::uint16_t candidate) {
      return std::any_of(s.inflight.begin(), s.inflight.end(),
                         [&](const Inflight& f) { return f.packet_id == candidate; });
    };
    do {
      id = s.next_packet_id;
      s.next_packet_id =
          static_cast<std::uint16_t>(s.next_packet_id == 65535 ? 1 : s.next_packet_id + 1);
    } while (in_use(id));
  }
  if (!send_publish(c, d, id, /*dup=*/false, now)) return;
  if (d.qos != QoS::at_most_once) {
    const OutboundStage stage = d.qos == QoS::at_least_once ? OutboundStage::awaiting_puback
                                                            : OutboundStage::awaiting_pubrec;
    s.inflight.push_back(Inflight{id, stage, std::move(d)});
  }
}

// Outbound Topic Aliases (5.0 §3.3.2.3.4): topics get aliases first come, first served, up to
// the client's Topic Alias Maximum and never beyond (MQTT-3.1.2-26, MQTT-3.1.2-27,
// MQTT-3.3.2-11); an alias is never remapped. The map lives on the connection, so a new
// connection starts with full topics again (MQTT-3.3.2-7). True when `p` sets a new alias,
// which the caller records once the packet is really sent.
bool BrokerCore::Impl::apply_outbound_alias(const Connection& c, Publish& p) {
  if (c.client_topic_alias_maximum == 0) return false;
  const auto known = c.outbound_aliases.find(std::string(p.topic));
  if (known != c.outbound_aliases.end()) {
    p.properties.topic_alias = known->second;
    p.topic = std::string_view();
    return false;
  }
  if (c.outbound_aliases.size() >= c.client_topic_alias_maximum) return false;
  p.properties.topic_alias = static_cast<std::uint16_t>(c.outbound_aliases.size() + 1);
  return true;
}

bool BrokerCore::Impl::send_publish(Connection& c, const Delivery& d, std::uint16_t packet_id,
                                    bool dup, TimeNs now) {
  Packet packet{std::in_place_type<Publish>, forward_publish(*d.message, now)};
  Publish& p = std::get<Publish>(packet);  // built in place: send() takes a Packet
  p.qos = d.qos;
  p.retain = d.retain;
  p.dup = dup;
  p.packet_id = packet_id;
  bool new_alias = false;
  if (is_v5(c.version)) {
    p.properties.subscription_identifiers = d.subscription_identifiers;
    new_alias = apply_outbound_alias(c, p);
  } else {
    p.properties = Properties{};
  }
  // The client's Maximum Packet Size is a hard limit: drop what does not fit (MQTT-3.1.2-24,
  // MQTT-3.1.2-25).
  if (encoded_size(p, c.version) > c.client_maximum_packet_size) {
    ++metrics.messages_dropped_too_large;
    events.push_back(broker_event::MessageDropped{d.message->sequence, c.client_id,
                                                  "larger than the client's Maximum Packet Size"});
    return false;
  }
  // An alias is the client's only once it has seen the PUBLISH that sets it.
  if (new_alias) c.outbound_aliases.emplace(d.message->topic, *p.properties.topic_alias);
  ++metrics.messages_delivered;
  if (dup) ++metrics.messages_redelivered;
  send(c, packet);
  return true;
}

// On a resumed session: unacknowledged PUBLISH again with DUP=1 (MQTT-3.3.1-1), PUBREL again,
// in the original order (MQTT-4.4.0-1, MQTT-4.6.0-1), then whatever queued while offline.
void BrokerCore::Impl::resume(Session& s, Connection& c, TimeNs now) {
  // The mutants resend_without_dup and redeliver_out_of_order break exactly those two rules.
  const bool dup = !config.mutants.has(Mutant::resend_without_dup);
  const bool reversed = config.mutants.has(Mutant::redeliver_out_of_order);
  if (reversed) [[unlikely]]
    std::reverse(s.inflight.begin(), s.inflight.end());
  for (auto it = s.inflight.begin(); it != s.inflight.end();) {
    if (it->stage == OutboundStage::awaiting_pubcomp) {
      send(c, Pubrel{it->packet_id, ReasonCode::success, {}});
    } else if (!send_publish(c, it->delivery, it->packet_id, dup, now)) {
      it = s.inflight.erase(it);  // too large for this connection's client: dropped
      continue;
    }
    ++it;
  }
  // Stored order stays the send order: only this resend went out backwards.
  if (reversed) [[unlikely]]
    std::reverse(s.inflight.begin(), s.inflight.end());
  pump(s, c, now);
}

}  // namespace mqttsim::protocol
