// The network layer: carries one packet from node to node along Topology::route(), one link at a
// time (LinkModel::transmit decides each hop; the Kernel schedules the next), records it in the
// Trace, and applies faults (link down, loss change, partition, node down) from kernel now on.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "sim/kernel.hpp"
#include "sim/net/topology.hpp"
#include "sim/trace.hpp"

namespace mqttsim::sim::net {

using TraceDrop = ::mqttsim::sim::DropReason;  // net::DropReason is the link's own reason

// One packet as the network sees it: ends, size on the wire (headers included) and an opaque
// handle the transport uses to find its payload (a segment or datagram in its own slab).
struct Packet {
  NodeId from = 0;
  NodeId to = 0;
  std::uint32_t size_bytes = 0;
  TraceLayer layer = TraceLayer::none;
  std::uint8_t packet_type = 0;  // goes to the trace (for TCP: the segment's flags)
  std::uint64_t payload = 0;
};

// The transport above the network (one per layer). Called from kernel events, or synchronously
// from Network::send() for a packet dropped at once; a handler may send from any callback.
class PacketHandler {
 public:
  virtual ~PacketHandler() = default;
  // Whether `packet.to` has someone to take the packet (a bound port); when not, the packet is
  // dropped there as node_down instead of delivered.
  virtual bool can_receive(const Packet& /*packet*/) { return true; }
  // The packet arrived at `packet.to`, which is up.
  virtual void on_packet(const Packet& packet) = 0;
  // The packet will not arrive; its payload can be released.
  virtual void on_packet_dropped(const Packet& packet) = 0;
  // A link duplicated the packet: returns the payload handle for the copy (each copy is then
  // delivered or dropped exactly once).
  virtual std::uint64_t duplicate_payload(const Packet& packet) = 0;
};

using PartitionId = std::uint32_t;
using LossOverrideId = std::uint64_t;

struct NetworkStats {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t dropped = 0;
  std::uint64_t hops = 0;  // link transmissions
};

class Network {
 public:
  // The three must outlive the Network, and the kernel must not run its events after the
  // Network is gone (declare the Kernel first, so that it is destroyed last).
  Network(Kernel& kernel, Topology& topology, Trace& trace);
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // The handler of one layer (tcp, udp, ...); nullptr removes it (its packets are then dropped
  // on arrival without a callback).
  void set_handler(TraceLayer layer, PacketHandler* handler);

  // A sender's memo of its last route (a TCP end keeps one): send() with it skips the route
  // table, a cache miss per packet at fleet scale. Refilled when the ends or the links change.
  class RouteMemo;

  // Sends at kernel now: records packet_sent, then the packet hops link by link. It ends in one
  // packet_delivered (and on_packet) or one packet_dropped (and on_packet_dropped) per copy.
  void send(const Packet& packet);
  void send(const Packet& packet, RouteMemo& memo);

  // The smallest MTU on the route from → to (0 = unlimited); std::nullopt when unreachable.
  std::optional<std::int64_t> path_mtu(NodeId from, NodeId to);
  bool reachable(NodeId from, NodeId to) { return find_route(from, to).reachable; }

  // Faults, effective at kernel now, each recorded as a `fault` trace record. A down link drops
  // everything offered to it and everything still in flight on it.
  void set_link_down(LinkId link, bool down);
  // Sets the link's own loss. While loss overrides are pushed on the link, the last pop restores
  // the loss the link had at the first push, not one set in between.
  void set_link_loss(LinkId link, const LossConfig& loss);
  // Loss faults that overlap in time: each override is one entry of the link's stack and the
  // effective loss is the latest one still active; when the last ends the link gets back the
  // loss it had before the first. Removing an entry below the top changes nothing at once.
  LossOverrideId push_link_loss(LinkId link, const LossConfig& loss);
  void pop_link_loss(LinkId link, LossOverrideId id);
  // Every link with one end in `a` and the other in `b` goes down until heal(id) of the returned
  // id (or heal()). Partitions count per link, so of two overlapping partitions cutting the same
  // link, the link comes back up only when both are healed.
  PartitionId partition(const std::vector<NodeId>& a, const std::vector<NodeId>& b);
  void heal(PartitionId id);
  void heal();  // every partition
  // A down node neither sends, forwards nor receives: its packets are dropped as node_down.
  void set_node_down(NodeId node, bool down);
  bool node_down(NodeId node) const { return node < node_down_.size() && node_down_[node]; }
  bool link_down(LinkId link) const { return topology_.link(link).is_down(); }

