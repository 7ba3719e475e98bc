// Random whole scenarios for the exploration: a plain description (GenScenario) that RapidCheck
// generates and shrinks, rendered as scenario YAML so that every case is a file `mqttsim run`
// can replay. The shapes aim at the faults QoS bugs hide behind (see scenario_gen.cpp).
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mqttsim::sim::checks {

struct GenPublisher {
  int count = 1;
  int version = 5;  // 4 (3.1.1) or 5
  bool persistent = true;
  int qos = 1;
  int every_ms = 500;
  int topic_kind = 0;  // 0 "t/<id>", 1 "t/all" (shared by the group), 2 "$sys/<id>"
  bool retain = false;
  bool will = false;  // a QoS 1 Will on "will/<id>", due at once
  int latency_ms = 5;
  int loss_permille = 0;  // access-link Bernoulli loss: TCP turns it into retransmissions
};

struct GenSubscriber {
  int count = 1;
  int version = 5;
  bool persistent = true;
  int expiry_s = 3600;  // persistent sessions only: short ones may expire while offline
  int qos = 1;
  int filter_kind = 0;  // 0 "t/#", 1 "t/+", 2 "#", 3 "+/+"
  int latency_ms = 5;
  int loss_permille = 0;
  // Late joiners and churn subscribe while retained messages are already stored, which is what
  // the retained invariant's "a new subscription gets the current message" half needs.
  int start_s = 0;          // the group starts connecting then
  int churn_online_s = 0;   // mean online period; 0: no churn
  int churn_offline_s = 2;  // mean offline period
  bool churn_graceful = true;
};

// MQTT-SN sensors publishing through a gateway on their own radio-like UDP links (loss is
// visible there: bounded retries end in reported loss). MQTT-SN groups refuse Wills, churn,
// credentials and client_crash, so none of those ever targets them.
struct GenSensor {
  int count = 1;
  int qos = 1;  // -1 .. 2
  int every_ms = 1000;
  int latency_ms = 5;
  int loss_permille = 0;
};

enum class GenFaultKind : std::uint8_t {
  broker_crash,
  backhaul_down,
  partition,
  client_crash,
  loss
};

struct GenFault {
  GenFaultKind kind = GenFaultKind::broker_crash;
  int at_ms = 5000;
  int for_ms = 2000;
  int target = 0;  // client faults: publisher groups, then subscriber groups (mod total; never
                   // sensor groups)
  bool whole_group = false;  // client faults: every client of the group, or its first
  bool persistence = true;   // broker_crash
  int loss_permille = 100;   // loss
};

struct GenScenario {
  std::uint64_t seed = 1;
  int duration_s = 40;
  bool persistence = true;  // broker.persistence (a crash may override it)
  int backhaul_latency_ms = 2;
  int user_timeout_s = 4;  // TCP: how long an outage takes to break a connection
  int keep_alive_s = 10;
  std::vector<GenPublisher> publishers;
  std::vector<GenSubscriber> subscribers;
  std::vector<GenSensor> sensors;  // behind one gateway node "sgw" linked to the access router
  std::vector<GenFault> faults;
};

struct GenLimits {
  int max_clients = 50;  // total; groups are trimmed to fit when rendered
};

// Messages published in the last kSettleS seconds are not required; faults end before them.
inline constexpr int kSettleS = 15;

rc::Gen<GenScenario> gen_scenario(const GenLimits& limits);

// The scenario file: `header` (comment lines, each without '#') on top, then the YAML.
std::string to_yaml(const GenScenario& scenario, const GenLimits& limits,
                    const std::vector<std::string>& header = {});

// Clients, groups and faults: the size reported for a shrunk counterexample.
std::string describe_size(const GenScenario& scenario, const GenLimits& limits);

}  // namespace mqttsim::sim::checks
