// Retained messages: stored and sent to new subscribers with RETAIN 1, replaced, cleared by an
// empty payload, untouched by RETAIN 0, sent with RETAIN 0 on established subscriptions.
#include "conformance/suite/case_helpers.hpp"

namespace mqttsim::conformance {

using namespace protocol;
using namespace cases;

namespace {

// Subscribes a fresh client to `topic` and returns the retained message it gets, if any.
std::optional<std::string> retained_on_subscribe(CaseContext& ctx, std::string_view topic,
                                                 const std::string& statement) {
  Client& s = connected(ctx, "late");
  s.subscribe(topic, QoS::at_most_once);
  Incoming in = s.next(ctx.settings().silence_ns);
  if (in.kind == Incoming::Kind::timeout) return std::nullopt;
  if (in.kind == Incoming::Kind::closed) ctx.fail(statement, "connection closed", "a message");
  const Publish* p = std::get_if<Publish>(&in.received.packet);
  if (p == nullptr || p->topic != topic) {
    ctx.fail(statement, "received " + summarize(in.received.packet), "the retained message");
  }
  if (!p->retain) {
    ctx.fail(ctx.st("MQTT-3.3.1-8", "MQTT-3.3.1-9"), "RETAIN 0 on a message sent on subscribe",
             "RETAIN 1");
  }
  std::string payload(p->payload.as_chars());
  s.disconnect();
  return payload;
}

void clear(CaseContext& ctx, std::string_view topic) {
  connected(ctx, "clear").publish(topic, "", QoS::at_most_once, true);
}

}  // namespace

void add_retain_cases_1(std::vector<Case>& out) {
  out.push_back({"retain.sent_to_new_subscriber",
                 "a retained message goes to a later subscriber with RETAIN 1",
                 "retain",
                 {"MQTT-3.3.1-5", "MQTT-3.3.1-6", "MQTT-3.3.1-8"},
                 {"MQTT-3.3.1-5", "MQTT-3.3.1-9"},
                 kBoth,
                 {Capability::retain},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("r");
                   connected(ctx, "pub").publish(topic, "kept", QoS::at_least_once, true);
                   const auto got =
                       retained_on_subscribe(ctx, topic, ctx.st("MQTT-3.3.1-6", "MQTT-3.3.1-9"));
                   if (got != "kept") {
                     ctx.fail(ctx.st("MQTT-3.3.1-6", "MQTT-3.3.1-9"),
                              got ? "payload " + *got : "no retained message", "payload 'kept'");
                   }
                   clear(ctx, topic);
                 }});
  out.push_back({"retain.replaced",
                 "a new retained message replaces the old one",
                 "retain",
                 {"MQTT-3.3.1-5", "MQTT-3.3.1-7"},
                 {"MQTT-3.3.1-5"},
                 kBoth,
                 {Capability::retain},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("r");
                   Client& pub = connected(ctx, "pub");
                   pub.publish(topic, "old", QoS::at_least_once, true);
                   pub.publish(topic, "new", QoS::at_most_once, true);
                   pub.send(Pingreq{});  // the QoS 0 publish has been read before the PINGREQ
                   pub.expect<Pingresp>({"MQTT-3.12.4-1", "PINGRESP"});
                   auto got = retained_on_subscribe(ctx, topic, "MQTT-3.3.1-5");
                   if (got == "old") {
                     // Nothing says when a replacement becomes visible to other connections (a
                     // broker may store asynchronously, as aedes does): look once more, later.
                     ctx.note("'old' right after the replacement; asking again after 1 s");
                     ctx.sleep_ms(1000);
                     got = retained_on_subscribe(ctx, topic, "MQTT-3.3.1-5");
                   }
                   // 3.1.1 lets the Server discard a QoS 0 retained message at any time
                   // (MQTT-3.3.1-7), so there "none" is allowed too; 'old' never is.
                   const bool allowed = got == "new" || (!got && !ctx.v5());
                   if (!allowed) {
                     ctx.fail(ctx.st("MQTT-3.3.1-7", "MQTT-3.3.1-5"),
                              got ? "payload " + *got : "no retained message",
                              ctx.v5() ? "only 'new'" : "'new' or none (QoS 0 may be discarded)");
                   }
                   clear(ctx, topic);
                 }});
  out.push_back({"retain.cleared_by_empty_payload",
                 "an empty retained message removes the retained message",
                 "retain",
                 {"MQTT-3.3.1-10", "MQTT-3.3.1-11"},
                 {"MQTT-3.3.1-6", "MQTT-3.3.1-7"},
                 kBoth,
                 {Capability::retain},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("r");
                   Client& pub = connected(ctx, "pub");
                   pub.publish(topic, "x", QoS::at_least_once, true);
                   pub.publish(topic, "", QoS::at_least_once, true);
                   const auto got = retained_on_subscribe(ctx, topic, "MQTT-3.3.1-10");
                   if (got) {
                     ctx.fail(ctx.st("MQTT-3.3.1-10", "MQTT-3.3.1-6"),
                              "a retained message '" + *got + "' arrived", "none");
                   }
                 }});
}

