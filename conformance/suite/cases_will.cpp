// The Will (published on an unclean close, discarded on DISCONNECT, retained when asked, its
// flags checked) and Clean Session / Clean Start with Session Present.
#include "conformance/suite/case_helpers.hpp"

namespace mqttsim::conformance {

using namespace protocol;
using namespace cases;

namespace {

Connect with_will(CaseContext& ctx, const Client& c, std::string_view topic, bool retain = false) {
  Connect connect = make_connect(ctx, c);
  Will will;
  will.topic = topic;
  will.payload = ByteView::of("gone");
  will.qos = QoS::at_most_once;
  will.retain = retain;
  connect.will = will;
  return connect;
}

void add_will_flag_cases(std::vector<Case>& out) {
  struct Row {
    const char* id;
    const char* title;
    const char* st311;
    const char* st5;
    std::uint8_t versions;
    std::uint8_t flags;
    bool will_fields;
  };
  // Will Flag 0x04, Will QoS 0x18, Will Retain 0x20, Password 0x40, User Name 0x80; Clean 0x02.
  static const Row rows[] = {
      {"connect.will_qos_3", "a Will QoS of 3 is refused", "MQTT-3.1.2-14", "MQTT-3.1.2-12", kBoth,
       0x02 | 0x04 | 0x18, true},
      {"connect.will_qos_without_will", "Will QoS 1 with Will Flag 0 is refused", "MQTT-3.1.2-13",
       "MQTT-3.1.2-11", kBoth, 0x02 | 0x08, false},
      {"connect.will_retain_without_will", "Will Retain with Will Flag 0 is refused",
       "MQTT-3.1.2-15", "MQTT-3.1.2-13", kBoth, 0x02 | 0x20, false},
      {"connect.password_without_username", "a password without a user name is refused (3.1.1)",
       "MQTT-3.1.2-22", "", kV311, 0x02 | 0x40, false},
  };
  for (const Row& row : rows) {
    Case c{row.id, row.title, "connect", {row.st311}, {}, row.versions, {}, {}};
    if (row.st5[0] != '\0') c.statements_v5 = {row.st5};
    c.run = [row](CaseContext& ctx) {
      Client& cl = ctx.client();
      cl.open();
      Bytes rest;
      if (row.will_fields) {
        if (ctx.v5()) rest.push_back(0x00);  // Will Properties
        rest = cat({rest, str(ctx.topic("will")), str("x")});
      }
      if (row.flags & 0x40) rest = cat({rest, str("secret")});
      cl.send_raw(raw_connect(ctx, cl.id(), row.flags, rest), "CONNECT with bad flags");
      const std::string statement = ctx.st(row.st311, row.st5);
      cl.expect_closed({statement, "the connection closed (a refusing CONNACK first is allowed)"},
                       no_disconnect_before_connack(ctx));
      ctx.check_still_serving(statement);
    };
    out.push_back(std::move(c));
  }
}

void add_will_delivery_cases(std::vector<Case>& out) {
  out.push_back({"will.published_on_drop",
                 "the Will is published when the connection drops",
                 "will",
                 {"MQTT-3.1.2-8"},
                 {},
                 kBoth,
                 {},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("will");
                   Client& sub = connected(ctx, "sub");
                   sub.subscribe(topic, QoS::at_most_once);
                   Client& c = ctx.client("dies");
                   c.connect(with_will(ctx, c, topic));
                   c.close();
                   const Publish p = expect_publish(sub, topic, "MQTT-3.1.2-8", "the Will");
                   if (p.payload.as_chars() != "gone") {
                     ctx.fail("MQTT-3.1.2-8", "Will payload differs", "payload 'gone'");
                   }
                   sub.disconnect();
                 }});
  out.push_back({"will.discarded_on_disconnect",
                 "DISCONNECT discards the Will",
                 "will",
                 {"MQTT-3.14.4-3", "MQTT-3.1.2-10"},
                 {},
                 kBoth,
                 {},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("will");
                   Client& sub = connected(ctx, "sub");
                   sub.subscribe(topic, QoS::at_most_once);
                   Client& c = ctx.client("leaves");
                   c.connect(with_will(ctx, c, topic));
                   c.disconnect();
                   sub.expect_silence({"MQTT-3.14.4-3", "no Will after a DISCONNECT"});
                   sub.disconnect();
                 }});
  out.push_back({"will.retained",
                 "a Will with Will Retain 1 is retained",
                 "will",
                 {"MQTT-3.1.2-17"},
                 {},
                 kBoth,
                 {Capability::retain},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("will");
                   Client& c = ctx.client("dies");
                   c.connect(with_will(ctx, c, topic, true));
                   c.close();
                   ctx.sleep_ms(200);
                   Client& sub = connected(ctx, "late");
                   sub.subscribe(topic, QoS::at_most_once);
                   const Publish p =
                       expect_publish(sub, topic, "MQTT-3.1.2-17", "the retained Will");
                   if (!p.retain) {
                     ctx.fail("MQTT-3.1.2-17", "RETAIN 0", "the Will sent as a retained message");
                   }
                   sub.publish(topic, "", QoS::at_most_once, true);  // clear it
                   sub.disconnect();
                 }});
}

