// The scenario loader: good files become the expected ScenarioSpec, and each broken input gets
// its exact `file:line:col: path: message`, all errors of a file at once.
#include <catch2/catch.hpp>

#include "sim/scenario/broker_yaml.hpp"
#include "sim/scenario/load.hpp"
#include "sim/scenario/world.hpp"

#include <cmath>

using namespace mqttsim::sim;
using namespace mqttsim::sim::scenario;

namespace {

const char* kGood = R"(name: zurich
seed: 7
duration: 90s
mqtt: 3.1.1
broker: {persistence: true, max_queued_messages: 50}
topology:
  nodes: {ap: router}
  links:
    backhaul: {between: [ap, broker], profile: ethernet, latency: 2.5ms, loss: 0.01}
  generate:
    - star: {center: ap, count: 3, prefix: gw, profile: lte}
clients:
  sensors:
    count: 4
    attach: {to: "gw-*", profile: wifi, rate: 11Mbps}
    session: {clean_start: false, expiry: 1h}
    publish:
      topic: "Zürich/{street}/{n}"
      values: {street: [Florastrasse, Hornbachstrasse]}
      every: 10s
      jitter: 500ms
      qos: 1
      payload: {min: 32, max: 64}
  dashboard:
    mqtt: 5
    subscribe: ["Zürich/#", {filter: "alerts/+", qos: 2, no_local: true}]
faults:
  - {at: 40s, broker_crash: {persistence: false}, for: 5s}
  - {at: 20s, link_down: backhaul, for: 2s}
  - {at: 30s, loss: {link: backhaul, p: 0.2}}
  - {at: 50s, partition: {a: ["sensors-*"], b: [broker]}, for: 1s}
expect:
  - delivery_ratio >= 0.999 for qos 1
  - latency_p99 <= 500ms
measure: {trace: true}
)";

ScenarioSpec load_good(const std::vector<std::string>& overrides = {}) {
  LoadResult r = parse_scenario(kGood, "good.yaml", overrides);
  INFO((r.errors.empty() ? std::string() : r.errors.front()));
  REQUIRE(r.spec);
  return *r.spec;
}

std::vector<std::string> errors_of(const std::string& text) {
  LoadResult r = parse_scenario(text, "bad.yaml");
  REQUIRE_FALSE(r.spec);
  return r.errors;
}

}  // namespace

TEST_CASE("a complete scenario loads with every value in its unit", "[scenario]") {
  const ScenarioSpec s = load_good();
  CHECK(s.name == "zurich");
  CHECK(s.seed == 7);
  CHECK(s.duration_ns == 90 * kNsPerS);
  CHECK(s.broker.config.persistence);
  CHECK(s.broker.config.max_queued_messages == 50);
  // ap, the implicit broker node, then the generated star.
  REQUIRE(s.nodes.size() == 5);
  CHECK(s.nodes[1].name == "broker");
  CHECK(s.nodes[1].kind == net::NodeKind::broker);
  CHECK(s.nodes[4].name == "gw-3");
  REQUIRE(s.links.size() == 4);
  CHECK(s.links[0].name == "gw-1/uplink");
  CHECK(s.links[0].profile == "lte");
  CHECK(s.links[3].config.latency_ns == 2'500'000);
  CHECK(s.links[3].config.loss.kind == net::LossKind::bernoulli);
  CHECK(s.links[3].config.loss.p == 0.01);
  REQUIRE(s.clients.size() == 2);
  const ClientGroupSpec& sensors = s.clients[0];
  CHECK(sensors.version == mqttsim::protocol::Version::v3_1_1);
  CHECK(sensors.attach_to == "gw-*");
  CHECK(sensors.attach_link.rate_bps == 11'000'000);
  CHECK(sensors.session.expiry_ns == 3600 * kNsPerS);
  REQUIRE(sensors.publish);
  CHECK(sensors.publish->jitter_ns == 500 * kNsPerMs);
  CHECK(sensors.publish->payload.kind == PayloadSpec::Kind::uniform);
  CHECK(sensors.publish->values.at("street").size() == 2);
  CHECK(s.clients[1].version == mqttsim::protocol::Version::v5);
  REQUIRE(s.clients[1].subscribe.size() == 2);
  CHECK(s.clients[1].subscribe[1].no_local);
  // Faults come sorted by time.
  REQUIRE(s.faults.size() == 4);
  CHECK(s.faults[0].kind == FaultKind::link_down);
  CHECK(s.faults[1].kind == FaultKind::loss);
  CHECK(s.faults[1].loss.p == 0.2);
  CHECK(s.faults[2].persistence == false);
  CHECK(s.faults[3].other_side == std::vector<std::string>{"broker"});
  REQUIRE(s.expectations.size() == 2);
  CHECK(s.expectations[0].qos == 1);
  CHECK(s.expectations[1].value == 500e6);
  CHECK(s.measure.trace);
}

