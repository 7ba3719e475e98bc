// Further cases: packet ids reused after acknowledgement, retained QoS, Will QoS and retain,
// several filters in one UNSUBSCRIBE, and 5.0 reason codes, request flags and flow control
// from the client towards the broker.
#include "conformance/suite/case_helpers.hpp"

namespace mqttsim::conformance {

using namespace protocol;
using namespace cases;

namespace {

void add_packet_id_reuse_cases(std::vector<Case>& out) {
  out.push_back(
      {"publish.qos1_id_reused_after_puback",
       "a QoS 1 packet id reused after its PUBACK is a new message, DUP or not",
       "publish",
       {"MQTT-4.3.2-2"},
       {"MQTT-4.3.2-5"},
       kBoth,
       {Capability::qos1},
       [](CaseContext& ctx) {
         const std::string st = ctx.st("MQTT-4.3.2-2", "MQTT-4.3.2-5");
         const std::string_view topic = ctx.topic("id");
         Client& s = connected(ctx, "sub");
         s.subscribe(topic, QoS::at_most_once);
         Client& c = connected(ctx, "pub");
         for (const char* payload : {"first", "second"}) {
           Publish p = make_publish(ctx, topic, payload, QoS::at_least_once, 7);
           p.dup = payload[0] == 's';
           c.send(p);
           c.expect<Puback>({st, "PUBACK id 7"}, [](const Puback& a) { return a.packet_id == 7; });
         }
         for (const char* payload : {"first", "second"}) {
           const Publish got = expect_publish(s, topic, st, std::string("'") + payload + "'");
           if (got.payload.as_chars() != payload) {
             ctx.fail(st, "payload " + std::string(got.payload.as_chars()), payload);
           }
         }
       }});
  out.push_back({"publish.qos2_id_reused_after_pubcomp",
                 "a QoS 2 packet id reused after its PUBCOMP is a new message",
                 "publish",
                 {"MQTT-4.3.3-2"},
                 {"MQTT-4.3.3-12"},
                 kBoth,
                 {Capability::qos2},
                 [](CaseContext& ctx) {
                   const std::string st = ctx.st("MQTT-4.3.3-2", "MQTT-4.3.3-12");
                   const std::string_view topic = ctx.topic("id");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_most_once);
                   Client& c = connected(ctx, "pub");
                   for (const char* payload : {"first", "second"}) {
                     c.send(make_publish(ctx, topic, payload, QoS::exactly_once, 8));
                     c.expect<Pubrec>({st, "PUBREC id 8"});
                     c.send(Pubrel{8, {}, {}});
                     c.expect<Pubcomp>({st, "PUBCOMP id 8"});
                   }
                   expect_publish(s, topic, st, "'first'");
                   expect_publish(s, topic, st, "'second': a new message, not a duplicate");
                 }});
}

void add_retain_and_will_cases_1(std::vector<Case>& out) {
  out.push_back({"retain.qos_stored",
                 "a retained message keeps its QoS: QoS 1 retained to a "
                 "QoS 2 subscriber arrives at QoS 1",
                 "retain",
                 {"MQTT-3.3.1-5", "MQTT-3.8.4-6"},
                 {"MQTT-3.3.1-5", "MQTT-3.8.4-8"},
                 kBoth,
                 {Capability::retain, Capability::qos2},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("rq");
                   Client& pub = connected(ctx, "pub");
                   pub.publish(topic, "q1", QoS::at_least_once, true);
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::exactly_once);
                   const Publish p = expect_publish(s, topic, "MQTT-3.3.1-5");
                   if (p.qos != QoS::at_least_once) {
                     ctx.fail("MQTT-3.3.1-5",
                              "retained message at QoS " + std::to_string(int(p.qos)),
                              "QoS 1, as stored");
                   }
                   ack(ctx, s, p);
                   pub.publish(topic, "", QoS::at_least_once, true);
                 }});
  out.push_back(
      {"will.not_retained",
       "a Will with Will Retain 0 is not kept for later subscribers",
       "will",
       {"MQTT-3.1.2-16"},
       {"MQTT-3.1.2-14"},
       kBoth,
       {},
       [](CaseContext& ctx) {
         const std::string_view topic = ctx.topic("w");
         Client& c = ctx.client("dies");
         Connect connect = make_connect(ctx, c);
         Will will;
         will.topic = topic;
         will.payload = ByteView::of("gone");
         connect.will = will;
         c.connect(connect);
         Client& live = connected(ctx, "live");
         live.subscribe(topic, QoS::at_most_once);
         c.close();
         if (expect_publish(live, topic, "MQTT-3.1.2-8").retain) {
           ctx.fail(ctx.st("MQTT-3.1.2-16", "MQTT-3.1.2-14"), "RETAIN 1 on a non-retained Will",
                    "RETAIN 0");
         }
         Client& late = connected(ctx, "late");
         late.subscribe(topic, QoS::at_most_once);
         late.expect_silence({ctx.st("MQTT-3.1.2-16", "MQTT-3.1.2-14"), "no retained Will"});
       }});
}

