// MQTT 5.0 features: properties forwarded unaltered, message expiry, topic aliases, Receive
// Maximum and Maximum Packet Size towards the client, subscription identifiers and options,
// shared subscriptions, Will Delay, and the refusal of an unknown authentication method.
#include "conformance/suite/case_helpers.hpp"

namespace mqttsim::conformance {

using namespace protocol;
using namespace cases;

namespace {

// A subscriber with `options` on `filter`, and `sub_id` as Subscription Identifier if non-zero.
void subscribe_with(Client& c, std::string_view filter, SubscriptionOptions options,
                    std::uint32_t sub_id = 0) {
  Subscribe s;
  s.packet_id = c.next_packet_id();
  if (sub_id != 0) s.properties.subscription_identifiers.push_back(sub_id);
  s.subscriptions.push_back({filter, options});
  c.send(s);
  c.expect<Suback>({"MQTT-3.8.4-1", "SUBACK", 0, false, true});
}

void add_property_cases_1(std::vector<Case>& out) {
  out.push_back({"v5.properties_forwarded",
                 "Response Topic, Correlation Data, Content Type, Payload Format and User "
                 "Properties reach the subscriber unaltered",
                 "v5",
                 {},
                 {"MQTT-3.3.2-4", "MQTT-3.3.2-15", "MQTT-3.3.2-16", "MQTT-3.3.2-17",
                  "MQTT-3.3.2-18", "MQTT-3.3.2-20"},
                 kV5,
                 {},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("p");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_most_once);
                   Properties props;
                   props.response_topic = ctx.topic("reply");
                   props.correlation_data = ctx.keep_bytes(std::string("\x01\x02\x00\x03", 4));
                   props.content_type = "text/plain";
                   props.payload_format_indicator = 1;
                   props.user_properties = {{"k1", "v1"}, {"k2", "v2"}, {"k1", "v3"}};
                   connected(ctx, "pub").publish(topic, "hi", QoS::at_least_once, false, props);
                   const Publish p = expect_publish(s, topic, "MQTT-4.5.0-1");
                   const Properties& got = p.properties;
                   if (got.response_topic != props.response_topic)
                     ctx.fail("MQTT-3.3.2-15", "Response Topic changed or missing", "unaltered");
                   if (got.correlation_data != props.correlation_data)
                     ctx.fail("MQTT-3.3.2-16", "Correlation Data changed or missing", "unaltered");
                   if (got.content_type != props.content_type)
                     ctx.fail("MQTT-3.3.2-20", "Content Type changed or missing", "unaltered");
                   if (got.payload_format_indicator != props.payload_format_indicator)
                     ctx.fail("MQTT-3.3.2-4", "Payload Format Indicator changed", "unaltered");
                   if (got.user_properties != props.user_properties)
                     ctx.fail("MQTT-3.3.2-18", "User Properties changed, missing or reordered",
                              "all three, in order");
                 }});
  out.push_back({"v5.message_expiry_decremented",
                 "a forwarded Message Expiry Interval is at most the published one",
                 "v5",
                 {},
                 {"MQTT-3.3.2-6"},
                 kV5,
                 {},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("e");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_most_once);
                   Properties props;
                   props.message_expiry_interval_s = 60;
                   connected(ctx, "pub").publish(topic, "x", QoS::at_least_once, false, props);
                   const Publish p = expect_publish(s, topic, "MQTT-4.5.0-1");
                   if (!p.properties.message_expiry_interval_s ||
                       *p.properties.message_expiry_interval_s > 60) {
                     ctx.fail("MQTT-3.3.2-6", "Message Expiry Interval missing or above 60",
                              "the remaining interval, at most 60");
                   }
                 }});
}

void add_property_cases_2(std::vector<Case>& out) {
  out.push_back({"v5.message_expiry_drops_offline",
                 "an expired message is not delivered on resumption",
                 "v5",
                 {},
                 {"MQTT-3.3.2-5"},
                 kV5,
                 {Capability::session_persistence, Capability::qos1},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("x");
                   Client& s = ctx.client("sub");
                   Connect connect = make_connect(ctx, s, false);
                   connect.properties.session_expiry_interval_s = 60;
                   s.connect(connect);
                   s.subscribe(topic, QoS::at_least_once);
                   s.disconnect();
                   Properties props;
                   props.message_expiry_interval_s = 1;
                   Client& pub = connected(ctx, "pub");
                   pub.publish(topic, "short", QoS::at_least_once, false, props);
                   pub.publish(topic, "long", QoS::at_least_once);
                   ctx.sleep_ms(2500);
                   s.connect(connect);
                   const Publish p = expect_publish(s, topic, "MQTT-3.3.2-5", "only 'long'");
                   if (p.payload.as_chars() != "long") {
                     ctx.fail("MQTT-3.3.2-5", "the expired message was delivered", "only 'long'");
                   }
                   ack(ctx, s, p);
                   s.close();
                   s.connect(make_connect(ctx, s));
                   s.disconnect();
                 }});
}

