// Building the graph and computing routes: boost::dijkstra_shortest_paths for the cached full
// trees of hub sources, a search that stops at the target for the others, and one explicit
// tie-break rule for both (Boost's heap would decide ties otherwise).
#include "sim/net/topology.hpp"

#include <algorithm>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <limits>
#include <stdexcept>

namespace mqttsim::sim::net {

NodeId Topology::add_node(NodeKind kind, std::string name) {
  if (by_name_.count(name) != 0) throw std::invalid_argument("duplicate node name '" + name + "'");
  const auto id = static_cast<NodeId>(boost::add_vertex(graph_));
  by_name_.emplace(name, id);
  nodes_.push_back(Node{kind, std::move(name)});
  in_links_.emplace_back();
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
  share_sub_band_radio(from, id);
  link_ends_.emplace_back(from, to);
  in_links_[to].push_back(id);
  link_weight_ns_.push_back(weight_ns);
  boost::add_edge(from, to, EdgeProps{id, weight_ns}, graph_);
  trees_.clear();
  route_requests_.clear();
  return id;
}

void Topology::share_sub_band_radio(NodeId from, LinkId id) {
  const DutyCycleConfig& dc = links_[id].config().duty_cycle;
  if (!dc.enabled || dc.sub_band.empty()) return;
  const auto [it, first] = radios_.try_emplace({from, dc.sub_band}, id);
  if (first) return;
  const DutyCycleConfig& radio = links_[it->second].config().duty_cycle;
  if (radio.duty_cycle != dc.duty_cycle || radio.policy != dc.policy) {
    links_.pop_back();
    throw std::invalid_argument("links from node '" + nodes_[from].name + "' on sub-band '" +
                                dc.sub_band + "' disagree on its duty cycle or policy ('" +
                                links_[it->second].config().name + "' has another)");
  }
  links_[id].share_radio(links_[it->second]);
}

std::pair<LinkId, LinkId> Topology::connect(NodeId a, NodeId b, LinkConfig a_to_b,
                                            LinkConfig b_to_a) {
  const LinkId forward = add_link(a, b, std::move(a_to_b));
  const LinkId backward = add_link(b, a, std::move(b_to_a));
  return {forward, backward};
}

Topology::Tree Topology::compute_tree(NodeId source) const {
  const std::size_t n = nodes_.size();
  constexpr TimeNs kInf = std::numeric_limits<TimeNs>::max();
  std::vector<TimeNs> distance(n, kInf);
  std::vector<Graph::vertex_descriptor> predecessor(n);
  boost::dijkstra_shortest_paths(
      graph_, source,
      boost::weight_map(boost::get(&EdgeProps::weight_ns, graph_))
          .distance_map(boost::make_iterator_property_map(distance.begin(),
                                                          boost::get(boost::vertex_index, graph_)))
          .predecessor_map(boost::make_iterator_property_map(
              predecessor.begin(), boost::get(boost::vertex_index, graph_)))
          .distance_inf(kInf));
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

const Topology::Tree& Topology::tree_from(NodeId source) {
  auto it = trees_.find(source);
  if (it == trees_.end()) it = trees_.emplace(source, compute_tree(source)).first;
  return it->second;
}

std::optional<std::vector<LinkId>> Topology::search_path(NodeId from, NodeId to) {
  constexpr TimeNs kInf = std::numeric_limits<TimeNs>::max();
  if (search_distance_ns_.size() != nodes_.size()) {
    search_distance_ns_.assign(nodes_.size(), kInf);
    settled_.assign(nodes_.size(), 0);
  }
  const auto later = [](const std::pair<TimeNs, NodeId>& a, const std::pair<TimeNs, NodeId>& b) {
    return a > b;
  };
  search_distance_ns_[from] = 0;
  touched_.push_back(from);
  frontier_.emplace_back(0, from);
  bool found = false;
  while (!frontier_.empty()) {
    std::pop_heap(frontier_.begin(), frontier_.end(), later);
    const auto [d, u] = frontier_.back();
    frontier_.pop_back();
    if (settled_[u] != 0 || d > search_distance_ns_[u]) continue;
    settled_[u] = 1;
    if (u == to) {
      found = true;
      break;
    }
    for (const auto e : boost::make_iterator_range(boost::out_edges(u, graph_))) {
      const auto v = static_cast<NodeId>(boost::target(e, graph_));
      const TimeNs nd = d + graph_[e].weight_ns;
      if (nd >= search_distance_ns_[v]) continue;
      if (search_distance_ns_[v] == kInf) touched_.push_back(v);
      search_distance_ns_[v] = nd;
      frontier_.emplace_back(nd, v);
      std::push_heap(frontier_.begin(), frontier_.end(), later);
    }
  }
  std::optional<std::vector<LinkId>> path;
  if (found) {
    // The tie-break of compute_tree(): the lowest-indexed predecessor achieving the distance,
    // then the link added first. Candidates closer than `at` were all settled before `to`.
    path.emplace();
    for (NodeId at = to; at != from;) {
      LinkId best = kNone;
      for (const LinkId link : in_links_[at]) {
        const NodeId u = link_ends_[link].first;
        if (settled_[u] == 0 ||
            search_distance_ns_[u] + link_weight_ns_[link] != search_distance_ns_[at])
          continue;
        if (best == kNone || u < link_ends_[best].first) best = link;
      }
      path->push_back(best);
      at = link_ends_[best].first;
    }
    std::reverse(path->begin(), path->end());
  }
  for (const NodeId node : touched_) {
    search_distance_ns_[node] = kInf;
    settled_[node] = 0;
  }
  touched_.clear();
  frontier_.clear();
  return path;
}

std::optional<std::vector<LinkId>> Topology::route(NodeId from, NodeId to) {
  if (from >= nodes_.size() || to >= nodes_.size())
    throw std::invalid_argument("route: unknown node");
  // A node with a single out-link (a device on its access link) reaches everything through that
  // neighbour, whose shortest paths never come back through it (weights are positive): its route
  // is the link plus the neighbour's, with the same tie-breaks. Without this, every leaf of a
  // 10k-device star would run its own search, which settles most of its siblings first.
  std::vector<LinkId> prefix;
  while (from != to && boost::out_degree(from, graph_) == 1) {
    if (prefix.size() >= nodes_.size()) return std::nullopt;  // a ring of such nodes misses `to`
    const auto edge = *boost::out_edges(from, graph_).first;
    prefix.push_back(graph_[edge].link);
    from = static_cast<NodeId>(boost::target(edge, graph_));
  }
  if (prefix.empty()) return route_from(from, to);
  auto rest = route_from(from, to);
  if (!rest) return std::nullopt;
  prefix.insert(prefix.end(), rest->begin(), rest->end());
  return prefix;
}

std::optional<std::vector<LinkId>> Topology::route_from(NodeId from, NodeId to) {
  if (trees_.count(from) == 0 && ++route_requests_[from] < kFullTreeAfter) {
    return search_path(from, to);
  }
  const Tree& tree = tree_from(from);
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
