// The shared index of the invariants: built in one pass over the ledger, queried by every check.
// Fleet-sized ledgers (millions of deliveries) are why the witness search is a range-maximum
// tree rather than a scan, and why topic matching is cached per distinct topic.
#include "sim/checks/check_index.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <set>

#include "protocol/topic.hpp"

namespace mqttsim::sim::checks {

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

Index::Index(const CheckInput& input) : in(input), ledger(*input.ledger) {
  for (const SubscriptionInterval& s : ledger.subscriptions()) intervals[s.subscriber].push_back(s);
  for (const nodes::ClientCrashRecord& c : ledger.client_crashes()) {
    if (!c.state_kept) state_lost_[c.client].push_back(c.time_ns);
  }
  for (const auto& [client, at] : ledger.session_restarts()) restarts_[client].push_back(at);
  for (std::size_t i = 0; i < ledger.broker_crashes_ns().size(); ++i) {
    if (!ledger.broker_crashes_persistent()[i])
      stateless_crashes.push_back(ledger.broker_crashes_ns()[i]);
  }
  std::sort(stateless_crashes.begin(), stateless_crashes.end());
  for (auto* times : {&state_lost_, &restarts_}) {
    for (auto& [client, list] : *times) std::sort(list.begin(), list.end());
  }
  // Witness candidates per subscriber, then sorted by arrival (hand-built ledgers may record
  // out of order; a run records in time order, so the sort is cheap).
  const auto& all = ledger.deliveries();
  std::map<LedgerClient, std::vector<std::uint32_t>> by_subscriber;
  for (std::uint32_t i = 0; i < all.size(); ++i) {
    if (!all[i].retain && all[i].qos != QoS::at_most_once)
      by_subscriber[all[i].subscriber].push_back(i);
  }
  for (auto& [subscriber, list] : by_subscriber) {
    const auto by_time = [&](std::uint32_t a, std::uint32_t b) {
      return all[a].time_ns < all[b].time_ns;
    };
    if (!std::is_sorted(list.begin(), list.end(), by_time)) {
      std::stable_sort(list.begin(), list.end(), by_time);
    }
    Witnesses& w = witnesses_[subscriber];
    const std::size_t n = list.size();
    w.delivery = list;
    w.tree.assign(2 * n, 0);
    for (std::size_t k = 0; k < n; ++k) {
      const DeliveryRecord& d = all[list[k]];
      w.time_ns.push_back(d.time_ns);
      w.published_ns.push_back(ledger.message(d.message).published_ns);
      w.tree[n + k] = w.published_ns.back();
    }
    for (std::size_t k = n - 1; k > 0; --k) w.tree[k] = std::max(w.tree[2 * k], w.tree[2 * k + 1]);
  }
}

TimeNs Index::range_max(const Witnesses& w, std::size_t lo, std::size_t hi) const {
  TimeNs best = std::numeric_limits<TimeNs>::min();
  const std::size_t n = w.time_ns.size();
  for (lo += n, hi += n; lo < hi; lo /= 2, hi /= 2) {
    if (lo & 1) best = std::max(best, w.tree[lo++]);
    if (hi & 1) best = std::max(best, w.tree[--hi]);
  }
  return best;
}

const DeliveryRecord* Index::witness(LedgerClient c, TimeNs from, TimeNs until,
                                     TimeNs published_after) const {
  auto it = witnesses_.find(c);
  if (it == witnesses_.end()) return nullptr;
  const Witnesses& w = it->second;
  const auto lo = static_cast<std::size_t>(
      std::lower_bound(w.time_ns.begin(), w.time_ns.end(), from) - w.time_ns.begin());
  const auto hi = static_cast<std::size_t>(
      std::lower_bound(w.time_ns.begin(), w.time_ns.end(), until) - w.time_ns.begin());
  if (lo >= hi || range_max(w, lo, hi) <= published_after) return nullptr;
  // One exists: find the first (only on a violation's path). It arrived after it was
  // published, so after `published_after`: the scan starts there.
  const auto start = static_cast<std::size_t>(
      std::upper_bound(w.time_ns.begin() + static_cast<std::ptrdiff_t>(lo),
                       w.time_ns.begin() + static_cast<std::ptrdiff_t>(hi), published_after) -
      w.time_ns.begin());
  for (std::size_t k = start; k < hi; ++k) {
    if (w.published_ns[k] > published_after) return &ledger.deliveries()[w.delivery[k]];
  }
  return nullptr;
}

bool Index::matches(const SubscriptionInterval& s, std::uint32_t topic) const {
  return protocol::topic_matches(ledger.topic_name(s.filter), ledger.topic_name(topic));
}

const std::vector<SubscriptionInterval>& Index::of(LedgerClient c) const {
  static const std::vector<SubscriptionInterval> none;
  auto it = intervals.find(c);
  return it == intervals.end() ? none : it->second;
}

const std::vector<const SubscriptionInterval*>& Index::matching(std::uint32_t topic) const {
  auto it = matching_.find(topic);
  if (it != matching_.end()) return it->second;
  // Each distinct filter is matched once against the topic.
  std::map<std::uint32_t, bool> filter_matches;
  std::vector<const SubscriptionInterval*> out;
  for (const SubscriptionInterval& s : ledger.subscriptions()) {
    auto [f, fresh] = filter_matches.try_emplace(s.filter, false);
    if (fresh) f->second = matches(s, topic);
    if (f->second) out.push_back(&s);
  }
  return matching_.emplace(topic, std::move(out)).first->second;
}

std::size_t Index::matching_filters(LedgerClient c, std::uint32_t topic) const {
  std::set<std::uint32_t> filters;
  for (const SubscriptionInterval* s : matching(topic)) {
    if (s->subscriber == c) filters.insert(s->filter);
  }
  return filters.size();
}

bool Index::ever_matched(LedgerClient c, std::uint32_t topic) const {
  const auto& list = matching(topic);
  return std::any_of(list.begin(), list.end(),
                     [c](const SubscriptionInterval* s) { return s->subscriber == c; });
}

bool Index::any_in(const std::vector<TimeNs>& sorted, TimeNs after, TimeNs before) {
  auto it = std::upper_bound(sorted.begin(), sorted.end(), after);
  return it != sorted.end() && *it < before;
}

bool Index::lost_state_between(LedgerClient c, TimeNs a, TimeNs b) const {
  auto it = state_lost_.find(c);
  return it != state_lost_.end() && any_in(it->second, a, b);
}

bool Index::restarted_between(LedgerClient c, TimeNs a, TimeNs b) const {
  auto it = restarts_.find(c);
  return it != restarts_.end() && any_in(it->second, a, b);
}

std::string Index::describe(MessageKey key) const {
  const MessageRecord& r = ledger.message(key);
  return "message #" + std::to_string(key) + " (" + ledger.client_name(r.publisher) + " -> " +
         ledger.topic_name(r.topic) + ", QoS " + std::to_string(r.level()) +
         (r.retain ? ", retained" : "") + (r.payload_size_bytes == 0 ? ", empty" : "") +
         ", published " + seconds(r.published_ns) +
         (r.acked_ns != nodes::kNeverNs ? ", acked " + seconds(r.acked_ns) : ", not acked") + ")";
}

std::string Index::interval_text(const SubscriptionInterval& s) const {
  return "'" + ledger.topic_name(s.filter) + "' (granted QoS " +
         std::to_string(static_cast<int>(s.granted)) + ", in force " + seconds(s.from_ns) + " to " +
         seconds(s.until_ns) + ")";
}

std::map<LedgerClient, std::vector<DeliveryRecord>> routed_copies(
    const nodes::DeliveryLedger& ledger, MessageKey key) {
  std::map<LedgerClient, std::vector<DeliveryRecord>> out;
  for (std::uint32_t i = ledger.message(key).first_delivery; i != nodes::kNoDelivery;
       i = ledger.deliveries()[i].next_of_message) {
    const DeliveryRecord& d = ledger.deliveries()[i];
    if (!d.retain) out[d.subscriber].push_back(d);
  }
  return out;
}

}  // namespace mqttsim::sim::checks
