// Subscriptions beyond matching: SUBACK contents, several filters in one SUBSCRIBE, replacing a
// subscription, overlapping subscriptions, UNSUBSCRIBE, and `$` topics against wildcards.
#include "conformance/suite/case_helpers.hpp"

namespace mqttsim::conformance {

using namespace protocol;
using namespace cases;

namespace {

void add_suback_cases_1(std::vector<Case>& out) {
  out.push_back({"subscribe.suback_codes",
                 "SUBACK carries one valid code per filter, in order",
                 "subscribe",
                 {"MQTT-3.8.4-1", "MQTT-3.8.4-4", "MQTT-3.8.4-5", "MQTT-3.9.3-2"},
                 {"MQTT-3.8.4-1", "MQTT-3.8.4-5", "MQTT-3.8.4-6", "MQTT-3.8.4-7", "MQTT-3.9.3-1"},
                 kBoth,
                 {},
                 [](CaseContext& ctx) {
                   Client& c = connected(ctx);
                   Subscribe s;
                   s.packet_id = 0x1234;
                   for (int q = 0; q <= 2; ++q) {
                     s.subscriptions.push_back({ctx.topic("f" + std::to_string(q)),
                                                SubscriptionOptions{QoS(q), false, false, {}}});
                   }
                   c.send(s);
                   const Suback ack =
                       c.expect<Suback>({"MQTT-3.8.4-1", "SUBACK id 0x1234"},
                                        [](const Suback& a) { return a.packet_id == 0x1234; });
                   if (ack.reason_codes.size() != 3) {
                     ctx.fail(ctx.st("MQTT-3.8.4-5", "MQTT-3.8.4-6"),
                              std::to_string(ack.reason_codes.size()) + " codes", "3 codes");
                   }
                   for (int q = 0; q <= 2; ++q) {
                     const int code = static_cast<int>(ack.reason_codes[q]);
                     if (code > q && code < 0x80) {
                       ctx.fail(ctx.st("MQTT-3.9.3-2", "MQTT-3.8.4-7"),
                                "code " + std::to_string(code) + " for QoS " + std::to_string(q),
                                "the granted QoS (at most the requested) or a failure code");
                     }
                   }
                   c.disconnect();
                 }});
  out.push_back({"subscribe.replaces_existing",
                 "a second SUBSCRIBE to a filter replaces the first",
                 "subscribe",
                 {"MQTT-3.8.4-3"},
                 {"MQTT-3.8.4-3"},
                 kBoth,
                 {Capability::qos1},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("r");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_least_once);
                   s.subscribe(topic, QoS::at_most_once);
                   connected(ctx, "pub").publish(topic, "x", QoS::at_least_once);
                   const Publish p = expect_publish(s, topic, "MQTT-3.8.4-3");
                   if (p.qos != QoS::at_most_once) {
                     ctx.fail("MQTT-3.8.4-3", "delivered at QoS " + std::to_string(int(p.qos)),
                              "QoS 0: the replacing subscription's");
                   }
                   s.expect_silence({"MQTT-3.8.4-3", "one copy: the subscription was replaced"});
                 }});
}

void add_suback_cases_2(std::vector<Case>& out) {
  out.push_back(
      {"subscribe.overlapping",
       "overlapping subscriptions deliver at the highest granted QoS",
       "subscribe",
       {"MQTT-3.3.5-1"},
       {"MQTT-3.3.4-2"},
       kBoth,
       {Capability::qos1, Capability::wildcard_subscriptions},
       [](CaseContext& ctx) {
         const std::string statement = ctx.st("MQTT-3.3.5-1", "MQTT-3.3.4-2");
         const std::string_view topic = ctx.topic("o/x");
         Client& s = connected(ctx, "sub");
         s.subscribe(ctx.topic("o/+"), QoS::at_most_once);
         s.subscribe(ctx.topic("o/#"), QoS::at_least_once);
         connected(ctx, "pub").publish(topic, "x", QoS::at_least_once);
         // One copy, or one per matching subscription: either way one at QoS 1.
         int copies = 0, best_qos = -1;
         for (;;) {
           Incoming in = s.next(copies == 0 ? 0 : ctx.settings().silence_ns);
           if (in.kind == Incoming::Kind::timeout && copies > 0) break;
           if (in.kind != Incoming::Kind::packet) ctx.fail(statement, "no message", "a copy");
           const Publish* p = std::get_if<Publish>(&in.received.packet);
           if (p == nullptr || p->topic != topic) {
             ctx.fail(statement, "received " + summarize(in.received.packet), "the message");
           }
           ++copies;
           best_qos = std::max(best_qos, static_cast<int>(p->qos));
           ack(ctx, s, *p);
         }
         if (copies > 2 || best_qos != 1) {
           ctx.fail(statement,
                    std::to_string(copies) + " copies, best QoS " + std::to_string(best_qos),
                    "1 or 2 copies, one of them at QoS 1");
         }
       }});
}