TEST_CASE("overrides from --set change values, list items and missing keys", "[scenario]") {
  const ScenarioSpec s =
      load_good({"seed=99", "clients.sensors.count=10", "topology.links.backhaul.loss=0.05",
                 "faults.0.at=41s", "measure.pcap=true"});
  CHECK(s.seed == 99);
  CHECK(s.clients[0].count == 10);
  CHECK(s.links[3].config.loss.p == 0.05);
  CHECK(s.faults[3].at_ns == 50 * kNsPerS);
  CHECK(s.faults[2].at_ns == 41 * kNsPerS);  // the crash moved after the loss change
  CHECK(s.measure.pcap);
  CHECK(load_good().measure.settle_ns == 10 * kNsPerS);
  CHECK(load_good({"measure.settle=45s"}).measure.settle_ns == 45 * kNsPerS);
  CHECK(s.digest != load_good().digest);
  CHECK(load_good({"seed=99"}).digest == load_good({"seed=99"}).digest);
  CHECK(s.canonical_yaml.find("count: 10") != std::string::npos);
}

TEST_CASE("a bad --set names the override", "[scenario]") {
  CHECK(parse_scenario(kGood, "good.yaml", {"seed"}).errors ==
        std::vector<std::string>{"--set seed: expected key.path=value"});
  CHECK(parse_scenario(kGood, "good.yaml", {"faults.9.at=1s"}).errors ==
        std::vector<std::string>{"--set faults.9.at: '9' is not an index of the list (0..4)"});
  const auto r = parse_scenario(kGood, "good.yaml", {"clients.sensors.cuont=3"});
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0] == "--set clients.sensors.cuont: unknown key; did you mean 'count'?");
  const auto bad_value = parse_scenario(kGood, "good.yaml", {"faults.1.at=soon"});
  REQUIRE(bad_value.errors.size() == 1);
  CHECK(bad_value.errors[0] ==
        "--set faults[1].at: expected a duration with a unit, like 250ms, 10s, 5min or 1h");
}

TEST_CASE("durations, rates and sizes need their units", "[scenario]") {
  CHECK(parse_duration_ns("2.5ms") == 2'500'000);
  CHECK(parse_duration_ns("1h") == 3600 * kNsPerS);
  CHECK(parse_duration_ns("5min") == 300 * kNsPerS);
  CHECK(parse_duration_ns("0") == 0);
  CHECK_FALSE(parse_duration_ns("10"));
  CHECK_FALSE(parse_duration_ns("ms"));
  CHECK(parse_rate_bps("54Mbps") == 54'000'000);
  CHECK(parse_rate_bps("0.5kbps") == 500);
  CHECK_FALSE(parse_rate_bps("54M"));
  CHECK(parse_size_bytes("1KiB") == 1024);
  CHECK(parse_size_bytes("64") == 64);
  CHECK(parse_size_bytes("2MB") == 2'000'000);
}

