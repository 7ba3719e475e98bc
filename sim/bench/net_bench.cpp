// The TCP transport benchmark. Wall-clock time is fine here: benchmarks are not part of the
// deterministic core. Handlers are small structs, so the kernel stores them inline.
#include "sim/bench/net_bench.hpp"

#include <malloc.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/kernel.hpp"
#include "sim/net/network.hpp"
#include "sim/net/profiles.hpp"
#include "sim/net/tcp.hpp"

namespace mqttsim::sim::bench {
namespace {

using net::StreamId;
using net::StreamSide;

std::size_t heap_in_use() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
#else
  return 0;
#endif
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The broker's application: answers every chunk with 4 bytes.
struct Echo final : net::StreamReceiver {
  net::TcpTransport* tcp = nullptr;
  void on_stream_accepted(StreamId) override {}
  void on_stream_connected(StreamId) override {}
  void on_stream_data(StreamId id, std::span<const std::uint8_t>) override {
    static constexpr std::uint8_t kReply[4] = {0x40, 0x02, 0x00, 0x01};  // a PUBACK
    tcp->write(id, StreamSide::server, kReply);
  }
  void on_stream_closed(StreamId, net::StreamCloseReason) override {}
};

struct Client final : net::StreamReceiver {
  void on_stream_accepted(StreamId) override {}
  void on_stream_connected(StreamId) override {}
  void on_stream_data(StreamId, std::span<const std::uint8_t>) override {}
  void on_stream_closed(StreamId, net::StreamCloseReason) override {}
};

struct Tick {
  Kernel* kernel;
  net::TcpTransport* tcp;
  const std::vector<std::uint8_t>* message;
  StreamId id;
  TimeNs period_ns;
  void operator()() const {
    tcp->write(id, StreamSide::client, *message);
    kernel->schedule_in(period_ns, *this);
  }
};

}  // namespace

TcpBenchResult run_tcp_bench(const TcpBenchOptions& o) {
  if (o.connections == 0 || o.period_s <= 0 || o.duration_s <= 0 || o.message_bytes <= 0)
    throw std::invalid_argument("tcp bench: connections, period, duration and size must be > 0");
  TcpBenchResult result;
  const auto setup_start = std::chrono::steady_clock::now();
  const std::size_t heap_before = heap_in_use();
  Kernel kernel;
  Trace trace;
  net::Topology topology{Rng(o.seed)};
  const net::NodeId broker = topology.add_node(net::NodeKind::broker, "broker");
  const net::LinkProfile& wifi = net::find_profile("wifi");
  std::vector<net::NodeId> clients;
  for (std::size_t i = 0; i < o.connections; ++i) {
    std::string name = "c";  // not "c" + to_string(i): g++ 12 -O3 -Werror=restrict false positive
    name += std::to_string(i);
    clients.push_back(topology.add_node(net::NodeKind::client, name));
    net::LinkConfig up = net::make_link_config(wifi, name + ">");
    net::LinkConfig down = net::make_link_config(wifi, name + "<");
    up.loss = net::LossConfig{net::LossKind::bernoulli, o.loss};
    down.loss = up.loss;
    topology.connect(clients.back(), broker, std::move(up), std::move(down));
  }
  net::Network network(kernel, topology, trace);
  net::TcpTransport tcp(network);
  Echo echo;
  echo.tcp = &tcp;
  tcp.listen(broker, &echo);
  Client client;
  const std::vector<std::uint8_t> message(static_cast<std::size_t>(o.message_bytes), 0x30);
  const auto period_ns = static_cast<TimeNs>(o.period_s * 1e9);
  const std::size_t heap_before_connections = heap_in_use();
  Rng phase = Rng(o.seed).fork("bench/phase");
  for (const net::NodeId c : clients) {
    const StreamId id = tcp.connect(c, broker, &client);
    const auto start_ns = static_cast<TimeNs>(phase.below(static_cast<std::uint64_t>(period_ns)));
    kernel.schedule_at(kNsPerS + start_ns, Tick{&kernel, &tcp, &message, id, period_ns});
  }
  kernel.run_until(kNsPerS);  // handshakes
  result.setup_wall_s = seconds_since(setup_start);
  const std::size_t heap_after = heap_in_use();
  result.heap_bytes = heap_after > heap_before ? heap_after - heap_before : 0;
  result.tcp_heap_bytes =
      heap_after > heap_before_connections ? heap_after - heap_before_connections : 0;

  const std::uint64_t fired_before = kernel.fired_count();
  const auto run_start = std::chrono::steady_clock::now();
  kernel.run_until(kNsPerS + static_cast<TimeNs>(o.duration_s * 1e9));
  result.run_wall_s = seconds_since(run_start);
  result.events = kernel.fired_count() - fired_before;
  result.segments = tcp.stats().segments_sent;
  result.bytes_delivered = tcp.stats().bytes_delivered;
  result.retransmits = tcp.stats().timeout_retransmits + tcp.stats().fast_retransmits;
  result.broken = tcp.stats().connections_broken;
  return result;
}

}  // namespace mqttsim::sim::bench
