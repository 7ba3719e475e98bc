// The subscription trie: nodes in a chunked pool, exact children found through one hash map
// keyed by (parent, interned level), '+' and '#' children linked from their parent. Matching
// walks the topic level by level with the set of live nodes in a reusable vector (no recursion).
#include "protocol/subscription_index.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include "protocol/topic.hpp"

namespace mqttsim::protocol {
namespace {

using detail::kNoId;

// Level ids of wildcard nodes; they never collide with interned ids, which are dense from 0.
constexpr std::uint32_t kPlusLevel = 0xFFFFFFFEu;
constexpr std::uint32_t kHashLevel = 0xFFFFFFFDu;

constexpr std::uint64_t child_key(std::uint32_t parent, std::uint32_t level) {
  return (std::uint64_t{parent} << 32) | level;
}

struct ParsedFilter {
  std::string_view share_name;  // empty when not shared
  std::string_view filter;
  bool shared = false;
};

ParsedFilter parse_filter(std::string_view filter, Version version) {
  if (is_v5(version)) {
    if (const auto shared = parse_shared_subscription(filter)) {
      return {shared->share_name, shared->filter, true};
    }
  }
  return {{}, filter, false};
}

// The level starting at `start`, and where the next one starts (npos after the last).
std::pair<std::string_view, std::size_t> level_at(std::string_view text, std::size_t start) {
  const std::size_t slash = text.find('/', start);
  if (slash == std::string_view::npos) return {text.substr(start), slash};
  return {text.substr(start, slash - start), slash + 1};
}

constexpr std::string_view kSharePrefix = "$share/";

}  // namespace

SubscriptionIndex::SubscriptionIndex() {
  nodes_.allocate();  // the root, kRoot; it is never pruned
}

void SubscriptionIndex::clear() {
  nodes_.clear();
  filter_subscribers_.clear();
  groups_.clear();
  subscribers_.clear();
  levels_.clear();
  children_.clear();
  subscriber_ids_.clear();
  subscription_count_ = 0;
  nodes_.allocate();
}

// ---- the trie ----

std::uint32_t SubscriptionIndex::child_of(std::uint32_t parent, std::string_view level) const {
  const Node& node = nodes_[parent];
  if (level == "+") return node.plus_child;
  if (level == "#") return node.hash_child;
  if (node.exact_children == 0) return kNoId;
  const std::uint32_t level_id = levels_.find(level);
  return level_id == kNoId ? kNoId : children_.find(child_key(parent, level_id));
}

std::uint32_t SubscriptionIndex::make_child(std::uint32_t parent, std::string_view level) {
  const std::uint32_t child = nodes_.allocate();
  nodes_[child] = Node{};
  nodes_[child].parent = parent;
  Node& up = nodes_[parent];  // the pool is chunked: allocating moved nothing
  if (level == "+") {
    nodes_[child].level = kPlusLevel;
    up.plus_child = child;
  } else if (level == "#") {
    nodes_[child].level = kHashLevel;
    up.hash_child = child;
  } else {
    const std::uint32_t level_id = levels_.acquire(level);
    nodes_[child].level = level_id;
    children_.insert(child_key(parent, level_id), child);
    ++up.exact_children;
  }
  return child;
}

std::uint32_t SubscriptionIndex::find_node(std::string_view filter) const {
  std::uint32_t node = kRoot;
  for (std::size_t at = 0; at != std::string_view::npos && node != kNoId;) {
    const auto [level, next] = level_at(filter, at);
    node = child_of(node, level);
    at = next;
  }
  return node;
}

std::uint32_t SubscriptionIndex::insert_path(std::string_view filter) {
  std::uint32_t node = kRoot;
  for (std::size_t at = 0; at != std::string_view::npos;) {
    const auto [level, next] = level_at(filter, at);
    const std::uint32_t child = child_of(node, level);
    node = child != kNoId ? child : make_child(node, level);
    at = next;
  }
  return node;
}

// Frees `node` and then its ancestors for as long as they end no filter and have no children.
void SubscriptionIndex::prune(std::uint32_t node) {
  while (node != kRoot) {
    const Node n = nodes_[node];
    const bool needed = n.subscribers != kNoId || n.plus_child != kNoId || n.hash_child != kNoId ||
                        n.exact_children > 0;
    if (needed) return;
    Node& up = nodes_[n.parent];
    if (n.level == kPlusLevel) {
      up.plus_child = kNoId;
    } else if (n.level == kHashLevel) {
      up.hash_child = kNoId;
    } else {
      children_.erase(child_key(n.parent, n.level));
      --up.exact_children;
      levels_.release(n.level);
    }
    nodes_.release(node);
    node = n.parent;
  }
}

std::string_view SubscriptionIndex::level_text(std::uint32_t node) const {
  const std::uint32_t level = nodes_[node].level;
  if (level == kPlusLevel) return "+";
  if (level == kHashLevel) return "#";
  return levels_.text(level);
}

// Writes the filter leaf first into a buffer sized by a first walk up: no recursion, no level
// list, and no allocation once `out` is large enough.
void SubscriptionIndex::write_filter(FilterId filter, std::string& out) const {
  std::size_t length = 0;
  for (std::uint32_t node = filter; node != kRoot; node = nodes_[node].parent) {
    length += level_text(node).size() + 1;
  }
  out.resize(length == 0 ? 0 : length - 1);
  std::size_t end = out.size();
  for (std::uint32_t node = filter; node != kRoot; node = nodes_[node].parent) {
    const std::string_view text = level_text(node);
    end -= text.size();
    text.copy(out.data() + end, text.size());
    if (end > 0) out[--end] = '/';
  }
}

std::string SubscriptionIndex::filter_text(FilterId filter) const {
  std::string text;
  write_filter(filter, text);
  return text;
}

// Orders ties only (one subscriber's overlapping filters, one share name's filters), through
// buffers kept in the result so that steady-state matching does not allocate.
bool SubscriptionIndex::filter_less(FilterId a, FilterId b, MatchResult& out) const {
  if (a == b) return false;
  write_filter(a, out.filter_a_);
  write_filter(b, out.filter_b_);
  return out.filter_a_ < out.filter_b_;
}

// ---- the subscribers of a filter ----

SubscriptionIndex::FilterSubscribers& SubscriptionIndex::subscribers_at(std::uint32_t node) {
  Node& n = nodes_[node];
  if (n.subscribers == kNoId) {
    n.subscribers = filter_subscribers_.allocate();
  }
  return filter_subscribers_[n.subscribers];
}

void SubscriptionIndex::drop_subscribers_if_empty(std::uint32_t node) {
  Node& n = nodes_[node];
  if (n.subscribers == kNoId) return;
  const FilterSubscribers& held = filter_subscribers_[n.subscribers];
  if (!held.entries.empty() || held.first_group != kNoId) return;
  filter_subscribers_.release(n.subscribers);
  n.subscribers = kNoId;
}

bool SubscriptionIndex::add_entry(std::uint32_t node, const Entry& entry) {
  detail::InlineVector<Entry>& entries = subscribers_at(node).entries;
  const auto at =
      std::lower_bound(entries.begin(), entries.end(), entry.subscriber,
                       [](const Entry& e, SubscriberId id) { return e.subscriber < id; });
  if (at != entries.end() && at->subscriber == entry.subscriber) {
    *at = entry;
    return true;
  }
  entries.insert(at, entry);
  return false;
}

// The node's group for `share_name`, created in share-name order if missing.
std::uint32_t SubscriptionIndex::group_at(std::uint32_t node, std::string_view share_name) {
  std::uint32_t* link = &subscribers_at(node).first_group;
  while (*link != kNoId && levels_.text(groups_[*link].share_name) < share_name) {
    link = &groups_[*link].next_group;
  }
  if (*link != kNoId && levels_.text(groups_[*link].share_name) == share_name) return *link;
  const std::uint32_t group = groups_.allocate();  // chunked: `link` stays valid
  groups_[group].share_name = levels_.acquire(share_name);
  groups_[group].next_group = *link;
  *link = group;
  return group;
}

bool SubscriptionIndex::add_member(std::uint32_t node, std::string_view share_name,
                                   const ShareMember& member) {
  std::vector<ShareMember>& members = groups_[group_at(node, share_name)].members;
  for (ShareMember& existing : members) {
    if (existing.subscriber == member.subscriber) {
      existing = member;  // a replaced subscription keeps its turn
      return true;
    }
  }
  members.push_back(member);
  return false;
}

bool SubscriptionIndex::erase_entry(std::uint32_t node, SubscriberId subscriber) {
  if (nodes_[node].subscribers == kNoId) return false;
  detail::InlineVector<Entry>& entries = filter_subscribers_[nodes_[node].subscribers].entries;
  const auto at =
      std::lower_bound(entries.begin(), entries.end(), subscriber,
                       [](const Entry& e, SubscriberId id) { return e.subscriber < id; });
  if (at == entries.end() || at->subscriber != subscriber) return false;
  entries.erase(at);
  return true;
}

bool SubscriptionIndex::erase_member(std::uint32_t node, std::uint32_t share_name,
                                     SubscriberId subscriber) {
  if (nodes_[node].subscribers == kNoId) return false;
  std::uint32_t* link = &filter_subscribers_[nodes_[node].subscribers].first_group;
  while (*link != kNoId && groups_[*link].share_name != share_name) {
    link = &groups_[*link].next_group;
  }
  if (*link == kNoId) return false;
  const std::uint32_t group_id = *link;
  ShareGroup& group = groups_[group_id];
  const auto member_at =
      std::find_if(group.members.begin(), group.members.end(),
                   [&](const ShareMember& m) { return m.subscriber == subscriber; });
  if (member_at == group.members.end()) return false;
  const auto position = static_cast<std::size_t>(member_at - group.members.begin());
  group.members.erase(member_at);
  if (position < group.next) --group.next;  // the members after it keep their turns
  if (group.members.empty()) {
    *link = group.next_group;
    levels_.release(group.share_name);
    groups_.release(group_id);
  }
  return true;
}

// ---- subscribers' own lists ----

void SubscriptionIndex::note_key(SubscriberId subscriber, SubscriptionKey key) {
  std::uint32_t record = subscriber_ids_.find(subscriber);
  if (record == kNoId) {
    record = subscribers_.allocate();
    subscriber_ids_.insert(subscriber, record);
  }
  subscribers_[record].keys.push_back(key);
}

void SubscriptionIndex::forget_key(SubscriberId subscriber, SubscriptionKey key) {
  const std::uint32_t record = subscriber_ids_.find(subscriber);
  assert(record != kNoId);
  detail::InlineVector<SubscriptionKey>& keys = subscribers_[record].keys;
  const auto at = std::find_if(keys.begin(), keys.end(), [&](const SubscriptionKey& k) {
    return k.node == key.node && k.share_name == key.share_name;
  });
  assert(at != keys.end());
  keys.erase(at);
  if (keys.empty()) {
    subscribers_.release(record);
    subscriber_ids_.erase(subscriber);
  }
}

// ---- subscribe / unsubscribe ----

bool SubscriptionIndex::add(SubscriberId subscriber, std::string_view filter,
                            const SubscriptionOptions& options,
                            std::optional<std::uint32_t> subscription_identifier, Version version) {
  const ParsedFilter parsed = parse_filter(filter, version);
  const std::uint32_t node = insert_path(parsed.filter);
  const std::uint32_t identifier = subscription_identifier.value_or(0);
  SubscriptionKey key{node, kNoId};
  bool replaced = false;
  if (parsed.shared) {
    replaced = add_member(node, parsed.share_name, ShareMember{subscriber, options, identifier});
    key.share_name = levels_.find(parsed.share_name);
  } else {
    replaced = add_entry(node, Entry{subscriber, options, identifier});
  }
  if (!replaced) {
    note_key(subscriber, key);
    ++subscription_count_;
  }
  return replaced;
}

bool SubscriptionIndex::remove(SubscriberId subscriber, std::string_view filter, Version version) {
  const ParsedFilter parsed = parse_filter(filter, version);
  const std::uint32_t node = find_node(parsed.filter);
  if (node == kNoId) return false;
  SubscriptionKey key{node, kNoId};
  bool erased = false;
  if (parsed.shared) {
    key.share_name = levels_.find(parsed.share_name);
    erased = key.share_name != kNoId && erase_member(node, key.share_name, subscriber);
  } else {
    erased = erase_entry(node, subscriber);
  }
  if (!erased) return false;
  forget_key(subscriber, key);
  --subscription_count_;
  drop_subscribers_if_empty(node);
  prune(node);
  return true;
}

std::size_t SubscriptionIndex::remove_all(SubscriberId subscriber) {
  const std::uint32_t record = subscriber_ids_.find(subscriber);
  if (record == kNoId) return 0;
  const std::vector<SubscriptionKey> keys(subscribers_[record].keys.begin(),
                                          subscribers_[record].keys.end());
  subscribers_.release(record);
  subscriber_ids_.erase(subscriber);
  for (const SubscriptionKey& key : keys) {
    const bool erased = key.share_name == kNoId
                            ? erase_entry(key.node, subscriber)
                            : erase_member(key.node, key.share_name, subscriber);
    assert(erased);
    (void)erased;
    drop_subscribers_if_empty(key.node);
    prune(key.node);
  }
  subscription_count_ -= keys.size();
  return keys.size();
}

// ---- matching ----

void SubscriptionIndex::emit(std::uint32_t node, MatchResult& out) const {
  const std::uint32_t held_id = nodes_[node].subscribers;
  if (held_id == kNoId) return;
  const FilterSubscribers& held = filter_subscribers_[held_id];
  for (const Entry& e : held.entries) {
    out.subscriptions.push_back({e.subscriber, e.options, e.subscription_identifier, node});
  }
  for (std::uint32_t group = held.first_group; group != kNoId; group = groups_[group].next_group) {
    const ShareGroup& g = groups_[group];
    out.shared_groups.push_back({group, levels_.text(g.share_name), node, g.members});
  }
}

void SubscriptionIndex::match(std::string_view topic, MatchResult& out) const {
  out.subscriptions.clear();
  out.shared_groups.clear();
  std::vector<std::uint32_t>& frontier = out.frontier_;
  std::vector<std::uint32_t>& next = out.next_;
  frontier.assign(1, kRoot);
  // MQTT-4.7.2-1: a filter starting with a wildcard never matches a topic starting with '$'.
  bool wildcards_apply = topic.empty() || topic.front() != '$' || wildcards_match_dollar_topics_;
  for (std::size_t at = 0;;) {
    const auto [level, following] = level_at(topic, at);
    bool any_exact = false;
    for (const std::uint32_t node : frontier) any_exact |= nodes_[node].exact_children > 0;
    const std::uint32_t level_id = any_exact ? levels_.find(level) : kNoId;
    next.clear();
    for (const std::uint32_t node : frontier) {
      const Node& n = nodes_[node];
      if (wildcards_apply) {
        if (n.hash_child != kNoId) emit(n.hash_child, out);  // '#' takes this level and the rest
        if (n.plus_child != kNoId) next.push_back(n.plus_child);
      }
      if (level_id != kNoId && n.exact_children > 0) {
        const std::uint32_t child = children_.find(child_key(node, level_id));
        if (child != kNoId) next.push_back(child);
      }
    }
    frontier.swap(next);
    if (frontier.empty()) break;
    if (following == std::string_view::npos) {
      for (const std::uint32_t node : frontier) {
        emit(node, out);
        // "sport/#" also matches "sport": '#' includes the parent level.
        if (nodes_[node].hash_child != kNoId) emit(nodes_[node].hash_child, out);
      }
      break;
    }
    at = following;
    wildcards_apply = true;
  }
  sort_result(out);
}

// Each node's entries are already sorted by subscriber, so a single matching filter (the
// common case) needs no sorting at all; pairs are unique, so the order is total.
void SubscriptionIndex::sort_result(MatchResult& out) const {
  const auto by_subscriber = [&](const MatchedSubscription& a, const MatchedSubscription& b) {
    if (a.subscriber != b.subscriber) return a.subscriber < b.subscriber;
    return filter_less(a.filter, b.filter, out);
  };
  auto& subs = out.subscriptions;
  if (!std::is_sorted(subs.begin(), subs.end(), by_subscriber)) {
    std::sort(subs.begin(), subs.end(), by_subscriber);
  }
  const auto by_share = [&](const MatchedShareGroup& a, const MatchedShareGroup& b) {
    if (a.share_name != b.share_name) return a.share_name < b.share_name;
    return filter_less(a.filter, b.filter, out);
  };
  auto& groups = out.shared_groups;
  if (groups.size() > 1) std::sort(groups.begin(), groups.end(), by_share);
}

// ---- snapshots and shared groups ----

std::span<const ShareMember> SubscriptionIndex::share_members(ShareGroupId group) const {
  return groups_[group].members;
}

std::vector<SubscriptionRecord> SubscriptionIndex::subscriptions_of(SubscriberId subscriber) const {
  std::vector<SubscriptionRecord> records;
  const std::uint32_t record = subscriber_ids_.find(subscriber);
  if (record == kNoId) return records;
  for (const SubscriptionKey& key : subscribers_[record].keys) {
    const FilterSubscribers& held = filter_subscribers_[nodes_[key.node].subscribers];
    std::string filter = filter_text(key.node);
    if (key.share_name == kNoId) {
      const auto at = std::find_if(held.entries.begin(), held.entries.end(),
                                   [&](const Entry& e) { return e.subscriber == subscriber; });
      records.push_back({std::move(filter), at->options, at->subscription_identifier});
      continue;
    }
    std::uint32_t group_id = held.first_group;
    while (groups_[group_id].share_name != key.share_name) group_id = groups_[group_id].next_group;
    const ShareGroup& group = groups_[group_id];
    const auto member =
        std::find_if(group.members.begin(), group.members.end(),
                     [&](const ShareMember& m) { return m.subscriber == subscriber; });
    std::string shared(kSharePrefix);
    shared.append(levels_.text(key.share_name)).append("/").append(filter);
    records.push_back({std::move(shared), member->options, member->subscription_identifier});
  }
  std::sort(
      records.begin(), records.end(),
      [](const SubscriptionRecord& a, const SubscriptionRecord& b) { return a.filter < b.filter; });
  return records;
}

}  // namespace mqttsim::protocol
