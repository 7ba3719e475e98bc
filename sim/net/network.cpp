// Hop-by-hop forwarding over the topology's links, with a route cache and a slab of packets in
// flight so that a hop costs one kernel event and no allocation; link faults are open-ended
// outages on the LinkModel, so a packet in flight when its link goes down is dropped on arrival.
#include "sim/net/network.hpp"

#include <algorithm>
#include <stdexcept>

namespace mqttsim::sim::net {
namespace {

TraceDrop trace_reason(net::DropReason reason, const LinkModel& link) {
  switch (reason) {
    case net::DropReason::outage:
      return TraceDrop::link_down;
    case net::DropReason::mtu:
      return TraceDrop::over_mtu;
    case net::DropReason::queue_full:
      return TraceDrop::queue_full;
    case net::DropReason::duty_cycle:
      return TraceDrop::duty_cycle;
    case net::DropReason::loss:
      // Under Gilbert–Elliott, a loss in the bad state is a burst loss.
      return link.config().loss.kind == LossKind::gilbert_elliott && link.in_bad_state()
                 ? TraceDrop::burst_loss
                 : TraceDrop::random_loss;
    case net::DropReason::bit_error:
      return TraceDrop::bit_errors;
    case net::DropReason::none:
    case net::DropReason::count_:
      break;
  }
  return TraceDrop::none;
}

}  // namespace

Network::Network(Kernel& kernel, Topology& topology, Trace& trace)
    : kernel_(kernel), topology_(topology), trace_(trace) {}

void Network::set_handler(TraceLayer layer, PacketHandler* handler) {
  const auto index = static_cast<std::size_t>(layer);
  if (index >= std::size(handlers_)) throw std::invalid_argument("Network: unknown layer");
  handlers_[index] = handler;
}

namespace {

std::size_t route_hash(std::uint64_t key, int bits) {
  return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

}  // namespace

void Network::grow_route_table() {
  std::vector<RouteSlot> old = std::move(route_table_);
  route_bits_ = route_bits_ == 0 ? 10 : route_bits_ + 1;
  route_table_.assign(std::size_t{1} << route_bits_, RouteSlot{});
  const std::size_t mask = route_table_.size() - 1;
  for (const RouteSlot& slot : old) {
    if (slot.key == kNoRouteKey) continue;
    std::size_t i = route_hash(slot.key, route_bits_);
    while (route_table_[i].key != kNoRouteKey) i = (i + 1) & mask;
    route_table_[i] = slot;
  }
}

Network::Route Network::find_route(NodeId from, NodeId to) {
  // Routes change only when links are added (faults do not reroute: a down link drops), so the
  // cache is valid while the link count stays the same.
  if (routes_for_links_ != topology_.link_count()) {
    route_table_.assign(route_table_.size(), RouteSlot{});
    route_count_ = 0;
    routes_for_links_ = topology_.link_count();
  }
  if (2 * (route_count_ + 1) > route_table_.size()) grow_route_table();
  const std::uint64_t key = std::uint64_t{from} << 32 | to;
  const std::size_t mask = route_table_.size() - 1;
  std::size_t i = route_hash(key, route_bits_);
  for (; route_table_[i].key != kNoRouteKey; i = (i + 1) & mask) {
    if (route_table_[i].key == key) return route_table_[i].route;
  }
  Route route;
  if (const auto links = topology_.route(from, to)) {
    if (links->size() > UINT16_MAX) throw std::length_error("Network: route too long");
    route.reachable = true;
    route.offset = static_cast<std::uint32_t>(route_links_.size());
    route.length = static_cast<std::uint32_t>(links->size());
    for (const LinkId link : *links) {
      const std::int64_t mtu = topology_.link(link).config().mtu_bytes;
      if (mtu > 0 && (route.mtu_bytes == 0 || mtu < route.mtu_bytes)) route.mtu_bytes = mtu;
      route_links_.push_back(link);
    }
  }
  route_table_[i] = RouteSlot{key, route};
  ++route_count_;
  return route;
}

std::optional<std::int64_t> Network::path_mtu(NodeId from, NodeId to) {
  const Route route = find_route(from, to);
  if (!route.reachable) return std::nullopt;
  return route.mtu_bytes;
}

std::uint32_t Network::acquire_flight() {
  if (!free_flights_.empty()) {
    const std::uint32_t index = free_flights_.back();
    free_flights_.pop_back();
    return index;
  }
  if (flights_.size() >= UINT32_MAX) throw std::length_error("Network: too many packets");
  flights_.emplace_back();
  return static_cast<std::uint32_t>(flights_.size() - 1);
}

void Network::release_flight(std::uint32_t index) {
  free_flights_.push_back(index);
}

void Network::send(const Packet& packet) {
  RouteMemo none;
  send(packet, none);
}

void Network::send(const Packet& packet, RouteMemo& memo) {
  if (packet.from >= topology_.node_count() || packet.to >= topology_.node_count())
    throw std::invalid_argument("Network::send: unknown node");
  ++stats_.sent;
  TraceRecord sent;
  sent.time_ns = kernel_.now_ns();
  sent.kind = TraceKind::packet_sent;
  sent.layer = packet.layer;
  sent.packet_type = packet.packet_type;
  sent.node = packet.from;
  sent.peer = packet.to;
  sent.size_bytes = packet.size_bytes;
  trace_.record(sent);

  const std::uint32_t index = acquire_flight();
  Flight& flight = flights_[index];
  flight.packet = packet;
  flight.hop = 0;
  if (node_down(packet.from)) return drop(index, TraceDrop::node_down, packet.from, kNoLink);
  const std::uint64_t key = std::uint64_t{packet.from} << 32 | packet.to;
  if (memo.key_ != key || memo.links_ != topology_.link_count()) {
    memo.route_ = find_route(packet.from, packet.to);
    memo.key_ = key;
    memo.links_ = topology_.link_count();
  }
  const Route& route = memo.route_;
  if (!route.reachable) return drop(index, TraceDrop::no_route, packet.from, kNoLink);
  flight.route_offset = route.offset;
  flight.route_length = static_cast<std::uint16_t>(route.length);
  if (route.length == 0) return schedule_arrival(index, kernel_.now_ns());  // to itself
  offer_to_link(index);
}

void Network::schedule_arrival(std::uint32_t index, TimeNs at_ns) {
  kernel_.schedule_at(at_ns, [this, index] { arrive(index); });
}

void Network::offer_to_link(std::uint32_t index) {
  Flight& flight = flights_[index];
  const LinkId link_id = route_links_[flight.route_offset + flight.hop];
  LinkModel& link = topology_.link(link_id);
  const TimeNs now_ns = kernel_.now_ns();
  ++stats_.hops;
  const Outcome outcome = link.transmit(now_ns, flight.packet.size_bytes);
  // Like a scheduled outage, a later down fault catches the packet from its first bit on the
  // wire: packets still queued when the link comes back up go out normally.
  flight.on_wire_ns = outcome.started_at_ns;
  if (!outcome.delivered()) {
    return drop(index, trace_reason(outcome.drop, link), topology_.link_source(link_id), link_id);
  }
  if (outcome.duplicated()) {
    // The copy continues on its own from the far end of this link, with its own payload.
    const std::uint32_t copy = acquire_flight();  // may move flights_: no reference kept
    flights_[copy] = flights_[index];
    Packet& copied = flights_[copy].packet;
    PacketHandler* handler = handlers_[static_cast<std::size_t>(copied.layer)];
    if (handler != nullptr) copied.payload = handler->duplicate_payload(copied);
    schedule_arrival(copy, outcome.duplicate_at_ns);
  }
  schedule_arrival(index, outcome.delivered_at_ns);
}

void Network::arrive(std::uint32_t index) {
  Flight& flight = flights_[index];
  if (flight.route_length > 0) {
    const LinkId link_id = route_links_[flight.route_offset + flight.hop];
    LinkModel& link = topology_.link(link_id);
    // A down fault after the packet was offered still catches it on the wire.
    if (link.down_during(flight.on_wire_ns, kernel_.now_ns())) {
      link.count_late_drop();
      return drop(index, TraceDrop::link_down, topology_.link_source(link_id), link_id);
    }
    const NodeId at = topology_.link_target(link_id);
    if (node_down(at)) return drop(index, TraceDrop::node_down, at, link_id);
    if (++flight.hop < flight.route_length) return offer_to_link(index);
  } else if (node_down(flight.packet.to)) {
    return drop(index, TraceDrop::node_down, flight.packet.to, kNoLink);
  }
  deliver(index);
}

void Network::deliver(std::uint32_t index) {
  PacketHandler* handler = handlers_[static_cast<std::size_t>(flights_[index].packet.layer)];
  if (handler == nullptr || !handler->can_receive(flights_[index].packet)) {
    return drop(index, TraceDrop::node_down, flights_[index].packet.to, kNoLink);
  }
  const Flight flight = flights_[index];
  release_flight(index);
  ++stats_.delivered;
  TraceRecord delivered;
  delivered.time_ns = kernel_.now_ns();
  delivered.kind = TraceKind::packet_delivered;
  delivered.layer = flight.packet.layer;
  delivered.packet_type = flight.packet.packet_type;
  delivered.node = flight.packet.to;
  delivered.peer = flight.packet.from;
  delivered.link =
      flight.route_length > 0 ? route_links_[flight.route_offset + flight.hop - 1u] : kNoLink;
  delivered.size_bytes = flight.packet.size_bytes;
  trace_.record(delivered);
  handler->on_packet(flight.packet);
}

void Network::drop(std::uint32_t index, TraceDrop reason, NodeId at, LinkId link) {
  const Packet packet = flights_[index].packet;
  release_flight(index);
  ++stats_.dropped;
  TraceRecord dropped;
  dropped.time_ns = kernel_.now_ns();
  dropped.kind = TraceKind::packet_dropped;
  dropped.layer = packet.layer;
  dropped.packet_type = packet.packet_type;
  dropped.reason = static_cast<std::uint8_t>(reason);
  dropped.node = at;
  dropped.peer = packet.to;
  dropped.link = link;
  dropped.size_bytes = packet.size_bytes;
  trace_.record(dropped);
  PacketHandler* handler = handlers_[static_cast<std::size_t>(packet.layer)];
  if (handler != nullptr) handler->on_packet_dropped(packet);
}

void Network::record_fault(std::string_view label, NodeId node, NodeId peer, LinkId link) {
  TraceRecord fault;
  fault.time_ns = kernel_.now_ns();
  fault.kind = TraceKind::fault;
  fault.node = node;
  fault.peer = peer;
  fault.link = link;
  fault.label = label;
  trace_.record(fault);
}

void Network::update_link_state(LinkId link) {
  if (link_down_flags_.size() <= link) link_down_flags_.resize(topology_.link_count(), 0);
  topology_.link(link).set_down(kernel_.now_ns(), link_down_flags_[link] != 0);
}

void Network::set_link_down(LinkId link, bool down) {
  if (link >= topology_.link_count()) throw std::invalid_argument("set_link_down: unknown link");
  if (link_down_flags_.size() <= link) link_down_flags_.resize(topology_.link_count(), 0);
  if (down) {
    link_down_flags_[link] |= kDownByFault;
  } else {
    link_down_flags_[link] &= static_cast<std::uint8_t>(~kDownByFault);
  }
  update_link_state(link);
  record_fault(down ? "link_down" : "link_up", topology_.link_source(link),
               topology_.link_target(link), link);
}

void Network::set_link_loss(LinkId link, const LossConfig& loss) {
  if (link >= topology_.link_count()) throw std::invalid_argument("set_link_loss: unknown link");
  topology_.link(link).set_loss(loss);
  record_fault("link_loss", topology_.link_source(link), topology_.link_target(link), link);
}

LossOverrideId Network::push_link_loss(LinkId link, const LossConfig& loss) {
  if (link >= topology_.link_count()) throw std::invalid_argument("push_link_loss: unknown link");
  auto [it, first] = loss_overrides_.try_emplace(link);
  if (first) it->second.base = topology_.link(link).config().loss;
  const LossOverrideId id = next_loss_override_++;
  it->second.active.emplace_back(id, loss);
  set_link_loss(link, loss);
  return id;
}

void Network::pop_link_loss(LinkId link, LossOverrideId id) {
  auto it = loss_overrides_.find(link);
  if (it == loss_overrides_.end()) throw std::invalid_argument("pop_link_loss: no such override");
  auto& active = it->second.active;
  const auto entry =
      std::find_if(active.begin(), active.end(), [id](const auto& e) { return e.first == id; });
  if (entry == active.end()) throw std::invalid_argument("pop_link_loss: no such override");
  const bool was_top = entry + 1 == active.end();
  active.erase(entry);
  if (!was_top) return;  // a later override is still in force
  if (active.empty()) {
    const LossConfig base = it->second.base;
    loss_overrides_.erase(it);
    set_link_loss(link, base);
  } else {
    set_link_loss(link, active.back().second);
  }
}

PartitionId Network::partition(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
  std::vector<std::uint8_t> side(topology_.node_count(), 0);
  for (const NodeId n : a) side.at(n) |= 1;
  for (const NodeId n : b) side.at(n) |= 2;
  link_down_flags_.resize(topology_.link_count(), 0);
  partition_cuts_.resize(topology_.link_count(), 0);
  const auto id = static_cast<PartitionId>(partition_links_.size());
  std::vector<LinkId>& cut = partition_links_.emplace_back();
  for (LinkId link = 0; link < topology_.link_count(); ++link) {
    const std::uint8_t from = side[topology_.link_source(link)];
    const std::uint8_t to = side[topology_.link_target(link)];
    if ((from == 1 && to == 2) || (from == 2 && to == 1)) {
      cut.push_back(link);
      if (partition_cuts_[link]++ > 0) continue;  // already down by another partition
      link_down_flags_[link] |= kDownByPartition;
      update_link_state(link);
    }
  }
  TraceRecord fault;
  fault.time_ns = kernel_.now_ns();
  fault.kind = TraceKind::fault;
  fault.size_bytes = static_cast<std::uint32_t>(cut.size());  // how many links it cut
  fault.label = "partition";
  trace_.record(fault);
  return id;
}

void Network::uncut(LinkId link) {
  if (--partition_cuts_[link] > 0) return;  // another partition still cuts it
  link_down_flags_[link] &= static_cast<std::uint8_t>(~kDownByPartition);
  update_link_state(link);
}

void Network::heal(PartitionId id) {
  if (id >= partition_links_.size()) throw std::invalid_argument("heal: unknown partition");
  std::vector<LinkId> cut = std::move(partition_links_[id]);
  partition_links_[id].clear();
  for (const LinkId link : cut) uncut(link);
  record_fault("heal", kNoNode, kNoNode, kNoLink);
}

void Network::heal() {
  for (std::vector<LinkId>& cut : partition_links_) {
    for (const LinkId link : cut) uncut(link);
    cut.clear();
  }
  record_fault("heal", kNoNode, kNoNode, kNoLink);
}

void Network::set_node_down(NodeId node, bool down) {
  if (node >= topology_.node_count()) throw std::invalid_argument("set_node_down: unknown node");
  if (node_down_.size() < topology_.node_count()) node_down_.resize(topology_.node_count(), false);
  node_down_[node] = down;
  record_fault(down ? "node_down" : "node_up", node, kNoNode, kNoLink);
}

}  // namespace mqttsim::sim::net
