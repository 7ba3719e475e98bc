// Link keys shared by topology links, generators and client access links: a built-in profile
// plus overrides (latency, jitter, rate, queue, MTU, loss model, bit error rate, outages).
#include <algorithm>

#include "sim/net/profiles.hpp"
#include "sim/scenario/load_impl.hpp"

namespace mqttsim::sim::scenario::detail {
namespace {

// Keys that override a profile's numbers; a link takes them and `profile`, `reverse` takes them
// for the other direction.
const std::vector<std::string> kOverrideKeys = {"latency", "jitter",        "jitter_distribution",
                                                "rate",    "queue_packets", "queue_bytes",
                                                "mtu",     "loss",          "ber",
                                                "outages", "in_order",      "duty_cycle",
                                                "sub_band"};

}  // namespace

void read_loss(YamlReader& reader, const YAML::Node& n, const std::string& path,
               net::LossConfig& loss, const std::vector<std::string>& extra_keys) {
  if (n.IsScalar()) {  // shorthand: a Bernoulli probability
    if (auto p = reader.probability(n, path)) {
      loss = {};
      loss.kind = *p > 0 ? net::LossKind::bernoulli : net::LossKind::none;
      loss.p = *p;
    }
    return;
  }
  std::vector<std::string> known = {"model",         "p",         "p_good_to_bad",
                                    "p_bad_to_good", "loss_good", "loss_bad"};
  known.insert(known.end(), extra_keys.begin(), extra_keys.end());
  if (!reader.expect_map(n, path, known)) return;
  // Without `model`, a mapping is Bernoulli: {p: 0.2} reads as it is written.
  const auto model = n["model"] ? reader.choice(n["model"], join_path(path, "model"),
                                                {"none", "bernoulli", "gilbert_elliott"})
                                : std::optional<std::string>("bernoulli");
  loss = {};
  if (!model) return;
  if (*model == "bernoulli") {
    loss.kind = net::LossKind::bernoulli;
    loss.p = reader.probability(n["p"], join_path(path, "p")).value_or(0);
  } else if (*model == "gilbert_elliott") {
    loss.kind = net::LossKind::gilbert_elliott;
    loss.p_good_to_bad =
        reader.probability(n["p_good_to_bad"], join_path(path, "p_good_to_bad")).value_or(0);
    loss.p_bad_to_good =
        reader.probability(n["p_bad_to_good"], join_path(path, "p_bad_to_good")).value_or(1);
    loss.loss_good = reader.probability(n["loss_good"], join_path(path, "loss_good")).value_or(0);
    loss.loss_bad = reader.probability(n["loss_bad"], join_path(path, "loss_bad")).value_or(1);
  }
}

namespace {

void read_outages(YamlReader& reader, const YAML::Node& n, const std::string& path,
                  net::LinkConfig& config) {
  if (!reader.expect_sequence(n, path)) return;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string at = index_path(path, i);
    if (!reader.expect_map(n[i], at, {"at", "for"})) continue;
    const auto start = reader.duration_ns(n[i]["at"], join_path(at, "at"));
    const auto length = reader.duration_ns(n[i]["for"], join_path(at, "for"), 1);
    if (!n[i]["at"] || !n[i]["for"]) reader.error(n[i], at, "an outage needs at and for");
    if (start && length) config.outages.push_back({*start, *start + *length});
  }
}

void read_overrides(YamlReader& reader, const YAML::Node& n, const std::string& path,
                    net::LinkConfig& c) {
  auto key = [&](const char* k) { return join_path(path, k); };
  c.latency_ns = reader.duration_ns(n["latency"], key("latency")).value_or(c.latency_ns);
  if (auto jitter = reader.duration_ns(n["jitter"], key("jitter"))) {
    c.jitter_ns = *jitter;
    if (c.jitter == net::JitterKind::none && *jitter > 0) c.jitter = net::JitterKind::uniform;
  }
  if (auto kind = reader.choice(n["jitter_distribution"], key("jitter_distribution"),
                                {"none", "uniform", "normal", "exponential"})) {
    c.jitter = *kind == "none"      ? net::JitterKind::none
               : *kind == "uniform" ? net::JitterKind::uniform
               : *kind == "normal"  ? net::JitterKind::normal
                                    : net::JitterKind::exponential;
  }
  c.rate_bps = reader.rate_bps(n["rate"], key("rate")).value_or(c.rate_bps);
  c.queue_limit_packets = reader.integer(n["queue_packets"], key("queue_packets"), 0, 10'000'000)
                              .value_or(c.queue_limit_packets);
  c.queue_limit_bytes = reader.size_bytes(n["queue_bytes"], key("queue_bytes"), 0, INT64_MAX)
                            .value_or(c.queue_limit_bytes);
  c.mtu_bytes = reader.size_bytes(n["mtu"], key("mtu"), 0, 65'535).value_or(c.mtu_bytes);
  if (n["loss"]) read_loss(reader, n["loss"], key("loss"), c.loss);
  c.bit_error_rate = reader.probability(n["ber"], key("ber")).value_or(c.bit_error_rate);
  if (n["outages"]) read_outages(reader, n["outages"], key("outages"), c);
  c.in_order = reader.flag(n["in_order"], key("in_order")).value_or(c.in_order);
  if (auto dc = reader.real(n["duty_cycle"], key("duty_cycle"), 1e-6, 1.0)) {
    if (!c.duty_cycle.enabled) {
      reader.error(n["duty_cycle"], key("duty_cycle"), "only LoRa profiles have a duty cycle");
    } else {
      c.duty_cycle.duty_cycle = *dc;
    }
  }
  if (auto band = reader.text(n["sub_band"], key("sub_band"))) {
    if (!c.duty_cycle.enabled) {
      reader.error(n["sub_band"], key("sub_band"), "only LoRa profiles have a sub-band");
    } else {
      c.duty_cycle.sub_band = *band;
    }
  }
}

std::vector<std::string> profile_names() {
  std::vector<std::string> names;
  for (const auto& p : net::builtin_profiles()) names.emplace_back(p.name);
  return names;
}

}  // namespace

void read_link(YamlReader& reader, const YAML::Node& node, const std::string& path,
               const std::string& link_name, std::string_view default_profile,
               const std::vector<std::string>& extra_keys, std::string& profile,
               net::LinkConfig& config, net::LinkConfig& reverse) {
  std::vector<std::string> known = kOverrideKeys;
  known.insert(known.end(), {"profile", "reverse"});
  known.insert(known.end(), extra_keys.begin(), extra_keys.end());
  profile = std::string(default_profile);
  const bool map = node.IsDefined() && reader.expect_map(node, path, known);
  if (map && node["profile"]) {
    const auto name = reader.text(node["profile"], join_path(path, "profile"));
    const auto names = profile_names();
    if (name && std::find(names.begin(), names.end(), *name) != names.end()) {
      profile = *name;
    } else if (name) {
      std::string all;
      for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
      const std::string hint = closest_match(*name, names);
      reader.error(node["profile"], join_path(path, "profile"),
                   "unknown link profile '" + *name + "'" +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                       " (profiles: " + all + ")");
    }
  }
  config = net::make_link_config(net::find_profile(profile), link_name);
  if (map) read_overrides(reader, node, path, config);
  reverse = config;
  const std::string reverse_path = join_path(path, "reverse");
  if (map && node["reverse"] && reader.expect_map(node["reverse"], reverse_path, kOverrideKeys)) {
    read_overrides(reader, node["reverse"], reverse_path, reverse);
  }
}

bool glob_match(std::string_view pattern, std::string_view name) {
  // Iterative '*' matching with one backtrack point: linear in practice for node names.
  std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p, ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace mqttsim::sim::scenario::detail
