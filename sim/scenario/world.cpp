// Building and running a scenario (see world.hpp). Node ids follow declaration order (topology
// nodes, then clients group by group), link streams are forked by link name, and every client
// draws from streams named by its index, so the same spec and seed always give the same run.
#include "sim/scenario/world.hpp"

#include <algorithm>
#include <cmath>

#include "sim/distributions.hpp"
#include "sim/scenario/load_impl.hpp"

namespace mqttsim::sim::scenario {
namespace {

protocol::QoS to_qos(int qos) {
  return static_cast<protocol::QoS>(std::clamp(qos, 0, 2));
}

std::uint32_t whole_seconds(TimeNs ns) {
  return static_cast<std::uint32_t>(std::min<TimeNs>(ns / kNsPerS, UINT32_MAX));
}

net::TcpConfig tcp_config(const TcpSpec& spec) {
  net::TcpConfig c;
  c.mss_bytes = spec.mss_bytes;
  c.min_rto_ns = spec.min_rto_ns;
  c.max_retries = static_cast<int>(spec.max_retries);
  c.user_timeout_ns = spec.user_timeout_ns;
  return c;
}

}  // namespace

nodes::Distribution payload_distribution(const PayloadSpec& payload) {
  using Kind = nodes::Distribution::Kind;
  const double size = static_cast<double>(payload.size_bytes);
  const double mean = payload.mean_bytes, spread = payload.spread;
  switch (payload.kind) {
    case PayloadSpec::Kind::uniform:
      return {Kind::uniform, size, static_cast<double>(payload.max_size_bytes)};
    case PayloadSpec::Kind::exponential:
      return {Kind::exponential, mean, 0};
    case PayloadSpec::Kind::normal:
      return {Kind::normal, mean, spread};
    case PayloadSpec::Kind::lognormal: {
      // The sizes' mean m and stddev s give the log's: σ² = ln(1 + s²/m²), μ = ln m − σ²/2.
      const double sigma2 = det_log(1 + (spread * spread) / (mean * mean));
      return {Kind::lognormal, det_log(mean) - sigma2 / 2, std::sqrt(sigma2)};
    }
    case PayloadSpec::Kind::pareto:
      return {Kind::pareto, mean, spread};
    case PayloadSpec::Kind::fixed:
    case PayloadSpec::Kind::json_temperature:
      break;
  }
  return nodes::Distribution::fixed(size);
}

std::string expand_client_template(const std::string& text, std::int64_t n, const std::string& id,
                                   const std::string& group,
                                   const std::map<std::string, std::vector<std::string>>& values) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') {
      out += text[i];
      continue;
    }
    const std::size_t close = text.find('}', i);
    if (close == std::string::npos) throw std::invalid_argument("unclosed '{' in '" + text + "'");
    const std::string name = text.substr(i + 1, close - i - 1);
    if (name == "n") {
      out += std::to_string(n);
    } else if (name == "id") {
      out += id;
    } else if (name == "group") {
      out += group;
    } else if (auto it = values.find(name); it != values.end() && !it->second.empty()) {
      out += it->second[static_cast<std::size_t>(n - 1) % it->second.size()];
    } else {
      throw std::invalid_argument("unknown placeholder {" + name + "} in '" + text +
                                  "' (known: {n}, {id}, {group} and the names under values)");
    }
    i = close;
  }
  return out;
}

void WorldOptions::add_mutant(protocol::Mutant mutant) {
  if (protocol::mutant_core(mutant) == protocol::MutantCore::broker) {
    broker_mutants.insert(mutant);
  } else {
    client_mutants.insert(mutant);
  }
}

World::World(const ScenarioSpec& spec, std::optional<std::uint64_t> seed, TraceSink* trace_sink)
    : World(spec, WorldOptions{seed, trace_sink, {}, {}}) {}