void add_property_cases(std::vector<Case>& out) {
  add_property_cases_1(out);
  add_property_cases_2(out);
}

void add_alias_and_flow_cases_1(std::vector<Case>& out) {
  out.push_back({"v5.topic_alias_accepted",
                 "a Topic Alias set and then used alone is honoured",
                 "v5",
                 {},
                 {"MQTT-3.3.2-12", "MQTT-3.1.2-27"},
                 kV5,
                 {Capability::topic_aliases},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("a");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_most_once);
                   Client& pub = connected(ctx, "pub");
                   Publish p = make_publish(ctx, topic, "1", QoS::at_most_once);
                   p.properties.topic_alias = 1;
                   pub.send(p);
                   p.topic = "";
                   p.payload = ByteView::of("2");
                   pub.send(p);
                   for (const char* payload : {"1", "2"}) {
                     const Publish got = expect_publish(s, topic, "MQTT-3.3.2-12");
                     if (got.payload.as_chars() != payload) {
                       ctx.fail("MQTT-3.3.2-12", "payload " + std::string(got.payload.as_chars()),
                                std::string("payload ") + payload);
                     }
                     if (got.properties.topic_alias) {
                       ctx.fail("MQTT-3.1.2-27", "a Topic Alias to a client that allows none",
                                "no Topic Alias");
                     }
                   }
                 }});
  out.push_back({"v5.topic_alias_above_maximum",
                 "a Topic Alias above the broker's maximum closes "
                 "the connection",
                 "v5",
                 {},
                 {"MQTT-3.3.2-9"},
                 kV5,
                 {},
                 [](CaseContext& ctx) {
                   Client& c = connected(ctx);
                   Publish p = make_publish(ctx, ctx.topic("a"), "x", QoS::at_most_once);
                   p.properties.topic_alias =
                       static_cast<std::uint16_t>(ctx.caps().topic_alias_maximum + 1);
                   c.send(p);
                   c.expect_closed({"MQTT-3.3.2-9", "DISCONNECT 0x94 and a close"});
                   ctx.check_still_serving("MQTT-3.3.2-9");
                 }});
}

void add_alias_and_flow_cases_2(std::vector<Case>& out) {
  out.push_back({"v5.topic_alias_not_carried_over",
                 "a Topic Alias from an earlier connection is unknown on a new one",
                 "v5",
                 {},
                 {"MQTT-3.3.2-7"},
                 kV5,
                 {Capability::topic_aliases},
                 [](CaseContext& ctx) {
                   Client& c = connected(ctx);
                   Publish p = make_publish(ctx, ctx.topic("a"), "x", QoS::at_most_once);
                   p.properties.topic_alias = 1;
                   c.send(p);
                   c.disconnect();
                   c.connect_clean();
                   p.topic = "";
                   c.send(p);
                   c.expect_closed({"MQTT-3.3.2-7", "a close: alias 1 is not mapped here"});
                 }});
}