void add_retain_and_will_cases_2(std::vector<Case>& out) {
  out.push_back({"will.qos1",
                 "a Will with Will QoS 1 reaches a QoS 1 subscriber at QoS 1",
                 "will",
                 {"MQTT-3.1.2-14", "MQTT-3.8.4-6"},
                 {"MQTT-3.1.2-12", "MQTT-3.8.4-8"},
                 kBoth,
                 {Capability::qos1},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("w1");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_least_once);
                   Client& c = ctx.client("dies");
                   Connect connect = make_connect(ctx, c);
                   Will will;
                   will.topic = topic;
                   will.payload = ByteView::of("gone");
                   will.qos = QoS::at_least_once;
                   connect.will = will;
                   c.connect(connect);
                   c.close();
                   const Publish p = expect_publish(s, topic, "MQTT-3.1.2-8", "the Will");
                   if (p.qos != QoS::at_least_once) {
                     ctx.fail(ctx.st("MQTT-3.8.4-6", "MQTT-3.8.4-8"),
                              "Will at QoS " + std::to_string(int(p.qos)), "QoS 1");
                   }
                   ack(ctx, s, p);
                 }});
}

void add_retain_and_will_cases(std::vector<Case>& out) {
  add_retain_and_will_cases_1(out);
  add_retain_and_will_cases_2(out);
}

void add_unsubscribe_more(std::vector<Case>& out) {
  out.push_back({"unsubscribe.several_filters",
                 "one UNSUBSCRIBE of several filters removes each and gets one UNSUBACK",
                 "unsubscribe",
                 {"MQTT-3.10.4-4", "MQTT-3.10.4-1"},
                 {"MQTT-3.10.4-6", "MQTT-3.11.3-1", "MQTT-3.11.3-2"},
                 kBoth,
                 {},
                 [](CaseContext& ctx) {
                   Client& s = connected(ctx, "sub");
                   s.subscribe(ctx.topic("a"), QoS::at_most_once);
                   s.subscribe(ctx.topic("b"), QoS::at_most_once);
                   Unsubscribe u;
                   u.packet_id = 21;
                   u.filters = {ctx.topic("a"), ctx.topic("never"), ctx.topic("b")};
                   s.send(u);
                   const Unsuback ack = s.expect<Unsuback>(
                       {ctx.st("MQTT-3.10.4-4", "MQTT-3.10.4-6"), "one UNSUBACK id 21"},
                       [](const Unsuback& a) { return a.packet_id == 21; });
                   if (ctx.v5()) {
                     const auto& rc = ack.reason_codes;
                     if (rc.size() != 3 || rc[0] != ReasonCode::success ||
                         rc[2] != ReasonCode::success ||
                         (rc[1] != ReasonCode::success && static_cast<int>(rc[1]) != 0x11)) {
                       ctx.fail("MQTT-3.11.3-1", std::to_string(rc.size()) + " codes",
                                "0x00, 0x11 (or 0x00), 0x00 in the filters' order");
                     }
                   }
                   Client& pub = connected(ctx, "pub");
                   pub.publish(ctx.topic("a"), "x", QoS::at_least_once);
                   pub.publish(ctx.topic("b"), "x", QoS::at_least_once);
                   s.expect_silence({"MQTT-3.10.4-1", "nothing: both subscriptions were removed"});
                 }});
}

