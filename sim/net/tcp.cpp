// TcpTransport: connection slab, handshake, send path, timers and teardown. Both ends of a
// connection live in one Conn, so a segment carries sequence numbers, never bytes: the receiver
// copies delivered bytes from the sender's send buffer (see tcp_receive.cpp).
#include "sim/net/tcp.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace mqttsim::sim::net {
namespace {

constexpr int kSlotBits = 24;  // a StreamId is serial << 24 | slot
constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;

}  // namespace

TcpTransport::TcpTransport(Network& network, TcpConfig config)
    : network_(network), kernel_(network.kernel()), config_(config) {
  if (config_.mss_bytes <= 0 || config_.header_bytes < 0 || config_.send_window_bytes <= 0 ||
      config_.initial_cwnd_segments <= 0 || config_.min_rto_ns <= 0 ||
      config_.max_rto_ns < config_.min_rto_ns || config_.initial_rto_ns <= 0 ||
      config_.max_retries < 0 || config_.max_retries > 255 || config_.max_syn_retries < 0 ||
      config_.max_syn_retries > 255 || config_.dupack_threshold < 0 ||
      config_.dupack_threshold > 255 || config_.user_timeout_ns < 0)
    throw std::invalid_argument("TcpConfig: a value is out of range");
  network_.set_handler(TraceLayer::tcp, this);
}

TcpTransport::~TcpTransport() {
  network_.set_handler(TraceLayer::tcp, nullptr);
  for (const auto& conn : conns_) {
    for (End& end : conn->ends) kernel_.cancel(end.timer);
  }
}

void TcpTransport::listen(NodeId node, StreamReceiver* receiver) {
  powered_off_.erase(node);
  if (receiver == nullptr) {
    listeners_.erase(node);
  } else {
    listeners_[node] = receiver;
  }
}

TcpTransport::Conn* TcpTransport::find(StreamId id) {
  const auto slot = static_cast<std::size_t>(id & kSlotMask);
  if (slot >= conns_.size()) return nullptr;
  Conn& conn = *conns_[slot];
  return conn.in_use && conn.id == id ? &conn : nullptr;
}

const TcpTransport::Conn* TcpTransport::find(StreamId id) const {
  return const_cast<TcpTransport*>(this)->find(id);
}

TcpTransport::Conn* TcpTransport::live(std::uint32_t slot, std::uint32_t generation) {
  if (slot >= conns_.size()) return nullptr;
  Conn& conn = *conns_[slot];
  return conn.in_use && conn.generation == generation ? &conn : nullptr;
}

std::uint32_t TcpTransport::acquire_conn() {
  if (!free_conns_.empty()) {
    const std::uint32_t slot = free_conns_.back();
    free_conns_.pop_back();
    return slot;
  }
  if (conns_.size() > kSlotMask) throw std::length_error("TcpTransport: too many connections");
  conns_.push_back(std::make_unique<Conn>());
  return static_cast<std::uint32_t>(conns_.size() - 1);
}

void TcpTransport::maybe_free(std::uint32_t slot, std::uint32_t generation) {
  Conn* conn = live(slot, generation);
  if (conn == nullptr) return;
  for (const End& end : conn->ends) {
    if (end.state != State::idle && end.state != State::done) return;
  }
  for (End& end : conn->ends) kernel_.cancel(end.timer);
  const std::uint32_t next_generation = conn->generation + 1;
  *conn = Conn{};  // releases the buffers; in-flight segments fail the generation check
  conn->generation = next_generation;
  free_conns_.push_back(slot);
}

std::uint32_t TcpTransport::acquire_segment(const Segment& segment) {
  if (!free_segments_.empty()) {
    const std::uint32_t index = free_segments_.back();
    free_segments_.pop_back();
    segments_[index] = segment;
    return index;
  }
  segments_.push_back(segment);
  return static_cast<std::uint32_t>(segments_.size() - 1);
}