World::World(const ScenarioSpec& spec, const WorldOptions& options)
    : spec_(spec),
      client_mutants_(options.client_mutants),
      seed_(options.seed.value_or(spec.seed)),
      rng_(seed_),
      trace_(options.trace_sink),
      topology_(rng_.fork("topology")) {
  spec_.broker.config.mutants = options.broker_mutants;
  build_topology();
  network_ = std::make_unique<net::Network>(kernel_, topology_, trace_);
  tcp_ = std::make_unique<net::TcpTransport>(*network_, tcp_config(spec_.tcp));
  node_world_ =
      std::make_unique<nodes::NodeWorld>(nodes::NodeWorld{kernel_, *tcp_, trace_, ledger_});
  const net::NodeId broker_node = *topology_.find_node(spec_.broker.node);
  broker_ = std::make_unique<nodes::BrokerHost>(*node_world_, broker_node, spec_.broker.config);
  const bool any_sn = std::any_of(spec_.clients.begin(), spec_.clients.end(), [](const auto& g) {
    return g.protocol == ClientProtocol::mqtt_sn;
  });
  if (any_sn) {
    udp_ = std::make_unique<net::UdpTransport>(*network_);
    build_predefined_topics();
  }
  build_clients();
  schedule_faults();
}

World::~World() = default;

std::pair<net::LinkId, net::LinkId> World::connect(const std::string& path, net::NodeId a,
                                                   net::NodeId b, const net::LinkConfig& ab,
                                                   const net::LinkConfig& ba) {
  try {
    return topology_.connect(a, b, ab, ba);
  } catch (const std::invalid_argument& e) {  // such as two duty cycles on one sub-band
    throw WorldError(path + ": " + e.what());
  }
}

void World::build_topology() {
  for (const NodeSpec& node : spec_.nodes) topology_.add_node(node.kind, node.name);
  for (const LinkSpec& link : spec_.links) {
    net::LinkConfig ab = link.config, ba = link.reverse;
    ab.name = link.name + "/ab";
    ba.name = link.name + "/ba";
    links_by_name_[link.name] = connect("topology.links." + link.name, *topology_.find_node(link.a),
                                        *topology_.find_node(link.b), ab, ba);
  }
}

void World::build_clients() {
  std::uint32_t index = 0;
  const net::NodeId broker_node = broker_->node();
  for (const ClientGroupSpec& group : spec_.clients) {
    std::vector<net::NodeId> anchors;
    for (const NodeSpec& n : spec_.nodes) {
      if (n.kind != net::NodeKind::client && detail::glob_match(group.attach_to, n.name)) {
        anchors.push_back(*topology_.find_node(n.name));
      }
    }
    for (std::int64_t n = 1; n <= group.count; ++n, ++index) {
      const std::string id = expand_client_template(group.client_id, n, "", group.name, {});
      if (topology_.find_node(id)) {
        throw WorldError("clients." + group.name + ": client id '" + id +
                         "' is already the name of a node; set client_id to tell them apart");
      }
      const net::NodeId node = topology_.add_node(net::NodeKind::client, id);
      net::LinkConfig up = group.attach_link, down = group.attach_reverse;
      up.name = id + "/access/up";
      down.name = id + "/access/down";
      const net::NodeId anchor = anchors[static_cast<std::size_t>(n - 1) % anchors.size()];
      links_by_name_[id + "/access"] =
          connect("clients." + group.name + ".attach", node, anchor, up, down);
      const nodes::ClientBehaviour& b = add_behaviour(group, n, id);
      if (group.protocol == ClientProtocol::mqtt_sn) {
        add_sn_client(group, id, node, index, b);
        continue;
      }

      protocol::ClientConfig config;
      config.version = group.version;
      config.client_id = id;
      config.mutants = client_mutants_;
      config.clean_start = group.session.clean_start;
      config.session_expiry_interval_s = whole_seconds(group.session.expiry_ns);
      if (!protocol::is_v5(group.version)) config.clean_start = group.session.expiry_ns == 0;
      config.keep_alive_s = static_cast<std::uint16_t>(group.session.keep_alive_ns / kNsPerS);
      if (group.username)
        config.username = expand_client_template(*group.username, n, id, group.name, {});
      if (group.password)
        config.password = expand_client_template(*group.password, n, id, group.name, {});
      if (group.will) {
        protocol::ClientWill will;
        will.topic = expand_client_template(group.will->topic, n, id, group.name, {});
        will.payload = group.will->payload;
        will.qos = to_qos(group.will->qos);
        will.retain = group.will->retain;
        will.delay_s = whole_seconds(group.will->delay_ns);
        config.will = std::move(will);
      }
      clients_.emplace_back(*node_world_, node, id, broker_node, index, std::move(config), b, rng_);
    }
  }
}

