// Names and descriptions of the fault switches (see mutants.hpp): the table `mqttsim check
// --mutant` reads, and the one the closing notes of issue 6 quote.
#include "protocol/mutants.hpp"

namespace mqttsim::protocol {

namespace {
struct MutantInfo {
  Mutant mutant;
  std::string_view name;
  MutantCore core;
  std::string_view description;
};

constexpr std::array<MutantInfo, kAllMutants.size()> kMutantTable = {{
    {Mutant::forget_qos2_state_on_reconnect, "forget-qos2-state-on-reconnect", MutantCore::broker,
     "the broker forgets the QoS 2 packet ids awaiting PUBREL when a session resumes, so a "
     "retransmitted PUBLISH is routed again (MQTT-4.3.3-10)"},
    {Mutant::no_persist_inflight, "no-persist-inflight", MutantCore::broker,
     "a persistent broker's snapshot leaves out unacknowledged outbound messages, so a crash "
     "loses them (QoS 1/2 delivery guarantee)"},
    {Mutant::resend_without_dup, "resend-without-dup", MutantCore::broker,
     "the broker redelivers unacknowledged PUBLISH on resumption with DUP=0 (MQTT-3.3.1-1)"},
    {Mutant::qos2_deliver_twice, "qos2-deliver-twice", MutantCore::client,
     "the client delivers a QoS 2 message on its PUBLISH and again on a retransmitted PUBLISH "
     "before PUBREL (MQTT-4.3.3-10)"},
    {Mutant::drop_queue_on_resume, "drop-queue-on-resume", MutantCore::broker,
     "the broker discards a persistent session's offline queue when the client comes back with "
     "Clean Start 0, yet answers Session Present 1 (MQTT-3.1.2-5)"},
    {Mutant::redeliver_out_of_order, "redeliver-out-of-order", MutantCore::broker,
     "the broker resends unacknowledged messages on resumption in reverse order (MQTT-4.6.0-1)"},
    {Mutant::ack_before_store, "ack-before-store", MutantCore::broker,
     "the broker sends PUBACK for a QoS 1 PUBLISH at once and stores and routes it 100 ms later, "
     "so a crash in between loses an acknowledged message (MQTT-4.3.2-4)"},
    {Mutant::dollar_wildcard_match, "dollar-wildcard-match", MutantCore::broker,
     "a filter starting with '#' or '+' matches topics starting with '$' (MQTT-4.7.2-1)"},
}};

const MutantInfo& info(Mutant mutant) {
  return kMutantTable[static_cast<std::size_t>(mutant)];
}
}  // namespace

std::string_view mutant_name(Mutant mutant) {
  return info(mutant).name;
}

std::string_view mutant_description(Mutant mutant) {
  return info(mutant).description;
}

MutantCore mutant_core(Mutant mutant) {
  return info(mutant).core;
}

std::optional<Mutant> parse_mutant(std::string_view name) {
  for (const MutantInfo& i : kMutantTable) {
    if (i.name == name) return i.mutant;
  }
  return std::nullopt;
}

// The table is indexed by the enum's value: keep both in the same order.
static_assert([] {
  for (std::size_t i = 0; i < kMutantTable.size(); ++i) {
    if (kMutantTable[i].mutant != kAllMutants[i] || static_cast<std::size_t>(kAllMutants[i]) != i)
      return false;
  }
  return true;
}());

}  // namespace mqttsim::protocol
