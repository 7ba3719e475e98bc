// The `faults:`, `measure:` and `expect:` sections. A fault is `at` plus one action and an
// optional `for` after which it is undone; an expectation is one line such as
// `delivery_ratio >= 0.999 for qos 1`.
#include <algorithm>
#include <sstream>

#include "sim/scenario/load_impl.hpp"

namespace mqttsim::sim::scenario::detail {
namespace {

std::vector<std::string> names_or_list(YamlReader& reader, const YAML::Node& n,
                                       const std::string& path) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (auto v = reader.text(n[i], index_path(path, i))) out.push_back(*v);
    }
  }
  if (out.empty()) reader.error(n, path, "expected a name or a list of names");
  return out;
}

void read_loss_fault(YamlReader& reader, const YAML::Node& n, const std::string& path,
                     FaultSpec& f) {
  if (!n.IsMap()) return reader.error(n, path, "expected {link: ..., p: ...}");
  if (!n["link"]) return reader.error(n, path, "needs link: the link(s) whose loss changes");
  f.targets = names_or_list(reader, n["link"], join_path(path, "link"));
  read_loss(reader, n, path, f.loss, {"link"});
}

const std::vector<std::string> kFaultActions = {"link_down", "loss", "partition", "broker_crash",
                                                "client_crash"};

void read_fault(YamlReader& reader, const YAML::Node& n, const std::string& path, FaultSpec& f) {
  std::vector<std::string> known = kFaultActions;
  known.insert(known.end(), {"at", "for"});
  if (!reader.expect_map(n, path, known)) return;
  f.mark = n.Mark();
  if (auto at = reader.duration_ns(n["at"], join_path(path, "at"))) f.at_ns = *at;
  if (!n["at"]) reader.error(n, path, "needs at: when the fault happens");
  f.for_ns = reader.duration_ns(n["for"], join_path(path, "for"), 1);
  std::vector<std::string> actions;
  for (const std::string& a : kFaultActions) {
    if (n[a]) actions.push_back(a);
  }
  if (actions.size() != 1) {
    return reader.error(
        n, path, "needs exactly one of link_down, loss, partition, broker_crash, client_crash");
  }
  const std::string action = actions.front();
  const YAML::Node body = n[action];
  const std::string at = join_path(path, action);
  if (action == "link_down") {
    f.kind = FaultKind::link_down;
    f.targets = names_or_list(reader, body, at);
  } else if (action == "loss") {
    f.kind = FaultKind::loss;
    read_loss_fault(reader, body, at, f);
  } else if (action == "partition") {
    f.kind = FaultKind::partition;
    if (!reader.expect_map(body, at, {"a", "b"})) return;
    if (!body["a"] || !body["b"]) return reader.error(body, at, "needs the two sides, a and b");
    f.targets = names_or_list(reader, body["a"], join_path(at, "a"));
    f.other_side = names_or_list(reader, body["b"], join_path(at, "b"));
  } else if (action == "broker_crash") {
    f.kind = FaultKind::broker_crash;
    if (body.IsScalar() && body.Scalar() == "true") return;
    if (!reader.expect_map(body, at, {"persistence"})) return;
    f.persistence = reader.flag(body["persistence"], join_path(at, "persistence"));
  } else {
    f.kind = FaultKind::client_crash;
    f.targets = names_or_list(reader, body, at);
  }
}

std::optional<CompareOp> parse_op(std::string_view op) {
  if (op == ">=") return CompareOp::ge;
  if (op == ">") return CompareOp::gt;
  if (op == "<=") return CompareOp::le;
  if (op == "<") return CompareOp::lt;
  if (op == "==") return CompareOp::eq;
  if (op == "!=") return CompareOp::ne;
  return std::nullopt;
}

// `<metric> <op> <value> [for qos <n>]`; the message says which part is wrong.
std::optional<std::string> parse_expectation(const std::string& text, ExpectationSpec& e) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.size() != 3 && words.size() != 6) {
    return "expected '<metric> <op> <value>' optionally followed by 'for qos <n>'";
  }
  e.metric = words[0];
  const auto& metrics = kExpectationMetrics;
  if (std::find(metrics.begin(), metrics.end(), e.metric) == metrics.end()) {
    const std::string hint = closest_match(e.metric, metrics);
    return "unknown metric '" + e.metric + "'" +
           (hint.empty() ? "" : "; did you mean '" + hint + "'?");
  }
  const auto op = parse_op(words[1]);
  if (!op) return "unknown comparison '" + words[1] + "' (use >=, >, <=, <, ==, !=)";
  e.op = *op;
  if (e.metric.starts_with("latency_")) {
    const auto ns = parse_duration_ns(words[2]);
    if (!ns) return "a latency needs a duration with a unit, like 500ms";
    e.value = static_cast<double>(*ns);
  } else {
    try {
      std::size_t used = 0;
      e.value = std::stod(words[2], &used);
      if (used != words[2].size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      return "'" + words[2] + "' is not a number";
    }
  }
  if (words.size() == 6) {
    if (words[3] != "for" || words[4] != "qos") return "expected 'for qos <n>' after the value";
    if (words[5] != "-1" && words[5] != "0" && words[5] != "1" && words[5] != "2") {
      return "QoS is -1, 0, 1 or 2";
    }
    e.qos = std::stoi(words[5]);
  }
  return std::nullopt;
}

}  // namespace

void read_faults(YamlReader& reader, const YAML::Node& node, ScenarioSpec& spec) {
  if (!reader.expect_sequence(node, "faults")) return;
  for (std::size_t i = 0; i < node.size(); ++i) {
    FaultSpec fault;
    read_fault(reader, node[i], index_path("faults", i), fault);
    spec.faults.push_back(std::move(fault));
  }
  std::stable_sort(spec.faults.begin(), spec.faults.end(),
                   [](const FaultSpec& a, const FaultSpec& b) { return a.at_ns < b.at_ns; });
}

void read_measure(YamlReader& reader, const YAML::Node& node, ScenarioSpec& spec) {
  if (!reader.expect_map(node, "measure", {"trace", "pcap", "bucket", "settle"})) return;
  spec.measure.trace = reader.flag(node["trace"], "measure.trace").value_or(false);
  spec.measure.pcap = reader.flag(node["pcap"], "measure.pcap").value_or(false);
  spec.measure.bucket_ns = reader.duration_ns(node["bucket"], "measure.bucket", kNsPerMs)
                               .value_or(spec.measure.bucket_ns);
  spec.measure.settle_ns =
      reader.duration_ns(node["settle"], "measure.settle").value_or(spec.measure.settle_ns);
}

void read_expectations(YamlReader& reader, const YAML::Node& node, ScenarioSpec& spec) {
  if (!reader.expect_sequence(node, "expect")) return;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = index_path("expect", i);
    const auto text = reader.text(node[i], path);
    if (!text) continue;
    ExpectationSpec e;
    e.text = *text;
    e.mark = node[i].Mark();
    if (auto problem = parse_expectation(*text, e)) {
      reader.error(node[i], path, *problem);
      continue;
    }
    spec.expectations.push_back(std::move(e));
  }
}

}  // namespace mqttsim::sim::scenario::detail