void add_v5_reason_code_cases_1(std::vector<Case>& out) {
  out.push_back({"v5.puback_reason_code",
                 "a PUBACK for a message nobody wants is 0x00 or 0x10",
                 "v5",
                 {},
                 {"MQTT-3.4.2-1"},
                 kV5,
                 {Capability::qos1},
                 [](CaseContext& ctx) {
                   Client& c = connected(ctx);
                   c.send(make_publish(ctx, ctx.topic("nobody"), "x", QoS::at_least_once, 3));
                   const Puback ack = c.expect<Puback>({"MQTT-3.4.2-1", "PUBACK id 3"});
                   const int code = static_cast<int>(ack.reason_code);
                   if (code != 0x00 && code != 0x10) {
                     ctx.fail("MQTT-3.4.2-1", "PUBACK code " + std::to_string(code),
                              "0x00 or 0x10 (no matching subscribers)");
                   }
                 }});
  out.push_back({"v5.no_response_information_unasked",
                 "without Request Response Information the CONNACK has no Response Information",
                 "v5",
                 {},
                 {"MQTT-3.1.2-28"},
                 kV5,
                 {},
                 [](CaseContext& ctx) {
                   Client& c = ctx.client();
                   Connect connect = make_connect(ctx, c);
                   connect.properties.request_response_information = false;
                   if (c.connect(connect).properties.response_information) {
                     ctx.fail("MQTT-3.1.2-28", "Response Information in the CONNACK", "none");
                   }
                 }});
  out.push_back({"v5.no_reason_string_unasked",
                 "with Request Problem Information 0 a SUBACK carries no Reason String",
                 "v5",
                 {},
                 {"MQTT-3.1.2-29"},
                 kV5,
                 {Capability::shared_subscriptions},
                 [](CaseContext& ctx) {
                   Client& c = ctx.client();
                   Connect connect = make_connect(ctx, c);
                   connect.properties.request_problem_information = false;
                   c.connect(connect);
                   // A refused subscription is where a broker would explain itself.
                   Subscribe s;
                   s.packet_id = 4;
                   s.subscriptions.push_back(
                       {ctx.keep("$share/g/" + ctx.prefix() + "x"),
                        SubscriptionOptions{QoS::exactly_once, false, false, {}}});
                   s.subscriptions.push_back({ctx.topic("y"), SubscriptionOptions{}});
                   c.send(s);
                   const Suback ack = c.expect<Suback>({"MQTT-3.8.4-1", "SUBACK"});
                   if (ack.properties.reason_string || !ack.properties.user_properties.empty()) {
                     ctx.fail("MQTT-3.1.2-29", "Reason String or User Property in a SUBACK",
                              "neither: the client asked for no problem information");
                   }
                 }});
}

// MQTT-3.3.4-7 binds the client; for the Server 5.0 §3.3.4 only describes (no MUST) that it
// "uses DISCONNECT with Reason Code 0x93". A PUBREC of 0x80 or more refuses that one message
// (§4.13.2: an acknowledgement reason code of 0x80 or more says the packet was in error) and
// ends its flow (MQTT-3.3.4-7 counts it as acknowledged), so it is allowed too: mosquitto
// answers 0x97 (Quota exceeded). A success PUBREC takes the message despite the Receive
// Maximum: the specification describes another reaction but has no statement it breaks, so
// that is inconclusive. No answer at all breaks MQTT-3.3.4-1.
void answer_beyond_receive_maximum(CaseContext& ctx, Client& c) {
  const Incoming in = c.next();
  if (in.kind == Incoming::Kind::closed) return;
  if (in.kind == Incoming::Kind::timeout) {
    ctx.fail("MQTT-3.3.4-1", "no answer and no close",
             "DISCONNECT 0x93 and a close, or a PUBREC of 0x80 or more");
  }
  const Packet& p = in.received.packet;
  if (const auto* d = std::get_if<Disconnect>(&p)) {
    if (static_cast<unsigned>(d->reason_code) < 0x80) {
      ctx.fail("MQTT-4.13.2-1", "DISCONNECT " + summarize(p), "a reason code of 0x80 or more");
    }
    c.expect_closed({"MQTT-4.13.2-1", "a close after the DISCONNECT"});
    return;
  }
  if (const auto* rec = std::get_if<Pubrec>(&p)) {
    if (static_cast<unsigned>(rec->reason_code) >= 0x80) return;
    ctx.inconclusive("the broker accepted a PUBLISH beyond its Receive Maximum (" + summarize(p) +
                     "); 5.0 describes DISCONNECT 0x93 without a MUST");
  }
  ctx.fail("MQTT-3.3.4-7", "received " + summarize(p),
           "DISCONNECT 0x93 and a close, or a PUBREC of 0x80 or more");
}