  Kernel& kernel() { return kernel_; }
  Topology& topology() { return topology_; }
  Trace& trace() { return trace_; }
  const NetworkStats& stats() const { return stats_; }
  std::size_t in_flight() const { return flights_.size() - free_flights_.size(); }

 private:
  struct Route {
    std::uint32_t offset = 0;  // into route_links_
    std::uint32_t length = 0;
    std::int64_t mtu_bytes = 0;
    bool reachable = false;
  };
  // A packet on its way; lives in a slab, named by index in the hop events (no allocation).
  struct Flight {
    Packet packet;
    std::uint32_t route_offset = 0;
    std::uint16_t route_length = 0;
    std::uint16_t hop = 0;  // index of the link being crossed
    TimeNs on_wire_ns = 0;  // when the current link started sending it
  };
  static constexpr std::uint8_t kDownByFault = 1;
  static constexpr std::uint8_t kDownByPartition = 2;

  Route find_route(NodeId from, NodeId to);
  void grow_route_table();
  std::uint32_t acquire_flight();
  void release_flight(std::uint32_t index);
  void offer_to_link(std::uint32_t index);
  void arrive(std::uint32_t index);
  void deliver(std::uint32_t index);
  void drop(std::uint32_t index, TraceDrop reason, NodeId at, LinkId link);
  void schedule_arrival(std::uint32_t index, TimeNs at_ns);
  void update_link_state(LinkId link);
  void record_fault(std::string_view label, NodeId node, NodeId peer, LinkId link);
  void uncut(LinkId link);

  Kernel& kernel_;
  Topology& topology_;
  Trace& trace_;
  PacketHandler* handlers_[8] = {};
  std::vector<Flight> flights_;
  std::vector<std::uint32_t> free_flights_;
  // Routes by from << 32 | to: open addressing with linear probing (one cache miss per packet
  // where a node-based map takes several), a power-of-two size, at most half full.
  struct RouteSlot {
    std::uint64_t key = kNoRouteKey;
    Route route;
  };
  static constexpr std::uint64_t kNoRouteKey = UINT64_MAX;
  std::vector<RouteSlot> route_table_;
  std::size_t route_count_ = 0;
  int route_bits_ = 0;
  std::vector<LinkId> route_links_;   // append-only: flights keep offsets into it
  std::size_t routes_for_links_ = 0;  // link count the cache was built for
  std::vector<std::uint8_t> link_down_flags_;
  // Per link, how many active partitions cut it (kDownByPartition is set while nonzero).
  std::vector<std::uint32_t> partition_cuts_;
  // Per partition id, the links it cut; emptied once healed.
  std::vector<std::vector<LinkId>> partition_links_;
  struct LossStack {
    LossConfig base;  // the loss before the first active override
    std::vector<std::pair<LossOverrideId, LossConfig>> active;  // oldest first
  };
  std::map<LinkId, LossStack> loss_overrides_;
  LossOverrideId next_loss_override_ = 0;
  std::vector<bool> node_down_;
  NetworkStats stats_;
};

class Network::RouteMemo {
  friend class Network;
  std::uint64_t key_ = UINT64_MAX;  // from << 32 | to
  std::size_t links_ = 0;           // the topology's link count when filled
  Route route_;
};

}  // namespace mqttsim::sim::net
