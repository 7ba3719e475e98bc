// The replies a conforming broker owes on the fuzzed connection, predicted from the packets our
// strict decoder accepted: the fuzzer waits for exactly these (or a close, or a bounded timeout),
// so what steers the next packet is the content of the broker's answer, never its timing.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "protocol/packets.hpp"

namespace mqttsim::conformance::fuzz {

class ReplyExpectations {
 public:
  // awaited: a message of ours the broker owed, but whose arrival time the specification leaves
  // open (QoS 2: on PUBLISH or on PUBREL), so it must not steer.
  enum class Match : std::uint8_t { unsolicited, reply, delivery, awaited };

  // A packet the client sent and our decoder accepted; `topic` is a PUBLISH's topic with any
  // Topic Alias resolved. Adds what the broker owes for it to the current step.
  void on_sent(const protocol::Packet& packet, const std::string& topic);
  // A packet received on the connection: a reply owed by some step, one of our own messages
  // routed back to us through a subscription of this connection, or something else.
  Match on_received(const protocol::Packet& packet);
  // True while something owed for the current step has not arrived.
  bool waiting() const;
  // The step ended: what it was owed and did not get is no longer waited for.
  void next_step();

 private:
  struct Owed {
    int type = 0;                 // packet type expected
    std::uint16_t packet_id = 0;  // for acknowledgements
    std::string topic;            // for deliveries
    std::string payload;
    std::uint16_t publish_id = 0;  // a delivery: the id of the PUBLISH that caused it
    bool steers = true;
  };
  void owe(int type, std::uint16_t packet_id);
  void owe_deliveries(const protocol::Publish& publish, const std::string& topic);
  void drop_deliveries_of(std::uint16_t publish_id);

  std::vector<Owed> owed_;
  std::map<std::uint16_t, std::vector<std::string>> subscribing_;  // SUBSCRIBE id -> filters
  std::set<std::string> granted_;                                  // filters this connection holds
  std::set<std::uint16_t> qos2_unreleased_;  // QoS 2 ids sent and not yet released by PUBREL
  std::set<std::uint16_t> delivered_qos2_;   // ids of our QoS 2 messages the broker sent us
  // Our QoS 2 messages a subscription of ours matches, by PUBLISH id: a broker may route them on
  // PUBLISH or only on PUBREL (MQTT-4.3.3, methods A and B), so they are owed by the PUBCOMP.
  std::map<std::uint16_t, Owed> qos2_routed_;
};

}  // namespace mqttsim::conformance::fuzz
