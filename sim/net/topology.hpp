// The network graph: a Boost.Graph adjacency_list of nodes (client, gateway, router, broker)
// whose directed edges each carry one LinkModel. Routes are Dijkstra on link latency, cached
// per source, with ties broken towards the lowest node index so routes never depend on heap order.
#pragma once

#include <boost/graph/adjacency_list.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/net/link.hpp"
#include "sim/random.hpp"

namespace mqttsim::sim::net {

enum class NodeKind : std::uint8_t { client, gateway, router, broker };

using NodeId = std::uint32_t;
using LinkId = std::uint32_t;

class Topology {
 public:
  // Links fork their random streams from `world` by their names.
  explicit Topology(const Rng& world) : world_(world) {}

  // Nodes get ids 0, 1, 2 … in the order they are added; names are unique.
  NodeId add_node(NodeKind kind, std::string name);
  // Two links, a → b and b → a; returns their ids {a_to_b, b_to_a}.
  std::pair<LinkId, LinkId> connect(NodeId a, NodeId b, LinkConfig a_to_b, LinkConfig b_to_a);
  // One directed link from → to.
  LinkId add_link(NodeId from, NodeId to, LinkConfig config);

  std::size_t node_count() const { return nodes_.size(); }
  NodeKind kind(NodeId node) const { return nodes_.at(node).kind; }
  const std::string& name(NodeId node) const { return nodes_.at(node).name; }
  std::optional<NodeId> find_node(const std::string& name) const;

  LinkModel& link(LinkId id) { return links_.at(id); }
  const LinkModel& link(LinkId id) const { return links_.at(id); }
  std::size_t link_count() const { return links_.size(); }
  NodeId link_source(LinkId id) const { return link_ends_.at(id).first; }
  NodeId link_target(LinkId id) const { return link_ends_.at(id).second; }

  // The links of the lowest-latency path from → to (empty when from == to); std::nullopt when
  // `to` cannot be reached. The weight of a link is its configured latency_ns (jitter and
  // serialization are not counted). Among equal-latency paths the one with fewer hops wins, then
  // each node's predecessor is the lowest-indexed node that achieves its distance (then the link
  // added first).
  std::optional<std::vector<LinkId>> route(NodeId from, NodeId to);
  // Total latency_ns of route(from, to), if reachable.
  std::optional<TimeNs> route_latency_ns(NodeId from, NodeId to);

 private:
  struct Node {
    NodeKind kind;
    std::string name;
  };
  struct EdgeProps {
    LinkId link;
    TimeNs weight_ns;
  };
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS,
                                      boost::no_property, EdgeProps>;
  // The shortest-path tree from one source: predecessor link per node (kNone when none).
  struct Tree {
    std::vector<TimeNs> distance_ns;
    std::vector<LinkId> via_link;
  };
  static constexpr LinkId kNone = UINT32_MAX;
  // Edge weight = latency_ns · kHopScale + 1: equal latencies prefer fewer hops.
  static constexpr TimeNs kHopScale = 1 << 16;
  // 2^36 ns ≈ 68 s per link keeps a weight under 2^52, so paths of up to 2^11 links cannot
  // overflow a distance.
  static constexpr TimeNs kMaxLatencyNs = TimeNs{1} << 36;

  // A source gets a full cached tree once it has asked for kFullTreeAfter routes (a hub, such
  // as the broker). Before that, search_path() runs Dijkstra only until `to` is settled and
  // caches nothing, so 10k clients asking for one route each cost what they explore, not O(N)
  // apiece and O(N²) memory. Both give the same routes: every node on the path and each of its
  // candidate predecessors is settled, with its exact distance, when the search stops.
  const Tree& tree_from(NodeId source);
  Tree compute_tree(NodeId source) const;
  std::optional<std::vector<LinkId>> search_path(NodeId from, NodeId to);
  // route() once `from` has more than one out-link: a cached tree or a search.
  std::optional<std::vector<LinkId>> route_from(NodeId from, NodeId to);
  static constexpr std::uint32_t kFullTreeAfter = 8;
  // A new duty-cycled link joins the radio of the first link from the same node on the same
  // sub-band (invalid_argument, and no link added, when their duty cycles differ).
  void share_sub_band_radio(NodeId from, LinkId id);

  Rng world_;
  Graph graph_;
  std::vector<Node> nodes_;
  std::map<std::string, NodeId> by_name_;
  std::vector<LinkModel> links_;
  std::vector<std::pair<NodeId, NodeId>> link_ends_;
  std::map<std::pair<NodeId, std::string>, LinkId> radios_;  // (node, sub-band) -> first link
  std::map<NodeId, Tree> trees_;  // the route cache; cleared whenever the graph changes
  std::map<NodeId, std::uint32_t> route_requests_;  // per source, until its tree is cached
  std::vector<std::vector<LinkId>> in_links_;       // per node, in the order links were added
  std::vector<TimeNs> link_weight_ns_;              // per link: latency · kHopScale + 1
  // search_path()'s scratch, reset after each search through `touched_` (kept allocated).
  std::vector<TimeNs> search_distance_ns_;
  std::vector<std::uint8_t> settled_;
  std::vector<NodeId> touched_;
  std::vector<std::pair<TimeNs, NodeId>> frontier_;
};

}  // namespace mqttsim::sim::net