StreamId TcpTransport::connect(NodeId from, NodeId to, StreamReceiver* receiver) {
  powered_off_.erase(from);
  const std::uint32_t slot = acquire_conn();
  Conn& conn = *conns_[slot];
  conn.id = next_serial_++ << kSlotBits | slot;
  conn.in_use = true;
  End& client = conn.ends[0];
  client.node = from;
  client.receiver = receiver;
  client.state = State::syn_sent;
  client.app_open = true;
  client.rto_ns = config_.initial_rto_ns;
  conn.ends[1].node = to;
  conn.mss_bytes = config_.mss_bytes;
  const auto mtu = network_.path_mtu(from, to);
  if (mtu && *mtu > 0) conn.mss_bytes = std::min(conn.mss_bytes, *mtu - config_.header_bytes);
  if (!mtu || conn.mss_bytes <= 0) {
    // No route (or no room for a byte): fail from a kernel event, as callbacks always come.
    client.retries = static_cast<std::uint8_t>(config_.max_syn_retries);
    arm(conn, 0, kernel_.now_ns());
    return conn.id;
  }
  client.timing = true;
  client.rtt_start_ns = kernel_.now_ns();
  emit(conn, 0, kSyn, 0, 0);
  arm(conn, 0, kernel_.now_ns() + client.rto_ns);
  return conn.id;
}

void TcpTransport::write(StreamId id, StreamSide side, std::span<const std::uint8_t> bytes) {
  Conn* conn = find(id);
  if (conn == nullptr || bytes.empty()) return;
  const int s = static_cast<int>(side);
  End& end = conn->ends[s];
  if (!end.app_open || end.fin_queued) return;
  if (end.state != State::syn_sent && end.state != State::established) return;
  end.send_buf.insert(end.send_buf.end(), bytes.begin(), bytes.end());
  if (end.state == State::established) try_send(*conn, s);
}

void TcpTransport::close(StreamId id, StreamSide side) {
  Conn* conn = find(id);
  if (conn == nullptr) return;
  const int s = static_cast<int>(side);
  End& end = conn->ends[s];
  if (!end.app_open) return;
  end.app_open = false;
  if (end.state == State::established) {
    end.fin_queued = true;
    end.state = State::closing;
    try_send(*conn, s);
    return;
  }
  // Closing before the handshake completed gives the connection up, as Linux does.
  const std::uint32_t generation = conn->generation;
  finish(*conn, s);
  maybe_free(static_cast<std::uint32_t>(id & kSlotMask), generation);
}

void TcpTransport::abort(StreamId id, StreamSide side) {
  Conn* conn = find(id);
  if (conn == nullptr) return;
  const int s = static_cast<int>(side);
  End& end = conn->ends[s];
  if (end.state == State::done || end.state == State::idle || end.vanished) return;
  // The queued bytes stay in the buffer (unsent) only because segments already in flight still
  // read from it; nothing more is sent but the RST.
  if (end.state != State::syn_sent) send_rst(*conn, s, end.snd_nxt);
  const std::uint32_t generation = conn->generation;
  finish(*conn, s);
  maybe_free(static_cast<std::uint32_t>(id & kSlotMask), generation);
}

void TcpTransport::crash_node(NodeId node) {
  listeners_.erase(node);
  powered_off_.insert(node);
  for (std::size_t slot = 0; slot < conns_.size(); ++slot) {
    Conn& conn = *conns_[slot];
    if (!conn.in_use) continue;
    for (End& end : conn.ends) {
      // An end that has not seen its SYN yet is not on the node: a later SYN meets whatever
      // listens there then.
      if (end.node != node || end.state == State::idle) continue;
      end.vanished = true;
      end.app_open = false;
      end.state = State::done;
      disarm(end);
    }
    maybe_free(static_cast<std::uint32_t>(slot), conn.generation);
  }
}

TimeNs TcpTransport::rto_ns(StreamId id, StreamSide side) const {
  const Conn* conn = find(id);
  return conn == nullptr ? -1 : conn->ends[static_cast<int>(side)].rto_ns;
}

