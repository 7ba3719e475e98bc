// The ideal stream transport: fixed latency, FIFO kernel events keep each direction in order, and
// a closing FIN or RST travels behind the data already sent. Streams are never erased (tests are
// small), so late events always find their stream and check whether its end is still live.
#include "ideal_transport.hpp"

namespace mqttsim::sim::testing {

void IdealStreamTransport::listen(net::NodeId node, net::StreamReceiver* receiver) {
  listeners_[node] = receiver;
}

net::StreamId IdealStreamTransport::connect(net::NodeId from, net::NodeId to,
                                            net::StreamReceiver* receiver) {
  const net::StreamId id = next_id_++;
  Stream& s = streams_[id];
  s.ends[0] = End{from, receiver, true};
  s.ends[1] = End{to, nullptr, false};
  kernel_.schedule_in(latency_ns_, [this, id] { on_syn(id); });
  return id;
}

void IdealStreamTransport::on_syn(net::StreamId id) {
  Stream& s = streams_.at(id);
  if (!s.ends[0].live) return;  // the client gave up or crashed meanwhile
  auto it = listeners_.find(s.ends[1].node);
  if (it == listeners_.end() || it->second == nullptr) {
    kernel_.schedule_in(latency_ns_,
                        [this, id] { tell_closed(id, 0, net::StreamCloseReason::connect_failed); });
    return;
  }
  s.ends[1].receiver = it->second;
  s.ends[1].live = true;
  kernel_.schedule_in(latency_ns_, [this, id] {
    Stream& stream = streams_.at(id);
    stream.established = true;
    if (stream.ends[0].live) stream.ends[0].receiver->on_stream_connected(id);
  });
  it->second->on_stream_accepted(id);
}

void IdealStreamTransport::write(net::StreamId id, net::StreamSide side,
                                 std::span<const std::uint8_t> bytes) {
  auto it = streams_.find(id);
  const int from = index(side);
  if (it == streams_.end() || !it->second.ends[from].live || bytes.empty()) return;
  Stream& s = it->second;
  if (s.peer_dead[from]) {
    // Nobody acknowledges: the sender gives up after its retransmissions.
    kernel_.schedule_in(dead_peer_timeout_ns_, [this, id, from] {
      tell_closed(id, from, net::StreamCloseReason::retries_exhausted);
    });
    return;
  }
  const int to = 1 - from;
  s.in_flight[to].emplace_back(bytes.begin(), bytes.end());
  kernel_.schedule_in(latency_ns_, [this, id, to] { deliver(id, to); });
}

void IdealStreamTransport::deliver(net::StreamId id, int to_end) {
  Stream& s = streams_.at(id);
  if (s.in_flight[to_end].empty()) return;  // dropped by an abort or crash
  std::vector<std::uint8_t> chunk = std::move(s.in_flight[to_end].front());
  s.in_flight[to_end].pop_front();
  if (!s.ends[to_end].live) return;
  bytes_delivered_ += chunk.size();
  s.ends[to_end].receiver->on_stream_data(id, chunk);
}

void IdealStreamTransport::close(net::StreamId id, net::StreamSide side) {
  auto it = streams_.find(id);
  const int from = index(side);
  if (it == streams_.end() || !it->second.ends[from].live) return;
  it->second.ends[from].live = false;
  const int to = 1 - from;
  kernel_.schedule_in(
      latency_ns_, [this, id, to] { tell_closed(id, to, net::StreamCloseReason::closed_by_peer); });
}

void IdealStreamTransport::abort(net::StreamId id, net::StreamSide side) {
  auto it = streams_.find(id);
  const int from = index(side);
  if (it == streams_.end() || !it->second.ends[from].live) return;
  Stream& s = it->second;
  s.ends[from].live = false;
  s.in_flight[0].clear();
  s.in_flight[1].clear();
  const int to = 1 - from;
  kernel_.schedule_in(
      latency_ns_, [this, id, to] { tell_closed(id, to, net::StreamCloseReason::reset_by_peer); });
}

void IdealStreamTransport::crash_node(net::NodeId node) {
  listeners_.erase(node);
  for (auto& [id, s] : streams_) {
    for (int i = 0; i < 2; ++i) {
      if (s.ends[i].node != node || !s.ends[i].live) continue;
      s.ends[i].live = false;
      s.in_flight[i].clear();
      s.peer_dead[1 - i] = true;
    }
  }
}

void IdealStreamTransport::break_stream(net::StreamId id) {
  for (int i = 0; i < 2; ++i) {
    kernel_.schedule_in(
        0, [this, id, i] { tell_closed(id, i, net::StreamCloseReason::link_down_too_long); });
  }
  Stream& s = streams_.at(id);
  s.in_flight[0].clear();
  s.in_flight[1].clear();
}

std::size_t IdealStreamTransport::break_streams_of(net::NodeId node) {
  std::vector<net::StreamId> hit;
  for (const auto& [id, s] : streams_) {
    for (const End& end : s.ends) {
      if (end.live && end.node == node) {
        hit.push_back(id);
        break;
      }
    }
  }
  for (const net::StreamId id : hit) break_stream(id);
  return hit.size();
}

void IdealStreamTransport::tell_closed(net::StreamId id, int end, net::StreamCloseReason reason) {
  Stream& s = streams_.at(id);
  if (!s.ends[end].live) return;
  s.ends[end].live = false;
  s.ends[end].receiver->on_stream_closed(id, reason);
}

std::size_t IdealStreamTransport::open_streams() const {
  std::size_t n = 0;
  for (const auto& [id, s] : streams_) n += (s.ends[0].live || s.ends[1].live) ? 1 : 0;
  return n;
}

}  // namespace mqttsim::sim::testing
