// The scenario generator and its YAML. Shapes: one access router between the clients and the
// broker; publishers often fast (100 ms to 2 s) so that a fault lands in the middle of QoS 1/2
// handshakes; subscribers mostly with persistent sessions, since resumption is where brokers go
// wrong; a short TCP user timeout so that outages break connections; faults inside the run's
// active part, ending before the settle window. Every value shrinks towards the simplest case.
#include "sim/checks/scenario_gen.hpp"

#include <algorithm>
#include <sstream>

namespace mqttsim::sim::checks {
namespace {

namespace gen = rc::gen;

// True one time in n at any size, shrinking to false, so that a counterexample loses the
// feature when it can: gen::element and weightedElement do not shrink, and gen::inRange shrinks
// towards its minimum but scales its range by the size (hence resized to the nominal 100).
bool one_in(int n) {
  return *gen::resize(100, gen::inRange(0, n)) == n - 1;
}

rc::Gen<int> group_count() {
  return gen::weightedOneOf<int>({{6, gen::inRange(1, 4)}, {1, gen::inRange(1, 26)}});
}

// Mostly LAN-like, sometimes long enough (up to 250 ms) that several QoS 1/2 handshakes are in
// flight at once, so a crash or an outage is likely to cut one in the middle.
rc::Gen<int> latency_ms() {
  return gen::weightedOneOf<int>({{2, gen::inRange(1, 40)}, {1, gen::inRange(40, 250)}});
}

rc::Gen<GenPublisher> gen_publisher() {
  return gen::exec([] {
    GenPublisher p;
    p.count = *group_count();
    p.version = *gen::element(5, 4);
    p.persistent = !*gen::weightedElement<bool>({{3, false}, {1, true}});
    p.qos = *gen::weightedElement<int>({{2, 1}, {2, 2}, {1, 0}});
    p.every_ms =
        *gen::weightedOneOf<int>({{3, gen::inRange(100, 400)}, {1, gen::inRange(100, 2000)}});
    p.topic_kind = *gen::weightedElement<int>({{5, 0}, {2, 1}, {1, 2}});
    p.retain = *gen::weightedElement<bool>({{3, false}, {1, true}});
    p.will = *gen::weightedElement<bool>({{3, false}, {1, true}});
    p.latency_ms = *latency_ms();
    p.loss_permille = *gen::weightedOneOf<int>({{3, gen::just(0)}, {1, gen::inRange(0, 50)}});
    return p;
  });
}

rc::Gen<GenSubscriber> gen_subscriber() {
  return gen::exec([] {
    GenSubscriber s;
    s.count = *group_count();
    s.version = *gen::element(5, 4);
    s.persistent = !*gen::weightedElement<bool>({{4, false}, {1, true}});
    s.expiry_s = *gen::weightedOneOf<int>({{4, gen::just(3600)}, {1, gen::inRange(1, 10)}});
    s.qos = *gen::weightedElement<int>({{2, 1}, {2, 2}, {1, 0}});
    s.filter_kind = *gen::element(0, 1, 2, 3);
    s.latency_ms = *latency_ms();
    s.loss_permille = *gen::weightedOneOf<int>({{3, gen::just(0)}, {1, gen::inRange(0, 50)}});
    s.start_s = one_in(4) ? *gen::inRange(3, 15) : 0;
    s.churn_online_s = one_in(5) ? *gen::inRange(3, 15) : 0;
    s.churn_offline_s = *gen::inRange(1, 6);
    s.churn_graceful = *gen::arbitrary<bool>();
    return s;
  });
}

rc::Gen<GenSensor> gen_sensor() {
  return gen::exec([] {
    GenSensor s;
    s.count = *gen::inRange(1, 6);
    s.qos = *gen::element(-1, 0, 1, 2);
    s.every_ms = *gen::inRange(300, 3000);
    s.latency_ms = *latency_ms();
    s.loss_permille = *gen::weightedOneOf<int>({{1, gen::just(0)}, {2, gen::inRange(0, 150)}});
    return s;
  });
}

rc::Gen<GenFault> gen_fault(int duration_s) {
  return gen::exec([duration_s] {
    GenFault f;
    f.kind = *gen::element(GenFaultKind::broker_crash, GenFaultKind::backhaul_down,
                           GenFaultKind::partition, GenFaultKind::client_crash, GenFaultKind::loss);
    f.at_ms = *gen::inRange(2000, (duration_s - kSettleS - 4) * 1000);
    // Outages mostly longer than the TCP user timeout, so that connections break and resume.
    f.for_ms =
        *gen::weightedOneOf<int>({{1, gen::inRange(300, 2000)}, {2, gen::inRange(2000, 12000)}});
    f.target = *gen::inRange(0, 6);
    f.whole_group = *gen::arbitrary<bool>();
    f.persistence = !*gen::weightedElement<bool>({{3, false}, {1, true}});
    f.loss_permille = *gen::inRange(50, 600);
    return f;
  });
}

std::string ms(int value_ms) {
  return std::to_string(value_ms) + "ms";
}

std::string permille(int value) {
  std::ostringstream o;
  o << value / 1000.0;
  return o.str();
}

// The groups that fit `max_clients`: counts cut from the last group back, then whole groups
// dropped (keeping one publisher and one subscriber group when two clients fit).
GenScenario trimmed(GenScenario s, const GenLimits& limits) {
  const int max_clients = std::max(2, limits.max_clients);
  while (static_cast<int>(s.publishers.size() + s.subscribers.size() + s.sensors.size()) >
         max_clients) {
    if (!s.sensors.empty()) {
      s.sensors.pop_back();
    } else if (s.publishers.size() > s.subscribers.size()) {
      s.publishers.pop_back();
    } else {
      s.subscribers.pop_back();
    }
  }
  auto total = [&s] {
    int n = 0;
    for (const auto& p : s.publishers) n += p.count;
    for (const auto& g : s.subscribers) n += g.count;
    for (const auto& g : s.sensors) n += g.count;
    return n;
  };
  while (total() > max_clients) {
    int* largest = nullptr;
    for (auto& g : s.sensors) {
      if (!largest || g.count > *largest) largest = &g.count;
    }
    for (auto& p : s.publishers) {
      if (!largest || p.count > *largest) largest = &p.count;
    }
    for (auto& g : s.subscribers) {
      if (!largest || g.count > *largest) largest = &g.count;
    }
    *largest -= std::min(*largest - 1, total() - max_clients);
  }
  return s;
}

void write_session(std::ostream& o, bool persistent, int expiry_s, int keep_alive_s) {
  o << "    session: {clean_start: " << (persistent ? "false" : "true")
    << ", expiry: " << (persistent ? std::to_string(expiry_s) + "s" : "0")
    << ", keep_alive: " << keep_alive_s << "s}\n";
}

void write_attach(std::ostream& o, int latency_ms, int loss_permille) {
  o << "    attach: {to: ap, profile: ethernet, latency: " << ms(latency_ms);
  if (loss_permille > 0) o << ", loss: " << permille(loss_permille);
  o << "}\n";
}

std::string group_name(const GenScenario& s, int target) {
  const int groups = static_cast<int>(s.publishers.size() + s.subscribers.size());
  const int i = target % groups;
  const int pubs = static_cast<int>(s.publishers.size());
  return i < pubs ? "p" + std::to_string(i + 1) : "s" + std::to_string(i - pubs + 1);
}

void write_fault(std::ostream& o, const GenScenario& s, const GenFault& f) {
  const int latest_end_ms = (s.duration_s - kSettleS - 2) * 1000;
  const int at_ms = std::min(f.at_ms, latest_end_ms - 300);
  const int for_ms = std::max(100, std::min(f.for_ms, latest_end_ms - at_ms));
  const std::string group = group_name(s, f.target);
  const std::string clients = f.whole_group ? group + "-*" : group + "-1";
  o << "  - {at: " << ms(at_ms) << ", for: " << ms(for_ms) << ", ";
  switch (f.kind) {
    case GenFaultKind::broker_crash:
      o << "broker_crash: {persistence: " << (f.persistence ? "true" : "false") << "}";
      break;
    case GenFaultKind::backhaul_down:
      o << "link_down: backhaul";
      break;
    case GenFaultKind::partition:
      o << "partition: {a: [\"" << clients << "\"], b: [ap]}";
      break;
    case GenFaultKind::client_crash:
      o << "client_crash: \"" << clients << "\"";
      break;
    case GenFaultKind::loss:
      o << "loss: {link: backhaul, p: " << permille(f.loss_permille) << "}";
      break;
  }
  o << "}\n";
}

}  // namespace

rc::Gen<GenScenario> gen_scenario(const GenLimits& limits) {
  (void)limits;  // applied when rendering, so that shrinking never meets a trimmed value
  return gen::exec([] {
    GenScenario s;
    s.seed = *gen::inRange<std::uint64_t>(1, 1000000);
    s.duration_s = *gen::inRange(30, 61);
    s.persistence = !*gen::weightedElement<bool>({{3, false}, {1, true}});
    s.backhaul_latency_ms = *gen::inRange(1, 30);
    s.user_timeout_s = *gen::inRange(1, 6);
    s.keep_alive_s = *gen::inRange(5, 30);
    s.publishers =
        *gen::resize(3, gen::nonEmpty(gen::container<std::vector<GenPublisher>>(gen_publisher())));
    s.subscribers = *gen::resize(
        3, gen::nonEmpty(gen::container<std::vector<GenSubscriber>>(gen_subscriber())));
    if (one_in(4)) {
      s.sensors =
          *gen::resize(2, gen::nonEmpty(gen::container<std::vector<GenSensor>>(gen_sensor())));
    }
    s.faults = *gen::resize(6, gen::container<std::vector<GenFault>>(gen_fault(s.duration_s)));
    return s;
  });
}

std::string to_yaml(const GenScenario& scenario, const GenLimits& limits,
                    const std::vector<std::string>& header) {
  const GenScenario s = trimmed(scenario, limits);
  std::ostringstream o;
  for (const std::string& line : header) o << "#" << (line.empty() ? "" : " ") << line << "\n";
  o << "name: check-case\nseed: " << s.seed << "\nduration: " << s.duration_s << "s\n";
  o << "broker: {persistence: " << (s.persistence ? "true" : "false")
    << ", max_queued_messages: 1000000}\n";
  o << "topology:\n  nodes: {ap: router" << (s.sensors.empty() ? "" : ", sgw: gateway")
    << "}\n  links:\n    backhaul: {between: [ap, broker], profile: ethernet, latency: "
    << ms(s.backhaul_latency_ms) << "}\n";
  if (!s.sensors.empty()) {
    o << "    sgwlink: {between: [sgw, ap], profile: ethernet, latency: 2ms}\n";
  }
  o << "clients:\n";
  static const char* kTopics[] = {"t/{id}", "t/all", "$sys/{id}"};
  static const char* kFilters[] = {"t/#", "t/+", "#", "+/+"};
  for (std::size_t i = 0; i < s.publishers.size(); ++i) {
    const GenPublisher& p = s.publishers[i];
    o << "  p" << i + 1 << ":\n    count: " << p.count
      << "\n    mqtt: " << (p.version == 4 ? "\"3.1.1\"" : "5") << "\n";
    write_attach(o, p.latency_ms, p.loss_permille);
    write_session(o, p.persistent, 3600, s.keep_alive_s);
    if (p.will) o << "    will: {topic: \"will/{id}\", payload: gone, qos: 1}\n";
    o << "    publish: {topic: \"" << kTopics[p.topic_kind] << "\", every: " << ms(p.every_ms)
      << ", qos: " << p.qos << ", retain: " << (p.retain ? "true" : "false") << ", payload: 32}\n";
  }
  for (std::size_t i = 0; i < s.subscribers.size(); ++i) {
    const GenSubscriber& g = s.subscribers[i];
    o << "  s" << i + 1 << ":\n    count: " << g.count
      << "\n    mqtt: " << (g.version == 4 ? "\"3.1.1\"" : "5") << "\n";
    write_attach(o, g.latency_ms, g.loss_permille);
    write_session(o, g.persistent, g.expiry_s, s.keep_alive_s);
    o << "    subscribe: [{filter: \"" << kFilters[g.filter_kind] << "\", qos: " << g.qos << "}]\n";
    if (g.start_s > 0) o << "    start: " << g.start_s << "s\n";
    if (g.churn_online_s > 0) {
      o << "    churn: {online: " << g.churn_online_s << "s, offline: " << g.churn_offline_s
        << "s, graceful: " << (g.churn_graceful ? "true" : "false") << "}\n";
    }
  }
  for (std::size_t i = 0; i < s.sensors.size(); ++i) {
    const GenSensor& n = s.sensors[i];
    o << "  n" << i + 1 << ":\n    count: " << n.count
      << "\n    protocol: mqtt-sn\n    gateway: sgw\n    attach: {to: sgw, profile: ethernet, "
         "latency: "
      << ms(n.latency_ms);
    if (n.loss_permille > 0) o << ", loss: " << permille(n.loss_permille);
    o << "}\n    publish: {topic: \"t/{id}\", every: " << ms(n.every_ms) << ", qos: " << n.qos
      << ", payload: 24}\n";
  }
  if (!s.faults.empty()) {
    o << "faults:\n";
    for (const GenFault& f : s.faults) write_fault(o, s, f);
  }
  o << "measure: {settle: " << kSettleS << "s}\n";
  // T_retry well under the run, so that bounded retries end (in reported loss) within it.
  o << "transport: {tcp: {user_timeout: " << s.user_timeout_s << "s}"
    << (s.sensors.empty() ? "" : ", mqtt_sn: {retry: 2s, retries: 3}") << "}\n";
  return o.str();
}

std::string describe_size(const GenScenario& scenario, const GenLimits& limits) {
  const GenScenario s = trimmed(scenario, limits);
  int clients = 0;
  for (const auto& p : s.publishers) clients += p.count;
  for (const auto& g : s.subscribers) clients += g.count;
  for (const auto& g : s.sensors) clients += g.count;
  return std::to_string(clients) + " clients in " +
         std::to_string(s.publishers.size() + s.subscribers.size() + s.sensors.size()) +
         " groups, " + std::to_string(s.faults.size()) + " faults, " +
         std::to_string(s.duration_s) + " s";
}

}  // namespace mqttsim::sim::checks
