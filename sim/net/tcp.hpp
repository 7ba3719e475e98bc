// The TCP model behind StreamTransport: a reliable, ordered byte stream over the lossy Network,
// in segments of at most one MSS, with RFC 6298 retransmission timeouts, cumulative ACKs, head-
// of-line blocking, a handshake RTT, FIN/RST, and breaks after a retry limit or a user timeout.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "sim/kernel.hpp"
#include "sim/net/capture.hpp"
#include "sim/net/network.hpp"
#include "sim/net/transport.hpp"

namespace mqttsim::sim::net {

struct TcpConfig {
  std::int64_t mss_bytes = 1460;   // lowered to path MTU − header when the path needs it
  std::int64_t header_bytes = 40;  // IPv4 20 + TCP 20, no options: every segment, ACKs too
  // The receive window. There is no receiver buffer limit or window advertisement beyond it:
  // applications in the simulator always read at once. Also caps the congestion window.
  std::int64_t send_window_bytes = 64 * 1024;
  std::int64_t initial_cwnd_segments = 10;  // RFC 6928
  TimeNs initial_rto_ns = 1 * kNsPerS;      // RFC 6298 §2.1, before any RTT sample
  TimeNs min_rto_ns = 200 * kNsPerMs;       // Linux's TCP_RTO_MIN
  TimeNs max_rto_ns = 60 * kNsPerS;         // the backoff cap (RFC 6298 §2.5 allows ≥ 60 s)
  int max_retries = 8;       // like Linux tcp_retries2: timeouts of one segment before the break
  int max_syn_retries = 6;   // like Linux tcp_syn_retries (and the server's SYN-ACK retries)
  int dupack_threshold = 3;  // fast retransmit after this many duplicate ACKs; 0 disables it
  // Like Linux TCP_USER_TIMEOUT: break when data stays unacknowledged this long (the path is
  // down). 0 = off, as on Linux by default; then only max_retries breaks a connection.
  TimeNs user_timeout_ns = 0;
};

struct TcpStats {
  std::uint64_t segments_sent = 0;
  std::uint64_t data_segments_sent = 0;
  std::uint64_t pure_acks_sent = 0;
  std::uint64_t timeout_retransmits = 0;
  std::uint64_t fast_retransmits = 0;
  std::uint64_t bytes_delivered = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_broken = 0;  // retries exhausted or user timeout
};

// Congestion control is deliberately small: slow start and AIMD congestion avoidance on a byte
// cwnd, RTO collapse to one segment, Reno-style fast retransmit without fast recovery's window
// inflation and without SACK (after a timeout the sender goes back to the first unacked byte).
// MQTT flows are small, so what matters most is RTO and HOL behaviour, which are exact.
class TcpTransport final : public StreamTransport, private PacketHandler {
 public:
  // Registers itself as the Network's tcp handler; destroy it before the Network and Kernel
  // (its destructor cancels its timers and unregisters).
  TcpTransport(Network& network, TcpConfig config = {});
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  void listen(NodeId node, StreamReceiver* receiver) override;
  StreamId connect(NodeId from, NodeId to, StreamReceiver* receiver) override;
  void write(StreamId id, StreamSide side, std::span<const std::uint8_t> bytes) override;
  void close(StreamId id, StreamSide side) override;
  void abort(StreamId id, StreamSide side) override;
  void crash_node(NodeId node) override;

  const TcpConfig& config() const { return config_; }
  // Every segment sent, with its bytes, goes to `capture` (nullptr: none; must outlive its use).
  void set_capture(PacketCapture* capture) { capture_ = capture; }
  const TcpStats& stats() const { return stats_; }
  std::size_t open_connections() const { return conns_.size() - free_conns_.size(); }
  // The current retransmission timeout of one end (backoff included); -1 for an unknown end.
  TimeNs rto_ns(StreamId id, StreamSide side) const;
  TimeNs srtt_ns(StreamId id, StreamSide side) const;
  // Bytes written on one end and not yet acknowledged by the peer; -1 for an unknown end.
  std::int64_t unacked_bytes(StreamId id, StreamSide side) const;

