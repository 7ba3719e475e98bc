// The `clients:` section: one entry per client group (count, protocol, how each client attaches
// to the network, its session, credentials, Will, publishing behaviour, subscriptions, churn).
#include <algorithm>
#include <limits>
#include <map>

#include "sim/scenario/load_impl.hpp"

namespace mqttsim::sim::scenario::detail {
namespace {

std::string key(const std::string& path, const char* k) {
  return join_path(path, k);
}

std::optional<int> read_qos(YamlReader& reader, const YAML::Node& n, const std::string& path,
                            bool allow_minus_one) {
  const auto qos = reader.integer(n, path, allow_minus_one ? -1 : 0, 2);
  if (!qos) return std::nullopt;
  return static_cast<int>(*qos);
}

// The largest payload a scenario may ask for, and the default `max` of a drawn size.
constexpr std::int64_t kMax = 256 * 1024 * 1024;

// `{distribution: exponential|normal|lognormal|pareto, ..., max}`: sizes drawn per message,
// rounded to whole bytes and kept within [0, max] (default 256 MiB).
void read_payload_distribution(YamlReader& reader, const YAML::Node& n, const std::string& path,
                               PayloadSpec& payload) {
  const auto kind = reader.choice(n["distribution"], key(path, "distribution"),
                                  {"uniform", "exponential", "normal", "lognormal", "pareto"});
  if (!kind) return;
  // Which keys each distribution takes; any other is refused rather than silently ignored.
  const std::map<std::string, std::vector<std::string>> takes = {
      {"uniform", {"min", "max"}},
      {"exponential", {"mean", "max"}},
      {"normal", {"mean", "stddev", "max"}},
      {"lognormal", {"mean", "stddev", "max"}},
      {"pareto", {"scale", "shape", "max"}}};
  const std::vector<std::string>& keys = takes.at(*kind);
  for (const char* k : {"size", "min", "max", "mean", "stddev", "scale", "shape"}) {
    if (n[k] && std::find(keys.begin(), keys.end(), k) == keys.end()) {
      reader.error(n[k], key(path, k), "not a parameter of the " + *kind + " distribution");
    }
  }
  for (const std::string& k : keys) {
    if (!n[k] && k != "max") reader.error(n, path, "the " + *kind + " distribution needs " + k);
  }
  auto size = [&](const char* k, std::int64_t lo) {
    return static_cast<double>(reader.size_bytes(n[k], key(path, k), lo, kMax).value_or(0));
  };
  payload = {};
  if (*kind == "uniform") {
    const auto lo = static_cast<std::int64_t>(size("min", 0));
    const auto hi = static_cast<std::int64_t>(size("max", 0));
    if (lo > hi) return reader.error(n, path, "min is larger than max");
    payload = {PayloadSpec::Kind::uniform, lo, hi};
    return;
  }
  payload.max_size_bytes = n["max"] ? static_cast<std::int64_t>(size("max", 1)) : kMax;
  if (*kind == "pareto") {
    payload.kind = PayloadSpec::Kind::pareto;
    payload.mean_bytes = size("scale", 1);
    payload.spread = reader.real(n["shape"], key(path, "shape"), 0.01, 100).value_or(1);
  } else {
    payload.kind = *kind == "exponential" ? PayloadSpec::Kind::exponential
                   : *kind == "normal"    ? PayloadSpec::Kind::normal
                                          : PayloadSpec::Kind::lognormal;
    payload.mean_bytes = size("mean", 1);
    if (*kind != "exponential") payload.spread = size("stddev", 0);
  }
}

void read_payload(YamlReader& reader, const YAML::Node& n, const std::string& path,
                  PayloadSpec& payload) {
  if (n.IsScalar() && n.Scalar() == "json-temperature") {
    payload.kind = PayloadSpec::Kind::json_temperature;
    return;
  }
  if (n.IsScalar()) {
    if (auto size = reader.size_bytes(n, path, 0, kMax)) {
      payload = {PayloadSpec::Kind::fixed, *size, *size};
    }
    return;
  }
  if (!reader.expect_map(
          n, path, {"size", "min", "max", "distribution", "mean", "stddev", "scale", "shape"}))
    return;
  if (n["distribution"]) return read_payload_distribution(reader, n, path, payload);
  if (n["size"]) {
    if (auto size = reader.size_bytes(n["size"], key(path, "size"), 0, kMax)) {
      payload = {PayloadSpec::Kind::fixed, *size, *size};
    }
    return;
  }
  const auto lo = reader.size_bytes(n["min"], key(path, "min"), 0, kMax);
  const auto hi = reader.size_bytes(n["max"], key(path, "max"), 0, kMax);
  if (!lo || !hi) return reader.error(n, path, "expected size, or min and max");
  if (*lo > *hi) return reader.error(n, path, "min is larger than max");
  payload = {PayloadSpec::Kind::uniform, *lo, *hi};
}

void read_publish(YamlReader& reader, const YAML::Node& n, const std::string& path,
                  PublishSpec& pub) {
  if (!reader.expect_map(
          n, path,
          {"topic", "values", "every", "jitter", "qos", "retain", "payload", "start", "count"})) {
    return;
  }
  if (auto topic = reader.text(n["topic"], key(path, "topic"))) {
    pub.topic = *topic;
  } else if (!n["topic"]) {
    reader.error(n, path, "needs a topic");
  }
  if (const YAML::Node values = n["values"]; values && values.IsMap()) {
    for (const auto& item : values) {
      const std::string at = join_path(key(path, "values"), item.first.Scalar());
      if (!reader.expect_sequence(item.second, at)) continue;
      std::vector<std::string>& list = pub.values[item.first.Scalar()];
      for (std::size_t i = 0; i < item.second.size(); ++i) {
        if (auto v = reader.text(item.second[i], index_path(at, i))) list.push_back(*v);
      }
      if (list.empty()) reader.error(item.second, at, "needs at least one value");
    }
  } else if (values) {
    reader.error(values, key(path, "values"), "expected a mapping of name to a list of values");
  }
  pub.interval_ns =
      reader.duration_ns(n["every"], key(path, "every"), kNsPerUs).value_or(pub.interval_ns);
  pub.jitter_ns = reader.duration_ns(n["jitter"], key(path, "jitter")).value_or(pub.jitter_ns);
  if (pub.jitter_ns >= pub.interval_ns && n["jitter"]) {
    reader.error(n["jitter"], key(path, "jitter"), "must be less than the interval (every)");
  }
  pub.qos = read_qos(reader, n["qos"], key(path, "qos"), true).value_or(pub.qos);
  pub.retain = reader.flag(n["retain"], key(path, "retain")).value_or(pub.retain);
  if (n["payload"]) read_payload(reader, n["payload"], key(path, "payload"), pub.payload);
  pub.start_ns = reader.duration_ns(n["start"], key(path, "start")).value_or(pub.start_ns);
  pub.count = reader.integer(n["count"], key(path, "count"), 0, INT64_MAX).value_or(pub.count);
}

void read_subscriptions(YamlReader& reader, const YAML::Node& n, const std::string& path,
                        std::vector<SubscriptionSpec>& out) {
  if (!reader.expect_sequence(n, path)) return;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string at = index_path(path, i);
    SubscriptionSpec sub;
    if (n[i].IsScalar()) {  // shorthand: just the filter, QoS 0
      sub.filter = n[i].Scalar();
      out.push_back(sub);
      continue;
    }
    if (!reader.expect_map(
            n[i], at, {"filter", "qos", "no_local", "retain_as_published", "retain_handling"})) {
      continue;
    }
    const auto filter = reader.text(n[i]["filter"], key(at, "filter"));
    if (!filter) {
      if (!n[i]["filter"]) reader.error(n[i], at, "needs a filter");
      continue;
    }
    sub.filter = *filter;
    sub.qos = read_qos(reader, n[i]["qos"], key(at, "qos"), false).value_or(0);
    sub.no_local = reader.flag(n[i]["no_local"], key(at, "no_local")).value_or(false);
    sub.retain_as_published =
        reader.flag(n[i]["retain_as_published"], key(at, "retain_as_published")).value_or(false);
    sub.retain_handling = static_cast<int>(
        reader.integer(n[i]["retain_handling"], key(at, "retain_handling"), 0, 2).value_or(0));
    out.push_back(sub);
  }
}

void read_session(YamlReader& reader, const YAML::Node& n, const std::string& path,
                  SessionSpec& s) {
  if (!reader.expect_map(n, path, {"clean_start", "expiry", "keep_alive"})) return;
  s.clean_start = reader.flag(n["clean_start"], key(path, "clean_start")).value_or(s.clean_start);
  s.expiry_ns =
      reader.duration_ns(n["expiry"], key(path, "expiry"), 0, TimeNs{UINT32_MAX} * kNsPerS)
          .value_or(s.expiry_ns);
  s.keep_alive_ns =
      reader.duration_ns(n["keep_alive"], key(path, "keep_alive"), 0, TimeNs{65535} * kNsPerS)
          .value_or(s.keep_alive_ns);
}

void read_will(YamlReader& reader, const YAML::Node& n, const std::string& path, WillSpec& w) {
  if (!reader.expect_map(n, path, {"topic", "payload", "qos", "retain", "delay"})) return;
  w.topic = reader.text(n["topic"], key(path, "topic")).value_or("");
  if (!n["topic"]) reader.error(n, path, "needs a topic");
  w.payload = reader.text(n["payload"], key(path, "payload")).value_or("");
  w.qos = read_qos(reader, n["qos"], key(path, "qos"), false).value_or(0);
  w.retain = reader.flag(n["retain"], key(path, "retain")).value_or(false);
  w.delay_ns = reader.duration_ns(n["delay"], key(path, "delay")).value_or(0);
}

void read_churn(YamlReader& reader, const YAML::Node& n, const std::string& path, ChurnSpec& c) {
  if (!reader.expect_map(n, path, {"online", "offline", "graceful"})) return;
  const auto online = reader.duration_ns(n["online"], key(path, "online"), kNsPerMs);
  const auto offline = reader.duration_ns(n["offline"], key(path, "offline"), kNsPerMs);
  if (!online || !offline) {
    if (!n["online"] || !n["offline"])
      reader.error(n, path, "needs online and offline (mean durations)");
    return;
  }
  c = {true, *online, *offline, reader.flag(n["graceful"], key(path, "graceful")).value_or(true)};
}

const std::vector<std::string> kGroupKeys = {"count",    "protocol", "mqtt",          "client_id",
                                             "attach",   "gateway",  "session",       "username",
                                             "password", "will",     "publish",       "subscribe",
                                             "churn",    "start",    "connect_spread"};

void read_group(YamlReader& reader, const YAML::Node& n, const std::string& path,
                ClientGroupSpec& g) {
  if (!reader.expect_map(n, path, kGroupKeys)) return;
  g.count = reader.integer(n["count"], key(path, "count"), 1, 1'000'000).value_or(g.count);
  if (auto p = reader.choice(n["protocol"], key(path, "protocol"), {"mqtt", "mqtt-sn"})) {
    g.protocol = *p == "mqtt" ? ClientProtocol::mqtt : ClientProtocol::mqtt_sn;
  }
  const bool sn = g.protocol == ClientProtocol::mqtt_sn;
  if (auto v = reader.choice(n["mqtt"], key(path, "mqtt"), {"3.1", "3.1.1", "5"})) {
    g.version = *v == "5"     ? protocol::Version::v5
                : *v == "3.1" ? protocol::Version::v3_1
                              : protocol::Version::v3_1_1;
  }
  g.client_id = reader.text(n["client_id"], key(path, "client_id")).value_or(g.client_id);
  const YAML::Node attach = n["attach"];
  g.attach_mark = attach ? attach.Mark() : n.Mark();
  read_link(reader, attach, key(path, "attach"), g.name + "/access", "ethernet", {"to"},
            g.attach_profile, g.attach_link, g.attach_reverse);
  if (attach && attach.IsMap() && attach["to"]) {
    g.attach_to = reader.text(attach["to"], key(path, "attach.to")).value_or(g.attach_to);
    g.attach_mark = attach["to"].Mark();
  }
  g.gateway = reader.text(n["gateway"], key(path, "gateway")).value_or("");
  if (n["session"]) read_session(reader, n["session"], key(path, "session"), g.session);
  g.username = reader.text(n["username"], key(path, "username"));
  g.password = reader.text(n["password"], key(path, "password"));
  if (n["will"]) read_will(reader, n["will"], key(path, "will"), g.will.emplace());
  if (n["publish"]) read_publish(reader, n["publish"], key(path, "publish"), g.publish.emplace());
  if (n["subscribe"])
    read_subscriptions(reader, n["subscribe"], key(path, "subscribe"), g.subscribe);
  if (n["churn"]) read_churn(reader, n["churn"], key(path, "churn"), g.churn);
  g.start_ns = reader.duration_ns(n["start"], key(path, "start")).value_or(g.start_ns);
  g.connect_spread_ns = reader.duration_ns(n["connect_spread"], key(path, "connect_spread"))
                            .value_or(g.connect_spread_ns);
  if (!sn && g.publish && g.publish->qos < 0) {
    reader.error(n["publish"]["qos"], key(path, "publish.qos"), "QoS -1 exists only in MQTT-SN");
  }
}

}  // namespace

void read_clients(YamlReader& reader, const YAML::Node& node, ScenarioSpec& spec) {
  if (!node.IsMap())
    return reader.error(node, "clients", "expected a mapping of group name to group");
  for (const auto& item : node) {
    ClientGroupSpec group;
    group.name = item.first.Scalar();
    group.mark = item.first.Mark();
    group.attach_to = spec.broker.node;
    group.attach_mark = group.mark;
    const std::string path = join_path("clients", group.name);
    if (group.name.empty() || group.name.find_first_of(" *{}.") != std::string::npos) {
      reader.error(item.first, path, "a group name has no spaces, dots, '*' or braces");
    }
    read_group(reader, item.second, path, group);
    spec.clients.push_back(std::move(group));
  }
}

}  // namespace mqttsim::sim::scenario::detail
