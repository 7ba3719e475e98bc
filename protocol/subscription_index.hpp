// The broker's subscription index: a trie over topic levels that answers "who receives a PUBLISH
// to this topic" in time proportional to the topic's depth and the number of matches, not to the
// number of subscriptions. Sans-I/O and deterministic: results come out in a defined order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/flat_tables.hpp"
#include "protocol/packets.hpp"
#include "protocol/types.hpp"

namespace mqttsim::protocol {

using SubscriberId = std::uint32_t;  // a session handle chosen by the broker
using FilterId = std::uint32_t;      // a filter's trie node; stable while subscribed to
using ShareGroupId = std::uint32_t;  // a (share name, filter) group; stable while it has members

// One non-shared subscription that matched. `subscription_identifier` is 0 when there is none
// (valid identifiers are 1..268435455, MQTT-3.8.2.1.2 makes 0 a Protocol Error).
struct MatchedSubscription {
  SubscriberId subscriber = 0;
  SubscriptionOptions options;
  std::uint32_t subscription_identifier = 0;
  FilterId filter = 0;
  friend bool operator==(const MatchedSubscription&, const MatchedSubscription&) = default;
};

struct ShareMember {
  SubscriberId subscriber = 0;
  SubscriptionOptions options;
  std::uint32_t subscription_identifier = 0;
  friend bool operator==(const ShareMember&, const ShareMember&) = default;
};

// A `$share/{share_name}/{filter}` group that matched: reported once, with its members in
// subscription order, so the broker delivers to one member it chooses (choose_round_robin).
struct MatchedShareGroup {
  ShareGroupId group = 0;
  std::string_view share_name;
  FilterId filter = 0;
  std::span<const ShareMember> members;
};

// The answer of SubscriptionIndex::match, reused across calls so the hot path does not
// allocate. Views and spans point into the index and stay valid until it is next modified.
class MatchResult {
 public:
  // Sorted by subscriber, then by filter text: one subscriber's overlapping subscriptions are
  // adjacent, ready for MQTT-3.3.4-2 (one delivery, maximum QoS, every identifier).
  std::vector<MatchedSubscription> subscriptions;
  // Sorted by share name, then by filter text.
  std::vector<MatchedShareGroup> shared_groups;

  std::size_t deliveries() const { return subscriptions.size() + shared_groups.size(); }

 private:
  friend class SubscriptionIndex;
  std::vector<std::uint32_t> frontier_;  // the trie nodes matching the topic so far
  std::vector<std::uint32_t> next_;
  std::string filter_a_;  // scratch for ordering ties by filter text
  std::string filter_b_;
};

// One subscription of a subscriber, for session snapshots: `filter` is written as subscribed,
// `$share/...` prefix included.
struct SubscriptionRecord {
  std::string filter;
  SubscriptionOptions options;
  std::uint32_t subscription_identifier = 0;
  friend bool operator==(const SubscriptionRecord&, const SubscriptionRecord&) = default;
};

// Filters and topics must be valid (validate_topic_filter / validate_topic_name): the index
// does not validate again. `version` decides whether `$share/` starts a shared subscription;
// before 5.0 it is an ordinary filter beginning with '$' (as validate_topic_filter treats it).
// Nothing here recurses, so the depth of a filter or topic costs time, never stack.
class SubscriptionIndex {
 public:
  SubscriptionIndex();

  // Subscribes, or replaces the subscriber's subscription to the same filter (MQTT-3.8.4-3);
  // true when it replaced one. A shared subscription keeps its place among the members.
  bool add(SubscriberId subscriber, std::string_view filter, const SubscriptionOptions& options,
           std::optional<std::uint32_t> subscription_identifier = std::nullopt,
           Version version = Version::v5);
  // Unsubscribes; true when the subscription existed.
  bool remove(SubscriberId subscriber, std::string_view filter, Version version = Version::v5);
  // Drops every subscription of a subscriber (its session ended); returns how many.
  std::size_t remove_all(SubscriberId subscriber);
  void clear();

  // Every subscription whose filter matches `topic`, and every share group once.
  void match(std::string_view topic, MatchResult& out) const;

  // Picks the next member of a share group, in subscription order, that `eligible` accepts
  // (e.g. is connected), starting after the member picked last time; nullptr if none is. The
  // choice depends only on the sequence of calls, never on time or randomness.
  template <typename Eligible>
  const ShareMember* choose_round_robin(ShareGroupId group, Eligible&& eligible);
  const ShareMember* choose_round_robin(ShareGroupId group) {
    return choose_round_robin(group, [](SubscriberId) { return true; });
  }

  // The subscriber's subscriptions, sorted by filter text.
  std::vector<SubscriptionRecord> subscriptions_of(SubscriberId subscriber) const;
  std::string filter_text(FilterId filter) const;  // without any `$share/` prefix

