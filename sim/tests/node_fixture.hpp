// A small simulated world for node tests: kernel, ideal stream transport, trace, ledger, one
// broker host on node 0 and virtual clients on nodes 1, 2, ... Time runs only by the kernel.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ideal_transport.hpp"
#include "sim/nodes/broker_host.hpp"
#include "sim/nodes/virtual_client.hpp"

namespace mqttsim::sim::testing {

inline constexpr TimeNs kMs = kNsPerMs;
inline constexpr TimeNs kS = kNsPerS;

struct NodeFixture {
  explicit NodeFixture(std::uint64_t seed = 1, protocol::BrokerConfig config = {},
                       TimeNs latency_ns = 5 * kMs)
      : transport(kernel, latency_ns), rng(seed), broker(world, 0, std::move(config)) {
    trace.set_sink(&records);
    broker.start();
  }

  // A client on the next node; `behaviour` must outlive the fixture (keep it in the test).
  nodes::VirtualClient& add_client(protocol::ClientConfig config,
                                   const nodes::ClientBehaviour& behaviour) {
    const auto node = static_cast<net::NodeId>(clients.size() + 1);
    clients.push_back(std::make_unique<nodes::VirtualClient>(
        world, node, "c" + std::to_string(node), 0, static_cast<std::uint32_t>(clients.size()),
        std::move(config), behaviour, rng));
    clients.back()->start();
    return *clients.back();
  }

  Kernel kernel;
  IdealStreamTransport transport;
  Trace trace;
  MemoryTraceSink records;
  nodes::DeliveryLedger ledger;
  nodes::NodeWorld world{kernel, transport, trace, ledger};
  Rng rng;
  nodes::BrokerHost broker;
  std::vector<std::unique_ptr<nodes::VirtualClient>> clients;
};

inline protocol::ClientConfig client_config(std::string id, bool persistent = false,
                                            protocol::Version version = protocol::Version::v5) {
  protocol::ClientConfig c;
  c.version = version;
  c.client_id = std::move(id);
  c.clean_start = !persistent;
  if (persistent && protocol::is_v5(version)) c.session_expiry_interval_s = 3600;
  c.keep_alive_s = 10;
  return c;
}

}  // namespace mqttsim::sim::testing
