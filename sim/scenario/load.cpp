// The scenario loader's top level: overrides, the top-level keys, the topology (nodes, links,
// generators), then the checks that need the whole file (names that must resolve).
#include "sim/scenario/load.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "sim/digest.hpp"
#include "sim/net/profiles.hpp"
#include "sim/scenario/broker_yaml.hpp"
#include "sim/scenario/load_impl.hpp"

namespace mqttsim::sim::scenario {
namespace {

using detail::glob_match;

// `--set a.b.0.c=value`: walks (and creates) the path in the YAML tree and puts the value
// there, parsed as YAML so lists and numbers keep their type. Numeric components index lists.
void apply_override(YAML::Node& root, const std::string& override_text,
                    std::vector<std::string>& errors) {
  const std::size_t eq = override_text.find('=');
  if (eq == std::string::npos || eq == 0) {
    errors.push_back("--set " + override_text + ": expected key.path=value");
    return;
  }
  const std::string path = override_text.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(override_text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    errors.push_back("--set " + path + ": the value is not valid YAML: " + e.msg);
    return;
  }
  std::vector<std::string> parts;
  std::stringstream stream(path);
  for (std::string part; std::getline(stream, part, '.');) parts.push_back(part);
  if (std::find(parts.begin(), parts.end(), "") != parts.end()) {
    errors.push_back("--set " + path + ": empty key in the path");
    return;
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  YAML::Node at = root;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    if (at.IsSequence()) {
      std::size_t index = 0;
      try {
        index = std::stoul(parts[i]);
      } catch (const std::exception&) {
        index = at.size();
      }
      if (index >= at.size()) {
        errors.push_back("--set " + path + ": '" + parts[i] + "' is not an index of the list (0.." +
                         std::to_string(at.size()) + ")");
        return;
      }
      if (last) {
        at[index] = value;
        return;
      }
      at.reset(at[index]);  // YAML::Node assignment would copy into the node, not rebind
      continue;
    }
    if (!at.IsMap() && !at.IsNull()) {
      errors.push_back("--set " + path + ": '" + parts[i - 1] + "' is not a mapping");
      return;
    }
    if (last) {
      at[parts[i]] = value;
      return;
    }
    YAML::Node next = at[parts[i]];
    if (!next.IsDefined() || next.IsNull()) {
      at[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = at[parts[i]];
    }
    at.reset(next);
  }
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '*' || c == '{' || c == '}' || c == ',';
  });
}

void add_node(YamlReader& reader, ScenarioSpec& spec, std::set<std::string>& names,
              const YAML::Node& at, const std::string& path, std::string name, net::NodeKind kind) {
  if (!valid_name(name)) {
    reader.error(at, path, "'" + name + "' is not a valid node name (no spaces, '*', braces)");
    return;
  }
  if (!names.insert(name).second) {
    reader.error(at, path, "node '" + name + "' is declared twice");
    return;
  }
  spec.nodes.push_back({std::move(name), kind, at.Mark()});
}

std::optional<net::NodeKind> node_kind(YamlReader& reader, const YAML::Node& n,
                                       const std::string& path) {
  const auto kind = reader.choice(n, path, {"client", "gateway", "router", "broker"});
  if (!kind) return std::nullopt;
  if (*kind == "client") return net::NodeKind::client;
  if (*kind == "gateway") return net::NodeKind::gateway;
  if (*kind == "broker") return net::NodeKind::broker;
  return net::NodeKind::router;
}

// `star: {center, count, prefix, kind, profile, ...link keys}` adds prefix-1 … prefix-count
// linked to the center; `tree: {root, depth, fanout, ...}` adds a balanced tree under the root
// whose nodes are named by their path (r-1, r-1-2, ...). Links are named "<child>/uplink".
void read_generator(YamlReader& reader, const YAML::Node& g, const std::string& path,
                    ScenarioSpec& spec, std::set<std::string>& names) {
  if (!reader.expect_map(g, path, {"star", "tree"})) return;
  if (g.size() != 1) return reader.error(g, path, "expected exactly one of star or tree");
  const std::string kind_name = g.begin()->first.Scalar();
  const YAML::Node body = g.begin()->second;
  const std::string at = join_path(path, kind_name);
  const bool star = kind_name == "star";
  const std::string anchor_key = star ? "center" : "root";
  std::vector<std::string> extra = {anchor_key, "prefix", "kind"};
  if (star) {
    extra.push_back("count");
  } else {
    extra.insert(extra.end(), {"depth", "fanout"});
  }
  std::string profile;
  net::LinkConfig link, reverse;
  detail::read_link(reader, body, at, "", "ethernet", extra, profile, link, reverse);
  if (!body.IsMap()) return;
  const auto anchor = reader.text(body[anchor_key], join_path(at, anchor_key));
  if (!anchor) return reader.error(body, at, "needs '" + anchor_key + "', an existing node");
  if (!names.count(*anchor)) {
    return reader.error(body[anchor_key], join_path(at, anchor_key),
                        "no node named '" + *anchor + "' is declared before this generator");
  }
  const std::string prefix =
      reader.text(body["prefix"], join_path(at, "prefix")).value_or(star ? "gw" : "r");
  net::NodeKind kind = star ? net::NodeKind::gateway : net::NodeKind::router;
  if (body["kind"]) {
    if (auto k = node_kind(reader, body["kind"], join_path(at, "kind"))) kind = *k;
  }
  const std::int64_t count =
      reader.integer(body["count"], join_path(at, "count"), 1, 100'000).value_or(1);
  const std::int64_t depth =
      reader.integer(body["depth"], join_path(at, "depth"), 1, 8).value_or(1);
  const std::int64_t fanout =
      reader.integer(body["fanout"], join_path(at, "fanout"), 1, 64).value_or(2);
  // Breadth-first so node ids follow levels: (parent name, level) pairs of the current level.
  std::vector<std::string> level = {*anchor};
  const std::int64_t levels = star ? 1 : depth;
  const std::int64_t width = star ? count : fanout;
  for (std::int64_t l = 0; l < levels; ++l) {
    std::vector<std::string> next;
    for (const std::string& parent : level) {
      const std::string base = parent == *anchor ? prefix : parent;
      for (std::int64_t k = 1; k <= width; ++k) {
        std::string child = base + "-" + std::to_string(k);
        add_node(reader, spec, names, body, at, child, kind);
        LinkSpec spec_link{child + "/uplink", child, parent, profile, link, reverse, body.Mark()};
        spec_link.config.name = spec_link.name;
        spec.links.push_back(std::move(spec_link));
        next.push_back(std::move(child));
      }
    }
    level = std::move(next);
  }
}

void read_nodes(YamlReader& reader, const YAML::Node& nodes, ScenarioSpec& spec,
                std::set<std::string>& names) {
  if (!nodes) return;
  if (!nodes.IsMap()) {
    return reader.error(nodes, "topology.nodes", "expected a mapping of node name to kind");
  }
  for (const auto& item : nodes) {
    const std::string name = item.first.Scalar();
    const std::string path = join_path("topology.nodes", name);
    if (auto kind = node_kind(reader, item.second, path)) {
      add_node(reader, spec, names, item.first, path, name, *kind);
    }
  }
}

void read_links(YamlReader& reader, const YAML::Node& links, ScenarioSpec& spec) {
  if (!links) return;
  if (!links.IsMap()) {
    return reader.error(links, "topology.links", "expected a mapping of link name to link");
  }
  for (const auto& item : links) {
    LinkSpec link;
    link.name = item.first.Scalar();
    link.mark = item.first.Mark();
    const std::string path = join_path("topology.links", link.name);
    if (!valid_name(link.name)) reader.error(item.first, path, "not a valid link name");
    detail::read_link(reader, item.second, path, link.name, "ethernet", {"between"}, link.profile,
                      link.config, link.reverse);
    const YAML::Node between = item.second.IsMap() ? item.second["between"] : YAML::Node();
    if (!between || !between.IsSequence() || between.size() != 2) {
      reader.error(between ? between : item.second, join_path(path, "between"),
                   "expected the two node names it connects, like [ap, broker]");
      continue;
    }
    link.a = reader.text(between[0], join_path(path, "between")).value_or("");
    link.b = reader.text(between[1], join_path(path, "between")).value_or("");
    spec.links.push_back(std::move(link));
  }
}

// Explicit nodes, then the broker's node if it was not declared, then generators in order,
// then links: a generator may hang off any node declared before it.
void read_topology(YamlReader& reader, const YAML::Node& topo, ScenarioSpec& spec,
                   std::set<std::string>& names) {
  if (topo) reader.expect_map(topo, "topology", {"nodes", "links", "generate"});
  const bool map = topo && topo.IsMap();
  if (map) read_nodes(reader, topo["nodes"], spec, names);
  if (!names.count(spec.broker.node)) {
    names.insert(spec.broker.node);
    spec.nodes.push_back({spec.broker.node, net::NodeKind::broker, YAML::Mark::null_mark()});
  }
  if (!map) return;
  if (const YAML::Node gens = topo["generate"];
      gens && reader.expect_sequence(gens, "topology.generate")) {
    for (std::size_t i = 0; i < gens.size(); ++i) {
      read_generator(reader, gens[i], index_path("topology.generate", i), spec, names);
    }
  }
  read_links(reader, topo["links"], spec);
}

std::optional<protocol::Version> read_version(YamlReader& reader, const YAML::Node& n,
                                              const std::string& path) {
  const auto v = reader.choice(n, path, {"3.1", "3.1.1", "5"});
  if (!v) return std::nullopt;
  if (*v == "3.1") return protocol::Version::v3_1;
  return *v == "5" ? protocol::Version::v5 : protocol::Version::v3_1_1;
}

void read_transport(YamlReader& reader, const YAML::Node& t, ScenarioSpec& spec) {
  if (!t || !reader.expect_map(t, "transport", {"tcp", "mqtt_sn"})) return;
  if (const YAML::Node tcp = t["tcp"];
      tcp &&
      reader.expect_map(tcp, "transport.tcp", {"mss", "min_rto", "retries", "user_timeout"})) {
    spec.tcp.mss_bytes =
        reader.size_bytes(tcp["mss"], "transport.tcp.mss", 64, 65'535).value_or(spec.tcp.mss_bytes);
    spec.tcp.min_rto_ns =
        reader.duration_ns(tcp["min_rto"], "transport.tcp.min_rto", kNsPerMs, 60 * kNsPerS)
            .value_or(spec.tcp.min_rto_ns);
    spec.tcp.max_retries = reader.integer(tcp["retries"], "transport.tcp.retries", 1, 30)
                               .value_or(spec.tcp.max_retries);
    spec.tcp.user_timeout_ns =
        reader.duration_ns(tcp["user_timeout"], "transport.tcp.user_timeout", kNsPerS)
            .value_or(spec.tcp.user_timeout_ns);
  }
  if (const YAML::Node sn = t["mqtt_sn"];
      sn && reader.expect_map(sn, "transport.mqtt_sn", {"retry", "retries"})) {
    spec.mqtt_sn.retry_ns = reader.duration_ns(sn["retry"], "transport.mqtt_sn.retry", kNsPerMs)
                                .value_or(spec.mqtt_sn.retry_ns);
    spec.mqtt_sn.max_retries = reader.integer(sn["retries"], "transport.mqtt_sn.retries", 0, 100)
                                   .value_or(spec.mqtt_sn.max_retries);
  }
}

const std::vector<std::string> kTopKeys = {"name",   "description", "seed",     "duration",
                                           "mqtt",   "broker",      "topology", "clients",
                                           "faults", "measure",     "expect",   "transport"};

void read_top(YamlReader& reader, const YAML::Node& root, ScenarioSpec& spec) {
  reader.expect_map(root, "", kTopKeys);
  spec.name = reader.text(root["name"], "name").value_or("");
  spec.description = reader.text(root["description"], "description").value_or("");
  if (auto seed = reader.integer(root["seed"], "seed", 0, INT64_MAX)) {
    spec.seed = static_cast<std::uint64_t>(*seed);
  }
  spec.duration_ns =
      reader.duration_ns(root["duration"], "duration", kNsPerMs, 366 * 86400 * kNsPerS)
          .value_or(spec.duration_ns);
  if (const YAML::Node broker = root["broker"]; broker) {
    read_broker_config(reader, broker, "broker", {"node"}, spec.broker.config);
    if (broker.IsMap() && broker["node"]) {
      spec.broker.node = reader.text(broker["node"], "broker.node").value_or(spec.broker.node);
    }
  }
  read_transport(reader, root["transport"], spec);
}

void check_names(YamlReader& reader, ScenarioSpec& spec) {
  std::map<std::string, net::NodeKind> kinds;
  for (const NodeSpec& n : spec.nodes) kinds[n.name] = n.kind;
  std::vector<std::string> node_names;
  for (const NodeSpec& n : spec.nodes) node_names.push_back(n.name);
  auto unresolved = [&](const YAML::Mark& mark, const std::string& path, const std::string& name) {
    const std::string hint = closest_match(name, node_names);
    reader.error_at(
        mark, path,
        "no node named '" + name + "'" + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  };
  if (kinds.at(spec.broker.node) != net::NodeKind::broker) {
    reader.error_at(YAML::Mark::null_mark(), "broker.node",
                    "node '" + spec.broker.node + "' is not of kind broker");
  }
  for (const LinkSpec& link : spec.links) {
    const std::string path = join_path("topology.links", link.name) + ".between";
    for (const std::string* end : {&link.a, &link.b}) {
      if (!end->empty() && !kinds.count(*end)) unresolved(link.mark, path, *end);
    }
    if (link.a == link.b && !link.a.empty())
      reader.error_at(link.mark, path, "a link needs two different nodes");
  }
  for (const ClientGroupSpec& group : spec.clients) {
    const std::string path = join_path("clients", group.name);
    const bool any = std::any_of(spec.nodes.begin(), spec.nodes.end(), [&](const NodeSpec& n) {
      return n.kind != net::NodeKind::client && glob_match(group.attach_to, n.name);
    });
    if (!any) unresolved(group.attach_mark, path + ".attach.to", group.attach_to);
    if (group.protocol == ClientProtocol::mqtt_sn) {
      auto it = kinds.find(group.gateway);
      if (group.gateway.empty()) {
        reader.error_at(group.mark, path + ".gateway", "MQTT-SN clients need a gateway node");
      } else if (it == kinds.end()) {
        unresolved(group.mark, path + ".gateway", group.gateway);
      } else if (it->second != net::NodeKind::gateway) {
        reader.error_at(group.mark, path + ".gateway",
                        "node '" + group.gateway + "' is not of kind gateway");
      }
    }
  }
}

LoadResult finish(YamlReader& reader, ScenarioSpec spec) {
  LoadResult result;
  if (reader.ok()) {
    result.spec = std::move(spec);
  } else {
    result.errors = reader.errors();
  }
  return result;
}

}  // namespace

LoadResult parse_scenario(const std::string& yaml_text, const std::string& name,
                          const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    return {std::nullopt,
            {name + ":" + std::to_string(e.mark.line + 1) + ":" +
             std::to_string(e.mark.column + 1) + ": " + e.msg}};
  }
  std::vector<std::string> override_errors;
  for (const std::string& o : overrides) apply_override(root, o, override_errors);
  if (!override_errors.empty()) return {std::nullopt, override_errors};
  YamlReader reader(name);
  for (const std::string& o : overrides) reader.add_override_path(o.substr(0, o.find('=')));
  ScenarioSpec spec;
  spec.file = name;
  if (!root.IsMap()) {
    reader.error(root, "", "a scenario is a mapping with keys like name, duration, clients");
    return finish(reader, std::move(spec));
  }
  read_top(reader, root, spec);
  YAML::Emitter emitter;
  emitter << root;
  spec.canonical_yaml = emitter.c_str();
  spec.digest = xxh64(spec.canonical_yaml.data(), spec.canonical_yaml.size());
  std::set<std::string> names;
  read_topology(reader, root["topology"], spec, names);
  protocol::Version version = protocol::Version::v5;
  if (root["mqtt"]) version = read_version(reader, root["mqtt"], "mqtt").value_or(version);
  if (root["clients"]) {
    detail::read_clients(reader, root["clients"], spec);
    for (ClientGroupSpec& group : spec.clients) {
      if (!root["clients"][group.name]["mqtt"]) group.version = version;
    }
  } else {
    reader.error(root, "clients", "a scenario needs at least one client group");
  }
  if (root["faults"]) detail::read_faults(reader, root["faults"], spec);
  if (root["measure"]) detail::read_measure(reader, root["measure"], spec);
  if (root["expect"]) detail::read_expectations(reader, root["expect"], spec);
  check_names(reader, spec);
  return finish(reader, std::move(spec));
}

LoadResult load_scenario_file(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) return {std::nullopt, {path + ": cannot open the file"}};
  std::stringstream text;
  text << in.rdbuf();
  return parse_scenario(text.str(), path, overrides);
}

}  // namespace mqttsim::sim::scenario
