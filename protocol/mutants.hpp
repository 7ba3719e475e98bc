// Fault switches ("mutants") in BrokerCore, ClientSession and the subscription index: each turns
// on one real kind of bug seen in deployed brokers and clients, so that the simulator's checks can
// show they catch it. Only tests and `mqttsim check --mutant NAME` set them; no config file can.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace mqttsim::protocol {

enum class Mutant : std::uint8_t {
  forget_qos2_state_on_reconnect,  // broker: QoS 2 receiver state dropped on session resumption
  no_persist_inflight,             // broker: snapshot() leaves out unacknowledged outbound messages
  resend_without_dup,              // broker: redelivery on resume goes out with DUP=0
  qos2_deliver_twice,              // client: a retransmitted QoS 2 PUBLISH is delivered again
  drop_queue_on_resume,            // broker: the offline queue is discarded on resumption
  redeliver_out_of_order,          // broker: unacknowledged messages resent in reverse order
  ack_before_store,                // broker: QoS 1 PUBACK at once, routing 100 ms later
  dollar_wildcard_match,           // index: '#' and '+' first levels match '$' topics
};

inline constexpr std::array<Mutant, 8> kAllMutants = {
    Mutant::forget_qos2_state_on_reconnect,
    Mutant::no_persist_inflight,
    Mutant::resend_without_dup,
    Mutant::qos2_deliver_twice,
    Mutant::drop_queue_on_resume,
    Mutant::redeliver_out_of_order,
    Mutant::ack_before_store,
    Mutant::dollar_wildcard_match,
};

// Which core a mutant lives in: `check --mutant` sets it in that core's config.
enum class MutantCore : std::uint8_t { broker, client };

// The CLI name, e.g. "forget-qos2-state-on-reconnect".
std::string_view mutant_name(Mutant mutant);
// One line: the bug and the rule or guarantee it breaks.
std::string_view mutant_description(Mutant mutant);
MutantCore mutant_core(Mutant mutant);
// The mutant named `name` (a CLI name), or nullopt.
std::optional<Mutant> parse_mutant(std::string_view name);

// A set of mutants as bits. Empty by default, and tested with one predictable branch where a
// switch sits, so the cores pay nothing when no mutant is on.
class MutantSet {
 public:
  constexpr MutantSet() = default;
  constexpr MutantSet(std::initializer_list<Mutant> mutants) {
    for (const Mutant m : mutants) insert(m);
  }
  constexpr bool has(Mutant mutant) const { return (bits_ & bit(mutant)) != 0; }
  constexpr void insert(Mutant mutant) { bits_ |= bit(mutant); }
  constexpr void erase(Mutant mutant) { bits_ &= ~bit(mutant); }
  constexpr bool empty() const { return bits_ == 0; }
  friend constexpr bool operator==(MutantSet, MutantSet) = default;

 private:
  static constexpr std::uint32_t bit(Mutant mutant) {
    return std::uint32_t{1} << static_cast<unsigned>(mutant);
  }
  std::uint32_t bits_ = 0;
};

static_assert(kAllMutants.size() <= 32, "MutantSet holds at most 32 mutants");

}  // namespace mqttsim::protocol