 private:
  enum class State : std::uint8_t { idle, syn_sent, syn_rcvd, established, closing, done };
  struct End {
    StreamReceiver* receiver = nullptr;
    NodeId node = 0;
    Network::RouteMemo route;  // to the other end
    State state = State::idle;
    bool app_open = false;  // the application still gets callbacks
    bool vanished = false;  // crashed: silent to every segment
    bool fin_queued = false;
    bool fin_received = false;
    bool timing = false;  // a segment (or the SYN) is being timed for an RTT sample
    bool has_rtt = false;
    std::uint8_t dupacks = 0;
    std::uint8_t retries = 0;
    // Send side, in sequence numbers: data bytes count from 0, and the FIN takes one number
    // after the last byte. send_buf[send_head] is the byte at buf_seq (the oldest unacked).
    std::uint64_t snd_una = 0;
    std::uint64_t snd_nxt = 0;
    std::uint64_t snd_max = 0;
    std::uint64_t buf_seq = 0;
    std::size_t send_head = 0;
    std::vector<std::uint8_t> send_buf;
    std::int64_t cwnd_bytes = 0;
    std::int64_t ssthresh_bytes = 0;
    std::uint64_t rtt_seq = 0;  // the timed segment is acked when snd_una reaches this
    TimeNs rtt_start_ns = 0;
    TimeNs srtt_ns = 0;
    TimeNs rttvar_ns = 0;
    TimeNs rto_ns = 0;
    TimeNs stall_since_ns = 0;        // when the oldest unacked data was first sent (user timeout)
    TimeNs deadline_ns = kTimeMaxNs;  // retransmission deadline; kTimeMaxNs when disarmed
    EventId timer;                    // one kernel event at or before deadline_ns, if any
    TimeNs timer_at_ns = kTimeMaxNs;  // when that event fires
    // Receive side: bytes below rcv_nxt were delivered; `ranges` holds received blocks above
    // it (sorted, disjoint). The bytes themselves are read from the peer's send buffer, which
    // keeps them until they are acknowledged, so segments carry no copies.
    std::uint64_t rcv_nxt = 0;
    std::uint64_t fin_seq = UINT64_MAX;
    std::uint64_t ack_sent = UINT64_MAX;  // ack number of the last segment sent with ACK
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;

    std::uint64_t data_end() const { return buf_seq + (send_buf.size() - send_head); }
    std::uint64_t ack_value() const { return rcv_nxt + (fin_received ? 1 : 0); }
  };
  struct Conn {
    StreamId id = 0;
    std::uint32_t generation = 0;
    bool in_use = false;
    std::int64_t mss_bytes = 0;
    End ends[2];  // [client, server]
  };
  // Segment flags as in the TCP header; the trace records them as the packet type.
  static constexpr std::uint8_t kFin = 0x01;
  static constexpr std::uint8_t kSyn = 0x02;
  static constexpr std::uint8_t kRst = 0x04;
  static constexpr std::uint8_t kAck = 0x10;
  // One segment in flight: the Packet's payload handle is its index in segments_.
  struct Segment {
    std::uint32_t conn = 0;
    std::uint32_t generation = 0;
    std::uint8_t from_side = 0;
    std::uint8_t flags = 0;
    std::uint32_t length = 0;
    std::uint64_t seq = 0;
    std::uint64_t ack = 0;
  };

  void capture(const Conn& conn, int side, const Segment& segment);

  // PacketHandler
  void on_packet(const Packet& packet) override;
  void on_packet_dropped(const Packet& packet) override;
  std::uint64_t duplicate_payload(const Packet& packet) override;

  Conn* find(StreamId id);
  const Conn* find(StreamId id) const;
  Conn* live(std::uint32_t slot, std::uint32_t generation);
  std::uint32_t acquire_conn();
  void maybe_free(std::uint32_t slot, std::uint32_t generation);
  std::uint32_t acquire_segment(const Segment& segment);

  void emit(Conn& conn, int side, std::uint8_t flags, std::uint64_t seq, std::uint32_t length);
  void try_send(Conn& conn, int side);
  void send_pure_ack(Conn& conn, int side);
  void send_rst(Conn& conn, int side, std::uint64_t seq);
  void arm(Conn& conn, int side, TimeNs deadline_ns);
  void disarm(End& end);
  void restart_timer(Conn& conn, int side);
  void on_timer(std::uint32_t slot, std::uint32_t generation, int side);
  void on_timeout(Conn& conn, int side);
  void retransmit_first(Conn& conn, int side);
  void rtt_sample(End& end, TimeNs sample_ns);
  void fail(Conn& conn, int side, StreamCloseReason reason);
  void finish(Conn& conn, int side);
  void trace_event(const Conn& conn, int side, const char* label, std::uint8_t reason = 0);

  void receive(Conn& conn, int side, const Segment& segment);
  void receive_in_handshake(Conn& conn, int side, const Segment& segment);
  void complete_handshake(Conn& conn, int side);
  void process_ack(Conn& conn, int side, std::uint64_t ack, bool pure);
  void process_data(Conn& conn, int side, const Segment& segment);

  Network& network_;
  Kernel& kernel_;
  TcpConfig config_;
  std::map<NodeId, StreamReceiver*> listeners_;
  PacketCapture* capture_ = nullptr;
  // Nodes powered off by crash_node() and not yet back (listen() or connect() from them brings
  // them back). A segment for a vanished end is dropped while its node is off; once the node is
  // back, its fresh stack answers with RST, as a rebooted host does.
  std::set<NodeId> powered_off_;
  // By slot, each boxed: a Conn never moves while a callback holds it, and finding one by
  // slot (a few times per segment) is one index and one load.
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<std::uint32_t> free_conns_;
  std::uint64_t next_serial_ = 1;
  std::vector<Segment> segments_;
  std::vector<std::uint32_t> free_segments_;
  std::vector<std::uint8_t> scratch_;  // bytes handed to on_stream_data
  TcpStats stats_;
};

}  // namespace mqttsim::sim::net
