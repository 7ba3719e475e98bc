// ClientSession with BrokerCore under random interleavings: a RapidCheck property for the QoS 1
// and QoS 2 guarantees of persistent sessions across connection breaks, and byte-level
// regression tests for the BrokerCore bugs it and the client examples found.
#include <rapidcheck/catch.h>

#include <limits>
#include <map>

#include "broker_harness.hpp"
#include "session_pair.hpp"

using namespace mqttsim::protocol;
using namespace mqttsim::protocol::testing;
using namespace mqttsim::protocol::client_event;

// 2 to 4 clients (3.1.1 or 5.0 at random), each with a persistent session (Clean Start 0,
// session expiry without end), each subscribed to "t/#" at QoS 2 before anything is
// published. Then a random sequence of: publish at QoS 1 or 2 from a random client; deliver
// one chunk in one direction; flush everything; break a connection with bytes in flight lost
// (the broker learns of it at once or only later: a half-open connection ended by takeover);
// a graceful disconnect(); connect() again; let time pass. Finally every client is connected
// again and time runs (network flushed at every step) until all is quiet: no client has
// anything queued, in flight or pending, the broker has nothing in flight or queued, and no
// bytes travel.
//
// Invariant, checked on the events the clients emitted:
//  1. every publish() was accepted and ended with exactly one PublishAcked, with code 0;
//  2. every message acknowledged to its publisher was delivered to every client (all were
//     subscribed before any publish): at least once at QoS 1, exactly once at QoS 2;
//  3. no QoS 2 message is ever delivered twice to a client, and no message arrives that was
//     never published, nor at a QoS other than its own;
//  4. neither side reports a protocol violation.
namespace {
// A uniform draw from [lo, hi): RapidCheck scales inRange with the test size, which would make
// early runs all publish and no break; choices here should not depend on it.
template <typename T>
T pick(T lo, T hi) {
  return *rc::gen::resize(100, rc::gen::inRange<T>(lo, hi));
}

struct Published {
  std::size_t publisher;
  QoS qos;
  LocalMessageId id;
};

bool quiet(SessionWorld& w) {
  if (w.chunks_in_flight() != 0) return false;
  for (std::size_t i = 0; i < w.client_count(); ++i) {
    const ClientSession& c = w.client(i);
    if (c.state() != ClientState::connected || c.inflight_count() != 0 || c.queued_count() != 0 ||
        c.pending_requests() != 0) {
      return false;
    }
  }
  for (const auto& [id, s] : w.broker.snapshot().sessions) {
    if (!s.connected || !s.inflight.empty() || !s.queue.empty()) return false;
  }
  return true;
}

std::string describe(SessionWorld& w) {
  std::string out =
      "t=" + std::to_string(w.now_ns) + " chunks=" + std::to_string(w.chunks_in_flight()) + "\n";
  for (std::size_t i = 0; i < w.client_count(); ++i) {
    const ClientSession& c = w.client(i);
    out += "client " + std::to_string(i) + " state=" + std::to_string(int(c.state())) +
           " open=" + std::to_string(w.is_open(i)) +
           " inflight=" + std::to_string(c.inflight_count()) +
           " queued=" + std::to_string(c.queued_count()) +
           " requests=" + std::to_string(c.pending_requests()) + "\n";
  }
  for (const auto& [id, s] : w.broker.snapshot().sessions) {
    out += "session " + id + " connected=" + std::to_string(s.connected) +
           " inflight=" + std::to_string(s.inflight.size()) +
           " queue=" + std::to_string(s.queue.size()) + "\n";
  }
  return out;
}

void random_step(SessionWorld& w, std::map<std::string, Published>& sent, int& next_payload) {
  const std::size_t i = pick<std::size_t>(0, w.client_count());
  const int op = pick(0, 100);
  RC_LOG() << "client " << i << " op " << op << "\n";
  if (op < 25) {
    const QoS q = *rc::gen::element(QoS::at_least_once, QoS::exactly_once);
    const std::string payload = "m" + std::to_string(next_payload++);
    const CommandResult r = w.client(i).publish(w.now_ns, "t/" + std::to_string(i), payload, q);
    RC_ASSERT(static_cast<bool>(r));
    sent[payload] = Published{i, q, r.id};
    RC_LOG() << "c" << i << " publishes " << payload << " at QoS " << int(q) << "\n";
    w.collect();
  } else if (op < 47) {
    w.deliver_to_broker(i);
  } else if (op < 69) {
    w.deliver_to_client(i);
  } else if (op < 74) {
    w.flush();
  } else if (op < 84) {
    w.break_connection(i, /*broker_notices=*/*rc::gen::arbitrary<bool>());
  } else if (op < 87) {
    w.notice_dead_connections();
  } else if (op < 91) {
    w.client(i).disconnect(w.now_ns);
    w.collect();
  } else if (op < 94) {
    w.client(i).connect(w.now_ns);
  } else {
    w.advance(pick<TimeNs>(1, 3000) * 1'000'000);
  }
}

void check_guarantees(SessionWorld& w, const std::map<std::string, Published>& sent) {
  for (const auto& e : w.broker_events()) {
    if (const auto* v = std::get_if<broker_event::ProtocolViolation>(&e)) {
      RC_FAIL("broker, connection " + std::to_string(v->connection) + ": " + v->error.reason);
    }
  }
  std::map<std::pair<std::size_t, LocalMessageId>, std::vector<std::uint8_t>> acks;
  for (std::size_t i = 0; i < w.client_count(); ++i) {
    for (const ProtocolViolation& v : events_of<ProtocolViolation>(w.events(i))) {
      RC_FAIL("client " + std::to_string(i) + ": " + v.error.reason);
    }
    for (const PublishAcked& a : events_of<PublishAcked>(w.events(i))) {
      acks[{i, a.message_id}].push_back(a.reason_code);
    }
  }
  for (const auto& [payload, p] : sent) {
    const auto codes = acks.find({p.publisher, p.id});
    RC_ASSERT(codes != acks.end());
    RC_ASSERT(codes->second == std::vector<std::uint8_t>{0});
  }
  for (std::size_t i = 0; i < w.client_count(); ++i) {
    std::map<std::string, int> count;
    for (const client_event::Message& m : events_of<client_event::Message>(w.events(i))) {
      const auto known = sent.find(m.payload);
      RC_ASSERT(known != sent.end());
      RC_ASSERT(m.qos == known->second.qos);
      ++count[m.payload];
    }
    for (const auto& [payload, p] : sent) {
      const int n = count[payload];
      if (p.qos == QoS::exactly_once) {
        RC_ASSERT(n == 1);
      } else {
        RC_ASSERT(n >= 1);
      }
    }
  }
}
}  // namespace

