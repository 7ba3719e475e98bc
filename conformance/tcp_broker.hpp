// The reference broker on real sockets: BrokerCore behind an Asio TCP listener, driven by the
// wall clock. This is what `mqttsim broker` runs; any MQTT client can connect to it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "protocol/broker/broker_core.hpp"

namespace mqttsim::conformance {

struct TcpBrokerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;  // 0 picks a free port (see on_listening)
  protocol::BrokerConfig config;
  // Called once the socket listens, with the bound port: tests and scripts wait for it.
  std::function<void(std::uint16_t port)> on_listening;
  bool log_events = false;  // one line per broker event on stderr
  // Test only (the fuzzer's own tests): a deliberate fault after a PUBLISH with QoS 3
  // (MQTT-3.3.1-4). "stop-on-qos3-publish" closes the listener and every connection, as a
  // crashed broker would; "restart-on-qos3-publish" does the same and listens again a second
  // later, as a supervised broker would; "stall-on-qos3-publish" stops reading anything, as a
  // hung one would.
  std::string test_fault;
};

// The names test_fault accepts.
bool is_test_fault(const std::string& name);

// Serves until SIGINT or SIGTERM, then sends 5.0 clients DISCONNECT 0x8B, flushes and returns.
// Returns 0 on a clean stop, 2 when the address cannot be bound (with a message on stderr).
int run_tcp_broker(const TcpBrokerOptions& options);

}  // namespace mqttsim::conformance
