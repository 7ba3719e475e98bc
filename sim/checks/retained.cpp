// The retained-message invariant of invariants.hpp (MQTT-3.3.1-5..-10): RETAIN only on retained
// messages, none from a store a crash wiped, and what a new subscription receives is the latest
// retained message of each matching topic when the broker handled the SUBSCRIBE.
#include <algorithm>
#include <map>
#include <set>

#include "protocol/topic.hpp"
#include "sim/checks/check_index.hpp"

namespace mqttsim::sim::checks {
namespace {

using nodes::DeliveryLedger;
using nodes::DeliveryRecord;
using nodes::LedgerClient;
using nodes::MessageKey;
using nodes::MessageRecord;
using nodes::SubscribeRecord;
using protocol::QoS;

// A retained publish as the store saw it: stored (once or more: a resend stores it again) at
// times within [lo_ns, hi_ns]. hi_ns is its acknowledgement when it has one (QoS >= 1): then it
// was certainly stored; otherwise it may have been stored at any time after lo_ns, or never.
struct Candidate {
  MessageKey key = 0;
  TimeNs lo_ns = 0;
  TimeNs hi_ns = kTimeMaxNs;
  bool certain = false;
  bool clear = false;  // empty payload: removes the topic's retained message (MQTT-3.3.1-10)
  // From then on it is certainly not the store's content: a later certain store replaced it,
  // or a crash without persistence wiped it.
  TimeNs gone_ns = kTimeMaxNs;
};

// One topic's retained publishes in publish order.
struct History {
  std::vector<Candidate> list;
  std::vector<TimeNs> prefix_max_hi_ns;  // over list[0..k]
};

// The retained history of every topic, and the windows a query needs.
class Store {
 public:
  explicit Store(const Index& ix);
  const std::map<std::uint32_t, History>& topics() const { return topics_; }
  // Whether `key` may have been the retained message of its topic at some instant of [a, b].
  bool possibly_current(MessageKey key, TimeNs a, TimeNs b) const;
  // The message certainly the retained one of `topic` throughout [a, b] (a SUBSCRIBE handled
  // then must bring it), or nullptr when that is not certain or the topic is empty then.
  const Candidate* certainly_current(std::uint32_t topic, TimeNs a, TimeNs b) const;