void add_alias_and_flow_cases_3(std::vector<Case>& out) {
  out.push_back({"v5.receive_maximum_respected",
                 "the broker sends at most the client's Receive Maximum unacknowledged messages",
                 "v5",
                 {},
                 {"MQTT-3.3.4-9"},
                 kV5,
                 {Capability::qos1},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("rm");
                   Client& s = ctx.client("sub");
                   Connect connect = make_connect(ctx, s);
                   connect.properties.receive_maximum = 2;
                   s.connect(connect);
                   s.subscribe(topic, QoS::at_least_once);
                   Client& pub = connected(ctx, "pub");
                   for (int i = 0; i < 4; ++i)
                     pub.publish(topic, std::to_string(i), QoS::at_least_once);
                   // Fewer than 2 in flight is allowed; more is not. Acknowledge whenever the
                   // broker pauses, until all 4 have arrived.
                   std::vector<Publish> unacked;
                   for (int total = 0; total < 4;) {
                     Incoming in = s.next(ctx.settings().silence_ns);
                     if (in.kind == Incoming::Kind::closed) {
                       ctx.fail("MQTT-3.3.4-9", "the connection closed", "4 messages");
                     }
                     if (in.kind == Incoming::Kind::timeout) {
                       if (unacked.empty()) {
                         ctx.fail("MQTT-4.5.0-1", "only " + std::to_string(total) + " of 4 arrived",
                                  "all 4, at most 2 unacknowledged at a time");
                       }
                       for (const Publish& p : unacked) ack(ctx, s, p);
                       unacked.clear();
                       continue;
                     }
                     const Publish* p = std::get_if<Publish>(&in.received.packet);
                     if (p == nullptr)
                       ctx.fail("MQTT-3.3.4-9", summarize(in.received.packet), "PUBLISH");
                     unacked.push_back(*p);
                     ++total;
                     if (unacked.size() > 2) {
                       ctx.fail("MQTT-3.3.4-9", "a third unacknowledged QoS 1 PUBLISH",
                                "at most Receive Maximum (2) in flight");
                     }
                   }
                 }});
}

void add_alias_and_flow_cases_4(std::vector<Case>& out) {
  out.push_back({"v5.maximum_packet_size_respected",
                 "a message larger than the client's Maximum Packet Size is not sent to it",
                 "v5",
                 {},
                 {"MQTT-3.1.2-24", "MQTT-3.1.2-25"},
                 kV5,
                 {},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("mp");
                   Client& s = ctx.client("sub");
                   Connect connect = make_connect(ctx, s);
                   connect.properties.maximum_packet_size_bytes = 256;
                   s.connect(connect);
                   s.subscribe(topic, QoS::at_most_once);
                   Client& pub = connected(ctx, "pub");
                   pub.publish(topic, std::string(1000, 'b'), QoS::at_least_once);
                   pub.publish(topic, "small", QoS::at_least_once);
                   const Publish p = expect_publish(s, topic, "MQTT-3.1.2-25");
                   if (p.payload.as_chars() != "small") {
                     ctx.fail("MQTT-3.1.2-24", "the 1000-byte message was sent", "only 'small'");
                   }
                 }});
}

void add_alias_and_flow_cases(std::vector<Case>& out) {
  add_alias_and_flow_cases_1(out);
  add_alias_and_flow_cases_2(out);
  add_alias_and_flow_cases_3(out);
  add_alias_and_flow_cases_4(out);
}

void add_option_flag_cases(std::vector<Case>& out) {
  out.push_back({"v5.no_local",
                 "No Local keeps a client's own messages from it",
                 "v5",
                 {},
                 {"MQTT-3.8.3-3"},
                 kV5,
                 {},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("nl");
                   Client& c = connected(ctx);
                   subscribe_with(c, topic, {QoS::at_most_once, true, false, {}});
                   c.publish(topic, "mine", QoS::at_least_once);
                   connected(ctx, "other").publish(topic, "theirs", QoS::at_least_once);
                   const Publish p = expect_publish(c, topic, "MQTT-3.8.3-3");
                   if (p.payload.as_chars() != "theirs") {
                     ctx.fail("MQTT-3.8.3-3", "its own message came back", "only 'theirs'");
                   }
                 }});
  out.push_back({"v5.retain_as_published",
                 "Retain As Published keeps RETAIN 1 on live delivery",
                 "v5",
                 {},
                 {"MQTT-3.3.1-13"},
                 kV5,
                 {Capability::retain},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("rap");
                   Client& s = connected(ctx, "sub");
                   subscribe_with(s, topic, {QoS::at_most_once, false, true, {}});
                   Client& pub = connected(ctx, "pub");
                   pub.publish(topic, "x", QoS::at_least_once, true);
                   if (!expect_publish(s, topic, "MQTT-4.5.0-1").retain) {
                     ctx.fail("MQTT-3.3.1-13", "RETAIN 0", "RETAIN 1 as published");
                   }
                   pub.publish(topic, "", QoS::at_least_once, true);
                 }});
}

