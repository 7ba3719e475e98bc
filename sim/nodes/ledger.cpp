// The delivery ledger's records and the per-QoS queries over them. Records are small and flat
// (a fleet hour is millions of them); topics and filters are interned, and which filters match a
// topic is computed once per topic.
#include "sim/nodes/ledger.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include "protocol/topic.hpp"

namespace mqttsim::sim::nodes {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::size_t kTagDigits = kTagBytes - 2;

// Lower-case hex digits only, as write_tag() writes them; -1 for anything else. A table: every
// delivery and every PUBLISH sent reads a tag.
constexpr std::array<std::int8_t, 256> kHexValues = [] {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = '0'; c <= '9'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) {
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'a' + 10);
  }
  return t;
}();

int hex_value(char c) {
  return kHexValues[static_cast<unsigned char>(c)];
}

}  // namespace

void write_tag(MessageKey key, char* out) {
  out[0] = '<';
  for (std::size_t i = 0; i < kTagDigits; ++i) {
    out[kTagDigits - i] = kHex[(key >> (4 * i)) & 0xF];
  }
  out[kTagBytes - 1] = '>';
}

std::string tagged_payload(MessageKey key, std::size_t size_bytes) {
  std::string payload(std::max(size_bytes, kTagBytes), '\0');
  write_tag(key, payload.data());
  // The filler repeats kHex, 16 bytes at a time: the tag is 16 bytes, so each chunk starts
  // at a multiple of 16 and byte i is kHex[i % 16].
  static_assert(kTagBytes % 16 == 0);
  for (std::size_t i = kTagBytes; i < payload.size(); i += 16) {
    std::memcpy(payload.data() + i, kHex, std::min<std::size_t>(16, payload.size() - i));
  }
  return payload;
}

std::optional<MessageKey> read_tag(std::string_view payload) {
  // JSON payloads carry the tag as their first field: {"m":"<...>", ...
  constexpr std::string_view kJsonPrefix = "{\"m\":\"";
  if (payload.starts_with(kJsonPrefix)) payload.remove_prefix(kJsonPrefix.size());
  if (payload.size() < kTagBytes || payload[0] != '<' || payload[kTagBytes - 1] != '>') {
    return std::nullopt;
  }
  MessageKey key = 0;
  for (std::size_t i = 1; i <= kTagDigits; ++i) {
    const int v = hex_value(payload[i]);
    if (v < 0) return std::nullopt;
    key = key << 4 | static_cast<MessageKey>(v);
  }
  if (key == 0) return std::nullopt;
  return key;
}

LedgerClient DeliveryLedger::add_client(std::string name) {
  clients_.push_back(std::move(name));
  return static_cast<LedgerClient>(clients_.size() - 1);
}

