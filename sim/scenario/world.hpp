// A scenario brought to life: the ScenarioSpec becomes a topology, a network with the TCP (and
// UDP) transport, a broker host, virtual clients and a fault timeline on one kernel. run()
// simulates the scenario's duration; the ledger, trace digest and counters are then read by
// reports and checks.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/kernel.hpp"
#include "sim/net/network.hpp"
#include "sim/net/tcp.hpp"
#include "sim/net/topology.hpp"
#include "sim/net/udp.hpp"
#include "sim/nodes/broker_host.hpp"
#include "sim/nodes/ledger.hpp"
#include "sim/nodes/sn_client_node.hpp"
#include "sim/nodes/sn_gateway_host.hpp"
#include "sim/nodes/virtual_client.hpp"
#include "sim/scenario/spec.hpp"
#include "sim/trace.hpp"

namespace mqttsim::sim::scenario {

// A scenario that cannot be built (something the loader cannot know, or a feature not built
// yet); the message says which.
class WorldError : public std::runtime_error {
 public:
  enum class Kind : std::uint8_t { invalid, not_built };
  explicit WorldError(const std::string& message, Kind kind = Kind::invalid)
      : std::runtime_error(message), kind_(kind) {}
  // not_built: the scenario is valid but asks for something this version lacks (exit 3).
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct Progress {
  TimeNs virtual_ns = 0;
  TimeNs duration_ns = 0;
  std::uint64_t events = 0;
};

// How a World is built beyond its scenario. The mutants (protocol/mutants.hpp) come only from
// here, never from YAML: tests, `mqttsim check --mutant` and the replay of its counterexamples
// (`mqttsim run --mutant`) set them.
struct WorldOptions {
  std::optional<std::uint64_t> seed;  // overrides spec.seed
  TraceSink* trace_sink = nullptr;    // may be null; receives every trace record
  protocol::MutantSet broker_mutants;
  protocol::MutantSet client_mutants;  // set in every virtual client's session
  // Sets `mutant` in the core it lives in (broker_mutants or client_mutants).
  void add_mutant(protocol::Mutant mutant);
};

class World {
 public:
  // `seed` overrides spec.seed; `trace_sink` (may be null) receives every trace record.
  World(const ScenarioSpec& spec, std::optional<std::uint64_t> seed = std::nullopt,
        TraceSink* trace_sink = nullptr);
  World(const ScenarioSpec& spec, const WorldOptions& options);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Sends every TCP segment (and UDP datagram) with its bytes to `capture`, for capture.pcap.
  // Call before run(); `capture` must outlive the run.
  void set_capture(net::PacketCapture* capture);

  // Simulates up to the scenario's duration, calling `progress` now and then (about every
  // 1/200 of the duration). Call once.
  void run(const std::function<void(const Progress&)>& progress = {});

  const ScenarioSpec& spec() const { return spec_; }
  std::uint64_t seed() const { return seed_; }
  std::uint64_t trace_digest() const { return trace_.digest(); }
  std::uint64_t events() const { return kernel_.fired_count(); }
  const Kernel& kernel() const { return kernel_; }
  const net::Topology& topology() const { return topology_; }
  const nodes::DeliveryLedger& ledger() const { return ledger_; }
  const nodes::BrokerHost& broker() const { return *broker_; }
  const std::deque<nodes::VirtualClient>& clients() const { return clients_; }
  const std::deque<nodes::SnClientNode>& sn_clients() const { return sn_clients_; }
  const std::deque<nodes::SnGatewayHost>& sn_gateways() const { return sn_gateways_; }
  // The predefined MQTT-SN topic ids shared by all sensors and gateways (see
  // build_predefined_topics); empty without QoS -1 publishers.
  const std::map<std::string, std::uint16_t>& predefined_topics() const { return predefined_; }
  const net::TcpTransport& tcp() const { return *tcp_; }

 private:
  void build_topology();
  // topology_.connect, its refusals (invalid_argument) turned into a WorldError naming `path`.
  std::pair<net::LinkId, net::LinkId> connect(const std::string& path, net::NodeId a, net::NodeId b,
                                              const net::LinkConfig& ab, const net::LinkConfig& ba);
  void build_clients();
  nodes::ClientBehaviour& add_behaviour(const ClientGroupSpec& group, std::int64_t n,
                                        const std::string& id);
  void build_predefined_topics();
  void add_sn_client(const ClientGroupSpec& group, const std::string& id, net::NodeId node,
                     std::uint32_t index, const nodes::ClientBehaviour& behaviour);
  nodes::SnGatewayHost& gateway_host(const std::string& gateway_node);
  void schedule_faults();
  void apply_fault(std::size_t index, bool undo);
  std::vector<net::LinkId> links_named(const std::vector<std::string>& names) const;
  std::vector<net::NodeId> nodes_matching(const std::vector<std::string>& patterns) const;
  std::vector<nodes::VirtualClient*> clients_matching(const std::vector<std::string>& patterns);

  ScenarioSpec spec_;
  protocol::MutantSet client_mutants_;
  std::uint64_t seed_;
  Rng rng_;
  Kernel kernel_;
  Trace trace_;
  net::Topology topology_;
  std::unique_ptr<net::Network> network_;
  std::unique_ptr<net::TcpTransport> tcp_;
  std::unique_ptr<net::UdpTransport> udp_;  // only with MQTT-SN groups
  nodes::DeliveryLedger ledger_;
  std::unique_ptr<nodes::NodeWorld> node_world_;
  std::unique_ptr<nodes::BrokerHost> broker_;
  std::deque<nodes::ClientBehaviour> behaviours_;  // one per client: templates pre-expanded
  std::deque<nodes::VirtualClient> clients_;
  std::map<std::string, std::uint16_t> predefined_;
  std::deque<nodes::SnGatewayHost> sn_gateways_;  // one per gateway node, in first-use order
  std::map<std::string, std::size_t> gateway_index_;
  std::deque<nodes::SnClientNode> sn_clients_;
  std::map<std::string, std::pair<net::LinkId, net::LinkId>> links_by_name_;
  // What each active fault (by index in spec_.faults) holds, so that its end undoes only its own
  // part when faults overlap: loss overrides, partitions, and link_down holds counted per link.
  std::map<std::size_t, std::vector<std::pair<net::LinkId, net::LossOverrideId>>> loss_faults_;
  std::map<std::size_t, net::PartitionId> partition_faults_;
  std::map<net::LinkId, std::uint32_t> link_down_holds_;
};

// The per-message payload size of a publish spec, in bytes (clamped to [0, max] by the client).
nodes::Distribution payload_distribution(const PayloadSpec& payload);

// Expands {n}, {id}, {group} and the names of `values` (item (n − 1) mod size) in `text`;
// std::invalid_argument names an unknown placeholder.
std::string expand_client_template(const std::string& text, std::int64_t n, const std::string& id,
                                   const std::string& group,
                                   const std::map<std::string, std::vector<std::string>>& values);

}  // namespace mqttsim::sim::scenario
