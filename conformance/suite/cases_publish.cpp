// PUBLISH: the QoS 0/1/2 flows in both directions, the delivered QoS as the minimum of the
// published and granted QoS (a table), DUP, retained messages, payloads, fan-out and ordering.
#include "conformance/suite/case_helpers.hpp"

namespace mqttsim::conformance {

using namespace protocol;
using namespace cases;

void add_retain_cases(std::vector<Case>& out);

namespace {

std::vector<Capability> needs_qos(int qos) {
  if (qos == 2) return {Capability::qos2};
  if (qos == 1) return {Capability::qos1};
  return {};
}

void add_flow_cases_1(std::vector<Case>& out) {
  out.push_back({"publish.qos1_puback",
                 "a QoS 1 PUBLISH gets a PUBACK with its packet id",
                 "publish",
                 {"MQTT-3.3.4-1", "MQTT-4.3.2-2"},
                 {"MQTT-3.3.4-1", "MQTT-4.3.2-4"},
                 kBoth,
                 {Capability::qos1},
                 [](CaseContext& ctx) {
                   Client& c = connected(ctx);
                   c.send(make_publish(ctx, ctx.topic("q1"), "x", QoS::at_least_once, 4242));
                   c.expect<Puback>({ctx.st("MQTT-4.3.2-2", "MQTT-4.3.2-4"), "PUBACK id 4242"},
                                    [](const Puback& a) { return a.packet_id == 4242; });
                   c.disconnect();
                 }});
  out.push_back({"publish.qos2_flow",
                 "a QoS 2 PUBLISH gets PUBREC, and PUBREL gets PUBCOMP",
                 "publish",
                 {"MQTT-3.3.4-1", "MQTT-4.3.3-2"},
                 {"MQTT-4.3.3-8", "MQTT-4.3.3-11"},
                 kBoth,
                 {Capability::qos2},
                 [](CaseContext& ctx) {
                   Client& c = connected(ctx);
                   c.send(make_publish(ctx, ctx.topic("q2"), "x", QoS::exactly_once, 777));
                   c.expect<Pubrec>({ctx.st("MQTT-4.3.3-2", "MQTT-4.3.3-8"), "PUBREC id 777"},
                                    [](const Pubrec& a) { return a.packet_id == 777; });
                   c.send(Pubrel{777, {}, {}});
                   c.expect<Pubcomp>({ctx.st("MQTT-4.3.3-2", "MQTT-4.3.3-11"), "PUBCOMP id 777"},
                                     [](const Pubcomp& a) { return a.packet_id == 777; });
                   c.disconnect();
                 }});
  out.push_back(
      {"publish.qos2_duplicate_not_redelivered",
       "a QoS 2 PUBLISH repeated with DUP before PUBREL is delivered once",
       "publish",
       {"MQTT-4.3.3-2"},
       {"MQTT-4.3.3-10"},
       kBoth,
       {Capability::qos2},
       [](CaseContext& ctx) {
         const std::string_view topic = ctx.topic("dup");
         Client& sub = connected(ctx, "sub");
         sub.subscribe(topic, QoS::at_most_once);
         Client& c = connected(ctx, "pub");
         Publish p = make_publish(ctx, topic, "once", QoS::exactly_once, 9);
         c.send(p);
         c.expect<Pubrec>({ctx.st("MQTT-4.3.3-2", "MQTT-4.3.3-8"), "PUBREC id 9"});
         p.dup = true;
         c.send(p);
         c.expect<Pubrec>({ctx.st("MQTT-4.3.3-2", "MQTT-4.3.3-10"), "PUBREC id 9 again"});
         c.send(Pubrel{9, {}, {}});
         c.expect<Pubcomp>({ctx.st("MQTT-4.3.3-2", "MQTT-4.3.3-11"), "PUBCOMP id 9"});
         expect_publish(sub, topic, ctx.st("MQTT-4.3.3-2", "MQTT-4.3.3-10"));
         sub.expect_silence({ctx.st("MQTT-4.3.3-2", "MQTT-4.3.3-10"), "exactly one copy"});
       }});
}

void add_flow_cases_2(std::vector<Case>& out) {
  out.push_back({"publish.pubrel_unknown_id",
                 "a PUBREL for an unknown id still gets a PUBCOMP",
                 "publish",
                 {"MQTT-4.3.3-2"},
                 {"MQTT-4.3.3-11"},
                 kBoth,
                 {Capability::qos2},
                 [](CaseContext& ctx) {
                   Client& c = connected(ctx);
                   c.send(Pubrel{31337, {}, {}});
                   c.expect<Pubcomp>({ctx.st("MQTT-4.3.3-2", "MQTT-4.3.3-11"),
                                      "PUBCOMP id 31337 (5.0: 0x92 allowed)"},
                                     [](const Pubcomp& a) { return a.packet_id == 31337; });
                   c.disconnect();
                 }});
  out.push_back({"publish.server_qos2_flow",
                 "the broker completes a QoS 2 delivery: PUBREC is answered with PUBREL",
                 "publish",
                 {"MQTT-4.3.3-1", "MQTT-2.3.1-1"},
                 {"MQTT-4.3.3-4", "MQTT-2.2.1-4"},
                 kBoth,
                 {Capability::qos2},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("t");
                   Client& sub = connected(ctx, "sub");
                   sub.subscribe(topic, QoS::exactly_once);
                   connected(ctx, "pub").publish(topic, "x", QoS::exactly_once);
                   const Publish p = expect_publish(sub, topic, "MQTT-4.5.0-1");
                   if (p.qos != QoS::exactly_once || p.packet_id == 0) {
                     ctx.fail(
                         ctx.st("MQTT-2.3.1-1", "MQTT-2.2.1-4"),
                         "QoS " + std::to_string(int(p.qos)) + " id " + std::to_string(p.packet_id),
                         "QoS 2 with a non-zero packet id");
                   }
                   ack(ctx, sub, p);
                   sub.disconnect();
                 }});
}

void add_flow_cases(std::vector<Case>& out) {
  add_flow_cases_1(out);
  add_flow_cases_2(out);
}

void add_qos_matrix(std::vector<Case>& out) {
  for (int pub = 0; pub <= 2; ++pub) {
    for (int sub = 0; sub <= 2; ++sub) {
      const int delivered = std::min(pub, sub);
      Case c{"publish.qos_matrix.pub" + std::to_string(pub) + "_sub" + std::to_string(sub),
             "a QoS " + std::to_string(pub) + " message to a QoS " + std::to_string(sub) +
                 " subscription arrives at QoS " + std::to_string(delivered),
             "publish",
             {"MQTT-3.8.4-6", "MQTT-3.3.1-2"},
             {"MQTT-3.8.4-8", "MQTT-3.3.1-2"},
             kBoth,
             needs_qos(std::max(pub, sub)),
             {}};
      c.run = [pub, sub, delivered](CaseContext& ctx) {
        const std::string_view topic = ctx.topic("m");
        Client& s = connected(ctx, "sub");
        s.subscribe(topic, static_cast<QoS>(sub));
        connected(ctx, "pub").publish(topic, "payload", static_cast<QoS>(pub));
        const Publish p = expect_publish(s, topic, "MQTT-4.5.0-1");
        if (static_cast<int>(p.qos) != delivered) {
          ctx.fail(ctx.st("MQTT-3.8.4-6", "MQTT-3.8.4-8"),
                   "delivered at QoS " + std::to_string(int(p.qos)),
                   "QoS " + std::to_string(delivered) + ", the minimum of published and granted");
        }
        if (p.dup) ctx.fail("MQTT-3.3.1-2", "DUP 1 on a first delivery", "DUP 0");
        if (p.payload.as_chars() != "payload") {
          ctx.fail("MQTT-4.5.0-1", "payload differs", "the published payload");
        }
        ack(ctx, s, p);
        s.disconnect();
      };
      out.push_back(std::move(c));
    }
  }
}

void add_routing_cases(std::vector<Case>& out) {
  out.push_back({"publish.dup_not_propagated",
                 "DUP from a publisher is not passed on",
                 "publish",
                 {"MQTT-3.3.1-3"},
                 {},
                 kBoth,
                 {Capability::qos1},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("d");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_least_once);
                   Client& c = connected(ctx, "pub");
                   Publish p = make_publish(ctx, topic, "x", QoS::at_least_once, 5);
                   p.dup = true;
                   c.send(p);
                   c.expect<Puback>({"MQTT-3.3.4-1", "PUBACK"});
                   const Publish got = expect_publish(s, topic, "MQTT-4.5.0-1");
                   if (got.dup) ctx.fail("MQTT-3.3.1-3", "DUP 1", "DUP 0 on a first delivery");
                   ack(ctx, s, got);
                 }});
  out.push_back({"publish.fan_out",
                 "every matching subscriber gets the message",
                 "publish",
                 {"MQTT-4.5.0-1"},
                 {},
                 kBoth,
                 {},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("f");
                   std::vector<Client*> subs;
                   for (const char* name : {"s1", "s2", "s3"}) {
                     subs.push_back(&connected(ctx, name));
                     subs.back()->subscribe(topic, QoS::at_most_once);
                   }
                   connected(ctx, "pub").publish(topic, "x", QoS::at_most_once);
                   for (Client* s : subs) expect_publish(*s, topic, "MQTT-4.5.0-1");
                 }});
  out.push_back({"publish.own_subscription",
                 "a publisher subscribed to its topic gets its message",
                 "publish",
                 {"MQTT-4.5.0-1"},
                 {},
                 kV311,
                 {},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("self");
                   Client& c = connected(ctx);
                   c.subscribe(topic, QoS::at_most_once);
                   c.send(make_publish(ctx, topic, "me", QoS::at_most_once));
                   expect_publish(c, topic, "MQTT-4.5.0-1");
                 }});
}