// One broken input per row, with its exact message.
TEST_CASE("each broken scenario gets its exact message", "[scenario]") {
  struct Row {
    const char* yaml;
    const char* message;
  };
  const Row rows[] = {
      {"name: x\nclients: {a: {cuont: 3}}\n",
       "bad.yaml:2:15: clients.a.cuont: unknown key; did you mean 'count'?"},
      {"duraton: 10s\nclients: {a: {}}\n",
       "bad.yaml:1:1: duraton: unknown key; did you mean 'duration'?"},
      {"duration: 10\nclients: {a: {}}\n",
       "bad.yaml:1:11: duration: expected a duration with a unit, like 250ms, 10s, 5min or 1h"},
      {"clients: {a: {count: -2}}\n",
       "bad.yaml:1:22: clients.a.count: must be between 1 and 1000000, not -2"},
      {"clients: {a: {count: many}}\n", "bad.yaml:1:22: clients.a.count: expected an integer"},
      {"clients: {a: {attach: {to: ap}}}\n",
       "bad.yaml:1:28: clients.a.attach.to: no node named 'ap'"},
      {"clients: {a: {attach: {to: brokr}}}\n",
       "bad.yaml:1:28: clients.a.attach.to: no node named 'brokr'; did you mean 'broker'?"},
      {"clients: {a: {attach: {profile: wfi}}}\n",
       "bad.yaml:1:33: clients.a.attach.profile: unknown link profile 'wfi'; did you mean 'wifi'? "
       "(profiles: ethernet, wifi, lte, nbiot, gprs, lora-sf7, lora-sf8, lora-sf9, lora-sf10, "
       "lora-sf11, lora-sf12, satellite)"},
      {"clients: {a: {publish: {topic: t, qos: 3}}}\n",
       "bad.yaml:1:40: clients.a.publish.qos: must be between -1 and 2, not 3"},
      {"clients: {a: {publish: {topic: t, qos: -1}}}\n",
       "bad.yaml:1:40: clients.a.publish.qos: QoS -1 exists only in MQTT-SN"},
      {"clients: {a: {protocol: mqtt-sn}}\n",
       "bad.yaml:1:11: clients.a.gateway: MQTT-SN clients need a gateway node"},
      {"clients: {a: {}}\nexpect: [delivery_ration >= 1]\n",
       "bad.yaml:2:10: expect[0]: unknown metric 'delivery_ration'; did you mean "
       "'delivery_ratio'?"},
      {"clients: {a: {}}\nexpect: [latency_p99 <= 5]\n",
       "bad.yaml:2:10: expect[0]: a latency needs a duration with a unit, like 500ms"},
      {"clients: {a: {}}\nfaults: [{at: 1s}]\n",
       "bad.yaml:2:10: faults[0]: needs exactly one of link_down, loss, partition, broker_crash, "
       "client_crash"},
      {"clients: {a: {}}\ntopology: {links: {l: {between: [broker, nowhere]}}}\n",
       "bad.yaml:2:20: topology.links.l.between: no node named 'nowhere'"},
      {"clients: {a: {}}\ntopology: {nodes: {x: switch}}\n",
       "bad.yaml:2:23: topology.nodes.x: expected one of client, gateway, router, broker, not "
       "'switch'"},
      {"clients: {a: {}}\nbroker: {maximum_qos: 3}\n",
       "bad.yaml:2:23: broker.maximum_qos: must be between 0 and 2, not 3"},
      {"clients: {a: {attach: {sub_band: g3}}}\n",
       "bad.yaml:1:34: clients.a.attach.sub_band: only LoRa profiles have a sub-band"},
      {"clients: {a: {attach: {reverse: {profile: lte}}}}\n",
       "bad.yaml:1:34: clients.a.attach.reverse.profile: unknown key"},
      {"clients: {a: {publish: {topic: t, payload: {distribution: normal, mean: 9}}}}\n",
       "bad.yaml:1:44: clients.a.publish.payload: the normal distribution needs stddev"},
      {"clients: {a: {publish: {topic: t, payload: {distribution: pareto, scale: 9, shape: 2, "
       "mean: 3}}}}\n",
       "bad.yaml:1:93: clients.a.publish.payload.mean: not a parameter of the pareto distribution"},
      {"clients: {a: [1, 2]}\n", "bad.yaml:1:14: clients.a: expected a mapping"},
      {"clients: {a: {}\n", "bad.yaml:2:1: end of map flow not found"},
      {"name: x\n", "bad.yaml:1:1: clients: a scenario needs at least one client group"},
  };
  for (const Row& row : rows) {
    INFO(row.yaml);
    const auto errors = errors_of(row.yaml);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == row.message);
  }
}