// A persistent session: Clean Session 0 (3.1.1) or Clean Start 0 with an expiry (5.0).
Connect persistent(CaseContext& ctx, const Client& c, std::uint32_t expiry_s = 300) {
  Connect connect = make_connect(ctx, c, false);
  if (ctx.v5()) connect.properties.session_expiry_interval_s = expiry_s;
  return connect;
}

void add_session_present_cases(std::vector<Case>& out) {
  out.push_back({"connect.session_present_new",
                 "a first persistent connect has Session Present 0",
                 "connect",
                 {"MQTT-3.2.2-3"},
                 {"MQTT-3.2.2-3"},
                 kBoth,
                 {},
                 [](CaseContext& ctx) {
                   Client& c = ctx.client();
                   if (c.connect(persistent(ctx, c)).session_present) {
                     ctx.fail("MQTT-3.2.2-3", "Session Present 1 for a new client id",
                              "Session Present 0");
                   }
                   c.disconnect();
                   c.connect(make_connect(ctx, c));  // clean start: no session left behind
                   c.disconnect();
                 }});
  out.push_back({"connect.session_present_resumed",
                 "a persistent reconnect finds its session: Session Present 1",
                 "connect",
                 {"MQTT-3.2.2-2", "MQTT-3.1.2-4"},
                 {"MQTT-3.2.2-3", "MQTT-3.1.2-5"},
                 kBoth,
                 {Capability::session_persistence},
                 [](CaseContext& ctx) {
                   Client& c = ctx.client();
                   c.connect(persistent(ctx, c));
                   c.disconnect();
                   if (!c.connect(persistent(ctx, c)).session_present) {
                     ctx.fail(ctx.st("MQTT-3.2.2-2", "MQTT-3.2.2-3"),
                              "Session Present 0 after a persistent session", "Session Present 1");
                   }
                   c.disconnect();
                   c.connect(make_connect(ctx, c));
                   c.disconnect();
                 }});
  out.push_back({"connect.clean_start_discards",
                 "a clean start discards the previous session",
                 "connect",
                 {"MQTT-3.1.2-6", "MQTT-3.2.2-1"},
                 {"MQTT-3.1.2-4", "MQTT-3.2.2-2"},
                 kBoth,
                 {},
                 [](CaseContext& ctx) {
                   const std::string_view topic = ctx.topic("t");
                   Client& c = ctx.client();
                   c.connect(persistent(ctx, c));
                   c.subscribe(topic, QoS::at_least_once);
                   c.disconnect();
                   if (c.connect(make_connect(ctx, c)).session_present) {
                     ctx.fail(ctx.st("MQTT-3.2.2-1", "MQTT-3.2.2-2"), "Session Present 1",
                              "Session Present 0 after a clean start");
                   }
                   Client& pub = connected(ctx, "pub");
                   pub.publish(topic, "x", QoS::at_least_once);
                   c.expect_silence({ctx.st("MQTT-3.1.2-6", "MQTT-3.1.2-4"),
                                     "no message: the old subscription is gone"});
                   c.disconnect();
                   pub.disconnect();
                 }});
}

}  // namespace

void add_will_cases(std::vector<Case>& out) {
  add_will_flag_cases(out);
  add_will_delivery_cases(out);
}

void add_session_flag_cases(std::vector<Case>& out) {
  add_session_present_cases(out);
}

}  // namespace mqttsim::conformance