TEST_CASE("QoS 1 is delivered at least once and QoS 2 exactly once across connection breaks",
          "[client][property]") {
  rc::prop("persistent sessions keep the QoS guarantees", [] {
    BrokerConfig bc;
    bc.receive_maximum = pick<std::uint16_t>(1, 5);
    SessionWorld w(bc);
    w.trace = [](const std::string& line) { RC_LOG() << line << "\n"; };
    RC_LOG() << "broker receive maximum " << bc.receive_maximum << "\n";
    const std::size_t clients = pick<std::size_t>(2, 5);
    for (std::size_t i = 0; i < clients; ++i) {
      ClientConfig c = config_for("c" + std::to_string(i),
                                  *rc::gen::element(Version::v3_1_1, Version::v5), true);
      c.session_expiry_interval_s = std::numeric_limits<std::uint32_t>::max();
      c.receive_maximum = pick<std::uint16_t>(1, 5);
      c.max_inflight = pick<std::uint16_t>(1, 5);
      c.keep_alive_s = 30;
      c.reconnect = {{1 * kS}, true};
      RC_LOG() << "c" << i << " " << version_name(c.version) << " receive maximum "
               << c.receive_maximum << " max inflight " << c.max_inflight << "\n";
      w.add_client(c);
      w.open(i);
    }
    w.flush();
    for (std::size_t i = 0; i < clients; ++i) {
      RC_ASSERT(static_cast<bool>(w.client(i).subscribe(w.now_ns, {{"t/#", {QoS::exactly_once}}})));
    }
    w.flush();
    for (std::size_t i = 0; i < clients; ++i) RC_ASSERT(w.client(i).pending_requests() == 0u);

    std::map<std::string, Published> sent;
    int next_payload = 0;
    const int steps = pick(1, 150);
    for (int s = 0; s < steps; ++s) random_step(w, sent, next_payload);

    for (std::size_t i = 0; i < clients; ++i) {
      if (w.client(i).state() == ClientState::idle) w.client(i).connect(w.now_ns);
    }
    w.notice_dead_connections();
    for (int round = 0; round < 300 && !quiet(w); ++round) w.advance(1 * kS);
    RC_LOG() << describe(w);
    RC_ASSERT(quiet(w));
    check_guarantees(w, sent);
    bool resumed = false;
    bool redelivered = false;
    for (std::size_t i = 0; i < clients; ++i) {
      for (const Connected& c : events_of<Connected>(w.events(i))) resumed |= c.session_present;
      for (const auto& m : events_of<client_event::Message>(w.events(i))) redelivered |= m.dup;
    }
    RC_CLASSIFY(sent.size() > 10, "more than 10 messages");
    RC_CLASSIFY(resumed, "a session resumed");
    std::size_t reconnects = 0;
    for (std::size_t i = 0; i < clients; ++i) {
      reconnects += events_of<ReconnectScheduled>(w.events(i)).size();
    }
    RC_CLASSIFY(reconnects == 0, "no reconnect");
    RC_CLASSIFY(redelivered, "a DUP=1 redelivery reached a subscriber");
  });
}