void add_retain_cases_2(std::vector<Case>& out) {
  out.push_back({"retain.empty_payload_still_delivered",
                 "an empty retained message is delivered to current subscribers",
                 "retain",
                 {"MQTT-3.3.1-10"},
                 {"MQTT-3.3.1-6"},
                 kBoth,
                 {Capability::retain},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("r");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_most_once);
                   connected(ctx, "pub").publish(topic, "", QoS::at_least_once, true);
                   expect_publish(s, topic, ctx.st("MQTT-3.3.1-10", "MQTT-3.3.1-6"));
                 }});
  out.push_back({"retain.not_replaced_by_retain_0",
                 "a RETAIN 0 message neither stores nor replaces the retained message",
                 "retain",
                 {"MQTT-3.3.1-12"},
                 {"MQTT-3.3.1-8"},
                 kBoth,
                 {Capability::retain},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("r");
                   Client& pub = connected(ctx, "pub");
                   pub.publish(topic, "kept", QoS::at_least_once, true);
                   pub.publish(topic, "live", QoS::at_least_once, false);
                   const auto got = retained_on_subscribe(ctx, topic, "MQTT-3.3.1-12");
                   if (got != "kept") {
                     ctx.fail(ctx.st("MQTT-3.3.1-12", "MQTT-3.3.1-8"),
                              got ? "payload " + *got : "no retained message", "'kept'");
                   }
                   clear(ctx, topic);
                 }});
  out.push_back({"retain.flag_cleared_for_live_subscribers",
                 "a retained message to an established subscription has RETAIN 0",
                 "retain",
                 {"MQTT-3.3.1-9"},
                 {"MQTT-3.3.1-12"},
                 kBoth,
                 {Capability::retain},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("r");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_most_once);  // 5.0: Retain As Published 0
                   connected(ctx, "pub").publish(topic, "x", QoS::at_least_once, true);
                   const Publish p = expect_publish(s, topic, "MQTT-4.5.0-1");
                   if (p.retain) {
                     ctx.fail(ctx.st("MQTT-3.3.1-9", "MQTT-3.3.1-12"), "RETAIN 1", "RETAIN 0");
                   }
                   clear(ctx, topic);
                 }});
}

void add_retain_cases_3(std::vector<Case>& out) {
  out.push_back({"retain.resent_on_resubscribe",
                 "subscribing again to the same filter sends the retained message again",
                 "retain",
                 {"MQTT-3.8.4-3"},
                 {"MQTT-3.8.4-4", "MQTT-3.3.1-9"},
                 kBoth,
                 {Capability::retain},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("r");
                   connected(ctx, "pub").publish(topic, "kept", QoS::at_least_once, true);
                   Client& s = connected(ctx, "sub");
                   for (int i = 0; i < 2; ++i) {
                     s.subscribe(topic, QoS::at_most_once);
                     expect_publish(
                         s, topic, ctx.st("MQTT-3.8.4-3", "MQTT-3.8.4-4"),
                         "the retained message on subscription " + std::to_string(i + 1));
                   }
                   clear(ctx, topic);
                 }});
  out.push_back({"retain.wildcard_subscription",
                 "retained messages reach a wildcard subscriber",
                 "retain",
                 {"MQTT-3.3.1-6"},
                 {"MQTT-3.3.1-9"},
                 kBoth,
                 {Capability::retain, Capability::wildcard_subscriptions},
                 [](CaseContext& ctx) {
                   Client& pub = connected(ctx, "pub");
                   pub.publish(ctx.topic("w/a"), "1", QoS::at_least_once, true);
                   pub.publish(ctx.topic("w/b"), "2", QoS::at_least_once, true);
                   Client& s = connected(ctx, "sub");
                   s.subscribe(ctx.topic("w/+"), QoS::at_most_once);
                   std::set<std::string> seen;
                   for (int i = 0; i < 2; ++i) {
                     const Publish p = s.expect<Publish>(
                         {ctx.st("MQTT-3.3.1-6", "MQTT-3.3.1-9"), "both retained messages"});
                     seen.insert(std::string(p.topic));
                   }
                   if (seen.size() != 2) {
                     ctx.fail(ctx.st("MQTT-3.3.1-6", "MQTT-3.3.1-9"), "one topic twice",
                              "one retained message per topic");
                   }
                   clear(ctx, ctx.topic("w/a"));
                   clear(ctx, ctx.topic("w/b"));
                 }});
}

void add_retain_cases(std::vector<Case>& out) {
  add_retain_cases_1(out);
  add_retain_cases_2(out);
  add_retain_cases_3(out);
}

}  // namespace mqttsim::conformance
