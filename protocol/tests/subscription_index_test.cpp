// Tests for the broker's subscription index: the specification's matching examples, `$` topics,
// overlapping and replaced subscriptions, shared groups and their round robin, removal and
// pruning, very deep topics, and properties against brute force over topic_matches.
#include "protocol/subscription_index.hpp"

#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "protocol/topic.hpp"

using namespace mqttsim::protocol;

namespace {

// A match reduced to comparable values: (subscriber, filter text, QoS, identifier).
using Hit = std::tuple<SubscriberId, std::string, int, std::uint32_t>;
// A shared group reduced to (share name, filter text, member subscribers in order).
using GroupHit = std::tuple<std::string, std::string, std::vector<SubscriberId>>;

SubscriptionOptions qos(int level) {
  SubscriptionOptions options;
  options.max_qos = static_cast<QoS>(level);
  return options;
}

std::vector<Hit> hits(const SubscriptionIndex& index, const MatchResult& result) {
  std::vector<Hit> out;
  for (const auto& m : result.subscriptions) {
    out.emplace_back(m.subscriber, index.filter_text(m.filter), static_cast<int>(m.options.max_qos),
                     m.subscription_identifier);
  }
  return out;
}

std::vector<GroupHit> group_hits(const SubscriptionIndex& index, const MatchResult& result) {
  std::vector<GroupHit> out;
  for (const auto& g : result.shared_groups) {
    std::vector<SubscriberId> members;
    for (const auto& m : g.members) members.push_back(m.subscriber);
    out.emplace_back(std::string(g.share_name), index.filter_text(g.filter), members);
  }
  return out;
}

// The filters (as subscribed by subscribers 0, 1, 2, ... in this order) that match `topic`.
std::vector<std::string> matching_filters(const std::vector<std::string>& filters,
                                          std::string_view topic) {
  SubscriptionIndex index;
  for (std::size_t i = 0; i < filters.size(); ++i) {
    index.add(static_cast<SubscriberId>(i), filters[i], qos(0));
  }
  MatchResult result;
  index.match(topic, result);
  std::vector<std::string> out;
  for (const auto& m : result.subscriptions) out.push_back(index.filter_text(m.filter));
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("the specification's multi-level wildcard examples match as written",
          "[subscription_index]") {
  // MQTT 5.0 §4.7.1.2 / 3.1.1 §4.7.1.2.
  const Strings filters = {"sport/tennis/player1/#", "sport/#", "sport/tennis/#", "#"};
  CHECK(matching_filters(filters, "sport/tennis/player1") == filters);
  CHECK(matching_filters(filters, "sport/tennis/player1/ranking") == filters);
  CHECK(matching_filters(filters, "sport/tennis/player1/score/wimbledon") == filters);
  CHECK(matching_filters(filters, "sport") == Strings{"sport/#", "#"});
  CHECK(matching_filters(filters, "sport/tennis") == Strings{"sport/#", "sport/tennis/#", "#"});
  CHECK(matching_filters(filters, "news") == Strings{"#"});
}

TEST_CASE("the specification's single-level wildcard examples match as written",
          "[subscription_index]") {
  // MQTT 5.0 §4.7.1.3: '+' matches exactly one level, which may be empty.
  const Strings filters = {"sport/tennis/+", "sport/+", "+/+", "/+", "+", "+/tennis/#"};
  CHECK(matching_filters(filters, "sport/tennis/player1") ==
        Strings{"sport/tennis/+", "+/tennis/#"});
  CHECK(matching_filters(filters, "sport/tennis/player2") ==
        Strings{"sport/tennis/+", "+/tennis/#"});
  CHECK(matching_filters(filters, "sport/tennis/player1/ranking") == Strings{"+/tennis/#"});
  CHECK(matching_filters(filters, "sport") == Strings{"+"});
  CHECK(matching_filters(filters, "sport/") == Strings{"sport/+", "+/+"});
  CHECK(matching_filters(filters, "/finance") == Strings{"+/+", "/+"});
  CHECK(matching_filters(filters, "sport/tennis") == Strings{"sport/+", "+/+", "+/tennis/#"});
}

TEST_CASE("empty levels are levels: matched by '+' and by an empty level", "[subscription_index]") {
  CHECK(matching_filters({"a//b", "a/+/b", "a/#", "+/+/+", "a/b"}, "a//b") ==
        Strings{"a//b", "a/+/b", "a/#", "+/+/+"});
  CHECK(matching_filters({"/", "+/+", "+", "#", "/#"}, "/") == Strings{"/", "+/+", "#", "/#"});
  CHECK(matching_filters({"a/", "a/+", "a", "a/#"}, "a/") == Strings{"a/", "a/+", "a/#"});
}

TEST_CASE("a filter starting with a wildcard never matches a '$' topic (MQTT-4.7.2-1)",
          "[subscription_index]") {
  const Strings filters = {"#", "+/monitor/Clients", "$SYS/#", "$SYS/monitor/+", "+", "$SYS"};
  CHECK(matching_filters(filters, "$SYS/monitor/Clients") == Strings{"$SYS/#", "$SYS/monitor/+"});
  CHECK(matching_filters(filters, "$SYS") == Strings{"$SYS/#", "$SYS"});
  CHECK(matching_filters(filters, "SYS/monitor/Clients") == Strings{"#", "+/monitor/Clients"});
  CHECK(matching_filters({"#", "+/x", "$/x", "+"}, "$/x") == Strings{"$/x"});
  // Only the first level counts: a '$' deeper in the topic is an ordinary character.
  CHECK(matching_filters({"a/#", "a/+", "#"}, "a/$SYS") == Strings{"a/#", "a/+", "#"});
}

TEST_CASE("overlapping subscriptions of one subscriber are all reported, adjacent",
          "[subscription_index]") {
  SubscriptionIndex index;
  index.add(7, "a/b", qos(0), 11);
  index.add(7, "a/+", qos(2), 12);
  index.add(7, "#", qos(1));
  index.add(3, "a/#", qos(1), 5);
  index.add(9, "a/+", qos(0));
  index.add(7, "a/c", qos(2), 13);  // does not match a/b
  MatchResult result;
  index.match("a/b", result);
  // By subscriber, then by filter text: the broker folds runs of one subscriber into one
  // delivery at the maximum QoS with every identifier (MQTT-3.3.4-2, MQTT-3.3.4-3).
  CHECK(hits(index, result) == std::vector<Hit>{{3, "a/#", 1, 5},
                                                {7, "#", 1, 0},
                                                {7, "a/+", 2, 12},
                                                {7, "a/b", 0, 11},
                                                {9, "a/+", 0, 0}});
  CHECK(result.shared_groups.empty());
  CHECK(result.deliveries() == 5);
}

TEST_CASE("subscribing again to the same filter replaces the subscription (MQTT-3.8.4-3)",
          "[subscription_index]") {
  SubscriptionIndex index;
  CHECK_FALSE(index.add(1, "x/+", qos(1), 42));
  CHECK(index.add(1, "x/+", qos(2)));  // the identifier goes away with the old subscription
  CHECK_FALSE(index.add(2, "x/+", qos(0)));
  CHECK(index.size() == 2);
  MatchResult result;
  index.match("x/y", result);
  CHECK(hits(index, result) == std::vector<Hit>{{1, "x/+", 2, 0}, {2, "x/+", 0, 0}});
  const auto records = index.subscriptions_of(1);
  REQUIRE(records.size() == 1);
  CHECK(records[0].filter == "x/+");
  CHECK(records[0].options.max_qos == QoS::exactly_once);
  CHECK(records[0].subscription_identifier == 0);
}

TEST_CASE("a shared group is reported once with its members in subscription order",
          "[subscription_index]") {
  SubscriptionIndex index;
  index.add(30, "$share/workers/jobs/+", qos(1), 1);
  index.add(10, "$share/workers/jobs/+", qos(2), 2);
  index.add(20, "$share/workers/jobs/+", qos(0));
  index.add(10, "$share/auditors/jobs/#", qos(0));
  index.add(10, "jobs/+", qos(1));  // the same subscriber, not shared: reported on its own
  CHECK(index.size() == 5);
  MatchResult result;
  index.match("jobs/42", result);
  CHECK(hits(index, result) == std::vector<Hit>{{10, "jobs/+", 1, 0}});
  CHECK(group_hits(index, result) ==
        std::vector<GroupHit>{{"auditors", "jobs/#", {10}}, {"workers", "jobs/+", {30, 10, 20}}});
  REQUIRE(result.shared_groups.size() == 2);
  CHECK(result.shared_groups[1].members[1] == ShareMember{10, qos(2), 2});
  index.match("other", result);
  CHECK(result.deliveries() == 0);
}

TEST_CASE("round robin picks shared members in turn, skipping ineligible ones",
          "[subscription_index]") {
  SubscriptionIndex index;
  for (const SubscriberId id : {5u, 3u, 8u}) index.add(id, "$share/g/t", qos(1));
  MatchResult result;
  index.match("t", result);
  REQUIRE(result.shared_groups.size() == 1);
  const ShareGroupId group = result.shared_groups[0].group;
  std::vector<SubscriberId> picks;
  for (int i = 0; i < 4; ++i) picks.push_back(index.choose_round_robin(group)->subscriber);
  CHECK(picks == std::vector<SubscriberId>{5, 3, 8, 5});
  // 3 is offline: the turn passes to the next eligible member.
  const auto online = [](SubscriberId id) { return id != 3; };
  CHECK(index.choose_round_robin(group, online)->subscriber == 8);
  CHECK(index.choose_round_robin(group, online)->subscriber == 5);
  CHECK(index.choose_round_robin(group, [](SubscriberId) { return false; }) == nullptr);
  // Removing a member before the cursor keeps everyone else's turn: next is 8 after 5, 3.
  CHECK(index.choose_round_robin(group)->subscriber == 3);
  CHECK(index.remove(5, "$share/g/t"));
  CHECK(index.choose_round_robin(group)->subscriber == 8);
  CHECK(index.choose_round_robin(group)->subscriber == 3);
  // Replacing a member's subscription keeps its place.
  CHECK(index.add(8, "$share/g/t", qos(2)));
  index.match("t", result);
  CHECK(group_hits(index, result) == std::vector<GroupHit>{{"g", "t", {3, 8}}});
}

TEST_CASE("before 5.0 '$share/' is an ordinary filter starting with '$'", "[subscription_index]") {
  SubscriptionIndex index;
  index.add(1, "$share/g/t", qos(0), std::nullopt, Version::v3_1_1);
  MatchResult result;
  index.match("t", result);
  CHECK(result.deliveries() == 0);
  index.match("$share/g/t", result);
  CHECK(hits(index, result) == std::vector<Hit>{{1, "$share/g/t", 0, 0}});
  CHECK_FALSE(index.remove(1, "$share/g/t"));  // under 5.0 that names a shared subscription
  CHECK(index.remove(1, "$share/g/t", Version::v3_1_1));
  CHECK(index.size() == 0);
}

TEST_CASE("remove and remove_all forget subscriptions and prune the trie", "[subscription_index]") {
  SubscriptionIndex index;
  index.add(1, "a/b/c", qos(0));
  index.add(1, "a/+/#", qos(1));
  index.add(1, "$share/g/a/b/c", qos(1));
  index.add(2, "a/b/c", qos(2));
  index.add(2, "a/b", qos(2));
  CHECK(index.size() == 5);
  CHECK(index.subscriber_count() == 2);
  CHECK_FALSE(index.remove(1, "a/b"));  // never subscribed
  CHECK_FALSE(index.remove(3, "a/b/c"));
  CHECK_FALSE(index.remove(1, "$share/h/a/b/c"));
  CHECK_FALSE(index.remove(1, "x/y/z"));
  CHECK(index.remove(2, "a/b/c"));
  CHECK_FALSE(index.remove(2, "a/b/c"));
  MatchResult result;
  index.match("a/b/c", result);
  CHECK(hits(index, result) == std::vector<Hit>{{1, "a/+/#", 1, 0}, {1, "a/b/c", 0, 0}});
  CHECK(result.shared_groups.size() == 1);
  CHECK(index.remove_all(1) == 3);
  CHECK(index.remove_all(1) == 0);
  index.match("a/b/c", result);
  CHECK(result.deliveries() == 0);
  CHECK(index.size() == 1);
  CHECK(index.subscriber_count() == 1);
  CHECK(index.remove(2, "a/b"));
  CHECK(index.size() == 0);
  CHECK(index.node_count() == 1);  // only the root is left
}

TEST_CASE("subscriptions_of lists a subscriber's subscriptions sorted by filter",
          "[subscription_index]") {
  SubscriptionIndex index;
  index.add(4, "z", qos(1), 9);
  index.add(4, "$share/g/a/#", qos(2), 3);
  index.add(4, "+/b", qos(0));
  index.add(5, "a", qos(0));
  const auto records = index.subscriptions_of(4);
  CHECK(records == std::vector<SubscriptionRecord>{
                       {"$share/g/a/#", qos(2), 3}, {"+/b", qos(0), 0}, {"z", qos(1), 9}});
  CHECK(index.subscriptions_of(6).empty());
  index.clear();
  CHECK(index.size() == 0);
  CHECK(index.subscriptions_of(4).empty());
  CHECK(index.node_count() == 1);
  index.add(4, "z", qos(1));
  CHECK(index.size() == 1);
}

TEST_CASE("topics and filters of tens of thousands of levels need no deep stack",
          "[subscription_index]") {
  std::string deep = "a";
  for (int i = 1; i < 30000; ++i) deep += "/a";  // 59999 bytes, 30000 levels
  SubscriptionIndex index;
  index.add(1, deep, qos(1));
  index.add(2, "a/#", qos(1));
  index.add(3, "+/+", qos(1));
  std::string plus_filter = "+";
  for (int i = 1; i < 30000; ++i) plus_filter += "/+";
  index.add(4, plus_filter, qos(1));
  MatchResult result;
  index.match(deep, result);
  CHECK(hits(index, result) ==
        std::vector<Hit>{{1, deep, 1, 0}, {2, "a/#", 1, 0}, {4, plus_filter, 1, 0}});
  CHECK(index.remove_all(1) == 1);
  CHECK(index.remove(4, plus_filter));
  CHECK(index.node_count() == 5);  // root, a, a/#, +, +/+
}

namespace {

// ---- properties: the index against brute force over every subscription ----

std::string join_levels(const std::vector<std::string>& levels) {
  std::string out;
  for (std::size_t i = 0; i < levels.size(); ++i) out += (i == 0 ? "" : "/") + levels[i];
  return out;
}

// Small alphabets make overlaps, empty levels and '$' topics frequent.
rc::Gen<std::string> gen_topic() {
  const auto level = rc::gen::element<std::string>("a", "b", "$SYS", "");
  return rc::gen::suchThat(
      rc::gen::map(rc::gen::resize(4, rc::gen::nonEmpty(rc::gen::container<Strings>(level))),
                   join_levels),
      [](const std::string& t) { return !validate_topic_name(t, Version::v5).has_value(); });
}

rc::Gen<std::string> gen_plain_filter() {
  const auto level = rc::gen::element<std::string>("a", "b", "$SYS", "", "+");
  const auto levels = rc::gen::resize(4, rc::gen::nonEmpty(rc::gen::container<Strings>(level)));
  return rc::gen::suchThat(
      rc::gen::map(rc::gen::pair(levels, rc::gen::arbitrary<bool>()),
                   [](const std::pair<Strings, bool>& p) {
                     Strings l = p.first;
                     if (p.second) l.back() = "#";
                     return join_levels(l);
                   }),
      [](const std::string& f) { return !validate_topic_filter(f, Version::v5).has_value(); });
}

// A filter, sometimes shared (`$share/g1/...`, `$share/g2/...`).
rc::Gen<std::string> gen_filter() {
  return rc::gen::map(rc::gen::pair(gen_plain_filter(), rc::gen::inRange(0, 4)),
                      [](const std::pair<std::string, int>& p) {
                        if (p.second >= 2) return p.first;
                        return "$share/g" + std::to_string(p.second + 1) + "/" + p.first;
                      });
}

struct Op {
  int kind = 0;  // 0, 1, 2: add; 3: remove; 4: remove_all
  SubscriberId subscriber = 0;
  std::string filter;
  int qos = 0;
  std::uint32_t identifier = 0;  // 0: none
};

// Operations on filters drawn from a small pool, so removals and replacements hit.
rc::Gen<Op> gen_op(const Strings& pool) {
  return rc::gen::build<Op>(rc::gen::set(&Op::kind, rc::gen::inRange(0, 5)),
                            rc::gen::set(&Op::subscriber, rc::gen::inRange<SubscriberId>(1, 5)),
                            rc::gen::set(&Op::filter, rc::gen::elementOf(pool)),
                            rc::gen::set(&Op::qos, rc::gen::inRange(0, 3)),
                            rc::gen::set(&Op::identifier, rc::gen::inRange<std::uint32_t>(0, 3)));
}

struct Scenario {
  Strings pool;  // the filters operations draw from
  std::vector<Op> ops;
};

Scenario gen_scenario() {
  Scenario scenario;
  scenario.pool = *rc::gen::container<Strings>(8, gen_filter());
  scenario.ops = *rc::gen::container<std::vector<Op>>(gen_op(scenario.pool));
  return scenario;
}

Strings split_levels(std::string_view text) {
  Strings out;
  for (std::size_t at = 0;;) {
    const std::size_t slash = text.find('/', at);
    out.emplace_back(text.substr(at, slash == std::string_view::npos ? slash : slash - at));
    if (slash == std::string_view::npos) return out;
    at = slash + 1;
  }
}

// A topic made from a pool filter by filling its wildcards, so that many topics match.
std::string gen_topic_like(const Strings& pool) {
  std::string filter = *rc::gen::elementOf(pool);
  if (const auto shared = parse_shared_subscription(filter)) filter = std::string(shared->filter);
  const auto level = rc::gen::element<std::string>("a", "b", "$SYS", "");
  Strings topic;
  for (const std::string& l : split_levels(filter)) {
    if (l == "#") {
      const auto extra = *rc::gen::container<Strings>(*rc::gen::inRange(0, 3), level);
      topic.insert(topic.end(), extra.begin(), extra.end());
    } else {
      topic.push_back(l == "+" ? *level : l);
    }
  }
  const std::string name = join_levels(topic);
  return validate_topic_name(name, Version::v5) ? *gen_topic() : name;
}

// Half random topics, half instances of the pool's filters.
Strings gen_topics(const Strings& pool) {
  Strings topics = *rc::gen::nonEmpty(rc::gen::container<Strings>(gen_topic()));
  const auto count = *rc::gen::inRange<std::size_t>(1, 2 * topics.size() + 2);
  for (std::size_t i = 0; i < count; ++i) topics.push_back(gen_topic_like(pool));
  return topics;
}

// What the index should hold, kept the obvious way.
struct Model {
  std::map<std::pair<SubscriberId, std::string>, std::pair<int, std::uint32_t>> subscriptions;
  std::map<std::pair<std::string, std::string>, std::vector<SubscriberId>> groups;  // in order

  bool add(const Op& op) {
    const auto key = std::make_pair(op.subscriber, op.filter);
    const bool existed = subscriptions.count(key) > 0;
    subscriptions[key] = {op.qos, op.identifier};
    if (const auto shared = parse_shared_subscription(op.filter); shared && !existed) {
      groups[{std::string(shared->share_name), std::string(shared->filter)}].push_back(
          op.subscriber);
    }
    return existed;
  }
  bool remove(SubscriberId subscriber, const std::string& filter) {
    if (subscriptions.erase({subscriber, filter}) == 0) return false;
    if (const auto shared = parse_shared_subscription(filter)) {
      const auto key = std::make_pair(std::string(shared->share_name), std::string(shared->filter));
      auto& members = groups[key];
      members.erase(std::find(members.begin(), members.end(), subscriber));
      if (members.empty()) groups.erase(key);
    }
    return true;
  }
  std::size_t remove_all(SubscriberId subscriber) {
    Strings filters;
    for (const auto& [key, value] : subscriptions) {
      if (key.first == subscriber) filters.push_back(key.second);
    }
    for (const auto& f : filters) remove(subscriber, f);
    return filters.size();
  }
  std::vector<Hit> expected_hits(const std::string& topic) const {
    std::vector<Hit> out;  // map order is (subscriber, filter): the order match() promises
    for (const auto& [key, value] : subscriptions) {
      if (parse_shared_subscription(key.second) || !topic_matches(key.second, topic)) continue;
      out.emplace_back(key.first, key.second, value.first, value.second);
    }
    return out;
  }
  std::vector<GroupHit> expected_groups(const std::string& topic) const {
    std::vector<GroupHit> out;
    for (const auto& [key, members] : groups) {
      if (topic_matches(key.second, topic)) out.emplace_back(key.first, key.second, members);
    }
    return out;
  }
};

std::vector<std::pair<std::string, std::string>> group_names(const SubscriptionIndex& index,
                                                             const MatchResult& result) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& g : group_hits(index, result)) out.emplace_back(std::get<0>(g), std::get<1>(g));
  return out;
}

void apply(const Op& op, SubscriptionIndex& index, Model& model) {
  if (op.kind <= 2) {
    const auto identifier = op.identifier == 0 ? std::nullopt : std::optional(op.identifier);
    RC_ASSERT(index.add(op.subscriber, op.filter, qos(op.qos), identifier) == model.add(op));
  } else if (op.kind == 3) {
    RC_ASSERT(index.remove(op.subscriber, op.filter) == model.remove(op.subscriber, op.filter));
  } else {
    RC_ASSERT(index.remove_all(op.subscriber) == model.remove_all(op.subscriber));
  }
}

std::vector<SubscriptionRecord> model_records(const Model& model, SubscriberId subscriber) {
  std::vector<SubscriptionRecord> out;
  for (const auto& [key, value] : model.subscriptions) {
    if (key.first == subscriber) out.push_back({key.second, qos(value.first), value.second});
  }
  return out;
}

}  // namespace