void add_retain_handling_cases(std::vector<Case>& out) {
  struct RhRow {
    const char* id;
    const char* title;
    RetainHandling rh;
    const char* statement;
    bool second_gets_retained;
  };
  static const RhRow rows[] = {
      {"v5.retain_handling_1",
       "Retain Handling 1 sends retained messages only for a new "
       "subscription",
       RetainHandling::send_if_new_subscription, "MQTT-3.3.1-10", false},
      {"v5.retain_handling_2", "Retain Handling 2 sends no retained messages",
       RetainHandling::do_not_send, "MQTT-3.3.1-11", false},
  };
  for (const RhRow& row : rows) {
    out.push_back({row.id,
                   row.title,
                   "v5",
                   {},
                   {row.statement},
                   kV5,
                   {Capability::retain},
                   [row](CaseContext& ctx) {
                     const std::string_view topic = ctx.topic("rh");
                     Client& pub = connected(ctx, "pub");
                     pub.publish(topic, "kept", QoS::at_least_once, true);
                     Client& s = connected(ctx, "sub");
                     subscribe_with(s, topic, {QoS::at_most_once, false, false, row.rh});
                     if (row.rh == RetainHandling::send_if_new_subscription) {
                       expect_publish(s, topic, row.statement,
                                      "the retained message (new subscription)");
                     }
                     subscribe_with(s, topic, {QoS::at_most_once, false, false, row.rh});
                     s.expect_silence({row.statement, "no retained message"});
                     pub.publish(topic, "", QoS::at_least_once, true);
                   }});
  }
}

void add_subscription_id_cases(std::vector<Case>& out) {
  out.push_back({"v5.subscription_identifier",
                 "a message carries its subscription's identifier",
                 "v5",
                 {},
                 {"MQTT-3.3.4-3"},
                 kV5,
                 {Capability::subscription_identifiers},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("sid");
                   Client& s = connected(ctx, "sub");
                   subscribe_with(s, topic, {QoS::at_most_once, false, false, {}}, 4242);
                   connected(ctx, "pub").publish(topic, "x", QoS::at_least_once);
                   const Publish p = expect_publish(s, topic, "MQTT-3.3.4-3");
                   if (p.properties.subscription_identifiers != std::vector<std::uint32_t>{4242}) {
                     ctx.fail("MQTT-3.3.4-3", "identifiers differ", "exactly 4242");
                   }
                 }});
  out.push_back(
      {"v5.subscription_identifiers_overlapping",
       "overlapping subscriptions: one copy with both identifiers or one copy per identifier",
       "v5",
       {},
       {"MQTT-3.3.4-4", "MQTT-3.3.4-5"},
       kV5,
       {Capability::subscription_identifiers, Capability::wildcard_subscriptions},
       [](CaseContext& ctx) {
         const std::string_view topic = ctx.topic("o/x");
         Client& s = connected(ctx, "sub");
         subscribe_with(s, ctx.topic("o/+"), {QoS::at_most_once, false, false, {}}, 1);
         subscribe_with(s, ctx.topic("o/#"), {QoS::at_most_once, false, false, {}}, 2);
         connected(ctx, "pub").publish(topic, "x", QoS::at_least_once);
         std::multiset<std::uint32_t> ids;
         int copies = 0;
         for (;;) {
           Incoming in = s.next(copies == 0 ? 0 : ctx.settings().silence_ns);
           if (in.kind == Incoming::Kind::timeout && copies > 0) break;
           const Publish* p = in.kind == Incoming::Kind::packet
                                  ? std::get_if<Publish>(&in.received.packet)
                                  : nullptr;
           if (p == nullptr) ctx.fail("MQTT-3.3.4-4", "no message", "the message");
           ++copies;
           if (copies == 2 && p->properties.subscription_identifiers.size() != 1) {
             ctx.fail("MQTT-3.3.4-5", "a second copy with several identifiers", "one each");
           }
           ids.insert(p->properties.subscription_identifiers.begin(),
                      p->properties.subscription_identifiers.end());
         }
         if (ids != std::multiset<std::uint32_t>{1, 2} || copies > 2) {
           ctx.fail(
               copies == 1 ? "MQTT-3.3.4-4" : "MQTT-3.3.4-5",
               std::to_string(copies) + " copies, " + std::to_string(ids.size()) + " identifiers",
               "identifiers 1 and 2, each once");
         }
       }});
}

void add_subscription_option_cases(std::vector<Case>& out) {
  add_option_flag_cases(out);
  add_retain_handling_cases(out);
  add_subscription_id_cases(out);
}

}  // namespace

void add_v5_more_cases(std::vector<Case>& out);

void add_v5_cases(std::vector<Case>& out) {
  add_property_cases(out);
  add_alias_and_flow_cases(out);
  add_subscription_option_cases(out);
  add_v5_more_cases(out);
}

}  // namespace mqttsim::conformance
