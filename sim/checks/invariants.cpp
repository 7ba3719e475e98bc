// The invariants of invariants.hpp over the ledger. A small index (per subscriber: subscription
// intervals, deliveries; per client: crashes and session restarts) is built once per check;
// the scenarios checked are small, so clarity wins over speed here.
#include "sim/checks/invariants.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "protocol/topic.hpp"
#include "sim/scenario/world.hpp"

namespace mqttsim::sim::checks {
namespace {

using nodes::DeliveryLedger;
using nodes::DeliveryRecord;
using nodes::LedgerClient;
using nodes::MessageKey;
using nodes::MessageRecord;
using nodes::SubscriptionInterval;
using protocol::QoS;

std::string seconds(TimeNs ns) {
  if (ns == kTimeMaxNs) return "the end";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fs", static_cast<double>(ns) / 1e9);
  return buf;
}

int qos_int(QoS q) {
  return static_cast<int>(q);
}

// Facts the checks share, gathered once.
struct Index {
  explicit Index(const CheckInput& input) : in(input), ledger(*input.ledger) {
    for (const SubscriptionInterval& s : ledger.subscriptions())
      intervals[s.subscriber].push_back(s);
    for (const nodes::ClientCrashRecord& c : ledger.client_crashes()) {
      if (!c.state_kept) state_lost[c.client].push_back(c.time_ns);
    }
    for (const auto& [client, at] : ledger.session_restarts()) restarts[client].push_back(at);
    for (std::size_t i = 0; i < ledger.broker_crashes_ns().size(); ++i) {
      if (!ledger.broker_crashes_persistent()[i])
        stateless_crashes.push_back(ledger.broker_crashes_ns()[i]);
    }
  }

  TimeNs cutoff_ns() const { return in.end_ns - in.settle_ns; }
  bool matches(const SubscriptionInterval& s, std::uint32_t topic) const {
    return protocol::topic_matches(ledger.topic_name(s.filter), ledger.topic_name(topic));
  }
  const std::vector<SubscriptionInterval>& of(LedgerClient c) const {
    static const std::vector<SubscriptionInterval> none;
    auto it = intervals.find(c);
    return it == intervals.end() ? none : it->second;
  }
  // Distinct filters of `c` (ever granted) that match `topic`: copies a 5.0 broker may send.
  std::size_t matching_filters(LedgerClient c, std::uint32_t topic) const {
    std::set<std::uint32_t> filters;
    for (const SubscriptionInterval& s : of(c)) {
      if (matches(s, topic)) filters.insert(s.filter);
    }
    return filters.size();
  }
  static bool any_in(const std::vector<TimeNs>& times, TimeNs after, TimeNs before) {
    return std::any_of(times.begin(), times.end(),
                       [&](TimeNs t) { return t > after && t < before; });
  }
  bool lost_state_between(LedgerClient c, TimeNs a, TimeNs b) const {
    auto it = state_lost.find(c);
    return it != state_lost.end() && any_in(it->second, a, b);
  }
  bool restarted_between(LedgerClient c, TimeNs a, TimeNs b) const {
    auto it = restarts.find(c);
    return it != restarts.end() && any_in(it->second, a, b);
  }
  std::string describe(MessageKey key) const {
    const MessageRecord& r = ledger.message(key);
    return "message #" + std::to_string(key) + " (" + ledger.client_name(r.publisher) + " -> " +
           ledger.topic_name(r.topic) + ", QoS " + std::to_string(qos_int(r.qos)) +
           (r.retain ? ", retained" : "") + ", published " + seconds(r.published_ns) +
           (r.acked_ns != nodes::kNeverNs ? ", acked " + seconds(r.acked_ns) : ", not acked") + ")";
  }
  std::string interval_text(const SubscriptionInterval& s) const {
    return "'" + ledger.topic_name(s.filter) + "' (granted QoS " +
           std::to_string(qos_int(s.granted)) + ", in force " + seconds(s.from_ns) + " to " +
           seconds(s.until_ns) + ")";
  }

