// SUBSCRIBE and UNSUBSCRIBE: feature checks (wildcards, shared subscriptions, subscription
// identifiers), granted QoS, replacement of an existing subscription, and retained messages
// sent on subscribe according to Retain Handling.
#include "protocol/broker/broker_impl.hpp"
#include "protocol/topic.hpp"

namespace mqttsim::protocol {

namespace {
bool has_wildcard(std::string_view filter) {
  return filter.find_first_of("+#") != std::string_view::npos;
}

// topic_matches, or with Mutant::dollar_wildcard_match the same matcher without the '$' rule
// (MQTT-4.7.2-1), as the subscription index has it: a leading wildcard takes the whole first
// level, so a '$' topic matches as the same topic with another first character would.
bool retained_matches(std::string_view filter, const std::string& topic, bool dollar_mutant) {
  const bool leading_wildcard = !filter.empty() && (filter.front() == '+' || filter.front() == '#');
  if (dollar_mutant && leading_wildcard && !topic.empty() && topic.front() == '$') [[unlikely]] {
    return topic_matches(filter, "_" + topic.substr(1));
  }
  return topic_matches(filter, topic);
}
}  // namespace

void BrokerCore::Impl::on_subscribe(Connection& c, const Subscribe& p, TimeNs now) {
  const bool v5 = is_v5(c.version);
  const std::optional<std::uint32_t> identifier =
      p.properties.subscription_identifiers.empty()
          ? std::nullopt
          : std::optional<std::uint32_t>(p.properties.subscription_identifiers.front());
  if (identifier && !config.subscription_identifiers_available) {
    return violation(
        c, now,
        {ReasonCode::subscription_identifiers_not_supported,
         "Subscription Identifier sent although not available", "MQTT-5.0 §3.2.2.3.12"});
  }
  Session& s = session_of(c);
  Suback ack{p.packet_id, {}, {}};
  std::vector<std::pair<std::string, bool>> retained_due;  // filter, existed before
  for (const Subscription& sub : p.subscriptions) {
    const auto share = v5 ? parse_shared_subscription(sub.filter) : std::nullopt;
    const std::string_view inner = share ? share->filter : sub.filter;
    if (has_wildcard(inner) && !config.wildcard_subscriptions_available) {
      ack.reason_codes.push_back(v5 ? ReasonCode::wildcard_subscriptions_not_supported
                                    : ReasonCode::unspecified_error);
      continue;
    }
    if (share && !config.shared_subscriptions_available) {
      ack.reason_codes.push_back(ReasonCode::shared_subscriptions_not_supported);
      continue;
    }
    SubscriptionEntry entry{sub.options, identifier};
    entry.options.max_qos = std::min(sub.options.max_qos, config.maximum_qos);
    const std::string filter(sub.filter);
    const bool existed = s.subscriptions.count(filter) != 0;
    s.subscriptions[filter] = entry;  // an existing one is replaced (MQTT-3.8.4-3)
    index.add(s.subscriber, filter, entry.options, identifier, s.version);
    ack.reason_codes.push_back(static_cast<ReasonCode>(entry.options.max_qos));
    const RetainHandling handling = entry.options.retain_handling;
    const bool send_retained_now =
        !share && (handling == RetainHandling::send_on_subscribe ||
                   (handling == RetainHandling::send_if_new_subscription && !existed));
    if (send_retained_now) retained_due.emplace_back(filter, existed);
  }
  send(c, ack);
  for (const auto& [filter, existed] : retained_due) {
    send_retained(s, filter, s.subscriptions.at(filter), now);
  }
}

void BrokerCore::Impl::send_retained(Session& s, const std::string& filter,
                                     const SubscriptionEntry& e, TimeNs now) {
  for (auto it = state.retained.begin(); it != state.retained.end();) {
    const MessagePtr& m = it->second;
    if (m->expired(now)) {  // an expired retained message is gone (5.0 §3.3.2.3.3)
      it = state.retained.erase(it);
      continue;
    }
    if (retained_matches(filter, m->topic, config.mutants.has(Mutant::dollar_wildcard_match))) {
      Delivery d{m, std::min(m->qos, e.options.max_qos), /*retain=*/true, {}};
      if (e.identifier) d.subscription_identifiers.push_back(*e.identifier);
      deliver(s, std::move(d), now);  // RETAIN=1 for messages sent on subscribe (MQTT-3.3.1-8)
    }
    ++it;
  }
}

void BrokerCore::Impl::on_unsubscribe(Connection& c, const Unsubscribe& p) {
  Session& s = session_of(c);
  Unsuback ack{p.packet_id, {}, {}};
  for (std::string_view filter : p.filters) {
    const bool existed = s.subscriptions.erase(std::string(filter)) != 0;
    index.remove(s.subscriber, filter, s.version);
    if (is_v5(c.version)) {
      ack.reason_codes.push_back(existed ? ReasonCode::success
                                         : ReasonCode::no_subscription_existed);
    }
  }
  send(c, ack);
}

}  // namespace mqttsim::protocol
