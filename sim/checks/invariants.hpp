// The QoS invariants of issue 6, checked over a finished run: each reads the delivery ledger (and
// the few facts of the scenario it needs: the run's end, the settle window, the clients' Wills)
// and returns every violation with the message, the subscriber, the times and the rule it breaks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.hpp"
#include "sim/nodes/ledger.hpp"
#include "sim/time.hpp"

namespace mqttsim::sim::scenario {
class World;
}

namespace mqttsim::sim::checks {

enum class Invariant : std::uint8_t {
  qos0_at_most_once,
  qos1_at_least_once,
  qos2_exactly_once,  // delivered (same conditions as QoS 1) and never duplicated (any fault)
  ordering,
  retained,
  will,
  matching,
  dup_flag,
};

inline constexpr Invariant kAllInvariants[] = {
    Invariant::qos0_at_most_once, Invariant::qos1_at_least_once,
    Invariant::qos2_exactly_once, Invariant::ordering,
    Invariant::retained,          Invariant::will,
    Invariant::matching,          Invariant::dup_flag};

// "qos1-at-least-once" ...: the names counterexample files and `mqttsim check` print.
std::string_view invariant_name(Invariant invariant);

struct Violation {
  Invariant invariant = Invariant::qos1_at_least_once;
  std::string rule;     // the MQTT statement id (or section) it breaks
  std::string message;  // which message, which subscriber, the times
  TimeNs time_ns = 0;   // when the violation became visible (a delivery, or the run's end)
};

// A client's Will as configured (the Will payload carries no ledger tag; it is told apart by
// its topic, which the checks assume no client publishes to).
struct WillOfClient {
  std::string client_id;
  std::string topic;
  protocol::QoS qos = protocol::QoS::at_most_once;
  TimeNs delay_ns = 0;
};

struct CheckInput {
  const nodes::DeliveryLedger* ledger = nullptr;
  TimeNs end_ns = 0;  // the run's duration
  // Messages published in the last `settle_ns` of the run (and Wills due then) may still be on
  // their way: no check requires their delivery.
  TimeNs settle_ns = 0;
  std::vector<WillOfClient> wills;
};

// The input for a finished World: its ledger, duration, measure.settle and the Wills.
CheckInput check_input(const scenario::World& world);

// Each invariant, and when it must hold. "S's session survives" below means: the subscription
// of S that matches the message was in force (as the ledger saw it: from its SUBACK on) when the
// message was published and stayed in force to the end of the run. The ledger ends it when the
// broker crashes without persistence, when the session ended with its connection (Clean Start,
// expiry 0) or when a reconnect found it gone (Session Present 0: expired, or lost), so this one
// condition covers "not expired, and the broker keeps persistence or did not crash".
// None of the checks requires what a broker cannot do: the queue is assumed large enough (the
// exploration sets max_queued_messages far above what it publishes), and messages published in
// the settle window are never required.

// QoS 0 is delivered at most once to each subscriber, under any fault: no (message, subscriber)
// pair has more copies than S has matching subscriptions (5.0 lets a broker send one copy per
// overlapping subscription, MQTT-3.3.4-2 context). Retained copies on subscribe do not count.
std::vector<Violation> check_qos0_at_most_once(const CheckInput& in);

// QoS 1 at least once (MQTT-4.3.2, §4.3.2): every QoS 1 message whose publisher got a
// successful PUBACK, published before the settle window, reaches every subscriber S whose
// subscription (granted QoS >= 1) matching it survives, as defined above.
std::vector<Violation> check_qos1_at_least_once(const CheckInput& in);

// QoS 2 exactly once (MQTT-4.3.3, §4.3.3):
// - delivered: as QoS 1, for messages acknowledged with PUBCOMP, except messages of a publisher
//   that had crashed losing its state before publishing them (it reuses packet ids its broker
//   session still holds as awaiting PUBREL, which the broker rightly treats as repeats);
// - never duplicated, under any fault (crashes with or without persistence, link loss,
//   partitions): at most one QoS 2 copy per matching subscription of S (a subscription granted
//   QoS 1 downgrades the message to at least once). Copies count together only when none of
//   these lies between them, which take the exactly-once state away from a conforming party:
//   - a crash of S that lost its client state (the client then breaks MQTT-4.1.0-1 by
//     resuming a session it no longer holds, and accepts the broker's resend as new);
//   - a broker crash without persistence after the earlier copy left the broker (between the
//     two copies, or just before the earlier one arrived while it was still in flight: S had not
//     subscribed anew since the crash): the broker forgot it had delivered it. A crash before
//     the earlier copy was routed excuses nothing, since the broker that sent both knew;
//   - a new session of the publisher (Session Present 0: expired, Clean Start) after the
//     publish: the broker's QoS 2 receiver state is gone, and the publisher resends what the
//     broker never confirmed as a new message (5.0 §3.2.2.1.1).
std::vector<Violation> check_qos2_exactly_once(const CheckInput& in);

// Ordering (MQTT-4.6.0-6 in 3.1.1 numbering, "Ordered Topic"): a broker sends each subscriber
// the messages of one publisher, topic and QoS in the order it received them. What the spec
// does NOT promise across reconnects: QoS 1 may repeat (m1 m2 m1 m2 is fine), and a publisher's
// retransmit after a lost connection is a new reception, so a subscriber that missed the first
// routing of m1 (no session then) may get m2 before m1. What it does promise, and what this
// checks: for messages m1 before m2 (same publisher, topic, QoS >= 1) both published while one
// surviving subscription of S (granted QoS >= 1) was in force, S's session held m1 before m2
// and resends in order (MQTT-4.6.0-1), so S's FIRST copy of m1 arrives no later than its first
// copy of m2.
std::vector<Violation> check_ordering(const CheckInput& in);

// Retained messages (MQTT-3.3.1-5..-10):
// - a delivery flagged RETAIN is a message published with RETAIN=1 on the same topic;
// - a retained message the broker acknowledged before a crash without persistence is never
//   delivered as retained after it (the store is gone);
// - what a SUBSCRIBE brings (MQTT-3.3.1-6): the broker handled it at some instant between the
//   request leaving and its SUBACK (the ledger's SubscribeRecord). A retained publish was stored
//   between its publish and its PUBACK/PUBCOMP (QoS 0 or unacknowledged: at any time after the
//   publish, or never); an empty payload clears the topic, a crash without persistence wipes it.
//   Stale: a copy on subscribe must be a message that may have been its topic's retained one at
//   some instant of the window of one of S's SUBSCRIBEs of a matching filter (so where a publish
//   and the SUBSCRIBE may cross, either is accepted). Missing: when one QoS >= 1 message was
//   certainly the topic's retained message throughout the window (acknowledged before the
//   request, every other publish of the topic certainly before it or published after the SUBACK,
//   no crash without persistence in its life), a SUBSCRIBE granted QoS >= 1 with Retain
//   Handling 0 brings it, required as QoS 1 delivery is: once S, with that subscription in
//   force, received a QoS >= 1 message published after the SUBACK, and not in the settle window.
//   Subscriptions with Retain As Published are left out of the stale check (their routed copies
//   carry RETAIN too).
std::vector<Violation> check_retained(const CheckInput& in);

// Wills, with the broker's record of how each connection ended (MQTT-3.1.2-8, MQTT-3.14.4-3):
// - only if: a Will is delivered only after an abnormal end of its client's connection (or a
//   broker crash, which ends every connection without DISCONNECT), and a connection closed by
//   DISCONNECT 0x00 has its Will discarded;
// - if: after an abnormal end with a Will due at once (delay 0, QoS >= 1), every subscriber
//   whose matching subscription (granted QoS >= 1) was in force at the end and survives gets the
//   Will at least once, unless the end falls in the settle window.
std::vector<Violation> check_will(const CheckInput& in);

// Matching (MQTT-3.3.2-3, MQTT-4.7.2-1): every delivery's topic matches a filter its
// subscriber was granted during the run, with the '$' rule, and a tagged message arrives under
// the topic it was published to. (Timing is left out on purpose: a subscription's start as the
// client sees it, its SUBACK, may trail the broker's.)
std::vector<Violation> check_matching(const CheckInput& in);

// DUP (MQTT-3.3.1-1): when the same broker session resends a QoS >= 1 message (the same
// message, subscriber and packet id again, with no loss of S's session or client state in
// between) the resend carries DUP=1.
std::vector<Violation> check_dup_flag(const CheckInput& in);

// MQTT-SN with bounded retries (N_retry): a message given up after the retries is reported as
// lost (the ledger's QosCounts::reported_lost: a failure reason code, so MessageRecord::acked()
// is false), never flagged: QoS 1/2 delivery is required only of acknowledged messages, and
// QoS -1 records count as QoS 0 (at most once). Generated scenarios include MQTT-SN sensor
// groups at QoS -1..2 behind a gateway; their duplicates and order are checked like any
// publisher's.

// Every invariant above, in kAllInvariants order.
std::vector<Violation> check_all(const CheckInput& in);

}  // namespace mqttsim::sim::checks