void add_payload_cases(std::vector<Case>& out) {
  struct PayloadRow {
    const char* id;
    const char* title;
    std::string payload;
  };
  const std::vector<PayloadRow> payloads = {
      {"publish.payload_empty", "an empty payload is delivered", ""},
      {"publish.payload_binary", "a binary payload with NUL and 0xFF bytes arrives intact",
       std::string("\x00\xFF\x01\x80\x00zz", 7)},
      {"publish.payload_64k", "a 64 KiB payload arrives intact", std::string(65536, 'p')},
  };
  for (const PayloadRow& row : payloads) {
    const std::string payload = row.payload;
    out.push_back({row.id,
                   row.title,
                   "publish",
                   {"MQTT-4.5.0-1"},
                   {},
                   kBoth,
                   {},
                   [payload](CaseContext& ctx) {
                     if (ctx.caps().maximum_packet_size_bytes != 0 &&
                         payload.size() + 200 > ctx.caps().maximum_packet_size_bytes) {
                       ctx.inconclusive("larger than the broker's Maximum Packet Size");
                     }
                     const std::string_view topic = ctx.topic("p");
                     Client& s = connected(ctx, "sub");
                     s.subscribe(topic, QoS::at_most_once);
                     connected(ctx, "pub").publish(topic, payload, QoS::at_most_once);
                     const Publish p = expect_publish(s, topic, "MQTT-4.5.0-1");
                     if (p.payload.as_chars() != payload) {
                       ctx.fail("MQTT-4.5.0-1",
                                "payload of " + std::to_string(p.payload.size()) + " bytes differs",
                                "the payload unchanged");
                     }
                   }});
  }
}

