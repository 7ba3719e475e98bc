// The facts every invariant reads, gathered from the ledger once per check run (internal to
// sim/checks): subscription intervals per subscriber and per topic, state losses, and per
// subscriber the deliveries that can witness a later routing, so that no check rescans the ledger.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/checks/invariants.hpp"

namespace mqttsim::sim::checks {

std::string seconds(TimeNs ns);

class Index {
 public:
  explicit Index(const CheckInput& input);

  const CheckInput& in;
  const nodes::DeliveryLedger& ledger;
  std::map<nodes::LedgerClient, std::vector<nodes::SubscriptionInterval>> intervals;
  std::vector<TimeNs> stateless_crashes;  // broker crashes without persistence, in time order

  TimeNs cutoff_ns() const { return in.end_ns - in.settle_ns; }
  bool matches(const nodes::SubscriptionInterval& s, std::uint32_t topic) const;
  const std::vector<nodes::SubscriptionInterval>& of(nodes::LedgerClient c) const;
  // Every subscription interval (any subscriber) whose filter matches `topic`: the topic_matches
  // work is done once per distinct topic.
  const std::vector<const nodes::SubscriptionInterval*>& matching(std::uint32_t topic) const;
  // Distinct filters of `c` (ever granted) that match `topic`: copies a 5.0 broker may send.
  std::size_t matching_filters(nodes::LedgerClient c, std::uint32_t topic) const;
  bool ever_matched(nodes::LedgerClient c, std::uint32_t topic) const;

  static bool any_in(const std::vector<TimeNs>& sorted, TimeNs after, TimeNs before);
  bool lost_state_between(nodes::LedgerClient c, TimeNs a, TimeNs b) const;
  bool restarted_between(nodes::LedgerClient c, TimeNs a, TimeNs b) const;

  // The first non-retained QoS >= 1 delivery to `c` arriving in [from, until) whose message was
  // published after `published_after` (a message routed to c's session later than that time),
  // or nullptr. O(log n) when there is none, which is the common case.
  const nodes::DeliveryRecord* witness(nodes::LedgerClient c, TimeNs from, TimeNs until,
                                       TimeNs published_after) const;

  std::string describe(nodes::MessageKey key) const;
  std::string interval_text(const nodes::SubscriptionInterval& s) const;

 private:
  // Per subscriber, the witness candidates in arrival order and a max-tree over their messages'
  // publish times (range maximum in O(log n)).
  struct Witnesses {
    std::vector<TimeNs> time_ns;
    std::vector<TimeNs> published_ns;
    std::vector<std::uint32_t> delivery;  // index into ledger.deliveries()
    std::vector<TimeNs> tree;             // 2n: leaves at [n, 2n)
  };
  TimeNs range_max(const Witnesses& w, std::size_t lo, std::size_t hi) const;

  std::map<nodes::LedgerClient, std::vector<TimeNs>> state_lost_;
  std::map<nodes::LedgerClient, std::vector<TimeNs>> restarts_;
  std::map<nodes::LedgerClient, Witnesses> witnesses_;
  mutable std::map<std::uint32_t, std::vector<const nodes::SubscriptionInterval*>> matching_;
};

// Non-retained deliveries of `key`, grouped by subscriber, in arrival order (the ledger links a
// message's deliveries, so this reads only them).
std::map<nodes::LedgerClient, std::vector<nodes::DeliveryRecord>> routed_copies(
    const nodes::DeliveryLedger& ledger, nodes::MessageKey key);

// The invariants over a built index (check_all builds it once): retained.cpp,
// flag_invariants.cpp; the delivery ones are in invariants.cpp.
std::vector<Violation> retained_violations(const Index& ix);
std::vector<Violation> will_violations(const Index& ix);
std::vector<Violation> matching_violations(const Index& ix);
std::vector<Violation> dup_flag_violations(const Index& ix);

}  // namespace mqttsim::sim::checks