void add_suback_cases(std::vector<Case>& out) {
  add_suback_cases_1(out);
  add_suback_cases_2(out);
}

void add_unsubscribe_cases(std::vector<Case>& out) {
  out.push_back({"unsubscribe.stops_delivery",
                 "after UNSUBACK no more messages arrive",
                 "unsubscribe",
                 {"MQTT-3.10.4-1", "MQTT-3.10.4-2", "MQTT-3.10.4-4"},
                 {"MQTT-3.10.4-1", "MQTT-3.10.4-2", "MQTT-3.10.4-4", "MQTT-3.10.4-5"},
                 kBoth,
                 {},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("u");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_most_once);
                   s.unsubscribe(topic);
                   connected(ctx, "pub").publish(topic, "x", QoS::at_least_once);
                   s.expect_silence({"MQTT-3.10.4-2", "no message after unsubscribing"});
                 }});
  out.push_back({"unsubscribe.unknown_filter",
                 "UNSUBSCRIBE of a filter never subscribed gets UNSUBACK",
                 "unsubscribe",
                 {"MQTT-3.10.4-5"},
                 {"MQTT-3.10.4-5", "MQTT-3.11.3-1"},
                 kBoth,
                 {},
                 [](CaseContext& ctx) {
                   Client& c = connected(ctx);
                   Unsubscribe u;
                   u.packet_id = 99;
                   u.filters = {ctx.topic("never")};
                   c.send(u);
                   const Unsuback ack =
                       c.expect<Unsuback>({"MQTT-3.10.4-5", "UNSUBACK id 99"},
                                          [](const Unsuback& a) { return a.packet_id == 99; });
                   if (ctx.v5() && ack.reason_codes.size() != 1) {
                     ctx.fail("MQTT-3.11.3-1", std::to_string(ack.reason_codes.size()) + " codes",
                              "one reason code per filter");
                   }
                 }});
  out.push_back({"unsubscribe.exact_filter_only",
                 "UNSUBSCRIBE compares filters character by character, not by matching",
                 "unsubscribe",
                 {"MQTT-3.10.4-1"},
                 {},
                 kBoth,
                 {Capability::wildcard_subscriptions},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("e/x");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(ctx.topic("e/+"), QoS::at_most_once);
                   s.unsubscribe(topic);  // not the subscribed filter: nothing removed
                   connected(ctx, "pub").publish(topic, "x", QoS::at_least_once);
                   expect_publish(s, topic, "MQTT-3.10.4-1",
                                  "the message: 'e/+' is still subscribed");
                 }});
}

}  // namespace

void add_dollar_cases(std::vector<Case>& out) {
  struct Row {
    const char* id;
    const char* filter;  // after "<tag>" substitution: "+" and "#" lead the filter
  };
  static const Row rows[] = {
      {"subscribe.dollar.plus_does_not_match", "+/"},
      {"subscribe.dollar.hash_does_not_match", "#"},
  };
  for (const Row& row : rows) {
    out.push_back(
        {row.id,
         std::string("a filter starting with '") + row.filter[0] + "' does not match a '$' topic",
         "subscribe",
         {"MQTT-4.7.2-1"},
         {},
         kBoth,
         {Capability::wildcard_subscriptions},
         [row](CaseContext& ctx) {
           // The $ topic and a filter that surely matches it, to know the broker routes it.
           const std::string rest = ctx.prefix() + "d";
           const std::string_view dollar = ctx.keep("$" + rest);
           const std::string_view wild = row.filter[0] == '#'
                                             ? std::string_view("#")
                                             : ctx.keep("+/" + rest.substr(rest.find('/') + 1));
           Client& control = connected(ctx, "ctl");
           control.subscribe(dollar, QoS::at_most_once);
           Client& s = connected(ctx, "wild");
           s.subscribe(wild, QoS::at_most_once);
           Client& pub = connected(ctx, "pub");
           pub.publish(dollar, "x", QoS::at_least_once);
           Incoming got = control.next();
           if (got.kind != Incoming::Kind::packet) {
             ctx.inconclusive("the broker does not route client messages on '" +
                              std::string(dollar) + "'");
           }
           // Other cases' traffic may reach a "#" subscriber: only '$' topics are wrong.
           const TimeNs deadline = ctx.world().now() + ctx.settings().silence_ns;
           while (ctx.world().now() < deadline) {
             Incoming in = s.next(deadline - ctx.world().now());
             if (in.kind != Incoming::Kind::packet) break;
             const Publish* p = std::get_if<Publish>(&in.received.packet);
             if (p != nullptr && !p->topic.empty() && p->topic[0] == '$') {
               ctx.fail("MQTT-4.7.2-1",
                        "'" + std::string(wild) + "' received " + std::string(p->topic),
                        "no topic starting with '$'");
             }
           }
         }});
  }
}

void add_subscription_cases(std::vector<Case>& out) {
  add_suback_cases(out);
  add_unsubscribe_cases(out);
}

}  // namespace mqttsim::conformance