TimeNs TcpTransport::srtt_ns(StreamId id, StreamSide side) const {
  const Conn* conn = find(id);
  return conn == nullptr ? -1 : conn->ends[static_cast<int>(side)].srtt_ns;
}

std::int64_t TcpTransport::unacked_bytes(StreamId id, StreamSide side) const {
  const Conn* conn = find(id);
  if (conn == nullptr) return -1;
  const End& end = conn->ends[static_cast<int>(side)];
  return static_cast<std::int64_t>(end.send_buf.size() - end.send_head);
}

void TcpTransport::emit(Conn& conn, int side, std::uint8_t flags, std::uint64_t seq,
                        std::uint32_t length) {
  End& end = conn.ends[side];
  Segment segment;
  segment.conn = static_cast<std::uint32_t>(conn.id & kSlotMask);
  segment.generation = conn.generation;
  segment.from_side = static_cast<std::uint8_t>(side);
  segment.flags = flags;
  segment.length = length;
  segment.seq = seq;
  if ((flags & kAck) != 0) {
    segment.ack = end.ack_value();
    end.ack_sent = segment.ack;
  }
  ++stats_.segments_sent;
  if (length > 0) ++stats_.data_segments_sent;
  if (capture_ != nullptr) capture(conn, side, segment);
  const std::uint32_t index = acquire_segment(segment);
  const auto size = static_cast<std::uint32_t>(config_.header_bytes + length);
  network_.send(Packet{end.node, conn.ends[1 - side].node, size, TraceLayer::tcp, flags, index},
                end.route);
}

void TcpTransport::capture(const Conn& conn, int side, const Segment& segment) {
  const End& end = conn.ends[side];
  CapturedSegment c;
  c.time_ns = kernel_.now_ns();
  c.from = end.node;
  c.to = conn.ends[1 - side].node;
  c.stream = conn.id;
  c.from_client = side == 0;
  c.flags = segment.flags;
  // Sequence numbers here count data from 0 and leave the SYN out; on the wire the SYN takes
  // number 0 (ISN 0) and data starts at 1.
  c.seq = (segment.flags & kSyn) != 0 ? 0 : static_cast<std::uint32_t>(segment.seq + 1);
  c.ack = (segment.flags & kAck) != 0 ? static_cast<std::uint32_t>(segment.ack + 1) : 0;
  if (segment.length > 0) {
    const std::size_t offset = end.send_head + static_cast<std::size_t>(segment.seq - end.buf_seq);
    c.payload = std::span<const std::uint8_t>(end.send_buf).subspan(offset, segment.length);
  }
  capture_->on_tcp_segment(c);
}

void TcpTransport::send_pure_ack(Conn& conn, int side) {
  ++stats_.pure_acks_sent;
  emit(conn, side, kAck, conn.ends[side].snd_nxt, 0);
}

void TcpTransport::send_rst(Conn& conn, int side, std::uint64_t seq) {
  emit(conn, side, kRst, seq, 0);
}

void TcpTransport::try_send(Conn& conn, int side) {
  End& end = conn.ends[side];
  if (end.state != State::established && end.state != State::closing) return;
  const auto mss = static_cast<std::uint64_t>(conn.mss_bytes);
  const auto window =
      static_cast<std::uint64_t>(std::min(end.cwnd_bytes, config_.send_window_bytes));
  for (;;) {
    const std::uint64_t data_end = end.data_end();
    const std::uint64_t limit = end.snd_una + window;
    std::uint64_t length = 0;
    if (end.snd_nxt < data_end) {
      if (end.snd_nxt >= limit) break;
      length = std::min({mss, data_end - end.snd_nxt, limit - end.snd_nxt});
    } else if (!end.fin_queued || end.snd_nxt != data_end) {
      break;  // everything sent, FIN included
    }
    const std::uint64_t seq = end.snd_nxt;
    const bool fin = end.fin_queued && seq + length == data_end;
    const std::uint64_t next = seq + length + (fin ? 1 : 0);
    if (next > end.snd_max && !end.timing) {  // Karn: time only first transmissions
      end.timing = true;
      end.rtt_seq = next;
      end.rtt_start_ns = kernel_.now_ns();
    }
    if (end.snd_una == end.snd_max) end.stall_since_ns = kernel_.now_ns();
    end.snd_nxt = next;
    end.snd_max = std::max(end.snd_max, next);
    emit(conn, side, static_cast<std::uint8_t>(kAck | (fin ? kFin : 0)), seq,
         static_cast<std::uint32_t>(length));
    if (end.deadline_ns == kTimeMaxNs) restart_timer(conn, side);
  }
}