  // Mutant::dollar_wildcard_match: with `on`, filters starting with '#' or '+' match topics
  // starting with '$', against MQTT-4.7.2-1. A fault switch for tests and `check --mutant` only.
  void set_wildcards_match_dollar_topics(bool on) { wildcards_match_dollar_topics_ = on; }

  std::size_t size() const { return subscription_count_; }
  std::size_t subscriber_count() const { return subscribers_.live(); }
  std::size_t node_count() const { return nodes_.live(); }

 private:
  struct Entry {  // a non-shared subscription, stored at its filter's node
    SubscriberId subscriber = 0;
    SubscriptionOptions options;
    std::uint32_t subscription_identifier = 0;
  };
  struct ShareGroup {
    std::uint32_t share_name = detail::kNoId;  // id in levels_
    std::uint32_t next_group = detail::kNoId;  // the node's next group by share name
    std::size_t next = 0;  // members[next] is the first candidate of the next round-robin pick
    std::vector<ShareMember> members;  // subscription order
  };
  struct FilterSubscribers {                    // held by the nodes that end a subscribed filter
    detail::InlineVector<Entry> entries;        // sorted by subscriber
    std::uint32_t first_group = detail::kNoId;  // id in groups_; a list by share name
  };
  struct Node {
    std::uint32_t parent = detail::kNoId;
    std::uint32_t level = detail::kNoId;  // id in levels_, or kPlusLevel / kHashLevel
    std::uint32_t plus_child = detail::kNoId;
    std::uint32_t hash_child = detail::kNoId;
    std::uint32_t exact_children = 0;           // how many children are in children_
    std::uint32_t subscribers = detail::kNoId;  // id in filter_subscribers_
  };
  struct SubscriptionKey {  // one subscription of a subscriber: its node and share name
    std::uint32_t node = detail::kNoId;
    std::uint32_t share_name = detail::kNoId;  // kNoId: not shared
  };
  struct SubscriberRecord {  // found through subscriber_ids_, so it need not hold the id
    detail::InlineVector<SubscriptionKey> keys;
  };

  std::uint32_t find_node(std::string_view filter) const;
  std::uint32_t insert_path(std::string_view filter);
  std::uint32_t child_of(std::uint32_t parent, std::string_view level) const;
  std::uint32_t make_child(std::uint32_t parent, std::string_view level);
  void prune(std::uint32_t node);
  FilterSubscribers& subscribers_at(std::uint32_t node);
  bool add_entry(std::uint32_t node, const Entry& entry);
  std::uint32_t group_at(std::uint32_t node, std::string_view share_name);
  bool add_member(std::uint32_t node, std::string_view share_name, const ShareMember& member);
  bool erase_entry(std::uint32_t node, SubscriberId subscriber);
  bool erase_member(std::uint32_t node, std::uint32_t share_name, SubscriberId subscriber);
  void drop_subscribers_if_empty(std::uint32_t node);
  void note_key(SubscriberId subscriber, SubscriptionKey key);
  void forget_key(SubscriberId subscriber, SubscriptionKey key);
  void emit(std::uint32_t node, MatchResult& out) const;
  void sort_result(MatchResult& out) const;
  std::string_view level_text(std::uint32_t node) const;
  void write_filter(FilterId filter, std::string& out) const;
  bool filter_less(FilterId a, FilterId b, MatchResult& out) const;
  std::span<const ShareMember> share_members(ShareGroupId group) const;
  std::size_t round_robin_start(ShareGroupId group) const { return groups_[group].next; }
  void picked(ShareGroupId group, std::size_t position) { groups_[group].next = position + 1; }

  static constexpr std::uint32_t kRoot = 0;
  detail::ChunkedPool<Node> nodes_;
  detail::ChunkedPool<FilterSubscribers> filter_subscribers_;
  detail::ChunkedPool<ShareGroup> groups_;
  detail::ChunkedPool<SubscriberRecord> subscribers_;
  detail::StringTable levels_;        // level texts and share names
  detail::FlatIdMap children_;        // (parent, level) -> child node
  detail::FlatIdMap subscriber_ids_;  // subscriber -> id in subscribers_
  std::size_t subscription_count_ = 0;
  bool wildcards_match_dollar_topics_ = false;
};

template <typename Eligible>
const ShareMember* SubscriptionIndex::choose_round_robin(ShareGroupId group, Eligible&& eligible) {
  const std::span<const ShareMember> members = share_members(group);
  const std::size_t start = round_robin_start(group);
  for (std::size_t k = 0; k < members.size(); ++k) {
    const std::size_t position = (start + k) % members.size();
    if (eligible(members[position].subscriber)) {
      picked(group, position);
      return &members[position];
    }
  }
  return nullptr;
}

}  // namespace mqttsim::protocol