void add_delivery_cases(std::vector<Case>& out) {
  add_routing_cases(out);
  add_payload_cases(out);
}

void add_ordering_cases(std::vector<Case>& out) {
  for (int qos = 0; qos <= 2; ++qos) {
    Case c{"ordering.qos" + std::to_string(qos),
           "20 QoS " + std::to_string(qos) + " messages on one topic arrive in order",
           "ordering",
           {"MQTT-4.6.0-5", "MQTT-4.6.0-6"},
           {},
           kBoth,
           needs_qos(qos),
           {}};
    c.run = [qos](CaseContext& ctx) {
      const std::string_view topic = ctx.topic("o");
      Client& s = connected(ctx, "sub");
      s.subscribe(topic, static_cast<QoS>(qos));
      Client& p = connected(ctx, "pub");
      // Each flow completes before the next message: a broker may forward a QoS 2 message
      // on PUBLISH or only on PUBREL.
      for (int i = 0; i < 20; ++i) p.publish(topic, std::to_string(i), static_cast<QoS>(qos));
      for (int i = 0; i < 20; ++i) {
        const Publish got = expect_publish(s, topic, "MQTT-4.6.0-6");
        if (got.payload.as_chars() != std::to_string(i)) {
          ctx.fail("MQTT-4.6.0-5",
                   "message " + std::string(got.payload.as_chars()) + " arrived in position " +
                       std::to_string(i),
                   "the publishing order");
        }
        ack(ctx, s, got);
      }
    };
    out.push_back(std::move(c));
  }
}

}  // namespace

void add_publish_cases(std::vector<Case>& out) {
  add_flow_cases(out);
  add_qos_matrix(out);
  add_delivery_cases(out);
  add_retain_cases(out);
  add_ordering_cases(out);
}

}  // namespace mqttsim::conformance
