// Sessions: offline queueing, subscriptions that survive, redelivery of unacknowledged
// messages with DUP and their original ids on reconnect, PUBREL resent, and (5.0) expiry.
#include "conformance/suite/case_helpers.hpp"

namespace mqttsim::conformance {

using namespace protocol;
using namespace cases;

namespace {

Connect persistent(CaseContext& ctx, const Client& c, std::uint32_t expiry_s = 300) {
  Connect connect = make_connect(ctx, c, false);
  if (ctx.v5()) connect.properties.session_expiry_interval_s = expiry_s;
  return connect;
}

// Ends the case's session so nothing is left on the broker.
void end_session(CaseContext& ctx, Client& c) {
  c.close();
  c.connect(make_connect(ctx, c));
  c.disconnect();
}

void add_queueing_cases(std::vector<Case>& out) {
  for (int qos = 1; qos <= 2; ++qos) {
    Case c{"session.offline_queue_qos" + std::to_string(qos),
           "QoS " + std::to_string(qos) + " messages published while offline arrive on resumption",
           "session",
           {"MQTT-3.1.2-5", "MQTT-4.4.0-1"},
           {"MQTT-3.1.2-5", "MQTT-4.5.0-1"},
           kBoth,
           {Capability::session_persistence, qos == 2 ? Capability::qos2 : Capability::qos1},
           {}};
    c.run = [qos](CaseContext& ctx) {
      const std::string_view topic = ctx.topic("q");
      Client& s = ctx.client("sub");
      s.connect(persistent(ctx, s));
      s.subscribe(topic, QoS(qos));
      s.disconnect();
      Client& pub = connected(ctx, "pub");
      for (int i = 0; i < 3; ++i) pub.publish(topic, std::to_string(i), QoS(qos));
      if (!s.connect(persistent(ctx, s)).session_present) {
        ctx.fail(ctx.st("MQTT-3.2.2-2", "MQTT-3.2.2-3"), "Session Present 0", "Session Present 1");
      }
      for (int i = 0; i < 3; ++i) {
        const Publish p =
            expect_publish(s, topic, "MQTT-3.1.2-5", "queued message " + std::to_string(i));
        if (p.payload.as_chars() != std::to_string(i)) {
          ctx.fail(
              "MQTT-4.6.0-6",
              "message " + std::string(p.payload.as_chars()) + " in position " + std::to_string(i),
              "the publishing order");
        }
        ack(ctx, s, p);
      }
      end_session(ctx, s);
    };
    out.push_back(std::move(c));
  }
  out.push_back({"session.subscriptions_survive",
                 "subscriptions of a resumed session deliver without subscribing again",
                 "session",
                 {"MQTT-3.1.2-4"},
                 {"MQTT-3.1.2-5"},
                 kBoth,
                 {Capability::session_persistence},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("s");
                   Client& s = ctx.client("sub");
                   s.connect(persistent(ctx, s));
                   s.subscribe(topic, QoS::at_most_once);
                   s.disconnect();
                   s.connect(persistent(ctx, s));
                   connected(ctx, "pub").publish(topic, "x", QoS::at_least_once);
                   expect_publish(s, topic, ctx.st("MQTT-3.1.2-4", "MQTT-3.1.2-5"));
                   end_session(ctx, s);
                 }});
  out.push_back({"session.clean_start_drops_queue",
                 "a clean start after offline messages gets none of them",
                 "session",
                 {"MQTT-3.1.2-6"},
                 {"MQTT-3.1.2-4"},
                 kBoth,
                 {Capability::session_persistence, Capability::qos1},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("c");
                   Client& s = ctx.client("sub");
                   s.connect(persistent(ctx, s));
                   s.subscribe(topic, QoS::at_least_once);
                   s.disconnect();
                   connected(ctx, "pub").publish(topic, "x", QoS::at_least_once);
                   s.connect(make_connect(ctx, s));
                   s.expect_silence({ctx.st("MQTT-3.1.2-6", "MQTT-3.1.2-4"),
                                     "nothing: the session was discarded"});
                   s.disconnect();
                 }});
}