void TcpTransport::retransmit_first(Conn& conn, int side) {
  End& end = conn.ends[side];
  const std::uint64_t data_end = end.data_end();
  const std::uint64_t length =
      std::min(static_cast<std::uint64_t>(conn.mss_bytes), data_end - end.snd_una);
  const bool fin = end.fin_queued && end.snd_max > data_end && end.snd_una + length == data_end;
  emit(conn, side, static_cast<std::uint8_t>(kAck | (fin ? kFin : 0)), end.snd_una,
       static_cast<std::uint32_t>(length));
}

void TcpTransport::arm(Conn& conn, int side, TimeNs deadline_ns) {
  End& end = conn.ends[side];
  end.deadline_ns = deadline_ns;
  // One event per end: an event due no later than the deadline re-arms itself when it fires,
  // so pushing the deadline out on every ACK costs nothing. `timer` is reset when its event
  // fires or is cancelled, so it tells whether one is pending without touching the kernel's
  // slot (a cache miss per ACK at fleet scale).
  assert((end.timer != EventId{}) == kernel_.is_pending(end.timer));
  if (end.timer != EventId{}) {
    if (end.timer_at_ns <= deadline_ns) return;
    kernel_.cancel(end.timer);
  }
  const auto slot = static_cast<std::uint32_t>(conn.id & kSlotMask);
  const std::uint32_t generation = conn.generation;
  const std::uint8_t s = static_cast<std::uint8_t>(side);
  end.timer = kernel_.schedule_at(deadline_ns,
                                  [this, slot, generation, s] { on_timer(slot, generation, s); });
  end.timer_at_ns = deadline_ns;
}

void TcpTransport::disarm(End& end) {
  end.deadline_ns = kTimeMaxNs;
  kernel_.cancel(end.timer);
  end.timer = EventId{};
}

void TcpTransport::restart_timer(Conn& conn, int side) {
  End& end = conn.ends[side];
  TimeNs deadline_ns = kernel_.now_ns() + end.rto_ns;
  // The user timeout is exact, as on Linux: the timer is clamped to it.
  if (config_.user_timeout_ns > 0 && end.snd_una < end.snd_max) {
    deadline_ns = std::min(deadline_ns, end.stall_since_ns + config_.user_timeout_ns);
    deadline_ns = std::max(deadline_ns, kernel_.now_ns());
  }
  arm(conn, side, deadline_ns);
}

void TcpTransport::on_timer(std::uint32_t slot, std::uint32_t generation, int side) {
  Conn* conn = live(slot, generation);
  if (conn == nullptr) return;
  End& end = conn->ends[side];
  end.timer = EventId{};
  if (end.deadline_ns == kTimeMaxNs) return;
  if (end.deadline_ns > kernel_.now_ns()) return arm(*conn, side, end.deadline_ns);
  end.deadline_ns = kTimeMaxNs;
  on_timeout(*conn, side);
  maybe_free(slot, generation);
}