TEST_CASE("match agrees with brute force over topic_matches after any operations",
          "[subscription_index]") {
  rc::prop("matches, groups, sizes and snapshots equal the model's", [] {
    const Scenario scenario = gen_scenario();
    SubscriptionIndex index;
    Model model;
    for (const Op& op : scenario.ops) apply(op, index, model);
    RC_ASSERT(index.size() == model.subscriptions.size());
    MatchResult result;
    for (const std::string& topic : gen_topics(scenario.pool)) {
      index.match(topic, result);
      RC_ASSERT(hits(index, result) == model.expected_hits(topic));
      RC_ASSERT(group_hits(index, result) == model.expected_groups(topic));
    }
    for (SubscriberId s = 1; s < 5; ++s) {
      RC_ASSERT(index.subscriptions_of(s) == model_records(model, s));
    }
    for (SubscriberId s = 1; s < 5; ++s) index.remove_all(s);
    RC_ASSERT(index.size() == 0u);
    RC_ASSERT(index.node_count() == 1u);  // everything pruned back to the root
  });
}

TEST_CASE("match output does not depend on the order subscriptions were made in",
          "[subscription_index]") {
  rc::prop("two insertion orders give identical non-shared matches and groups", [] {
    const Scenario scenario = gen_scenario();
    // Distinct (subscriber, filter) pairs, so that the final state is order-independent.
    std::map<std::pair<SubscriberId, std::string>, Op> unique;
    for (const Op& op : scenario.ops) unique.emplace(std::make_pair(op.subscriber, op.filter), op);
    std::vector<Op> forward;
    for (const auto& [key, op] : unique) forward.push_back(op);
    // A random permutation: sort by generated keys.
    const auto keys =
        *rc::gen::container<std::vector<int>>(forward.size(), rc::gen::arbitrary<int>());
    std::vector<std::pair<int, std::size_t>> order;
    for (std::size_t i = 0; i < forward.size(); ++i) order.emplace_back(keys[i], i);
    std::sort(order.begin(), order.end());
    std::vector<Op> permuted;
    for (const auto& [key, i] : order) permuted.push_back(forward[i]);
    SubscriptionIndex a;
    SubscriptionIndex b;
    for (const Op& op : forward) a.add(op.subscriber, op.filter, qos(op.qos), op.identifier);
    // Churn in b: extra subscriptions added and removed again leave no trace in the output.
    for (const Op& op : permuted) b.add(op.subscriber + 100, op.filter, qos(0));
    for (const Op& op : permuted) b.add(op.subscriber, op.filter, qos(op.qos), op.identifier);
    for (const Op& op : permuted) b.remove_all(op.subscriber + 100);
    MatchResult ra;
    MatchResult rb;
    for (const std::string& topic : gen_topics(scenario.pool)) {
      a.match(topic, ra);
      b.match(topic, rb);
      RC_ASSERT(hits(a, ra) == hits(b, rb));
      // Members are in subscription order, which differs by design; the groups may not.
      RC_ASSERT(group_names(a, ra) == group_names(b, rb));
    }
  });
}