TEST_CASE("reverse overrides only the link's other direction", "[scenario]") {
  LoadResult r = parse_scenario(R"(topology:
  nodes: {gw: gateway}
  links:
    backhaul: {between: [gw, broker], profile: lte, rate: 5Mbps, reverse: {rate: 50Mbps}}
clients:
  sensor:
    protocol: mqtt-sn
    gateway: gw
    attach: {to: gw, profile: lora-sf9, reverse: {sub_band: g3, duty_cycle: 0.1}}
)",
                                "reverse.yaml");
  INFO((r.errors.empty() ? std::string() : r.errors.front()));
  REQUIRE(r.spec);
  const LinkSpec& backhaul = r.spec->links.at(0);
  CHECK(backhaul.config.rate_bps == 5'000'000);
  CHECK(backhaul.reverse.rate_bps == 50'000'000);
  CHECK(backhaul.reverse.latency_ns == backhaul.config.latency_ns);
  const ClientGroupSpec& sensor = r.spec->clients.at(0);
  CHECK(sensor.attach_link.duty_cycle.sub_band == "g1");
  CHECK(sensor.attach_link.duty_cycle.duty_cycle == 0.01);
  CHECK(sensor.attach_reverse.duty_cycle.sub_band == "g3");
  CHECK(sensor.attach_reverse.duty_cycle.duty_cycle == 0.1);
  CHECK(sensor.attach_reverse.duty_cycle.lora.spreading_factor == 9);
}

namespace {

// The payload sizes a scenario's publishers recorded in the ledger, after `duration` of 10
// clients publishing every second with the given `payload:` value.
std::vector<double> published_sizes(const std::string& payload) {
  LoadResult r = parse_scenario(
      "duration: 200s\nclients:\n  s:\n    count: 10\n"
      "    publish: {topic: \"t/{n}\", every: 1s, payload: " +
          payload + "}\n",
      "sizes.yaml");
  INFO((r.errors.empty() ? std::string() : r.errors.front()));
  REQUIRE(r.spec);
  World world(*r.spec);
  world.run();
  std::vector<double> sizes;
  const nodes::DeliveryLedger& ledger = world.ledger();
  for (std::size_t key = 1; key <= ledger.message_count(); ++key) {
    sizes.push_back(ledger.message(static_cast<nodes::MessageKey>(key)).payload_size_bytes);
  }
  return sizes;
}

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double stddev_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double sum = 0;
  for (double x : v) sum += (x - m) * (x - m);
  return std::sqrt(sum / static_cast<double>(v.size() - 1));
}

}  // namespace

TEST_CASE("payload sizes follow the scenario's distribution, within its max", "[scenario]") {
  // About 2000 messages each: tolerances are about 5 standard errors.
  const auto lognormal = published_sizes("{distribution: lognormal, mean: 300, stddev: 120}");
  REQUIRE(lognormal.size() >= 1900);
  CHECK(std::abs(mean_of(lognormal) - 300) < 5 * 120 / std::sqrt(1900.0));
  CHECK(std::abs(stddev_of(lognormal) - 120) < 12);

  const auto exponential = published_sizes("{distribution: exponential, mean: 400}");
  CHECK(std::abs(mean_of(exponential) - 400) < 5 * 400 / std::sqrt(1900.0));

  // Pareto with scale 100 and shape 3: never below the scale, mean scale·shape/(shape − 1).
  const auto pareto = published_sizes("{distribution: pareto, scale: 100, shape: 3}");
  CHECK(*std::min_element(pareto.begin(), pareto.end()) >= 100);
  CHECK(std::abs(mean_of(pareto) - 150) < 10);

  // Clamped to max; below the ledger's 16-byte tag a payload grows to the tag.
  const auto clamped = published_sizes("{distribution: normal, mean: 100, stddev: 100, max: 150}");
  CHECK(*std::max_element(clamped.begin(), clamped.end()) == 150);
  CHECK(*std::min_element(clamped.begin(), clamped.end()) == 16);
}

TEST_CASE("all errors of a file are reported together", "[scenario]") {
  const auto errors = errors_of("duration: soon\nseed: x\nclients: {a: {count: 0, qos: 1}}\n");
  CHECK(errors.size() == 4);
}

TEST_CASE("the broker config file reports unknown keys with a suggestion", "[scenario]") {
  const auto result = parse_broker_config("persistance: true\nreceive_maximum: 0\n", "b.yaml");
  const auto* errors = std::get_if<std::vector<std::string>>(&result);
  REQUIRE(errors);
  REQUIRE(errors->size() == 2);
  CHECK((*errors)[0] == "b.yaml:1:1: persistance: unknown key; did you mean 'persistence'?");
  CHECK((*errors)[1] == "b.yaml:2:18: receive_maximum: must be between 1 and 65535, not 0");
}