 private:
  const Index& ix_;
  std::map<std::uint32_t, History> topics_;
  std::map<MessageKey, std::pair<std::uint32_t, std::size_t>> where_;  // topic, position
};

Store::Store(const Index& ix) : ix_(ix) {
  const DeliveryLedger& ledger = ix.ledger;
  for (MessageKey key = 1; key <= ledger.message_count(); ++key) {
    const MessageRecord& r = ledger.message(key);
    if (!r.retain || r.refused || r.will) continue;
    Candidate c{key, r.published_ns, kTimeMaxNs, false, r.payload_size_bytes == 0};
    // A QoS 0 "ack" is only the bytes written; a QoS >= 1 one says the broker took it.
    if (r.qos != QoS::at_most_once && r.acked()) {
      c.hi_ns = r.acked_ns;
      c.certain = true;
    }
    topics_[r.topic].list.push_back(c);
  }
  const auto& crashes = ix.stateless_crashes;
  for (auto& [topic, h] : topics_) {
    std::stable_sort(h.list.begin(), h.list.end(),
                     [](const Candidate& x, const Candidate& y) { return x.lo_ns < y.lo_ns; });
    // Suffix minimum of certain store times, to find each one's first certain successor.
    std::vector<TimeNs> suffix_min_hi(h.list.size() + 1, kTimeMaxNs);
    for (std::size_t k = h.list.size(); k-- > 0;) {
      suffix_min_hi[k] = std::min(suffix_min_hi[k + 1], h.list[k].hi_ns);
    }
    TimeNs running_max = 0;
    for (std::size_t k = 0; k < h.list.size(); ++k) {
      Candidate& c = h.list[k];
      where_[c.key] = {topic, k};  // after the sort: positions are final
      running_max = std::max(running_max, c.hi_ns);
      h.prefix_max_hi_ns.push_back(running_max);
      if (!c.certain) continue;  // may still be stored (a resend) at any later time
      const auto next = std::lower_bound(h.list.begin(), h.list.end(), c.hi_ns,
                                         [](const Candidate& x, TimeNs t) { return x.lo_ns < t; });
      c.gone_ns = suffix_min_hi[static_cast<std::size_t>(next - h.list.begin())];
      const auto crash = std::lower_bound(crashes.begin(), crashes.end(), c.hi_ns);
      // gone_ns is inclusive; a crash at the very instant of a later SUBSCRIBE may follow it.
      if (crash != crashes.end()) c.gone_ns = std::min(c.gone_ns, *crash + 1);
    }
  }
}

bool Store::possibly_current(MessageKey key, TimeNs a, TimeNs b) const {
  auto it = where_.find(key);
  if (it == where_.end()) return false;
  const Candidate& c = topics_.at(it->second.first).list[it->second.second];
  return c.lo_ns <= b && c.gone_ns > a;
}

const Candidate* Store::certainly_current(std::uint32_t topic, TimeNs a, TimeNs b) const {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return nullptr;
  const History& h = it->second;
  // Only the last publish before b can be the one; those after b reached the broker after it
  // answered the SUBSCRIBE.
  const auto after = std::lower_bound(h.list.begin(), h.list.end(), b,
                                      [](const Candidate& x, TimeNs t) { return x.lo_ns < t; });
  if (after == h.list.begin()) return nullptr;
  const auto k = static_cast<std::size_t>(after - h.list.begin()) - 1;
  const Candidate& c = h.list[k];
  if (!c.certain || c.clear || c.hi_ns > a || c.gone_ns <= b) return nullptr;
  if (k > 0 && h.prefix_max_hi_ns[k - 1] > c.lo_ns) return nullptr;  // an earlier may follow it
  // A crash in its life leaves it open whether this store or an earlier one survived.
  if (Index::any_in(ix_.stateless_crashes, c.lo_ns - 1, b + 1)) return nullptr;
  return &c;
}

// A SUBSCRIBE's window: the broker handled it after the request left and before the SUBACK
// came back; without a SUBACK (or one after the copy) the copy's arrival bounds it.
TimeNs window_end(const SubscribeRecord& s, TimeNs copy_ns) {
  return s.granted_ns != nodes::kNeverNs && s.granted_ns <= copy_ns ? s.granted_ns : copy_ns;
}

bool filter_matches(const DeliveryLedger& ledger, std::uint32_t filter, std::uint32_t topic) {
  return protocol::topic_matches(ledger.topic_name(filter), ledger.topic_name(topic));
}

}  // namespace

namespace {

// RETAIN only on a message published retained, under its topic (MQTT-3.3.1-9), and never from a
// store a crash without persistence wiped after storing it (MQTT-3.3.1-5).
void check_flag_and_crash(const Index& ix, const DeliveryRecord& d, std::vector<Violation>& out) {
  const DeliveryLedger& ledger = ix.ledger;
  const MessageRecord& r = ledger.message(d.message);
  if (!r.retain || d.topic != r.topic) {
    out.push_back({Invariant::retained, "MQTT-3.3.1-9 (RETAIN only on a retained message)",
                   ix.describe(d.message) + " reached " + ledger.client_name(d.subscriber) +
                       " at " + seconds(d.time_ns) + " flagged RETAIN under topic '" +
                       ledger.topic_name(d.topic) + "'",
                   d.time_ns});
    return;
  }
  if (!r.acked()) return;
  const auto& crashes = ix.stateless_crashes;
  const auto crash = std::upper_bound(crashes.begin(), crashes.end(), r.acked_ns);
  if (crash == crashes.end() || *crash >= d.time_ns) return;
  out.push_back({Invariant::retained, "MQTT-3.3.1-5 (the retained store is the broker's)",
                 ix.describe(d.message) + " reached " + ledger.client_name(d.subscriber) +
                     " as retained at " + seconds(d.time_ns) +
                     ", although the broker crashed without persistence at " + seconds(*crash) +
                     " after storing it",
                 d.time_ns});
}

// A copy sent on subscribe is the topic's retained message at the time the broker handled one
// of S's SUBSCRIBEs of a matching filter (MQTT-3.3.1-6): an older, replaced or cleared one is
// stale. Where the order of a publish and the SUBSCRIBE is open, either is accepted.
void check_not_stale(const Index& ix, const Store& store,
                     const std::vector<const SubscribeRecord*>& subscribes, const DeliveryRecord& d,
                     std::vector<Violation>& out) {
  const DeliveryLedger& ledger = ix.ledger;
  const SubscribeRecord* latest = nullptr;
  for (const SubscribeRecord* s : subscribes) {
    if (!filter_matches(ledger, s->filter, d.topic)) continue;
    // Retain As Published: a routed copy may carry RETAIN too, so no copy here is judged.
    if (s->retain_as_published) return;
    if (s->requested_ns > d.time_ns) continue;
    if (store.possibly_current(d.message, s->requested_ns, window_end(*s, d.time_ns))) return;
    latest = s;
  }
  if (latest == nullptr) return;  // no SUBSCRIBE of a matching filter: check_matching's case
  const TimeNs end_ns = window_end(*latest, d.time_ns);
  const Candidate* current = store.certainly_current(d.topic, latest->requested_ns, end_ns);
  out.push_back(
      {Invariant::retained, "MQTT-3.3.1-6 (a new subscription gets the current retained message)",
       ix.describe(d.message) + " reached " + ledger.client_name(d.subscriber) +
           " as retained at " + seconds(d.time_ns) + ", but it was not the retained message of '" +
           ledger.topic_name(d.topic) + "' while any SUBSCRIBE of " +
           ledger.client_name(d.subscriber) + " matching it was handled (the last: '" +
           ledger.topic_name(latest->filter) + "' between " + seconds(latest->requested_ns) +
           " and " + seconds(end_ns) + ", when the retained one was " +
           (current ? ix.describe(current->key) : std::string("not certain")) + ")",
       d.time_ns});
}

}  // namespace

namespace {

// Retained copies that arrived, per (subscriber, message): their arrival times.
using CopyTimes = std::map<std::pair<LedgerClient, MessageKey>, std::vector<TimeNs>>;

// The other half of MQTT-3.3.1-6: a SUBSCRIBE (Retain Handling 0, granted QoS >= 1) handled while
// a QoS >= 1 message was certainly the retained one of a matching topic brings that message.
// Required only as QoS 1 delivery is (check_delivered): once S, with the subscription still in
// force, received a QoS >= 1 message published after the SUBACK, which its session queued behind
// the retained copies.
void check_brought(const Index& ix, const Store& store, const SubscribeRecord& s,
                   const std::vector<std::uint32_t>& topics, const CopyTimes& copies,
                   std::vector<Violation>& out) {
  const DeliveryLedger& ledger = ix.ledger;
  if (s.granted_ns == nodes::kNeverNs || s.granted == QoS::at_most_once || s.retain_handling != 0 ||
      s.granted_ns >= ix.cutoff_ns()) {
    return;
  }
  const nodes::SubscriptionInterval* held = nullptr;
  for (const nodes::SubscriptionInterval& i : ix.of(s.subscriber)) {
    if (i.filter == s.filter && i.from_ns <= s.granted_ns && s.granted_ns < i.until_ns) held = &i;
  }
  if (held == nullptr) return;
  const DeliveryRecord* witness = nullptr;
  bool witness_read = false;
  for (const std::uint32_t topic : topics) {
    const Candidate* due = store.certainly_current(topic, s.requested_ns, s.granted_ns);
    if (due == nullptr || ledger.message(due->key).qos == QoS::at_most_once) continue;
    auto got = copies.find({s.subscriber, due->key});
    if (got != copies.end() && std::any_of(got->second.begin(), got->second.end(),
                                           [&](TimeNs t) { return t >= s.requested_ns; })) {
      continue;
    }
    if (!witness_read) {
      witness = ix.witness(s.subscriber, s.granted_ns, held->until_ns, s.granted_ns);
      witness_read = true;
    }
    if (witness == nullptr) return;
    out.push_back(
        {Invariant::retained, "MQTT-3.3.1-6 (a new subscription gets the current retained message)",
         ix.describe(due->key) + " was the retained message of '" + ledger.topic_name(topic) +
             "' when " + ledger.client_name(s.subscriber) + " subscribed to '" +
             ledger.topic_name(s.filter) + "' (between " + seconds(s.requested_ns) + " and " +
             seconds(s.granted_ns) + "), but never reached it as retained; it received the later " +
             ix.describe(witness->message) + " at " + seconds(witness->time_ns),
         witness->time_ns});
  }
}

}  // namespace

std::vector<Violation> retained_violations(const Index& ix) {
  const DeliveryLedger& ledger = ix.ledger;
  std::vector<Violation> out;
  const Store store(ix);
  std::map<LedgerClient, std::vector<const SubscribeRecord*>> subscribes;
  for (const SubscribeRecord& s : ledger.subscribes()) subscribes[s.subscriber].push_back(&s);
  static const std::vector<const SubscribeRecord*> kNone;
  CopyTimes copies;
  for (const DeliveryRecord& d : ledger.deliveries()) {
    if (!d.retain || ledger.message(d.message).will) continue;
    const std::size_t before = out.size();
    check_flag_and_crash(ix, d, out);
    if (out.size() != before) continue;  // one violation per copy
    copies[{d.subscriber, d.message}].push_back(d.time_ns);
    auto own = subscribes.find(d.subscriber);
    check_not_stale(ix, store, own == subscribes.end() ? kNone : own->second, d, out);
  }
  std::map<std::uint32_t, std::vector<std::uint32_t>> topics_of;  // retained topics per filter
  for (const SubscribeRecord& s : ledger.subscribes()) {
    auto [it, fresh] = topics_of.try_emplace(s.filter);
    if (fresh) {
      for (const auto& [topic, history] : store.topics()) {
        if (filter_matches(ledger, s.filter, topic)) it->second.push_back(topic);
      }
    }
    check_brought(ix, store, s, it->second, copies, out);
  }
  return out;
}

}  // namespace mqttsim::sim::checks
