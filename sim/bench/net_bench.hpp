// The transport benchmark behind `mqttsim bench tcp`: N clients, each on its own lossy link to
// one broker node, open a TcpTransport connection and write a small message every period; the
// broker answers each with a 4-byte reply. Prints wall time, kernel events/s and memory.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mqttsim::sim::bench {

struct TcpBenchOptions {
  std::size_t connections = 10'000;
  std::int64_t message_bytes = 64;
  double period_s = 10;
  double duration_s = 600;  // virtual
  double loss = 0.01;       // Bernoulli, each direction, on top of the wifi profile
  std::uint64_t seed = 1;
};

struct TcpBenchResult {
  double setup_wall_s = 0;  // topology, routes and handshakes
  double run_wall_s = 0;
  std::uint64_t events = 0;
  std::uint64_t segments = 0;
  std::uint64_t bytes_delivered = 0;
  std::uint64_t retransmits = 0;
  std::uint64_t broken = 0;
  std::size_t heap_bytes = 0;      // heap in use after setup (0 when the allocator cannot say)
  std::size_t tcp_heap_bytes = 0;  // of which opening the connections: TCP state, routes, events
};

TcpBenchResult run_tcp_bench(const TcpBenchOptions& options);

}  // namespace mqttsim::sim::bench
