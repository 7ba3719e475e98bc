// Facts about Boost.Graph and yaml-cpp that the simulator and the scenario loader rely on:
// Dijkstra routes by weight, and yaml-cpp marks are 0-based (errors print them 1-based).
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>

#include <vector>

TEST_CASE("Dijkstra prefers the lower-latency path over the shorter hop count") {
  using Graph =
      boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property,
                            boost::property<boost::edge_weight_t, long>>;
  Graph g(4);
  boost::add_edge(0, 3, 500, g);  // direct but slow (satellite-like)
  boost::add_edge(0, 1, 10, g);
  boost::add_edge(1, 2, 10, g);
  boost::add_edge(2, 3, 10, g);
  std::vector<Graph::vertex_descriptor> parent(4);
  std::vector<long> distance(4);
  boost::dijkstra_shortest_paths(
      g, 0, boost::predecessor_map(parent.data()).distance_map(distance.data()));
  CHECK(distance[3] == 30);
  CHECK(parent[3] == 2);
}

TEST_CASE("yaml-cpp reports 0-based line and column marks") {
  const YAML::Node doc = YAML::Load("seed: 1\nlinks:\n  radio: {loss: 0.05}\n");
  const YAML::Mark mark = doc["links"]["radio"]["loss"].Mark();
  CHECK(mark.line == 2);
  CHECK(mark.column == 16);
  CHECK(doc["links"]["radio"]["loss"].as<double>() == Approx(0.05));
}
