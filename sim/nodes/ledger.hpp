// The delivery ledger: one record per message a virtual client publishes, every delivery to every
// subscriber, and the subscriptions in force over time. Checks and reports read only the ledger.
// A delivery maps back to its message by the tag the publisher puts at the start of the payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/types.hpp"
#include "sim/time.hpp"

namespace mqttsim::sim::nodes {

using MessageKey = std::uint64_t;  // the ledger's id of a message: 1, 2, 3 ...; 0 is none
using LedgerClient = std::uint32_t;

// The message tag: the first kTagBytes of every payload a virtual client publishes,
// "<" + 14 lower-case hex digits of the MessageKey + ">". Payloads asked smaller are padded to it.
// A JSON payload carries it as its first field instead: {"m":"<...>", ...
inline constexpr std::size_t kTagBytes = 16;
void write_tag(MessageKey key, char* out);  // writes exactly kTagBytes
// A plain (not JSON) payload of max(size_bytes, kTagBytes) bytes: the tag, then hex filler.
std::string tagged_payload(MessageKey key, std::size_t size_bytes);
std::optional<MessageKey> read_tag(std::string_view payload);

inline constexpr TimeNs kNeverNs = -1;
inline constexpr std::uint32_t kNoDelivery = UINT32_MAX;

struct MessageRecord {
  TimeNs published_ns = 0;           // when publish() was called
  TimeNs acked_ns = kNeverNs;        // PublishAcked (QoS 0: written; QoS 1: PUBACK; QoS 2: PUBCOMP)
  std::uint64_t local_id = 0;        // the publisher session's LocalMessageId; 0 when refused
  std::uint64_t payload_digest = 0;  // xxh64 of the whole payload
  LedgerClient publisher = 0;
  std::uint32_t topic = 0;  // interned: topic_name()
  std::uint32_t payload_size_bytes = 0;
  std::uint32_t first_delivery = kNoDelivery;  // deliveries of this message, linked
  std::uint32_t last_delivery = kNoDelivery;
  std::uint16_t packet_id = 0;  // of its first transmission; 0 until sent (always 0 for QoS 0)
  protocol::QoS qos = protocol::QoS::at_most_once;
  bool retain = false;
  bool refused = false;  // publish() refused it on the spot: it never left the client
  bool will =
      false;  // the publisher's Will, not a publish(): its deliveries are the Will going out
  // MQTT-SN QoS -1: published without a connection; `qos` then says at_most_once, the QoS
  // the gateway forwards it with. Counted apart, as QoS level -1.
  bool qos_minus_one = false;
  std::uint8_t ack_reason = 0;  // the PublishAcked reason code (>= 0x80: failed)
  // The QoS level as published: -1 for MQTT-SN QoS -1, else 0..2.
  int level() const { return qos_minus_one ? -1 : static_cast<int>(qos); }
  bool acked() const { return acked_ns != kNeverNs && ack_reason < 0x80; }
};

struct DeliveryRecord {
  TimeNs time_ns = 0;
  MessageKey message = 0;
  LedgerClient subscriber = 0;
  std::uint32_t topic = 0;  // as it arrived (interned)
  std::uint32_t next_of_message = kNoDelivery;
  std::uint16_t packet_id = 0;  // as it arrived (0 for QoS 0): a resend keeps it, a new route not
  protocol::QoS qos = protocol::QoS::at_most_once;  // as it arrived
  bool dup : 1 = false;  // bit-fields keep a record at 32 bytes: a fleet hour has millions
  bool retain : 1 = false;
};

// A virtual client crashed; `state_kept`: its session state survived (behaviour.persistent_state).
// A client that lost its state but resumes its broker session breaks MQTT-4.1.0-1, so checks
// excuse what follows from that (a QoS 2 message delivered again, a reused packet id).
struct ClientCrashRecord {
  LedgerClient client = 0;
  TimeNs time_ns = 0;
  bool state_kept = false;
};

// A connection of a client ended at the broker (the broker's view): `graceful` when DISCONNECT
// 0x00 arrived, so the Will was discarded; `will_scheduled` when a Will goes out now or later.
struct ConnectionEndRecord {
  std::uint32_t client_id = 0;  // interned client id (topic_name() holds it)
  TimeNs time_ns = 0;
  bool graceful = false;
  bool will_scheduled = false;
};

// A delivery whose payload carries no ledger tag (a Will, a foreign message), kept by topic.
struct UntaggedDeliveryRecord {
  TimeNs time_ns = 0;
  LedgerClient subscriber = 0;
  std::uint32_t topic = 0;  // interned
  protocol::QoS qos = protocol::QoS::at_most_once;
  bool retain = false;
};

// A subscription's time in force at the broker, as its client saw it: from the SUBACK that
// granted it until it was removed or the session holding it was lost (until_ns kTimeMaxNs: still).
struct SubscriptionInterval {
  LedgerClient subscriber = 0;
  std::uint32_t filter = 0;  // interned: topic_name() holds filters too
  protocol::QoS granted = protocol::QoS::at_most_once;
  TimeNs from_ns = 0;
  TimeNs until_ns = kTimeMaxNs;
};

// One filter of a SUBSCRIBE as the subscriber's session sent it, and the SUBACK that answered
// it: the broker handled it between the two, so that is when the retained messages it sends
// back were taken from the store. A SUBACK pairs with the oldest unanswered request of the same
// subscriber and filter (a request lost with its connection leaves a wider window, never a
// narrower one); a grant with no request recorded gets requested_ns 0 (any time before).
struct SubscribeRecord {
  LedgerClient subscriber = 0;
  std::uint32_t filter = 0;  // interned
  protocol::QoS granted = protocol::QoS::at_most_once;
  TimeNs requested_ns = 0;
  TimeNs granted_ns = kNeverNs;      // no SUBACK seen
  std::uint8_t retain_handling = 0;  // 5.0: 0 send on subscribe, 1 if new, 2 never
  bool retain_as_published = false;  // 5.0: routed copies may carry RETAIN=1 too
};

// Counted per QoS of the message as published (Wills left out), over (message, subscriber) pairs:
// - expected: the subscriber had a matching subscription in force at the publish time;
// - delivered: pairs with at least one delivery (expected or not); lost: expected, none;
// - duplicated: pairs with more than one delivery. Deliveries flagged RETAIN (a retained
//   message sent on subscribe) count in retained_deliveries only.
struct QosCounts {
  std::uint64_t sent = 0;     // accepted by publish()
  std::uint64_t refused = 0;  // refused by publish()
  std::uint64_t acked = 0;    // PublishAcked with a success code
  // The publisher was told the message is lost (MQTT-SN: N_retry retransmissions unanswered,
  // or a rejection): bounded retries end in a reported loss, which is not a violation.
  std::uint64_t reported_lost = 0;
  std::uint64_t expected = 0;
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t deliveries = 0;  // every delivery, duplicates included, retained excluded
  std::uint64_t retained_deliveries = 0;
};

class DeliveryLedger {
 public:
  // Registration: one ledger client per virtual client; `name` is for reports.
  LedgerClient add_client(std::string name);
  const std::string& client_name(LedgerClient c) const { return clients_.at(c); }
  std::size_t client_count() const { return clients_.size(); }

