// The transport interfaces MQTT nodes use, and that the TCP and UDP models implement. A node
// never sees links or segments: over a stream it sees ordered bytes, delay and broken
// connections (MQTT over TCP); over datagrams it sees loss, duplication and reordering (MQTT-SN).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "sim/net/topology.hpp"
#include "sim/time.hpp"

namespace mqttsim::sim::net {

using StreamId = std::uint64_t;  // one connection; never reused within a run, never 0
enum class StreamSide : std::uint8_t { client, server };

// Why a stream ended, as seen by the side that is told.
enum class StreamCloseReason : std::uint8_t {
  closed_by_peer,      // the peer closed gracefully (FIN) after its bytes were delivered
  reset_by_peer,       // the peer aborted (RST)
  retries_exhausted,   // a segment went unacknowledged through the retry limit
  link_down_too_long,  // the path stayed down longer than the configured threshold
  connect_failed,      // the handshake did not complete (no route, no listener, timeouts)
};
std::string_view to_string(StreamCloseReason reason);

// The upper layer of one node (a broker host, a virtual client, a gateway). Callbacks come from
// kernel events; a callback may call back into the transport (write, close, connect).
class StreamReceiver {
 public:
  virtual ~StreamReceiver() = default;
  // On a listening node: a client's handshake completed; `id` now carries bytes both ways.
  virtual void on_stream_accepted(StreamId id) = 0;
  // On the connecting node: the handshake completed.
  virtual void on_stream_connected(StreamId id) = 0;
  // Bytes in order, exactly as the peer wrote them (possibly split or coalesced differently).
  virtual void on_stream_data(StreamId id, std::span<const std::uint8_t> bytes) = 0;
  // The stream is gone for this side: no more callbacks for `id`, and writes to it are ignored.
  virtual void on_stream_closed(StreamId id, StreamCloseReason reason) = 0;
};

class StreamTransport {
 public:
  virtual ~StreamTransport() = default;
  // `receiver` gets on_stream_accepted for connections to `node` (one listener per node).
  virtual void listen(NodeId node, StreamReceiver* receiver) = 0;
  // Starts a handshake from → to; ends in on_stream_connected or on_stream_closed(connect_failed)
  // on `receiver`. The id is returned at once so the caller can abort a pending connect.
  virtual StreamId connect(NodeId from, NodeId to, StreamReceiver* receiver) = 0;
  // Queues bytes for delivery to the other side, in order.
  virtual void write(StreamId id, StreamSide side, std::span<const std::uint8_t> bytes) = 0;
  // Graceful close: queued bytes go first, then the peer gets closed_by_peer. This side gets no
  // further callbacks for `id`.
  virtual void close(StreamId id, StreamSide side) = 0;
  // Abort (RST): queued bytes are dropped, the peer gets reset_by_peer when the RST arrives.
  virtual void abort(StreamId id, StreamSide side) = 0;
  // A node crashed: every stream end on it vanishes without a FIN or RST and without callbacks
  // to it; its peers find out only by retransmission timeouts or their own keep alive. The
  // node's listener is removed too (a restarted host calls listen() again).
  virtual void crash_node(NodeId node) = 0;
};

// The datagram side (UDP), for MQTT-SN.
class DatagramReceiver {
 public:
  virtual ~DatagramReceiver() = default;
  virtual void on_datagram(NodeId from, std::span<const std::uint8_t> bytes) = 0;
};

class DatagramTransport {
 public:
  virtual ~DatagramTransport() = default;
  // One receiver per node; nullptr unbinds (datagrams to it are then dropped as node_down).
  virtual void bind(NodeId node, DatagramReceiver* receiver) = 0;
  // Sends one datagram; it may be lost, duplicated or reordered on the way.
  virtual void send(NodeId from, NodeId to, std::span<const std::uint8_t> bytes) = 0;
};

}  // namespace mqttsim::sim::net
