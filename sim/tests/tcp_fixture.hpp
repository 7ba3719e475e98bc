// Node tests over the real transport models: a star of client nodes around one router, the
// broker behind it, links from a built-in profile (loss overridable), Network + TcpTransport.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/net/network.hpp"
#include "sim/net/profiles.hpp"
#include "sim/net/tcp.hpp"
#include "sim/nodes/broker_host.hpp"
#include "sim/nodes/virtual_client.hpp"

namespace mqttsim::sim::testing {

struct StarWorld {
  // `loss_p` replaces the profile's residual loss on every link (both ways).
  StarWorld(std::uint64_t seed, std::string_view profile, double loss_p,
            protocol::BrokerConfig config = {})
      : rng(seed), topology(rng), profile_(net::find_profile(profile)), loss_p_(loss_p) {
    trace.set_sink(&records);
    router = topology.add_node(net::NodeKind::router, "router");
    broker_node = topology.add_node(net::NodeKind::broker, "broker");
    join(router, broker_node, "router-broker");
    network.emplace(kernel, topology, trace);
    tcp.emplace(*network);
    world.emplace(nodes::NodeWorld{kernel, *tcp, trace, ledger});
    broker.emplace(*world, broker_node, std::move(config));
    broker->start();
  }
  ~StarWorld() {
    clients.clear();
    broker.reset();
  }

  // A client node joined to the router; `behaviour` must outlive the world.
  nodes::VirtualClient& add_client(protocol::ClientConfig config,
                                   const nodes::ClientBehaviour& behaviour) {
    const std::string name = "c" + std::to_string(clients.size());
    const net::NodeId node = topology.add_node(net::NodeKind::client, name);
    join(node, router, name);
    clients.push_back(std::make_unique<nodes::VirtualClient>(
        *world, node, name, broker_node, static_cast<std::uint32_t>(clients.size()),
        std::move(config), behaviour, rng));
    clients.back()->start();
    return *clients.back();
  }

  void join(net::NodeId a, net::NodeId b, const std::string& name) {
    auto up = net::make_link_config(profile_, name + "/up");
    auto down = net::make_link_config(profile_, name + "/down");
    for (auto* c : {&up, &down}) {
      c->loss = net::LossConfig{};
      if (loss_p_ > 0) c->loss = net::LossConfig{net::LossKind::bernoulli, loss_p_};
    }
    topology.connect(a, b, std::move(up), std::move(down));
  }

  Kernel kernel;
  Trace trace;
  MemoryTraceSink records;
  nodes::DeliveryLedger ledger;
  Rng rng;
  net::Topology topology;
  const net::LinkProfile& profile_;
  double loss_p_;
  net::NodeId router = 0, broker_node = 0;
  std::optional<net::Network> network;
  std::optional<net::TcpTransport> tcp;
  std::optional<nodes::NodeWorld> world;
  std::optional<nodes::BrokerHost> broker;
  std::vector<std::unique_ptr<nodes::VirtualClient>> clients;
};

}  // namespace mqttsim::sim::testing