void TcpTransport::on_timeout(Conn& conn, int side) {
  End& end = conn.ends[side];
  const TimeNs now_ns = kernel_.now_ns();
  if (end.state == State::syn_sent || end.state == State::syn_rcvd) {
    if (end.retries >= config_.max_syn_retries) {
      if (end.state == State::syn_sent) return fail(conn, side, StreamCloseReason::connect_failed);
      return finish(conn, side);  // a server end never accepted: nobody to tell
    }
    ++end.retries;
    end.timing = false;
    end.rto_ns = std::min(end.rto_ns * 2, config_.max_rto_ns);
    trace_event(conn, side, "tcp_syn_retransmit");
    emit(conn, side, end.state == State::syn_sent ? kSyn : static_cast<std::uint8_t>(kSyn | kAck),
         0, 0);
    return arm(conn, side, now_ns + end.rto_ns);
  }
  if (end.state != State::established && end.state != State::closing) return;
  if (end.snd_una == end.snd_max) return;  // nothing outstanding
  if (config_.user_timeout_ns > 0 && now_ns - end.stall_since_ns >= config_.user_timeout_ns)
    return fail(conn, side, StreamCloseReason::link_down_too_long);
  if (end.retries >= config_.max_retries)
    return fail(conn, side, StreamCloseReason::retries_exhausted);
  ++end.retries;
  ++stats_.timeout_retransmits;
  const auto mss = conn.mss_bytes;
  const auto flight = static_cast<std::int64_t>(end.snd_max - end.snd_una);
  end.ssthresh_bytes = std::max(flight / 2, 2 * mss);
  end.cwnd_bytes = mss;
  end.snd_nxt = end.snd_una;  // go back N: no SACK
  end.timing = false;         // Karn: no sample from a retransmitted segment
  end.dupacks = 0;
  end.rto_ns = std::min(end.rto_ns * 2, config_.max_rto_ns);
  trace_event(conn, side, "tcp_rto", end.retries);
  end.deadline_ns = kTimeMaxNs;
  try_send(conn, side);
  restart_timer(conn, side);
}

void TcpTransport::rtt_sample(End& end, TimeNs sample_ns) {
  // RFC 6298 §2.2-2.3 with alpha = 1/8, beta = 1/4, in integer nanoseconds.
  if (!end.has_rtt) {
    end.srtt_ns = sample_ns;
    end.rttvar_ns = sample_ns / 2;
    end.has_rtt = true;
  } else {
    const TimeNs error_ns =
        end.srtt_ns > sample_ns ? end.srtt_ns - sample_ns : sample_ns - end.srtt_ns;
    end.rttvar_ns = (3 * end.rttvar_ns + error_ns) / 4;
    end.srtt_ns = (7 * end.srtt_ns + sample_ns) / 8;
  }
  end.rto_ns = std::clamp(end.srtt_ns + 4 * end.rttvar_ns, config_.min_rto_ns, config_.max_rto_ns);
}

void TcpTransport::finish(Conn& conn, int side) {
  End& end = conn.ends[side];
  end.state = State::done;
  end.app_open = false;
  disarm(end);
}

void TcpTransport::fail(Conn& conn, int side, StreamCloseReason reason) {
  End& end = conn.ends[side];
  const bool notify = end.app_open && end.receiver != nullptr;
  StreamReceiver* receiver = end.receiver;
  if (reason == StreamCloseReason::retries_exhausted ||
      reason == StreamCloseReason::link_down_too_long)
    ++stats_.connections_broken;
  trace_event(conn, side, "tcp_closed", static_cast<std::uint8_t>(reason));
  finish(conn, side);
  if (notify) receiver->on_stream_closed(conn.id, reason);
}

void TcpTransport::trace_event(const Conn& conn, int side, const char* label, std::uint8_t reason) {
  TraceRecord record;
  record.time_ns = kernel_.now_ns();
  record.kind = TraceKind::protocol_event;
  record.layer = TraceLayer::tcp;
  record.reason = reason;
  record.node = conn.ends[side].node;
  record.peer = conn.ends[1 - side].node;
  record.label = label;
  network_.trace().record(record);
}

}  // namespace mqttsim::sim::net