std::uint32_t DeliveryLedger::intern(std::string_view name) {
  auto it = name_ids_.find(std::string(name));
  if (it != name_ids_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(name);
  name_ids_.emplace(names_.back(), id);
  return id;
}

MessageKey DeliveryLedger::record_publish(LedgerClient publisher, std::uint32_t topic,
                                          protocol::QoS qos, bool retain,
                                          std::uint64_t payload_digest,
                                          std::uint32_t payload_size_bytes, TimeNs now,
                                          std::uint64_t local_id, bool refused) {
  MessageRecord r;
  r.published_ns = now;
  r.local_id = local_id;
  r.payload_digest = payload_digest;
  r.publisher = publisher;
  if (topic >= names_.size()) throw std::out_of_range("record_publish: topic not interned");
  r.topic = topic;
  r.payload_size_bytes = payload_size_bytes;
  r.qos = qos;
  r.retain = retain;
  r.refused = refused;
  records_.push_back(r);
  return records_.size();
}

void DeliveryLedger::record_packet_id(MessageKey key, std::uint16_t packet_id) {
  if (key == 0 || key > records_.size()) return;
  MessageRecord& r = records_[key - 1];
  if (r.packet_id == 0) r.packet_id = packet_id;
}

void DeliveryLedger::mark_qos_minus_one(MessageKey key) {
  records_.at(key - 1).qos_minus_one = true;
}

void DeliveryLedger::mark_will(MessageKey key) {
  records_.at(key - 1).will = true;
}

void DeliveryLedger::record_ack(MessageKey key, std::uint8_t reason_code, TimeNs now) {
  MessageRecord& r = records_.at(key - 1);
  r.acked_ns = now;
  r.ack_reason = reason_code;
}

void DeliveryLedger::record_delivery(LedgerClient subscriber, std::string_view topic,
                                     std::string_view payload, protocol::QoS qos, bool dup,
                                     bool retain, TimeNs now, std::uint16_t packet_id) {
  const auto key = read_tag(payload);
  if (!key || *key > records_.size()) {
    untagged_list_.push_back(UntaggedDeliveryRecord{now, subscriber, intern(topic), qos, retain});
    return;
  }
  if (deliveries_.size() >= kNoDelivery) throw std::length_error("delivery ledger is full");
  const auto index = static_cast<std::uint32_t>(deliveries_.size());
  DeliveryRecord d;
  d.time_ns = now;
  d.message = *key;
  d.subscriber = subscriber;
  const std::uint32_t published_topic = records_[*key - 1].topic;
  d.topic = names_[published_topic] == topic ? published_topic : intern(topic);
  d.packet_id = packet_id;
  d.qos = qos;
  d.dup = dup;
  d.retain = retain;
  deliveries_.push_back(d);
  MessageRecord& r = records_[*key - 1];
  if (r.last_delivery == kNoDelivery) {
    r.first_delivery = index;
  } else {
    deliveries_[r.last_delivery].next_of_message = index;
  }
  r.last_delivery = index;
}

void DeliveryLedger::subscribe_requested(LedgerClient subscriber, std::string_view filter,
                                         TimeNs now, std::uint8_t retain_handling,
                                         bool retain_as_published) {
  const std::uint32_t f = intern(filter);
  unanswered_[{subscriber, f}].push_back(subscribes_.size());
  subscribes_.push_back(SubscribeRecord{subscriber, f, protocol::QoS::at_most_once, now, kNeverNs,
                                        retain_handling, retain_as_published});
}

void DeliveryLedger::subscription_granted(LedgerClient subscriber, std::string_view filter,
                                          protocol::QoS granted, TimeNs now) {
  const std::uint32_t f = intern(filter);
  auto& waiting = unanswered_[{subscriber, f}];
  if (waiting.empty()) {
    subscribes_.push_back(SubscribeRecord{subscriber, f, granted, 0, now, 0, false});
  } else {
    SubscribeRecord& request = subscribes_[waiting.front()];
    request.granted = granted;
    request.granted_ns = now;
    waiting.erase(waiting.begin());
  }
  auto [it, inserted] = open_intervals_.try_emplace({subscriber, f}, intervals_.size());
  if (!inserted) {
    intervals_[it->second].granted = granted;  // a re-SUBSCRIBE replaces the options
    return;
  }
  auto& of_filter = by_filter_[f];
  if (of_filter.empty()) {
    filters_.push_back(f);
    match_cache_.clear();  // a new filter may match topics already cached
  }
  of_filter.push_back(intervals_.size());
  intervals_.push_back(SubscriptionInterval{subscriber, f, granted, now, kTimeMaxNs});
}

void DeliveryLedger::subscription_removed(LedgerClient subscriber, std::string_view filter,
                                          TimeNs now) {
  auto it = open_intervals_.find({subscriber, intern(filter)});
  if (it == open_intervals_.end()) return;
  intervals_[it->second].until_ns = now;
  open_intervals_.erase(it);
}

void DeliveryLedger::subscriptions_lost(LedgerClient subscriber, TimeNs at_ns) {
  auto it = open_intervals_.lower_bound({subscriber, 0});
  while (it != open_intervals_.end() && it->first.first == subscriber) {
    SubscriptionInterval& interval = intervals_[it->second];
    interval.until_ns = std::max(interval.from_ns, at_ns);
    it = open_intervals_.erase(it);
  }
}

void DeliveryLedger::broker_crashed(TimeNs now, bool persistent) {
  crashes_ns_.push_back(now);
  crashes_persistent_.push_back(persistent);
  if (persistent) return;
  for (const auto& [key, index] : open_intervals_) intervals_[index].until_ns = now;
  open_intervals_.clear();
}

void DeliveryLedger::client_crashed(LedgerClient client, TimeNs now, bool state_kept) {
  client_crashes_.push_back(ClientCrashRecord{client, now, state_kept});
}

void DeliveryLedger::session_restarted(LedgerClient client, TimeNs now) {
  session_restarts_.emplace_back(client, now);
}

void DeliveryLedger::connection_ended(std::string_view client_id, TimeNs now, bool graceful,
                                      bool will_scheduled) {
  connection_ends_.push_back(ConnectionEndRecord{intern(client_id), now, graceful, will_scheduled});
}

std::optional<std::uint32_t> DeliveryLedger::find_name(std::string_view name) const {
  auto it = name_ids_.find(std::string(name));
  if (it == name_ids_.end()) return std::nullopt;
  return it->second;
}

std::vector<DeliveryRecord> DeliveryLedger::deliveries_of(MessageKey key) const {
  std::vector<DeliveryRecord> out;
  for (std::uint32_t i = message(key).first_delivery; i != kNoDelivery;
       i = deliveries_[i].next_of_message) {
    out.push_back(deliveries_[i]);
  }
  return out;
}

const std::vector<std::uint32_t>& DeliveryLedger::filters_matching(std::uint32_t topic) const {
  auto it = match_cache_.find(topic);
  if (it != match_cache_.end()) return it->second;
  std::vector<std::uint32_t> filters;
  for (const std::uint32_t f : filters_) {
    if (protocol::topic_matches(names_[f], names_[topic])) filters.push_back(f);
  }
  return match_cache_.emplace(topic, std::move(filters)).first->second;
}

std::vector<LedgerClient> DeliveryLedger::expected_subscribers(MessageKey key) const {
  std::vector<LedgerClient> out;
  expected_subscribers_into(message(key), out);
  return out;
}

void DeliveryLedger::expected_subscribers_into(const MessageRecord& r,
                                               std::vector<LedgerClient>& out) const {
  out.clear();
  if (r.refused || r.will) return;
  for (const std::uint32_t f : filters_matching(r.topic)) {
    for (const std::size_t index : by_filter_.at(f)) {
      const SubscriptionInterval& interval = intervals_[index];
      if (interval.from_ns > r.published_ns || interval.until_ns <= r.published_ns) continue;
      out.push_back(interval.subscriber);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

namespace {

// Deliveries of one message per subscriber, retained-flag copies apart.
struct PairTally {
  LedgerClient subscriber;
  std::uint32_t deliveries;
  TimeNs first_ns;
};

}  // namespace

// Walks each message of `qos` once: its expected subscribers and its deliveries per subscriber.
template <class F>
static void for_each_message_tally(const DeliveryLedger& ledger, int qos_level,
                                   TimeNs published_before_ns, F&& visit) {
  std::vector<PairTally> tallies;
  for (MessageKey key = 1; key <= ledger.message_count(); ++key) {
    const MessageRecord& r = ledger.message(key);
    const int level = r.level();
    if (level != qos_level || r.will || r.published_ns >= published_before_ns) continue;
    tallies.clear();
    std::uint64_t retained = 0;
    for (std::uint32_t i = r.first_delivery; i != kNoDelivery;
         i = ledger.deliveries()[i].next_of_message) {
      const DeliveryRecord& d = ledger.deliveries()[i];
      if (d.retain) {
        ++retained;
        continue;
      }
      auto it = std::find_if(tallies.begin(), tallies.end(),
                             [&](const PairTally& t) { return t.subscriber == d.subscriber; });
      if (it == tallies.end()) {
        tallies.push_back(PairTally{d.subscriber, 1, d.time_ns});
      } else {
        ++it->deliveries;
      }
    }
    visit(r, key, tallies, retained);
  }
}

std::uint64_t DeliveryLedger::published_count(int qos_level) const {
  return static_cast<std::uint64_t>(
      std::count_if(records_.begin(), records_.end(), [qos_level](const MessageRecord& r) {
        return r.level() == qos_level && !r.will && !r.refused;
      }));
}

QosCounts DeliveryLedger::counts(protocol::QoS qos, TimeNs published_before_ns) const {
  return counts(static_cast<int>(qos), published_before_ns);
}

QosCounts DeliveryLedger::counts(int qos_level, TimeNs published_before_ns) const {
  QosCounts c;
  std::vector<LedgerClient> expected;
  for_each_message_tally(*this, qos_level, published_before_ns,
                         [&](const MessageRecord& r, MessageKey,
                             const std::vector<PairTally>& tallies, std::uint64_t retained) {
                           if (r.refused) {
                             ++c.refused;
                             return;
                           }
                           ++c.sent;
                           if (r.acked()) ++c.acked;
                           if (r.acked_ns != kNeverNs && !r.acked()) ++c.reported_lost;
                           c.retained_deliveries += retained;
                           for (const PairTally& t : tallies) {
                             ++c.delivered;
                             c.deliveries += t.deliveries;
                             if (t.deliveries > 1) ++c.duplicated;
                           }
                           expected_subscribers_into(r, expected);
                           for (const LedgerClient s : expected) {
                             ++c.expected;
                             const bool got =
                                 std::any_of(tallies.begin(), tallies.end(),
                                             [s](const PairTally& t) { return t.subscriber == s; });
                             if (!got) ++c.lost;
                           }
                         });
  return c;
}

std::vector<TimeNs> DeliveryLedger::latency_samples_ns(protocol::QoS qos,
                                                       TimeNs published_before_ns) const {
  return latency_samples_ns(static_cast<int>(qos), published_before_ns);
}

std::vector<TimeNs> DeliveryLedger::latency_samples_ns(int qos_level,
                                                       TimeNs published_before_ns) const {
  std::vector<TimeNs> out;
  for_each_message_tally(*this, qos_level, published_before_ns,
                         [&](const MessageRecord& r, MessageKey,
                             const std::vector<PairTally>& tallies, std::uint64_t) {
                           for (const PairTally& t : tallies)
                             out.push_back(t.first_ns - r.published_ns);
                         });
  return out;
}

}  // namespace mqttsim::sim::nodes