nodes::ClientBehaviour& World::add_behaviour(const ClientGroupSpec& group, std::int64_t n,
                                             const std::string& id) {
  nodes::ClientBehaviour& b = behaviours_.emplace_back();
  Rng start_rng = rng_.fork("scenario/start/" + id);
  b.connect_at_ns =
      group.start_ns +
      (group.connect_spread_ns > 0 ? uniform_int(start_rng, 0, group.connect_spread_ns) : 0);
  if (group.publish) {
    const PublishSpec& p = *group.publish;
    nodes::PublishBehaviour pb;
    pb.topic_template = expand_client_template(p.topic, n, id, group.name, p.values);
    pb.qos = to_qos(p.qos);
    pb.qos_minus_one = p.qos < 0;
    pb.retain = p.retain;
    pb.interval_ns = p.interval_ns;
    if (p.jitter_ns > 0) {
      pb.jitter_ns = {nodes::Distribution::Kind::uniform, -static_cast<double>(p.jitter_ns),
                      static_cast<double>(p.jitter_ns)};
    }
    pb.payload_size_bytes = payload_distribution(p.payload);
    pb.payload_max_bytes = static_cast<double>(p.payload.max_size_bytes);
    pb.json_temperature = p.payload.kind == PayloadSpec::Kind::json_temperature;
    pb.start_ns = p.start_ns;
    pb.max_messages = static_cast<std::uint64_t>(p.count);
    b.publishes.push_back(std::move(pb));
  }
  for (const SubscriptionSpec& s : group.subscribe) {
    protocol::SubscribeFilter f;
    f.filter = expand_client_template(
        s.filter, n, id, group.name,
        group.publish ? group.publish->values : std::map<std::string, std::vector<std::string>>{});
    f.options.max_qos = to_qos(s.qos);
    f.options.no_local = s.no_local;
    f.options.retain_as_published = s.retain_as_published;
    f.options.retain_handling = static_cast<protocol::RetainHandling>(s.retain_handling);
    b.subscriptions.push_back(std::move(f));
  }
  if (group.churn.enabled) {
    b.churn = nodes::ChurnBehaviour{static_cast<double>(group.churn.mean_online_ns) / 1e9,
                                    static_cast<double>(group.churn.mean_offline_ns) / 1e9,
                                    group.churn.graceful};
  }
  return b;
}

std::vector<net::LinkId> World::links_named(const std::vector<std::string>& names) const {
  std::vector<net::LinkId> out;
  for (const std::string& name : names) {
    auto it = links_by_name_.find(name);
    if (it == links_by_name_.end()) {
      throw WorldError("faults: no link named '" + name + "'");
    }
    out.push_back(it->second.first);
    out.push_back(it->second.second);
  }
  return out;
}

std::vector<net::NodeId> World::nodes_matching(const std::vector<std::string>& patterns) const {
  std::vector<net::NodeId> out;
  for (net::NodeId id = 0; id < topology_.node_count(); ++id) {
    for (const std::string& p : patterns) {
      if (detail::glob_match(p, topology_.name(id))) {
        out.push_back(id);
        break;
      }
    }
  }
  if (out.empty()) throw WorldError("faults: no node matches the given names");
  return out;
}