  const CheckInput& in;
  const DeliveryLedger& ledger;
  std::map<LedgerClient, std::vector<SubscriptionInterval>> intervals;
  std::map<LedgerClient, std::vector<TimeNs>> state_lost;
  std::map<LedgerClient, std::vector<TimeNs>> restarts;
  std::vector<TimeNs> stateless_crashes;
};

// Non-retained deliveries of `key`, grouped by subscriber, in arrival order.
std::map<LedgerClient, std::vector<DeliveryRecord>> routed_copies(const DeliveryLedger& ledger,
                                                                  MessageKey key) {
  std::map<LedgerClient, std::vector<DeliveryRecord>> out;
  for (const DeliveryRecord& d : ledger.deliveries_of(key)) {
    if (!d.retain) out[d.subscriber].push_back(d);
  }
  return out;
}

// The delivery-guarantee part shared by QoS 1 and QoS 2 (see check_qos1_at_least_once). S must
// have `key` when a subscription I of S (granted >= 1) matching it was in force at the publish
// and S later received, within I, a QoS >= 1 message published after `key` was acknowledged:
// that message was routed to S's session after `key`, and a session delivers in order.
void check_delivered(const Index& ix, MessageKey key, Invariant inv, const std::string& rule,
                     std::vector<Violation>& out) {
  const DeliveryLedger& ledger = ix.ledger;
  const MessageRecord& r = ledger.message(key);
  const auto copies = routed_copies(ledger, key);
  std::set<LedgerClient> reported;
  for (const auto& [subscriber, intervals] : ix.intervals) {
    if (copies.count(subscriber) != 0 || reported.count(subscriber) != 0) continue;
    for (const SubscriptionInterval& s : intervals) {
      if (s.granted == QoS::at_most_once || s.from_ns > r.published_ns ||
          s.until_ns <= r.published_ns || !ix.matches(s, r.topic)) {
        continue;
      }
      // The witness: a later-routed QoS >= 1 message S received inside I.
      const DeliveryRecord* witness = nullptr;
      for (const DeliveryRecord& d : ledger.deliveries()) {
        if (d.subscriber != subscriber || d.retain || d.qos == QoS::at_most_once ||
            d.time_ns >= s.until_ns || d.time_ns < s.from_ns) {
          continue;
        }
        if (ledger.message(d.message).published_ns > r.acked_ns) {
          witness = &d;
          break;
        }
      }
      if (witness == nullptr) continue;
      reported.insert(subscriber);
      out.push_back({inv, rule,
                     ix.describe(key) + " never reached " + ledger.client_name(subscriber) +
                         ", whose subscription " + ix.interval_text(s) +
                         " survived; it received the later " + ix.describe(witness->message) +
                         " at " + seconds(witness->time_ns),
                     witness->time_ns});
      break;
    }
  }
}

}  // namespace

std::string_view invariant_name(Invariant invariant) {
  switch (invariant) {
    case Invariant::qos0_at_most_once:
      return "qos0-at-most-once";
    case Invariant::qos1_at_least_once:
      return "qos1-at-least-once";
    case Invariant::qos2_exactly_once:
      return "qos2-exactly-once";
    case Invariant::ordering:
      return "ordering";
    case Invariant::retained:
      return "retained";
    case Invariant::will:
      return "will";
    case Invariant::matching:
      return "matching";
    case Invariant::dup_flag:
      return "dup-flag";
  }
  return "?";
}

CheckInput check_input(const scenario::World& world) {
  CheckInput in;
  in.ledger = &world.ledger();
  in.end_ns = world.spec().duration_ns;
  in.settle_ns = world.spec().settle_ns();
  // The Wills as World configured them (the same template expansion, group by group).
  for (const scenario::ClientGroupSpec& group : world.spec().clients) {
    if (!group.will) continue;
    for (std::int64_t n = 1; n <= group.count; ++n) {
      const std::string id =
          scenario::expand_client_template(group.client_id, n, "", group.name, {});
      in.wills.push_back(
          {id, scenario::expand_client_template(group.will->topic, n, id, group.name, {}),
           static_cast<QoS>(std::clamp(group.will->qos, 0, 2)),
           group.will->delay_ns / kNsPerS * kNsPerS});
    }
  }
  return in;
}

std::vector<Violation> check_qos0_at_most_once(const CheckInput& in) {
  const Index ix(in);
  std::vector<Violation> out;
  for (MessageKey key = 1; key <= ix.ledger.message_count(); ++key) {
    const MessageRecord& r = ix.ledger.message(key);
    if (r.qos != QoS::at_most_once || r.will) continue;  // Wills: check_will
    for (const auto& [subscriber, copies] : routed_copies(ix.ledger, key)) {
      if (copies.size() <= std::max<std::size_t>(1, ix.matching_filters(subscriber, r.topic)))
        continue;
      out.push_back({Invariant::qos0_at_most_once, "MQTT-4.3.1 (§4.3.1 at most once)",
                     ix.describe(key) + " reached " + ix.ledger.client_name(subscriber) + " " +
                         std::to_string(copies.size()) + " times, first at " +
                         seconds(copies.front().time_ns) + ", again at " +
                         seconds(copies[1].time_ns),
                     copies[1].time_ns});
    }
  }
  return out;
}

std::vector<Violation> check_qos1_at_least_once(const CheckInput& in) {
  const Index ix(in);
  std::vector<Violation> out;
  for (MessageKey key = 1; key <= ix.ledger.message_count(); ++key) {
    const MessageRecord& r = ix.ledger.message(key);
    if (r.qos != QoS::at_least_once || r.refused || r.will || !r.acked() ||
        r.published_ns >= ix.cutoff_ns())
      continue;
    check_delivered(ix, key, Invariant::qos1_at_least_once, "MQTT-4.3.2-4 (§4.3.2 at least once)",
                    out);
  }
  return out;
}

std::vector<Violation> check_qos2_exactly_once(const CheckInput& in) {
  const Index ix(in);
  std::vector<Violation> out;
  for (MessageKey key = 1; key <= ix.ledger.message_count(); ++key) {
    const MessageRecord& r = ix.ledger.message(key);
    if (r.qos != QoS::exactly_once || r.refused || r.will) continue;
    const bool publisher_lost_state = ix.lost_state_between(r.publisher, -1, r.published_ns);
    if (r.acked() && r.published_ns < ix.cutoff_ns() && !publisher_lost_state) {
      check_delivered(ix, key, Invariant::qos2_exactly_once, "MQTT-4.3.3 (§4.3.3 exactly once)",
                      out);
    }
    for (auto& [subscriber, copies] : routed_copies(ix.ledger, key)) {
      // Exactly once is end to end at QoS 2: a subscription granted QoS 1 gets at least once.
      copies.erase(
          std::remove_if(copies.begin(), copies.end(),
                         [](const DeliveryRecord& d) { return d.qos != QoS::exactly_once; }),
          copies.end());
      const std::size_t allowed =
          std::max<std::size_t>(1, ix.matching_filters(subscriber, r.topic));
      // Copies count together only within one stretch without an excusing event (see header).
      std::size_t run_start = 0;
      for (std::size_t i = 1; i <= copies.size(); ++i) {
        const bool split =
            i == copies.size() ||
            ix.lost_state_between(subscriber, copies[i - 1].time_ns, copies[i].time_ns + 1) ||
            // The broker's or the publisher's state loss splits the routings, which happen
            // between the publish and the later copy (a queued copy may arrive much later).
            Index::any_in(ix.stateless_crashes, r.published_ns, copies[i].time_ns + 1) ||
            ix.restarted_between(r.publisher, r.published_ns, copies[i].time_ns + 1);
        if (!split) continue;
        if (i - run_start > allowed) {
          const DeliveryRecord& second = copies[run_start + allowed];
          out.push_back({Invariant::qos2_exactly_once, "MQTT-4.3.3-10 (§4.3.3 never duplicated)",
                         ix.describe(key) + " reached " + ix.ledger.client_name(subscriber) + " " +
                             std::to_string(i - run_start) + " times: at " +
                             seconds(copies[run_start].time_ns) + " and again at " +
                             seconds(second.time_ns) + " (DUP=" + (second.dup ? "1" : "0") +
                             ", packet id " + std::to_string(second.packet_id) + ")",
                         second.time_ns});
        }
        run_start = i;
      }
    }
  }
  return out;
}

std::vector<Violation> check_ordering(const CheckInput& in) {
  const Index ix(in);
  const DeliveryLedger& ledger = ix.ledger;
  std::vector<Violation> out;
  // First QoS >= 1 copy per (subscriber, message), in arrival order.
  std::map<std::pair<LedgerClient, MessageKey>, const DeliveryRecord*> first;
  std::vector<const DeliveryRecord*> firsts;
  for (const DeliveryRecord& d : ledger.deliveries()) {
    if (d.retain || d.qos == QoS::at_most_once || ledger.message(d.message).will) continue;
    if (first.emplace(std::make_pair(d.subscriber, d.message), &d).second) firsts.push_back(&d);
  }
  // Per (subscriber, publisher, topic, QoS): the newest message whose first copy arrived.
  std::map<std::tuple<LedgerClient, LedgerClient, std::uint32_t, QoS>, const DeliveryRecord*>
      newest;
  for (const DeliveryRecord* d : firsts) {
    const MessageRecord& r = ledger.message(d->message);
    if (r.qos == QoS::at_most_once) continue;
    const DeliveryRecord*& last = newest[{d->subscriber, r.publisher, r.topic, r.qos}];
    if (last == nullptr || last->message < d->message) {
      last = d;
      continue;
    }
    // d's message is older than one that arrived first: a violation only if one subscription
    // of S (granted >= 1) was in force from d's publish through both arrivals.
    const bool one_session = std::any_of(ix.of(d->subscriber).begin(), ix.of(d->subscriber).end(),
                                         [&](const SubscriptionInterval& s) {
                                           return s.granted != QoS::at_most_once &&
                                                  s.from_ns <= r.published_ns &&
                                                  s.until_ns > d->time_ns && ix.matches(s, r.topic);
                                         });
    if (!one_session) continue;
    out.push_back({Invariant::ordering, "MQTT-4.6.0-6 (§4.6 ordered topic)",
                   ix.describe(d->message) + " first reached " + ledger.client_name(d->subscriber) +
                       " at " + seconds(d->time_ns) + ", after the newer " +
                       ix.describe(last->message) + " at " + seconds(last->time_ns),
                   d->time_ns});
  }
  return out;
}

std::vector<Violation> check_retained(const CheckInput& in) {
  const Index ix(in);
  const DeliveryLedger& ledger = ix.ledger;
  const auto& crashes = ledger.broker_crashes_ns();
  std::vector<Violation> out;
  for (const DeliveryRecord& d : ledger.deliveries()) {
    if (!d.retain) continue;
    const MessageRecord& r = ledger.message(d.message);
    if (!r.retain || d.topic != r.topic) {
      out.push_back({Invariant::retained, "MQTT-3.3.1-9 (RETAIN only on a retained message)",
                     ix.describe(d.message) + " reached " + ledger.client_name(d.subscriber) +
                         " at " + seconds(d.time_ns) + " flagged RETAIN under topic '" +
                         ledger.topic_name(d.topic) + "'",
                     d.time_ns});
      continue;
    }
    for (std::size_t i = 0; i < crashes.size(); ++i) {
      if (ledger.broker_crashes_persistent()[i] || !r.acked() || r.acked_ns >= crashes[i] ||
          crashes[i] >= d.time_ns) {
        continue;
      }
      out.push_back({Invariant::retained, "MQTT-3.3.1-5 (the retained store is the broker's)",
                     ix.describe(d.message) + " reached " + ledger.client_name(d.subscriber) +
                         " as retained at " + seconds(d.time_ns) +
                         ", although the broker crashed without persistence at " +
                         seconds(crashes[i]) + " after storing it",
                     d.time_ns});
      break;
    }
  }
  return out;
}

std::vector<Violation> check_will(const CheckInput& in) {
  const Index ix(in);
  const DeliveryLedger& ledger = ix.ledger;
  std::vector<Violation> out;
  const auto& crashes = ledger.broker_crashes_ns();
  for (const WillOfClient& w : in.wills) {
    const auto id = ledger.find_name(w.client_id);
    const auto will_topic = ledger.find_name(w.topic);
    std::vector<TimeNs> abnormal_ns;
    for (const nodes::ConnectionEndRecord& e : ledger.connection_ends()) {
      if (!id || e.client_id != *id) continue;
      if (e.graceful && e.will_scheduled) {
        out.push_back({Invariant::will, "MQTT-3.14.4-3 (DISCONNECT 0x00 discards the Will)",
                       "the broker scheduled the Will of " + w.client_id +
                           " on a graceful DISCONNECT at " + seconds(e.time_ns),
                       e.time_ns});
      }
      if (!e.graceful) abnormal_ns.push_back(e.time_ns);
    }
    // A Will arrives tagged (virtual clients tag their Will payloads: MessageRecord::will) or,
    // from a client that does not, untagged.
    std::vector<nodes::UntaggedDeliveryRecord> will_copies;
    if (will_topic) {
      for (const nodes::UntaggedDeliveryRecord& u : ledger.untagged_deliveries_list()) {
        if (u.topic == *will_topic) will_copies.push_back(u);
      }
      for (const DeliveryRecord& d : ledger.deliveries()) {
        if (d.topic == *will_topic && ledger.message(d.message).will) {
          will_copies.push_back({d.time_ns, d.subscriber, d.topic, d.qos, d.retain});
        }
      }
    }
    std::vector<const nodes::UntaggedDeliveryRecord*> wills_seen;
    for (const nodes::UntaggedDeliveryRecord& u : will_copies) wills_seen.push_back(&u);
    // Only if: each Will delivery follows an abnormal end or a broker crash.
    for (const nodes::UntaggedDeliveryRecord* u : wills_seen) {
      const auto before = [u](TimeNs t) { return t <= u->time_ns; };
      if (std::any_of(abnormal_ns.begin(), abnormal_ns.end(), before) ||
          std::any_of(crashes.begin(), crashes.end(), before)) {
        continue;
      }
      out.push_back({Invariant::will, "MQTT-3.1.2-8 (a Will only on an abnormal end)",
                     "the Will of " + w.client_id + " ('" + w.topic + "') reached " +
                         ledger.client_name(u->subscriber) + " at " + seconds(u->time_ns) +
                         " with no abnormal end of its connection before",
                     u->time_ns});
    }
    // If: a Will due at once reaches every surviving QoS >= 1 subscription.
    if (w.delay_ns != 0 || w.qos == QoS::at_most_once) continue;
    for (const TimeNs end_ns : abnormal_ns) {
      if (end_ns >= ix.cutoff_ns()) continue;
      for (const auto& [subscriber, intervals] : ix.intervals) {
        const bool watching = std::any_of(intervals.begin(), intervals.end(), [&](const auto& s) {
          return s.granted != QoS::at_most_once && s.from_ns <= end_ns &&
                 s.until_ns == kTimeMaxNs &&
                 protocol::topic_matches(ledger.topic_name(s.filter), w.topic);
        });
        const bool got = std::any_of(wills_seen.begin(), wills_seen.end(), [&](const auto* u) {
          return u->subscriber == subscriber && u->time_ns >= end_ns;
        });
        // As for QoS 1: only once S received a QoS >= 1 message routed after the Will.
        const bool witnessed =
            std::any_of(ledger.deliveries().begin(), ledger.deliveries().end(), [&](const auto& d) {
              return d.subscriber == subscriber && !d.retain && d.qos != QoS::at_most_once &&
                     ledger.message(d.message).published_ns > end_ns;
            });
        if (!watching || got || !witnessed) continue;
        out.push_back({Invariant::will, "MQTT-3.1.2-8 (the Will on an abnormal end)",
                       "the connection of " + w.client_id + " ended abnormally at " +
                           seconds(end_ns) + " but its Will ('" + w.topic + "') never reached " +
                           ledger.client_name(subscriber) + ", whose subscription survived",
                       in.end_ns});
      }
    }
  }
  return out;
}

std::vector<Violation> check_matching(const CheckInput& in) {
  const Index ix(in);
  const DeliveryLedger& ledger = ix.ledger;
  std::vector<Violation> out;
  const auto unmatched = [&](LedgerClient subscriber, std::uint32_t topic) {
    const auto& intervals = ix.of(subscriber);
    return std::none_of(intervals.begin(), intervals.end(),
                        [&](const SubscriptionInterval& s) { return ix.matches(s, topic); });
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

std::vector<Violation> check_dup_flag(const CheckInput& in) {
  const Index ix(in);
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

std::vector<Violation> check_all(const CheckInput& in) {
  std::vector<Violation> out;
  const auto add = [&out](std::vector<Violation> v) {
    out.insert(out.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
  };
  add(check_qos0_at_most_once(in));
  add(check_qos1_at_least_once(in));
  add(check_qos2_exactly_once(in));
  add(check_ordering(in));
  add(check_retained(in));
  add(check_will(in));
  add(check_matching(in));
  add(check_dup_flag(in));
  return out;
}

}  // namespace mqttsim::sim::checks