void add_redelivery_cases(std::vector<Case>& out) {
  for (int qos = 1; qos <= 2; ++qos) {
    Case c{"session.redelivery_dup_qos" + std::to_string(qos),
           "an unacknowledged QoS " + std::to_string(qos) +
               " message is resent with DUP 1 and the same id on resumption",
           "session",
           {"MQTT-4.4.0-1", "MQTT-3.3.1-1"},
           {},
           kBoth,
           {Capability::session_persistence, qos == 2 ? Capability::qos2 : Capability::qos1},
           {}};
    c.run = [qos](CaseContext& ctx) {
      const std::string_view topic = ctx.topic("r");
      Client& s = ctx.client("sub");
      s.connect(persistent(ctx, s));
      s.subscribe(topic, QoS(qos));
      connected(ctx, "pub").publish(topic, "again", QoS(qos));
      const Publish first = expect_publish(s, topic, "MQTT-4.5.0-1");
      s.close();  // no acknowledgement
      s.connect(persistent(ctx, s));
      const Publish again = expect_publish(s, topic, "MQTT-4.4.0-1", "the message resent");
      if (!again.dup) ctx.fail("MQTT-3.3.1-1", "DUP 0 on the resent PUBLISH", "DUP 1");
      if (again.packet_id != first.packet_id) {
        ctx.fail("MQTT-4.4.0-1",
                 "id " + std::to_string(again.packet_id) + " instead of " +
                     std::to_string(first.packet_id),
                 "the original packet id");
      }
      ack(ctx, s, again);
      end_session(ctx, s);
    };
    out.push_back(std::move(c));
  }
  out.push_back({"session.pubrel_resent",
                 "an unanswered PUBREL is resent on resumption",
                 "session",
                 {"MQTT-4.4.0-1"},
                 {},
                 kBoth,
                 {Capability::session_persistence, Capability::qos2},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("r");
                   Client& s = ctx.client("sub");
                   s.connect(persistent(ctx, s));
                   s.subscribe(topic, QoS::exactly_once);
                   connected(ctx, "pub").publish(topic, "x", QoS::exactly_once);
                   const Publish p = expect_publish(s, topic, "MQTT-4.5.0-1");
                   s.send(Pubrec{p.packet_id, {}, {}});
                   s.expect<Pubrel>({ctx.st("MQTT-4.3.3-1", "MQTT-4.3.3-4"), "PUBREL"});
                   s.close();  // no PUBCOMP
                   s.connect(persistent(ctx, s));
                   s.expect<Pubrel>({"MQTT-4.4.0-1", "the PUBREL resent with the same id"},
                                    [&](const Pubrel& r) { return r.packet_id == p.packet_id; });
                   s.send(Pubcomp{p.packet_id, {}, {}});
                   s.expect_silence({"MQTT-4.3.3-1", "no PUBLISH again after PUBREL"});
                   end_session(ctx, s);
                 }});
}

void add_expiry_cases(std::vector<Case>& out) {
  out.push_back({"session.expiry_zero_ends_on_close",
                 "with Session Expiry 0 the session ends with the connection",
                 "session",
                 {},
                 {"MQTT-3.1.2-23", "MQTT-4.1.0-2", "MQTT-3.2.2-3"},
                 kV5,
                 {},
                 [](CaseContext& ctx) {
                   Client& c = ctx.client();
                   c.connect(persistent(ctx, c, 0));
                   c.disconnect();
                   if (c.connect(persistent(ctx, c, 0)).session_present) {
                     ctx.fail("MQTT-3.2.2-3", "Session Present 1", "no session after expiry 0");
                   }
                   c.disconnect();
                 }});
  out.push_back({"session.expiry_elapsed",
                 "a session with Session Expiry 1 s is gone after 2.5 s",
                 "session",
                 {},
                 {"MQTT-3.1.2-23", "MQTT-4.1.0-2", "MQTT-3.2.2-3"},
                 kV5,
                 {Capability::session_persistence},
                 [](CaseContext& ctx) {
                   Client& c = ctx.client();
                   c.connect(persistent(ctx, c, 1));
                   c.disconnect();
                   ctx.sleep_ms(2500);
                   if (c.connect(persistent(ctx, c, 1)).session_present) {
                     ctx.fail("MQTT-4.1.0-2", "Session Present 1 after expiry",
                              "Session Present 0: the session expired");
                   }
                   end_session(ctx, c);
                 }});
  out.push_back({"session.expiry_kept",
                 "a session with Session Expiry 60 s survives a disconnect",
                 "session",
                 {},
                 {"MQTT-3.1.2-23", "MQTT-4.1.0-2", "MQTT-3.2.2-3"},
                 kV5,
                 {Capability::session_persistence},
                 [](CaseContext& ctx) {
                   Client& c = ctx.client();
                   c.connect(persistent(ctx, c, 60));
                   c.disconnect();
                   ctx.sleep_ms(300);
                   if (!c.connect(persistent(ctx, c, 60)).session_present) {
                     ctx.fail("MQTT-3.1.2-23", "Session Present 0", "the stored session");
                   }
                   end_session(ctx, c);
                 }});
}

}  // namespace

void add_session_cases(std::vector<Case>& out) {
  add_queueing_cases(out);
  add_redelivery_cases(out);
  add_expiry_cases(out);
}

}  // namespace mqttsim::conformance