// ---- BrokerCore regressions the client tests found (byte-level, with a scripted client) ----

TEST_CASE("a 3.1.1 client is not held to a Receive Maximum it was never told", "[client][broker]") {
  BrokerConfig bc;
  bc.receive_maximum = 1;  // announced only in a 5.0 CONNACK
  BrokerHarness h(bc);
  ScriptedClient& c = h.client(Version::v3_1_1);
  c.connect(make_connect("old", Version::v3_1_1));
  c.send(make_publish("t", "1", QoS::exactly_once, 1));
  c.send(make_publish("t", "2", QoS::exactly_once, 2));
  CHECK(c.take_as<Pubrec>().packet_id == 1);
  CHECK(c.take_as<Pubrec>().packet_id == 2);
  CHECK_FALSE(c.closed());
}

TEST_CASE("a repeated 3.1.1 PUBREL is answered with PUBCOMP, not a connection close",
          "[client][broker]") {
  BrokerHarness h;
  ScriptedClient& c = h.client(Version::v3_1_1);
  c.connect(make_connect("old", Version::v3_1_1));
  c.send(make_publish("t", "1", QoS::exactly_once, 1));
  c.take_as<Pubrec>();
  c.send(Pubrel{1, {}, {}});
  c.take_as<Pubcomp>();
  c.send(Pubrel{1, {}, {}});  // our PUBCOMP was lost, say: 0x92 cannot be said in 3.1.1
  CHECK(c.take_as<Pubcomp>().packet_id == 1);
  CHECK_FALSE(c.closed());
  CHECK(h.broker.metrics().protocol_violations == 0);
}

TEST_CASE("a 5.0 DISCONNECT with an error code leaves the Will to be published (MQTT-3.14.4-3)",
          "[client][broker]") {
  BrokerHarness h;
  ScriptedClient& watcher = h.client(Version::v5);
  watcher.connect(make_connect("watcher", Version::v5));
  watcher.send(make_subscribe(1, "status/#", QoS::at_most_once));
  watcher.take_as<Suback>();
  ScriptedClient& c = h.client(Version::v5);
  Connect with_will = make_connect("dying", Version::v5);
  with_will.will = Will{QoS::at_most_once, false, "status/dying", ByteView::of("gone"), {}};
  c.connect(with_will);
  c.send(Disconnect{ReasonCode::malformed_packet, {}});
  CHECK(watcher.take_as<Publish>().payload == ByteView::of("gone"));
}
