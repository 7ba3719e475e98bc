// A test double of the stream transport: every byte arrives after a fixed one-way latency, in
// order, never lost; a handshake costs one round trip. Tests can break a stream on purpose.
// It stands in for the TCP model in node tests that are about MQTT, not about TCP.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "sim/kernel.hpp"
#include "sim/net/transport.hpp"

namespace mqttsim::sim::testing {

class IdealStreamTransport final : public net::StreamTransport {
 public:
  // `dead_peer_timeout_ns`: after a node crash, a peer that writes learns it this long after
  // (retries_exhausted), like TCP's retransmissions running out.
  IdealStreamTransport(Kernel& kernel, TimeNs latency_ns,
                       TimeNs dead_peer_timeout_ns = 5'000'000'000)
      : kernel_(kernel), latency_ns_(latency_ns), dead_peer_timeout_ns_(dead_peer_timeout_ns) {}

  void listen(net::NodeId node, net::StreamReceiver* receiver) override;
  net::StreamId connect(net::NodeId from, net::NodeId to, net::StreamReceiver* receiver) override;
  void write(net::StreamId id, net::StreamSide side, std::span<const std::uint8_t> bytes) override;
  void close(net::StreamId id, net::StreamSide side) override;
  void abort(net::StreamId id, net::StreamSide side) override;
  void crash_node(net::NodeId node) override;

  // Fault injection: the stream breaks now; both live ends hear link_down_too_long.
  void break_stream(net::StreamId id);
  // Breaks every live stream with an end on `node`; returns how many.
  std::size_t break_streams_of(net::NodeId node);
  // Streams with at least one live end.
  std::size_t open_streams() const;
  std::uint64_t bytes_delivered() const { return bytes_delivered_; }

 private:
  struct End {
    net::NodeId node = 0;
    net::StreamReceiver* receiver = nullptr;
    bool live = false;  // still gets callbacks
  };
  struct Stream {
    End ends[2];                                         // [client, server]
    std::deque<std::vector<std::uint8_t>> in_flight[2];  // towards ends[i]
    bool established = false;
    bool peer_dead[2] = {false, false};  // ends[i]'s peer crashed
  };
  static int index(net::StreamSide side) { return side == net::StreamSide::client ? 0 : 1; }
  void tell_closed(net::StreamId id, int end, net::StreamCloseReason reason);
  void deliver(net::StreamId id, int to_end);
  void on_syn(net::StreamId id);

  Kernel& kernel_;
  TimeNs latency_ns_;
  TimeNs dead_peer_timeout_ns_;
  std::map<net::NodeId, net::StreamReceiver*> listeners_;
  std::map<net::StreamId, Stream> streams_;
  net::StreamId next_id_ = 1;
  std::uint64_t bytes_delivered_ = 0;
};

}  // namespace mqttsim::sim::testing