void add_v5_reason_code_cases_2(std::vector<Case>& out) {
  out.push_back({"v5.subscription_identifier_from_client",
                 "a PUBLISH from a client carrying a Subscription Identifier is a protocol error",
                 "v5",
                 {},
                 {"MQTT-3.3.4-6", "MQTT-4.13.1-1"},
                 kV5,
                 {},
                 [](CaseContext& ctx) {
                   Client& c = connected(ctx);
                   c.send_raw(frame(0x30, cat({str(ctx.topic("s")), {0x02, 0x0B, 0x01}, {'x'}})),
                              "PUBLISH with Subscription Identifier 1");
                   c.expect_closed({"MQTT-3.3.4-6", "DISCONNECT 0x82 and a close"});
                   ctx.check_still_serving("MQTT-3.3.4-6");
                 }});
  out.push_back({"v5.receive_maximum_exceeded_by_client",
                 "more unreleased QoS 2 messages than the broker's Receive Maximum end the "
                 "connection",
                 "v5",
                 {},
                 {"MQTT-3.3.4-7", "MQTT-3.3.4-1", "MQTT-4.13.2-1"},
                 kV5,
                 {Capability::qos2},
                 [](CaseContext& ctx) {
                   const std::uint16_t maximum = ctx.caps().receive_maximum;
                   if (maximum > 1000) ctx.inconclusive("Receive Maximum too large to exceed here");
                   Client& c = connected(ctx);
                   for (std::uint16_t i = 1; i <= maximum; ++i) {
                     c.send(make_publish(ctx, ctx.topic("rm"), "x", QoS::exactly_once, i));
                     c.expect<Pubrec>({"MQTT-4.3.3-8", "PUBREC"});
                   }
                   c.send(make_publish(ctx, ctx.topic("rm"), "x", QoS::exactly_once,
                                       static_cast<std::uint16_t>(maximum + 1)));
                   answer_beyond_receive_maximum(ctx, c);
                 }});
}

void add_v5_reason_code_cases(std::vector<Case>& out) {
  add_v5_reason_code_cases_1(out);
  add_v5_reason_code_cases_2(out);
}

void add_lifetime_cases(std::vector<Case>& out) {
  out.push_back({"retain.survives_publisher_session",
                 "a retained message outlives the clean session that published it",
                 "retain",
                 {"MQTT-3.1.2-7", "MQTT-3.3.1-5"},
                 {"MQTT-3.3.1-5"},
                 kBoth,
                 {Capability::retain},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("keep");
                   Client& pub = connected(ctx, "pub");
                   pub.publish(topic, "kept", QoS::at_least_once, true);
                   pub.disconnect();  // its clean session ends here
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_most_once);
                   expect_publish(s, topic, ctx.st("MQTT-3.1.2-7", "MQTT-3.3.1-5"),
                                  "the retained message after its publisher's session ended");
                   s.publish(topic, "", QoS::at_least_once, true);
                 }});
  out.push_back({"will.published_on_protocol_error",
                 "a client closed for a protocol violation has its Will published",
                 "will",
                 {"MQTT-3.1.2-8"},
                 {},
                 kBoth,
                 {},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("pe");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_most_once);
                   Client& c = ctx.client("bad");
                   Connect connect = make_connect(ctx, c);
                   Will will;
                   will.topic = topic;
                   will.payload = ByteView::of("gone");
                   connect.will = will;
                   c.connect(connect);
                   c.send_raw({0x36, 0x05, 0x00, 0x01, 'a', 0x00, 0x01}, "PUBLISH with QoS 3");
                   c.expect_closed({"MQTT-3.3.1-4", "a close for the QoS 3 PUBLISH"});
                   expect_publish(s, topic, "MQTT-3.1.2-8", "the Will: no DISCONNECT was sent");
                 }});
  out.push_back({"v5.topic_alias_remapped",
                 "a Topic Alias may be mapped to another topic later",
                 "v5",
                 {},
                 {"MQTT-3.3.2-12"},
                 kV5,
                 {Capability::topic_aliases},
                 [](CaseContext& ctx) {
                   Client& s = connected(ctx, "sub");
                   s.subscribe(ctx.topic("t/+"), QoS::at_most_once);
                   Client& pub = connected(ctx, "pub");
                   for (const char* t : {"t/one", "t/two"}) {
                     Publish p = make_publish(ctx, ctx.topic(t), "set", QoS::at_most_once);
                     p.properties.topic_alias = 1;
                     pub.send(p);
                     p.topic = "";
                     p.payload = ByteView::of("used");
                     pub.send(p);
                   }
                   for (const char* t : {"t/one", "t/one", "t/two", "t/two"}) {
                     expect_publish(s, ctx.topic(t), "MQTT-3.3.2-12",
                                    "messages in order on " + std::string(t));
                   }
                 }});
}

}  // namespace

void add_more_cases(std::vector<Case>& out) {
  add_lifetime_cases(out);
  add_packet_id_reuse_cases(out);
  add_retain_and_will_cases(out);
  add_unsubscribe_more(out);
  add_v5_reason_code_cases(out);
}

}  // namespace mqttsim::conformance