  // Topics and filters by number; a publisher interns its topic once.
  std::uint32_t intern(std::string_view name);

  // Publishing: next_key() names the message about to be published (write_tag it into the
  // payload); record_publish() then files it under that key.
  MessageKey next_key() const { return records_.size() + 1; }
  // `payload_digest`: xxh64 of the whole payload (sim/digest.hpp).
  MessageKey record_publish(LedgerClient publisher, std::uint32_t topic, protocol::QoS qos,
                            bool retain, std::uint64_t payload_digest,
                            std::uint32_t payload_size_bytes, TimeNs now, std::uint64_t local_id,
                            bool refused);
  void record_packet_id(MessageKey key, std::uint16_t packet_id);
  // Marks a record as a client's Will (filed like a publish at registration time). Wills stay
  // out of counts() and expected_subscribers(): whether one is due depends on how the
  // connection ended, which the checks decide.
  void mark_will(MessageKey key);
  // Marks a record as an MQTT-SN QoS -1 publish (see MessageRecord::qos_minus_one).
  void mark_qos_minus_one(MessageKey key);
  void record_ack(MessageKey key, std::uint8_t reason_code, TimeNs now);
  // A message arrived at `subscriber`. Payloads without a valid tag are counted as untagged and
  // kept by topic (untagged_deliveries_list()).
  void record_delivery(LedgerClient subscriber, std::string_view topic, std::string_view payload,
                       protocol::QoS qos, bool dup, bool retain, TimeNs now,
                       std::uint16_t packet_id = 0);
  void client_crashed(LedgerClient client, TimeNs now, bool state_kept);
  // A client connected again and found no session at the broker (Session Present 0 after an
  // earlier connection): the broker's packet ids and QoS 2 state for it are gone.
  void session_restarted(LedgerClient client, TimeNs now);
  void connection_ended(std::string_view client_id, TimeNs now, bool graceful, bool will_scheduled);

