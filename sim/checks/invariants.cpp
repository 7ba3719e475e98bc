// The delivery invariants of invariants.hpp (QoS 0/1/2, ordering) over the ledger, the input
// from a World, and check_all, which builds the shared index (check_index.hpp) once for all.
#include "sim/checks/invariants.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "sim/checks/check_index.hpp"
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

// The delivery-guarantee part shared by QoS 1 and QoS 2 (see check_qos1_at_least_once). S must
// have `key` when a subscription I of S (granted >= 1) matching it was in force at the publish
// and S later received, within I, a QoS >= 1 message published after `key` was acknowledged:
// that message was routed to S's session after `key`, and a session delivers in order.
void check_delivered(const Index& ix, MessageKey key, Invariant inv, const std::string& rule,
                     std::vector<Violation>& out) {
  const DeliveryLedger& ledger = ix.ledger;
  const MessageRecord& r = ledger.message(key);
  // Who received a copy: read from the message's own deliveries (the ledger links them).
  std::set<LedgerClient> received;
  for (std::uint32_t i = r.first_delivery; i != nodes::kNoDelivery;
       i = ledger.deliveries()[i].next_of_message) {
    if (!ledger.deliveries()[i].retain) received.insert(ledger.deliveries()[i].subscriber);
  }
  std::set<LedgerClient> reported;
  for (const SubscriptionInterval* s : ix.matching(r.topic)) {
    if (s->granted == QoS::at_most_once || s->from_ns > r.published_ns ||
        s->until_ns <= r.published_ns || received.count(s->subscriber) != 0 ||
        reported.count(s->subscriber) != 0) {
      continue;
    }
    // The witness: a later-routed QoS >= 1 message S received inside I.
    const DeliveryRecord* witness = ix.witness(s->subscriber, s->from_ns, s->until_ns, r.acked_ns);
    if (witness == nullptr) continue;
    reported.insert(s->subscriber);
    out.push_back({inv, rule,
                   ix.describe(key) + " never reached " + ledger.client_name(s->subscriber) +
                       ", whose subscription " + ix.interval_text(*s) +
                       " survived; it received the later " + ix.describe(witness->message) +
                       " at " + seconds(witness->time_ns),
                   witness->time_ns});
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

namespace {

std::vector<Violation> qos0_violations(const Index& ix) {
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

std::vector<Violation> qos1_violations(const Index& ix) {
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

// Whether a broker crash without persistence wiped the broker's record of having delivered the
// copy that reached S at `first_ns`, before the copy at `second_ns`: a crash between the two, or
// the last crash before the first copy when S had not subscribed anew since (the copy was then
// already on its way from the crashed broker: bytes in flight still arrive). A crash before the
// first copy was routed excuses nothing: the broker that sent both knew of the first.
bool crash_forgot_copy(const Index& ix, LedgerClient s, std::uint32_t topic, TimeNs first_ns,
                       TimeNs second_ns) {
  const auto& crashes = ix.stateless_crashes;
  const auto after = std::upper_bound(crashes.begin(), crashes.end(), first_ns);
  if (after != crashes.end() && *after <= second_ns) return true;
  if (after == crashes.begin()) return false;
  const TimeNs last_ns = *std::prev(after);
  const auto& intervals = ix.matching(topic);
  return std::none_of(intervals.begin(), intervals.end(), [&](const SubscriptionInterval* i) {
    return i->subscriber == s && i->from_ns >= last_ns && i->from_ns <= first_ns;
  });
}

std::vector<Violation> qos2_violations(const Index& ix) {
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
            crash_forgot_copy(ix, subscriber, r.topic, copies[i - 1].time_ns, copies[i].time_ns) ||
            // The publisher's new session splits the routings, which happen between the
            // publish and the later copy (a copy queued for S may arrive much later).
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

std::vector<Violation> ordering_violations(const Index& ix) {
  const DeliveryLedger& ledger = ix.ledger;
  std::vector<Violation> out;
  // First QoS >= 1 copy per (subscriber, message), in arrival order: marked walking each
  // message's own deliveries, with the message last seen per subscriber.
  const auto& all = ledger.deliveries();
  std::vector<bool> is_first(all.size(), false);
  std::vector<MessageKey> seen(ledger.client_count(), 0);
  for (MessageKey key = 1; key <= ledger.message_count(); ++key) {
    const MessageRecord& r = ledger.message(key);
    if (r.will || r.qos == QoS::at_most_once) continue;
    for (std::uint32_t i = r.first_delivery; i != nodes::kNoDelivery; i = all[i].next_of_message) {
      const DeliveryRecord& d = all[i];
      if (d.retain || d.qos == QoS::at_most_once || seen.at(d.subscriber) == key) continue;
      seen[d.subscriber] = key;
      is_first[i] = true;
    }
  }
  // Per (subscriber, publisher, topic, QoS): the newest message whose first copy arrived.
  // Looked up only, never iterated, so the unordered map's order cannot reach the output.
  struct StreamKey {
    LedgerClient subscriber, publisher;
    std::uint32_t topic;
    QoS qos;
    bool operator==(const StreamKey&) const = default;
  };
  struct StreamHash {
    std::size_t operator()(const StreamKey& k) const {
      const std::uint64_t a = std::uint64_t{k.subscriber} << 32 | k.publisher;
      const std::uint64_t b = std::uint64_t{k.topic} << 2 | static_cast<std::uint64_t>(k.qos);
      return std::hash<std::uint64_t>{}(a * 0x9E3779B97F4A7C15ULL ^ b);
    }
  };
  std::unordered_map<StreamKey, const DeliveryRecord*, StreamHash> newest;
  std::vector<const DeliveryRecord*> firsts;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (is_first[i]) firsts.push_back(&all[i]);
  }
  for (const DeliveryRecord* d : firsts) {
    const MessageRecord& r = ledger.message(d->message);
    if (r.qos == QoS::at_most_once) continue;
    const DeliveryRecord*& last = newest[StreamKey{d->subscriber, r.publisher, r.topic, r.qos}];
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

}  // namespace

std::vector<Violation> check_qos0_at_most_once(const CheckInput& in) {
  return qos0_violations(Index(in));
}
std::vector<Violation> check_qos1_at_least_once(const CheckInput& in) {
  return qos1_violations(Index(in));
}
std::vector<Violation> check_qos2_exactly_once(const CheckInput& in) {
  return qos2_violations(Index(in));
}
std::vector<Violation> check_ordering(const CheckInput& in) {
  return ordering_violations(Index(in));
}
std::vector<Violation> check_retained(const CheckInput& in) {
  return retained_violations(Index(in));
}
std::vector<Violation> check_will(const CheckInput& in) {
  return will_violations(Index(in));
}
std::vector<Violation> check_matching(const CheckInput& in) {
  return matching_violations(Index(in));
}
std::vector<Violation> check_dup_flag(const CheckInput& in) {
  return dup_flag_violations(Index(in));
}

std::vector<Violation> check_all(const CheckInput& in) {
  const Index ix(in);  // once: on a fleet-sized ledger the index is most of the work
  std::vector<Violation> out;
  const auto add = [&out](std::vector<Violation> v) {
    out.insert(out.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
  };
  add(qos0_violations(ix));
  add(qos1_violations(ix));
  add(qos2_violations(ix));
  add(ordering_violations(ix));
  add(retained_violations(ix));
  add(will_violations(ix));
  add(matching_violations(ix));
  add(dup_flag_violations(ix));
  return out;
}

}  // namespace mqttsim::sim::checks
