// More 5.0 features: shared subscriptions, Will Delay and DISCONNECT 0x04, an unknown
// authentication method, and the CONNACK of a client without one.
#include "conformance/suite/case_helpers.hpp"

namespace mqttsim::conformance {

using namespace protocol;
using namespace cases;

namespace {

Connect with_will(CaseContext& ctx, const Client& c, std::string_view topic, std::uint32_t delay_s,
                  std::uint32_t expiry_s) {
  Connect connect = make_connect(ctx, c, true);
  Will will;
  will.topic = topic;
  will.payload = ByteView::of("gone");
  if (delay_s != 0) will.properties.will_delay_interval_s = delay_s;
  connect.will = will;
  if (expiry_s != 0) connect.properties.session_expiry_interval_s = expiry_s;
  return connect;
}

void add_shared_cases(std::vector<Case>& out) {
  out.push_back({"v5.shared_one_copy_each",
                 "each message to a shared subscription goes to exactly one member",
                 "v5",
                 {},
                 {"MQTT-5.0 §4.8.2", "MQTT-4.8.2-3"},
                 kV5,
                 {Capability::shared_subscriptions},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("sh");
                   const std::string_view filter =
                       ctx.keep("$share/g" + ctx.unique_id("") + "/" + std::string(topic));
                   Client& a = connected(ctx, "a");
                   Client& b = connected(ctx, "b");
                   a.subscribe(filter, QoS::at_most_once);
                   b.subscribe(filter, QoS::at_most_once);
                   Client& pub = connected(ctx, "pub");
                   for (int i = 0; i < 10; ++i)
                     pub.publish(topic, std::to_string(i), QoS::at_least_once);
                   std::multiset<std::string> seen;
                   for (Client* c : {&a, &b}) {
                     for (;;) {
                       Incoming in = c->next(ctx.settings().silence_ns);
                       if (in.kind != Incoming::Kind::packet) break;
                       if (const Publish* p = std::get_if<Publish>(&in.received.packet)) {
                         seen.insert(std::string(p->payload.as_chars()));
                       }
                     }
                   }
                   if (seen.size() != 10 ||
                       std::set<std::string>(seen.begin(), seen.end()).size() != 10) {
                     ctx.fail("MQTT-5.0 §4.8.2", std::to_string(seen.size()) + " deliveries",
                              "10 messages, each to one member");
                   }
                 }});
  out.push_back({"v5.shared_invalid_share_name",
                 "a share name containing '+' is refused",
                 "v5",
                 {},
                 {"MQTT-4.8.2-2"},
                 kV5,
                 {Capability::shared_subscriptions},
                 [](CaseContext& ctx) {
                   Client& c = connected(ctx);
                   const std::string filter = "$share/a+b/" + ctx.prefix() + "x";
                   c.send_raw(frame(0x82, cat({{0x00, 0x03, 0x00}, str(filter), {0x00}})),
                              "SUBSCRIBE " + filter);
                   expect_suback_failure_or_close(ctx, c, "MQTT-4.8.2-2");
                 }});
}

void add_v5_will_cases_1(std::vector<Case>& out) {
  out.push_back({"v5.will_delay",
                 "a Will with Will Delay 2 s is not sent at once, then sent",
                 "v5",
                 {},
                 {"MQTT-3.1.2-8"},
                 kV5,
                 {},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("wd");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_most_once);
                   Client& c = ctx.client("dies");
                   c.connect(with_will(ctx, c, topic, 2, 60));
                   c.close();
                   s.expect_silence({"MQTT-3.1.2-8", "no Will before its delay"}, 1'000'000'000);
                   // The Server SHOULD (not MUST) publish the Will promptly (5.0 §3.1.2.5): a
                   // broker with a coarse timer may be late, so wait 5 s beyond the delay.
                   expect_publish(
                       s, topic, "MQTT-3.1.2-8", "the Will after its delay",
                       1'000'000'000 + ctx.settings().response_timeout_ns + 5'000'000'000);
                 }});
  out.push_back(
      {"v5.will_delay_cancelled_by_reconnect",
       "reconnecting within the Will Delay cancels the Will",
       "v5",
       {},
       {"MQTT-3.1.3-9"},
       kV5,
       {Capability::session_persistence},
       [](CaseContext& ctx) {
         const std::string_view topic = ctx.topic("wd");
         Client& s = connected(ctx, "sub");
         s.subscribe(topic, QoS::at_most_once);
         Client& c = ctx.client("back");
         Connect connect = with_will(ctx, c, topic, 2, 60);
         c.connect(connect);
         c.close();
         connect.clean_start = false;
         connect.will.reset();
         c.connect(connect);
         s.expect_silence({"MQTT-3.1.3-9", "no Will: the client came back"}, 3'000'000'000);
         c.close();
         c.connect(make_connect(ctx, c));
         c.disconnect();
       }});
  out.push_back({"v5.will_at_session_end",
                 "a Will Delay longer than the session sends the Will "
                 "when the session ends",
                 "v5",
                 {},
                 {"MQTT-3.1.2-8"},
                 kV5,
                 {},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("we");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_most_once);
                   Client& c = ctx.client("dies");
                   c.connect(with_will(ctx, c, topic, 30, 1));
                   c.close();
                   // Promptly is a SHOULD (5.0 §3.1.2.5): allow 5 s beyond the session's end.
                   expect_publish(
                       s, topic, "MQTT-3.1.2-8", "the Will when the 1 s session ends",
                       1'000'000'000 + ctx.settings().response_timeout_ns + 5'000'000'000);
                 }});
}

