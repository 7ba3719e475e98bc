// Capability discovery: what a 5.0 CONNACK announces, and probes for what nothing announces
// (session persistence, long and empty client ids, 3.1.1 maximum QoS and wildcards).
#include "conformance/suite/runner.hpp"

namespace mqttsim::conformance {

using namespace protocol;

namespace {

// Connects with `connect` on a fresh link; returns the CONNACK, or nullopt when the broker
// refused or closed.
std::optional<Connack> try_connect(Client& c, Connect connect) {
  c.open();
  connect.version = c.version();
  c.send(connect);
  Incoming in = c.next();
  if (in.kind != Incoming::Kind::packet) return std::nullopt;
  const Connack* ack = std::get_if<Connack>(&in.received.packet);
  if (ack == nullptr || ack->reason_code != ReasonCode::success) return std::nullopt;
  return *ack;
}

Connect base_connect(CaseContext& ctx, std::string_view client_id) {
  Connect c;
  c.client_id = client_id;
  if (ctx.settings().username) c.username = ctx.keep(*ctx.settings().username);
  if (ctx.settings().password) c.password = ctx.keep_bytes(*ctx.settings().password);
  return c;
}

void read_connack(const Connack& ack, Capabilities& caps) {
  const Properties& p = ack.properties;
  if (p.maximum_qos) caps.maximum_qos = static_cast<QoS>(*p.maximum_qos);
  if (p.retain_available) caps.retain = *p.retain_available;
  if (p.wildcard_subscription_available) {
    caps.wildcard_subscriptions = *p.wildcard_subscription_available;
  }
  if (p.shared_subscription_available) caps.shared_subscriptions = *p.shared_subscription_available;
  if (p.subscription_identifier_available) {
    caps.subscription_identifiers = *p.subscription_identifier_available;
  }
  caps.topic_alias_maximum = p.topic_alias_maximum.value_or(0);
  caps.receive_maximum = p.receive_maximum.value_or(65535);
  caps.maximum_packet_size_bytes = p.maximum_packet_size_bytes.value_or(0);
  if (p.session_expiry_interval_s) caps.session_expiry_max_s = p.session_expiry_interval_s;
}

void probe_311_subscriptions(CaseContext& ctx, Client& c, Capabilities& caps,
                             std::vector<std::string>& notes) {
  const auto granted = c.subscribe(ctx.topic("probe"), QoS::exactly_once);
  if (granted[0] == ReasonCode::unspecified_error) {
    caps.maximum_qos = QoS::at_most_once;
    notes.push_back("3.1.1: a QoS 2 subscription was refused");
  } else {
    caps.maximum_qos = static_cast<QoS>(std::min<int>(static_cast<int>(granted[0]), 2));
  }
  const auto wildcard = c.subscribe(ctx.topic("#"), QoS::at_most_once);
  caps.wildcard_subscriptions = wildcard[0] != ReasonCode::unspecified_error;
  caps.shared_subscriptions = false;  // not part of 3.1.1
  caps.subscription_identifiers = false;
}

void probe(CaseContext& ctx, Capabilities& caps, std::vector<std::string>& notes) {
  const bool v5 = ctx.v5();
  Client& main = ctx.client("disc");
  Connect connect = base_connect(ctx, main.id());
  connect.clean_start = false;  // a session to look for when reconnecting below
  if (v5) connect.properties.session_expiry_interval_s = 300;
  const auto ack = try_connect(main, connect);
  if (!ack) {
    caps.anonymous = false;
    ctx.error("the broker refused the discovery CONNECT (credentials needed? see --profile)");
  }
  caps.anonymous = !ctx.settings().username.has_value();
  if (v5) read_connack(*ack, caps);
  if (!v5) probe_311_subscriptions(ctx, main, caps, notes);
  main.disconnect();
  // Session persistence: reconnect without clean start and look at Session Present.
  connect.clean_start = false;
  const auto resumed = try_connect(main, connect);
  caps.session_persistence = resumed && resumed->session_present;
  if (!caps.session_persistence) notes.push_back("sessions do not survive a disconnect");
  connect.clean_start = true;
  if (v5) connect.properties.session_expiry_interval_s = 0;
  if (try_connect(main, connect)) main.disconnect();  // leave no session behind
  // Client ids of 64 characters.
  Client& long_id = ctx.client("long");
  const std::string long_name =
      ctx.unique_id("L") + std::string(64 - ctx.unique_id("L").size(), 'x');
  caps.long_client_ids = try_connect(long_id, base_connect(ctx, ctx.keep(long_name))).has_value();
  long_id.close();
  // An empty client id (the broker assigns one).
  Client& empty = ctx.client("empty");
  caps.empty_client_id = try_connect(empty, base_connect(ctx, "")).has_value();
  empty.close();
}

}  // namespace

Capabilities discover_capabilities(Target& target, Version version, const RunSettings& settings,
                                   std::vector<std::string>& notes) {
  Capabilities caps;
  auto world = target.new_world();
  CaseContext ctx(*world, version, caps, settings, "mqdisc" + std::to_string(int(version)),
                  "mqttsim-conf/discovery/");
  probe(ctx, caps, notes);
  return caps;
}

}  // namespace mqttsim::conformance
