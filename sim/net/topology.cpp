// Building the graph and computing routes with boost::dijkstra_shortest_paths, then fixing the
// shortest-path tree's ties explicitly (Boost's heap decides them otherwise).
#include "sim/net/topology.hpp"

#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <limits>
#include <stdexcept>

namespace mqttsim::sim::net {

NodeId Topology::add_node(NodeKind kind, std::string name) {
  if (by_name_.count(name) != 0) throw std::invalid_argument("duplicate node name '" + name + "'");
  const auto id = static_cast<NodeId>(boost::add_vertex(graph_));
  by_name_.emplace(name, id);
  nodes_.push_back(Node{kind, std::move(name)});
  trees_.clear();
  route_requests_.clear();
  return id;
}

std::optional<NodeId> Topology::find_node(const std::string& name) const {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

LinkId Topology::add_link(NodeId from, NodeId to, LinkConfig config) {
  if (from >= nodes_.size() || to >= nodes_.size())
    throw std::invalid_argument("add_link: unknown node");
  const auto id = static_cast<LinkId>(links_.size());
  // Latency first, then hop count: every weight is positive, so tied predecessors always lie
  // strictly closer to the source and the tie-break below cannot form a cycle.
  if (config.latency_ns > kMaxLatencyNs) throw std::invalid_argument("add_link: latency too large");
  const TimeNs weight_ns = config.latency_ns * kHopScale + 1;
  links_.emplace_back(std::move(config), world_);
  link_ends_.emplace_back(from, to);
  boost::add_edge(from, to, EdgeProps{id, weight_ns}, graph_);
  trees_.clear();
  route_requests_.clear();
  return id;
}

std::pair<LinkId, LinkId> Topology::connect(NodeId a, NodeId b, LinkConfig a_to_b,
                                            LinkConfig b_to_a) {
  const LinkId forward = add_link(a, b, std::move(a_to_b));
  const LinkId backward = add_link(b, a, std::move(b_to_a));
  return {forward, backward};
}

namespace {

// Stops Dijkstra once the target is settled: every node closer than it is settled by then.
struct TargetSettled {};
struct StopAtTarget : boost::default_dijkstra_visitor {
  explicit StopAtTarget(std::size_t target) : target_(target) {}
  template <class Vertex, class Graph>
  void examine_vertex(Vertex u, const Graph&) const {
    if (u == target_) throw TargetSettled{};
  }
  std::size_t target_;
};

}  // namespace

Topology::Tree Topology::compute_tree(NodeId source, std::optional<NodeId> stop_at) const {
  const std::size_t n = nodes_.size();
  constexpr TimeNs kInf = std::numeric_limits<TimeNs>::max();
  std::vector<TimeNs> distance(n, kInf);
  std::vector<Graph::vertex_descriptor> predecessor(n);
  const auto params = boost::weight_map(boost::get(&EdgeProps::weight_ns, graph_))
                          .distance_map(boost::make_iterator_property_map(
                              distance.begin(), boost::get(boost::vertex_index, graph_)))
                          .predecessor_map(boost::make_iterator_property_map(
                              predecessor.begin(), boost::get(boost::vertex_index, graph_)))
                          .distance_inf(kInf);
  if (stop_at) {
    try {
      boost::dijkstra_shortest_paths(graph_, source, params.visitor(StopAtTarget(*stop_at)));
    } catch (const TargetSettled&) {
      // Nodes not settled keep tentative distances, which are never below their true ones;
      // the tie-break below reads only the settled nodes on the path to the target.
    }
  } else {
    boost::dijkstra_shortest_paths(graph_, source, params);
  }
  // Distances are exact integers, so ties are exact: re-pick every predecessor as the lowest
  // node index u with dist(u) + w(u, v) == dist(v); edges() visits u ascending, then out-edges
  // in insertion order, so the first match wins.
  Tree tree{distance, std::vector<LinkId>(n, kNone)};
  std::vector<bool> fixed(n, false);
  for (const auto e : boost::make_iterator_range(boost::edges(graph_))) {
    const auto u = boost::source(e, graph_);
    const auto v = boost::target(e, graph_);
    if (v == source || fixed[v] || distance[u] == kInf || distance[v] == kInf) continue;
    if (distance[u] + graph_[e].weight_ns == distance[v]) {
      tree.via_link[v] = graph_[e].link;
      fixed[v] = true;
    }
  }
  return tree;
}

const Topology::Tree& Topology::tree_for(NodeId source, NodeId target) {
  auto it = trees_.find(source);
  if (it != trees_.end()) return it->second;
  if (++route_requests_[source] >= kFullTreeAfter) {
    return trees_.emplace(source, compute_tree(source, std::nullopt)).first->second;
  }
  scratch_tree_ = compute_tree(source, target);
  return scratch_tree_;
}

std::optional<std::vector<LinkId>> Topology::route(NodeId from, NodeId to) {
  if (from >= nodes_.size() || to >= nodes_.size())
    throw std::invalid_argument("route: unknown node");
  const Tree& tree = tree_for(from, to);
  if (tree.distance_ns[to] == std::numeric_limits<TimeNs>::max()) return std::nullopt;
  std::vector<LinkId> path;
  for (NodeId at = to; at != from; at = link_ends_[path.back()].first) {
    path.push_back(tree.via_link[at]);
  }
  return std::vector<LinkId>(path.rbegin(), path.rend());
}

std::optional<TimeNs> Topology::route_latency_ns(NodeId from, NodeId to) {
  const auto path = route(from, to);
  if (!path) return std::nullopt;
  TimeNs total_ns = 0;
  for (const LinkId link : *path) total_ns += links_[link].config().latency_ns;
  return total_ns;
}

}  // namespace mqttsim::sim::net