void add_v5_will_cases_2(std::vector<Case>& out) {
  out.push_back({"v5.disconnect_with_will",
                 "DISCONNECT 0x04 publishes the Will",
                 "v5",
                 {},
                 {"MQTT-3.14.4-3"},
                 kV5,
                 {},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("dw");
                   Client& s = connected(ctx, "sub");
                   s.subscribe(topic, QoS::at_most_once);
                   Client& c = ctx.client("leaves");
                   c.connect(with_will(ctx, c, topic, 0, 0));
                   c.send(Disconnect{ReasonCode{0x04}, {}});
                   c.close();
                   expect_publish(s, topic, "MQTT-3.14.4-3", "the Will (only 0x00 discards it)");
                 }});
}

void add_v5_will_cases(std::vector<Case>& out) {
  add_v5_will_cases_1(out);
  add_v5_will_cases_2(out);
}

void add_auth_cases(std::vector<Case>& out) {
  out.push_back({"v5.unknown_auth_method",
                 "an unknown Authentication Method is refused and "
                 "the connection closed",
                 "v5",
                 {},
                 {"MQTT-4.12.0-1"},
                 kV5,
                 {},
                 [](CaseContext& ctx) {
                   Client& c = ctx.client();
                   c.open();
                   Connect connect = make_connect(ctx, c);
                   connect.version = Version::v5;
                   connect.properties.authentication_method = "mqttsim-no-such-method";
                   c.send(connect);
                   Incoming in = c.next();
                   if (in.kind == Incoming::Kind::packet) {
                     const Connack* ack = std::get_if<Connack>(&in.received.packet);
                     if (ack == nullptr || static_cast<int>(ack->reason_code) < 0x80) {
                       ctx.fail("MQTT-4.12.0-1", "received " + summarize(in.received.packet),
                                "CONNACK 0x8C or 0x87, then a close");
                     }
                     c.expect_closed({"MQTT-4.12.0-1", "a close after the refusal"});
                   } else if (in.kind == Incoming::Kind::timeout) {
                     ctx.fail("MQTT-4.12.0-1", "no answer and no close", "a refusal and a close");
                   }
                 }});
  out.push_back({"v5.no_auth_method_in_connack",
                 "a CONNACK to a client without Authentication Method carries none",
                 "v5",
                 {},
                 {"MQTT-4.12.0-6"},
                 kV5,
                 {},
                 [](CaseContext& ctx) {
                   Client& c = ctx.client();
                   const Connack ack = c.connect_clean();
                   if (ack.properties.authentication_method || ack.properties.authentication_data) {
                     ctx.fail("MQTT-4.12.0-6", "Authentication Method or Data in the CONNACK",
                              "none: the client asked for no enhanced authentication");
                   }
                   c.disconnect();
                 }});
}

}  // namespace

void add_v5_more_cases(std::vector<Case>& out) {
  add_shared_cases(out);
  add_v5_will_cases(out);
  add_auth_cases(out);
}

}  // namespace mqttsim::conformance
