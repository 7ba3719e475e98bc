// The Will, matching and DUP-flag invariants of invariants.hpp over the shared index: the ones
// that read how connections ended, which filters were granted, and packet ids of resends.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "protocol/topic.hpp"
#include "sim/checks/check_index.hpp"

namespace mqttsim::sim::checks {

using nodes::DeliveryLedger;
using nodes::DeliveryRecord;
using nodes::LedgerClient;
using nodes::MessageKey;
using nodes::MessageRecord;
using nodes::SubscriptionInterval;
using protocol::QoS;

namespace {

using WillCopy = nodes::UntaggedDeliveryRecord;

// The Will copies by topic: untagged deliveries (a client that does not tag its Will) and the
// deliveries of Will records (virtual clients tag theirs: MessageRecord::will), read once.
std::map<std::uint32_t, std::vector<WillCopy>> will_copies_by_topic(const DeliveryLedger& ledger) {
  std::map<std::uint32_t, std::vector<WillCopy>> out;
  for (const WillCopy& u : ledger.untagged_deliveries_list()) out[u.topic].push_back(u);
  for (const DeliveryRecord& d : ledger.deliveries()) {
    if (ledger.message(d.message).will) {
      out[d.topic].push_back({d.time_ns, d.subscriber, d.topic, d.qos, d.retain});
    }
  }
  return out;
}

// If: after an abnormal end at `end_ns`, a Will due at once reaches every subscriber with a
// surviving QoS >= 1 subscription matching its topic.
void check_will_arrived(const Index& ix, const WillOfClient& w, TimeNs end_ns,
                        const std::vector<WillCopy>& copies, std::vector<Violation>& out) {
  const DeliveryLedger& ledger = ix.ledger;
  std::vector<const SubscriptionInterval*> candidates;
  if (const auto topic = ledger.find_name(w.topic)) {
    candidates = ix.matching(*topic);
  } else {  // the topic was never published to or received: match by name
    for (const SubscriptionInterval& s : ledger.subscriptions()) {
      if (protocol::topic_matches(ledger.topic_name(s.filter), w.topic)) candidates.push_back(&s);
    }
  }
  std::set<LedgerClient> done;
  for (const SubscriptionInterval* s : candidates) {
    const bool watching =
        s->granted != QoS::at_most_once && s->from_ns <= end_ns && s->until_ns == kTimeMaxNs;
    if (!watching || !done.insert(s->subscriber).second) continue;
    const bool got = std::any_of(copies.begin(), copies.end(), [&](const WillCopy& u) {
      return u.subscriber == s->subscriber && u.time_ns >= end_ns;
    });
    // As for QoS 1: only once S received a QoS >= 1 message routed after the Will.
    if (got || ix.witness(s->subscriber, 0, kTimeMaxNs, end_ns) == nullptr) continue;
    out.push_back({Invariant::will, "MQTT-3.1.2-8 (the Will on an abnormal end)",
                   "the connection of " + w.client_id + " ended abnormally at " + seconds(end_ns) +
                       " but its Will ('" + w.topic + "') never reached " +
                       ledger.client_name(s->subscriber) + ", whose subscription survived",
                   ix.in.end_ns});
  }
}

}  // namespace

std::vector<Violation> will_violations(const Index& ix) {
  const DeliveryLedger& ledger = ix.ledger;
  std::vector<Violation> out;
  const auto& crashes = ledger.broker_crashes_ns();
  if (ix.in.wills.empty()) return out;
  std::map<std::uint32_t, std::vector<const nodes::ConnectionEndRecord*>> ends;
  for (const nodes::ConnectionEndRecord& e : ledger.connection_ends())
    ends[e.client_id].push_back(&e);
  const auto copies_by_topic = will_copies_by_topic(ledger);
  static const std::vector<WillCopy> kNone;
  static const std::vector<const nodes::ConnectionEndRecord*> kNoEnds;
  for (const WillOfClient& w : ix.in.wills) {
    const auto id = ledger.find_name(w.client_id);
    const auto will_topic = ledger.find_name(w.topic);
    std::vector<TimeNs> abnormal_ns;
    const auto own = id ? ends.find(*id) : ends.end();
    for (const nodes::ConnectionEndRecord* e : own == ends.end() ? kNoEnds : own->second) {
      if (e->graceful && e->will_scheduled) {
        out.push_back({Invariant::will, "MQTT-3.14.4-3 (DISCONNECT 0x00 discards the Will)",
                       "the broker scheduled the Will of " + w.client_id +
                           " on a graceful DISCONNECT at " + seconds(e->time_ns),
                       e->time_ns});
      }
      if (!e->graceful) abnormal_ns.push_back(e->time_ns);
    }
    const auto found = will_topic ? copies_by_topic.find(*will_topic) : copies_by_topic.end();
    const std::vector<WillCopy>& copies = found == copies_by_topic.end() ? kNone : found->second;
    // Only if: each Will delivery follows an abnormal end or a broker crash.
    for (const WillCopy& u : copies) {
      const auto before = [&u](TimeNs t) { return t <= u.time_ns; };
      if (std::any_of(abnormal_ns.begin(), abnormal_ns.end(), before) ||
          std::any_of(crashes.begin(), crashes.end(), before)) {
        continue;
      }
      out.push_back({Invariant::will, "MQTT-3.1.2-8 (a Will only on an abnormal end)",
                     "the Will of " + w.client_id + " ('" + w.topic + "') reached " +
                         ledger.client_name(u.subscriber) + " at " + seconds(u.time_ns) +
                         " with no abnormal end of its connection before",
                     u.time_ns});
    }
    if (w.delay_ns != 0 || w.qos == QoS::at_most_once) continue;
    for (const TimeNs end_ns : abnormal_ns) {
      if (end_ns < ix.cutoff_ns()) check_will_arrived(ix, w, end_ns, copies, out);
    }
  }
  return out;
}

std::vector<Violation> matching_violations(const Index& ix) {
  const DeliveryLedger& ledger = ix.ledger;
  std::vector<Violation> out;
  // A (subscriber, topic) pair's answer; looked up only, so its order never reaches the output.
  std::unordered_map<std::uint64_t, bool> unmatched_cache;
  const auto unmatched = [&](LedgerClient subscriber, std::uint32_t topic) {
    auto [it, fresh] = unmatched_cache.try_emplace(std::uint64_t{subscriber} << 32 | topic, false);
    if (fresh) it->second = !ix.ever_matched(subscriber, topic);
    return it->second;
  };
  const auto filters_of = [&](LedgerClient subscriber) {
    std::string text;
    for (const SubscriptionInterval& s : ix.of(subscriber))
      text += " '" + ledger.topic_name(s.filter) + "'";
    return text.empty() ? std::string(" none") : text;
  };
  for (const DeliveryRecord& d : ledger.deliveries()) {
    const MessageRecord& r = ledger.message(d.message);
    if (d.topic != r.topic) {
      out.push_back({Invariant::matching, "MQTT-3.3.2-3 (the topic as published)",
                     ix.describe(d.message) + " reached " + ledger.client_name(d.subscriber) +
                         " at " + seconds(d.time_ns) + " under another topic '" +
                         ledger.topic_name(d.topic) + "'",
                     d.time_ns});
    } else if (unmatched(d.subscriber, d.topic)) {
      out.push_back({Invariant::matching, "MQTT-3.3.2-3, MQTT-4.7.2-1 (only matching filters)",
                     ix.describe(d.message) + " reached " + ledger.client_name(d.subscriber) +
                         " at " + seconds(d.time_ns) + ", whose filters (" +
                         filters_of(d.subscriber) + " ) do not match '" +
                         ledger.topic_name(d.topic) + "'",
                     d.time_ns});
    }
  }
  for (const nodes::UntaggedDeliveryRecord& u : ledger.untagged_deliveries_list()) {
    if (!unmatched(u.subscriber, u.topic)) continue;
    out.push_back({Invariant::matching, "MQTT-3.3.2-3, MQTT-4.7.2-1 (only matching filters)",
                   "an untagged message on '" + ledger.topic_name(u.topic) + "' reached " +
                       ledger.client_name(u.subscriber) + " at " + seconds(u.time_ns) +
                       ", whose filters (" + filters_of(u.subscriber) + " ) do not match it",
                   u.time_ns});
  }
  return out;
}

std::vector<Violation> dup_flag_violations(const Index& ix) {
  const DeliveryLedger& ledger = ix.ledger;
  std::vector<Violation> out;
  for (MessageKey key = 1; key <= ledger.message_count(); ++key) {
    const MessageRecord& r = ledger.message(key);
    if (r.qos == QoS::at_most_once || r.will) continue;
    for (const auto& [subscriber, copies] : routed_copies(ledger, key)) {
      for (std::size_t i = 1; i < copies.size(); ++i) {
        const DeliveryRecord& now = copies[i];
        if (now.dup || now.qos == QoS::at_most_once) continue;
        for (std::size_t j = 0; j < i; ++j) {
          const DeliveryRecord& before = copies[j];
          if (before.packet_id != now.packet_id || before.qos == QoS::at_most_once) continue;
          const bool same_session = std::any_of(ix.of(subscriber).begin(), ix.of(subscriber).end(),
                                                [&](const SubscriptionInterval& s) {
                                                  return s.from_ns <= before.time_ns &&
                                                         s.until_ns > now.time_ns &&
                                                         ix.matches(s, r.topic);
                                                });
          if (!same_session || ix.lost_state_between(subscriber, before.time_ns, now.time_ns + 1))
            continue;
          out.push_back({Invariant::dup_flag, "MQTT-3.3.1-1 (DUP=1 on a redelivery)",
                         ix.describe(key) + " reached " + ledger.client_name(subscriber) + " at " +
                             seconds(before.time_ns) + " and was resent with packet id " +
                             std::to_string(now.packet_id) + " at " + seconds(now.time_ns) +
                             " with DUP=0",
                         now.time_ns});
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace mqttsim::sim::checks