std::vector<nodes::VirtualClient*> World::clients_matching(
    const std::vector<std::string>& patterns) {
  std::vector<nodes::VirtualClient*> out;
  for (nodes::VirtualClient& c : clients_) {
    for (const std::string& p : patterns) {
      if (detail::glob_match(p, topology_.name(c.node()))) {
        out.push_back(&c);
        break;
      }
    }
  }
  if (out.empty()) {
    for (const nodes::SnClientNode& c : sn_clients_) {
      for (const std::string& p : patterns) {
        if (detail::glob_match(p, topology_.name(c.node()))) {
          throw WorldError("faults: client_crash of MQTT-SN sensors is not built yet ('" +
                               topology_.name(c.node()) + "')",
                           WorldError::Kind::not_built);
        }
      }
    }
    throw WorldError("faults: no client matches the given names");
  }
  return out;
}

void World::schedule_faults() {
  for (std::size_t i = 0; i < spec_.faults.size(); ++i) {
    const FaultSpec& f = spec_.faults[i];
    // Resolve names now, so a bad name fails before the run rather than in the middle of it.
    if (f.kind == FaultKind::link_down || f.kind == FaultKind::loss) links_named(f.targets);
    if (f.kind == FaultKind::partition) {
      nodes_matching(f.targets);
      nodes_matching(f.other_side);
    }
    if (f.kind == FaultKind::client_crash) clients_matching(f.targets);
    kernel_.schedule_at(f.at_ns, [this, i] { apply_fault(i, false); });
    if (f.for_ns) {
      kernel_.schedule_at(f.at_ns + *f.for_ns, [this, i] { apply_fault(i, true); });
    }
  }
}

void World::apply_fault(std::size_t index, bool undo) {
  const FaultSpec& f = spec_.faults[index];
  switch (f.kind) {
    case FaultKind::link_down:
      // Counted per link: of two overlapping link_down faults, the first end keeps it down.
      for (net::LinkId link : links_named(f.targets)) {
        std::uint32_t& holds = link_down_holds_[link];
        if (!undo && holds++ == 0) network_->set_link_down(link, true);
        if (undo && holds > 0 && --holds == 0) network_->set_link_down(link, false);
      }
      break;
    case FaultKind::loss:
      if (!undo) {
        auto& held = loss_faults_[index];
        for (net::LinkId link : links_named(f.targets)) {
          held.emplace_back(link, network_->push_link_loss(link, f.loss));
        }
      } else if (auto it = loss_faults_.find(index); it != loss_faults_.end()) {
        for (const auto& [link, id] : it->second) network_->pop_link_loss(link, id);
        loss_faults_.erase(it);
      }
      break;
    case FaultKind::partition:
      if (!undo) {
        partition_faults_[index] =
            network_->partition(nodes_matching(f.targets), nodes_matching(f.other_side));
      } else if (auto it = partition_faults_.find(index); it != partition_faults_.end()) {
        network_->heal(it->second);
        partition_faults_.erase(it);
      }
      break;
    case FaultKind::broker_crash:
      if (undo) {
        broker_->restart();
      } else {
        broker_->crash(f.persistence);
      }
      break;
    case FaultKind::client_crash:
      for (nodes::VirtualClient* c : clients_matching(f.targets)) {
        if (undo) {
          c->recover();
        } else {
          c->crash();
        }
      }
      break;
  }
}

void World::set_capture(net::PacketCapture* capture) {
  tcp_->set_capture(capture);
  if (udp_) udp_->set_capture(capture);
}

void World::run(const std::function<void(const Progress&)>& progress) {
  broker_->start();
  for (nodes::SnGatewayHost& g : sn_gateways_) g.start();
  for (nodes::VirtualClient& c : clients_) c.start();
  for (nodes::SnClientNode& c : sn_clients_) c.start();
  const TimeNs step_ns = std::max<TimeNs>(spec_.duration_ns / 200, 1);
  for (TimeNs t = 0; t < spec_.duration_ns;) {
    t = std::min(spec_.duration_ns, t + step_ns);
    kernel_.run_until(t);
    if (progress) progress({t, spec_.duration_ns, kernel_.fired_count()});
  }
}

}  // namespace mqttsim::sim::scenario