  // Subscriptions as the subscriber's session sees them: the SUBSCRIBE going out (one call per
  // filter) and its SUBACK.
  void subscribe_requested(LedgerClient subscriber, std::string_view filter, TimeNs now,
                           std::uint8_t retain_handling = 0, bool retain_as_published = false);
  void subscription_granted(LedgerClient subscriber, std::string_view filter, protocol::QoS granted,
                            TimeNs now);
  void subscription_removed(LedgerClient subscriber, std::string_view filter, TimeNs now);
  // The broker no longer holds the subscriber's session (it ended with the connection, expired,
  // or the broker forgot it): its subscriptions ended at `at_ns`.
  void subscriptions_lost(LedgerClient subscriber, TimeNs at_ns);
  // A broker crash: without persistence every session and subscription is gone.
  void broker_crashed(TimeNs now, bool persistent);

  // Records.
  std::size_t message_count() const { return records_.size(); }
  const MessageRecord& message(MessageKey key) const { return records_.at(key - 1); }
  std::vector<DeliveryRecord> deliveries_of(MessageKey key) const;
  const std::vector<DeliveryRecord>& deliveries() const { return deliveries_; }
  const std::vector<SubscriptionInterval>& subscriptions() const { return intervals_; }
  const std::vector<SubscribeRecord>& subscribes() const { return subscribes_; }
  const std::vector<TimeNs>& broker_crashes_ns() const { return crashes_ns_; }
  // Per broker crash (same order): whether the broker's state survived it.
  const std::vector<bool>& broker_crashes_persistent() const { return crashes_persistent_; }
  std::uint64_t untagged_deliveries() const { return untagged_list_.size(); }
  const std::vector<UntaggedDeliveryRecord>& untagged_deliveries_list() const {
    return untagged_list_;
  }
  const std::vector<ClientCrashRecord>& client_crashes() const { return client_crashes_; }
  const std::vector<std::pair<LedgerClient, TimeNs>>& session_restarts() const {
    return session_restarts_;
  }
  const std::vector<ConnectionEndRecord>& connection_ends() const { return connection_ends_; }
  // The interned id of `name` if it was ever interned.
  std::optional<std::uint32_t> find_name(std::string_view name) const;
  const std::string& topic_name(std::uint32_t id) const { return names_.at(id); }

  // Queries (computed on each call; see QosCounts for the definitions), over the messages
  // published before `published_before_ns`: leave out the last seconds of a run, whose messages
  // may still be on their way.
  QosCounts counts(protocol::QoS qos, TimeNs published_before_ns = kTimeMaxNs) const;
  // The same by QoS level -1..2, where -1 is MQTT-SN's QoS -1 (the QoS overloads count 0..2
  // without the QoS -1 records).
  QosCounts counts(int qos_level, TimeNs published_before_ns = kTimeMaxNs) const;
  // Messages published at `qos_level` (-1..2) over the whole run, Wills and refused left out:
  // the same filter as counts(), without its per-subscriber work.
  std::uint64_t published_count(int qos_level) const;
  // Publish → first delivery per (message, subscriber) pair, in message order.
  std::vector<TimeNs> latency_samples_ns(protocol::QoS qos,
                                         TimeNs published_before_ns = kTimeMaxNs) const;
  std::vector<TimeNs> latency_samples_ns(int qos_level,
                                         TimeNs published_before_ns = kTimeMaxNs) const;
  // The subscribers expected to receive `key` (sorted, distinct).
  std::vector<LedgerClient> expected_subscribers(MessageKey key) const;
  // The same into `out` (cleared first), so a walk over millions of messages reuses one buffer.
  void expected_subscribers_into(const MessageRecord& r, std::vector<LedgerClient>& out) const;

 private:
  const std::vector<std::uint32_t>& filters_matching(std::uint32_t topic) const;

  std::vector<std::string> clients_;
  std::vector<MessageRecord> records_;
  std::vector<DeliveryRecord> deliveries_;
  std::vector<SubscriptionInterval> intervals_;
  std::map<std::pair<LedgerClient, std::uint32_t>, std::size_t> open_intervals_;
  std::vector<SubscribeRecord> subscribes_;
  // Unanswered requests per (subscriber, filter), oldest first: indices into subscribes_.
  std::map<std::pair<LedgerClient, std::uint32_t>, std::vector<std::size_t>> unanswered_;
  std::vector<std::uint32_t> filters_;                           // distinct filters ever granted
  std::map<std::uint32_t, std::vector<std::size_t>> by_filter_;  // intervals per filter
  std::vector<TimeNs> crashes_ns_;
  std::vector<bool> crashes_persistent_;
  std::vector<std::string> names_;                           // topics and filters, interned
  std::unordered_map<std::string, std::uint32_t> name_ids_;  // lookup only, never iterated
  mutable std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> match_cache_;
  std::vector<UntaggedDeliveryRecord> untagged_list_;
  std::vector<ClientCrashRecord> client_crashes_;
  std::vector<std::pair<LedgerClient, TimeNs>> session_restarts_;
  std::vector<ConnectionEndRecord> connection_ends_;
};

}  // namespace mqttsim::sim::nodes
