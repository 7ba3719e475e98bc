// TcpTransport's receive path: segments arriving from the Network, the handshake, cumulative
// ACK processing (RTT samples, window growth, duplicate ACKs) and in-order delivery, where bytes
// above a hole wait (head-of-line blocking) and are read from the sender's buffer once in order.
#include <algorithm>
#include <stdexcept>

#include "sim/net/tcp.hpp"

namespace mqttsim::sim::net {

void TcpTransport::on_packet(const Packet& packet) {
  const auto index = static_cast<std::uint32_t>(packet.payload);
  const Segment segment = segments_[index];
  free_segments_.push_back(index);
  Conn* conn = live(segment.conn, segment.generation);
  if (conn == nullptr) return;  // the connection is gone on both sides
  receive(*conn, 1 - segment.from_side, segment);
  maybe_free(segment.conn, segment.generation);
}

void TcpTransport::on_packet_dropped(const Packet& packet) {
  free_segments_.push_back(static_cast<std::uint32_t>(packet.payload));
}

std::uint64_t TcpTransport::duplicate_payload(const Packet& packet) {
  return acquire_segment(segments_[static_cast<std::uint32_t>(packet.payload)]);
}

void TcpTransport::receive(Conn& conn, int side, const Segment& segment) {
  End& end = conn.ends[side];
  if (end.vanished) {
    const bool rebooted = powered_off_.count(end.node) == 0;
    if (rebooted && (segment.flags & kRst) == 0) send_rst(conn, side, segment.ack);
    return;
  }
  if ((segment.flags & kRst) != 0) {
    if (end.state == State::done || end.state == State::idle) return;
    if (end.state == State::syn_sent) return fail(conn, side, StreamCloseReason::connect_failed);
    if (end.state == State::syn_rcvd) return finish(conn, side);
    return fail(conn, side, StreamCloseReason::reset_by_peer);
  }
  switch (end.state) {
    case State::done:
      return send_rst(conn, side, segment.ack);  // a closed socket answers with RST
    case State::idle:
    case State::syn_sent:
    case State::syn_rcvd:
      return receive_in_handshake(conn, side, segment);
    case State::established:
    case State::closing:
      break;
  }
  if ((segment.flags & kSyn) != 0) return send_pure_ack(conn, side);  // our ACK was lost
  const bool pure = segment.length == 0 && (segment.flags & kFin) == 0;
  process_ack(conn, side, segment.ack, pure);
  if (end.state == State::done || pure) return;
  process_data(conn, side, segment);
}

void TcpTransport::complete_handshake(Conn& conn, int side) {
  End& end = conn.ends[side];
  if (end.timing) rtt_sample(end, kernel_.now_ns() - end.rtt_start_ns);
  end.timing = false;
  disarm(end);
  end.retries = 0;
  // RFC 6298 §5.7 would restart from 3 s after a retransmitted SYN; the initial RTO is closer
  // to what Linux does.
  if (!end.has_rtt) end.rto_ns = config_.initial_rto_ns;
  end.cwnd_bytes =
      std::min(config_.initial_cwnd_segments * conn.mss_bytes, config_.send_window_bytes);
  end.ssthresh_bytes = config_.send_window_bytes;
  end.state = State::established;
  end.app_open = true;
}

void TcpTransport::receive_in_handshake(Conn& conn, int side, const Segment& segment) {
  End& end = conn.ends[side];
  const bool syn = (segment.flags & kSyn) != 0;
  const bool ack = (segment.flags & kAck) != 0;
  const auto slot = static_cast<std::uint32_t>(segment.conn);
  const std::uint32_t generation = conn.generation;
  if (end.state == State::idle) {  // a server end: only a SYN opens it
    if (!syn || ack) return;
    const auto listener = listeners_.find(end.node);
    if (listener == listeners_.end()) return send_rst(conn, side, 0);  // connection refused
    end.receiver = listener->second;
    end.state = State::syn_rcvd;
    end.rto_ns = config_.initial_rto_ns;
    end.timing = true;
    end.rtt_start_ns = kernel_.now_ns();
    emit(conn, side, static_cast<std::uint8_t>(kSyn | kAck), 0, 0);
    return arm(conn, side, kernel_.now_ns() + end.rto_ns);
  }
  if (end.state == State::syn_rcvd) {
    if (syn) {  // the client retried its SYN: answer again, and the RTT is now ambiguous
      end.timing = false;
      return emit(conn, side, static_cast<std::uint8_t>(kSyn | kAck), 0, 0);
    }
    if (!ack) return;
    complete_handshake(conn, side);
    end.receiver->on_stream_accepted(conn.id);
    Conn* again = live(slot, generation);
    if (again == nullptr) return;
    // The ACK completing the handshake may carry data: handle it as an established end would.
    if (again->ends[side].state != State::done) receive(*again, side, segment);
    return;
  }
  // syn_sent: waiting for SYN-ACK.
  if (!syn || !ack) return;
  complete_handshake(conn, side);
  ++stats_.connections_opened;
  trace_event(conn, side, "tcp_connected");
  end.receiver->on_stream_connected(conn.id);
  Conn* again = live(slot, generation);
  if (again == nullptr) return;
  End& after = again->ends[side];
  if (after.state != State::established && after.state != State::closing) return;
  try_send(*again, side);
  if (after.ack_sent != after.ack_value()) send_pure_ack(*again, side);
}

void TcpTransport::process_ack(Conn& conn, int side, std::uint64_t ack, bool pure) {
  End& end = conn.ends[side];
  const std::int64_t mss = conn.mss_bytes;
  if (ack > end.snd_una && ack <= end.snd_max) {
    const auto acked = static_cast<std::int64_t>(ack - end.snd_una);
    if (end.timing && ack >= end.rtt_seq) {
      end.timing = false;
      rtt_sample(end, kernel_.now_ns() - end.rtt_start_ns);
    } else if (end.retries > 0 && end.has_rtt) {
      // New data acked after a backoff: drop the backoff (as Linux does) but keep the estimate.
      end.rto_ns =
          std::clamp(end.srtt_ns + 4 * end.rttvar_ns, config_.min_rto_ns, config_.max_rto_ns);
    }
    const std::uint64_t new_buf_seq = std::min(ack, end.data_end());
    end.send_head += static_cast<std::size_t>(new_buf_seq - end.buf_seq);
    end.buf_seq = new_buf_seq;
    if (end.send_head == end.send_buf.size()) {
      end.send_buf.clear();
      end.send_head = 0;
      if (end.send_buf.capacity() > 64 * 1024) end.send_buf.shrink_to_fit();
    } else if (end.send_head >= 4096 && 2 * end.send_head >= end.send_buf.size()) {
      end.send_buf.erase(end.send_buf.begin(),
                         end.send_buf.begin() + static_cast<std::ptrdiff_t>(end.send_head));
      end.send_head = 0;
    }
    end.snd_una = ack;
    end.snd_nxt = std::max(end.snd_nxt, ack);
    end.retries = 0;
    end.dupacks = 0;
    end.stall_since_ns = kernel_.now_ns();
    // Slow start, then additive increase of about one MSS per RTT.
    if (end.cwnd_bytes < end.ssthresh_bytes) {
      end.cwnd_bytes += std::min(acked, mss);
    } else {
      end.cwnd_bytes += std::max<std::int64_t>(1, mss * mss / end.cwnd_bytes);
    }
    end.cwnd_bytes = std::min(end.cwnd_bytes, config_.send_window_bytes);
    if (end.state == State::closing && end.fin_queued && end.snd_una == end.data_end() + 1)
      return finish(conn, side);  // our FIN is acknowledged: this end is done
    if (end.snd_una == end.snd_max) {
      disarm(end);
    } else {
      restart_timer(conn, side);
    }
    return try_send(conn, side);
  }
  if (pure && ack == end.snd_una && end.snd_max > end.snd_una && config_.dupack_threshold > 0 &&
      ++end.dupacks == config_.dupack_threshold) {
    ++stats_.fast_retransmits;
    const auto flight = static_cast<std::int64_t>(end.snd_max - end.snd_una);
    end.ssthresh_bytes = std::max(flight / 2, 2 * mss);
    end.cwnd_bytes = end.ssthresh_bytes;
    end.timing = false;
    trace_event(conn, side, "tcp_fast_retransmit");
    retransmit_first(conn, side);
  }
}

void TcpTransport::process_data(Conn& conn, int side, const Segment& segment) {
  End& end = conn.ends[side];
  const std::uint64_t old_rcv_nxt = end.rcv_nxt;
  const bool had_fin = end.fin_received;
  const std::uint64_t seg_end = segment.seq + segment.length;
  if ((segment.flags & kFin) != 0) end.fin_seq = seg_end;
  if (segment.length > 0 && seg_end > end.rcv_nxt && segment.seq <= end.rcv_nxt &&
      end.ranges.empty()) {
    end.rcv_nxt = seg_end;  // in order with no hole above: the usual case, no block list
  } else if (segment.length > 0 && seg_end > end.rcv_nxt) {
    // Merge [max(seq, rcv_nxt), seg_end) into the sorted, disjoint block list.
    std::uint64_t lo = std::max(segment.seq, end.rcv_nxt);
    std::uint64_t hi = seg_end;
    auto& ranges = end.ranges;
    auto it = std::lower_bound(ranges.begin(), ranges.end(), std::make_pair(lo, lo));
    if (it != ranges.begin() && std::prev(it)->second >= lo) --it;
    auto last = it;
    while (last != ranges.end() && last->first <= hi) {
      lo = std::min(lo, last->first);
      hi = std::max(hi, last->second);
      ++last;
    }
    it = ranges.erase(it, last);
    ranges.insert(it, {lo, hi});
    while (!ranges.empty() && ranges.front().first <= end.rcv_nxt) {
      end.rcv_nxt = std::max(end.rcv_nxt, ranges.front().second);
      ranges.erase(ranges.begin());
    }
  }
  if (!end.fin_received && end.fin_seq == end.rcv_nxt) end.fin_received = true;
  const bool advanced = end.rcv_nxt > old_rcv_nxt || end.fin_received != had_fin;

  const auto slot = static_cast<std::uint32_t>(segment.conn);
  const std::uint32_t generation = conn.generation;
  if (end.rcv_nxt > old_rcv_nxt && end.app_open) {
    const End& peer = conn.ends[1 - side];
    // The peer keeps every byte from its oldest unacknowledged one (≤ our rcv_nxt) onwards.
    if (peer.buf_seq > old_rcv_nxt || end.rcv_nxt > peer.data_end())
      throw std::logic_error("TcpTransport: delivered bytes left the sender's buffer");
    const std::size_t from = peer.send_head + static_cast<std::size_t>(old_rcv_nxt - peer.buf_seq);
    const auto count = static_cast<std::size_t>(end.rcv_nxt - old_rcv_nxt);
    scratch_.assign(peer.send_buf.begin() + static_cast<std::ptrdiff_t>(from),
                    peer.send_buf.begin() + static_cast<std::ptrdiff_t>(from + count));
    stats_.bytes_delivered += count;
    end.receiver->on_stream_data(conn.id, scratch_);
  }
  Conn* again = live(slot, generation);
  if (again == nullptr) return;
  End& after = again->ends[side];
  if (after.state == State::done) return;  // the application aborted in the callback
  // Every data segment is acknowledged at once (no delayed ACK), duplicates too, so that the
  // sender sees duplicate ACKs; data the callback wrote already carried the ACK.
  if (!advanced || after.ack_sent != after.ack_value()) send_pure_ack(*again, side);
  if (after.fin_received && !had_fin && after.state == State::established) {
    // The peer closed: this end is gone too (full close; its unsent bytes are dropped).
    const bool notify = after.app_open;
    finish(*again, side);
    if (notify) after.receiver->on_stream_closed(again->id, StreamCloseReason::closed_by_peer);
  }
}

}  // namespace mqttsim::sim::net
