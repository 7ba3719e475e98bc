// Malformed packets, one case per class of shared/reference/malformed-packets.md (several per
// class where the class has distinct triggers). The broker must close that connection and keep
// serving other clients; a CONNACK or DISCONNECT with an error code before the close is allowed.
#include "conformance/suite/case_helpers.hpp"

namespace mqttsim::conformance {

using namespace protocol;
using namespace cases;

namespace {

struct Row {
  const char* id;
  const char* title;
  const char* st311;  // the rule broken, 3.1.1 numbering
  const char* st5;    // 5.0 numbering
  std::uint8_t versions;
  bool after_connect;  // false: sent as the first bytes of the connection
  // The bytes to send; `t` is a valid topic under the case prefix.
  Bytes (*build)(CaseContext& ctx, std::string_view t);
};

// A PUBLISH (first byte `first`) with topic `t`, an optional packet id, (5.0) `props`, payload.
Bytes publish(CaseContext& ctx, std::uint8_t first, std::string_view t, Bytes id, Bytes props,
              Bytes payload = {'x'}) {
  Bytes body = cat({str(t), id});
  if (ctx.v5()) body = cat({body, {static_cast<std::uint8_t>(props.size())}, props});
  return frame(first, cat({body, payload}));
}

Bytes subscribe(CaseContext& ctx, std::uint8_t first, std::string_view filter, std::uint8_t options,
                Bytes props = {}) {
  Bytes body{0x00, 0x05};
  if (ctx.v5()) body = cat({body, {static_cast<std::uint8_t>(props.size())}, props});
  return frame(first, cat({body, str(filter), {options}}));
}

Bytes with_topic_bytes(CaseContext& ctx, std::string_view t, Bytes bad) {
  Bytes topic(t.begin(), t.end());
  topic.insert(topic.end(), bad.begin(), bad.end());
  Bytes body =
      cat({{static_cast<std::uint8_t>(topic.size() >> 8), static_cast<std::uint8_t>(topic.size())},
           topic});
  if (ctx.v5()) body.push_back(0x00);
  return frame(0x30, cat({body, {'x'}}));
}

const Row kRows[] = {
    // 1. Remaining Length of five bytes.
    {"malformed.c01.remaining_length_5_bytes", "a Remaining Length of five bytes",
     "MQTT-4.8.0-1", "MQTT-4.13.1-1", kBoth, true,
     [](CaseContext&, std::string_view) { return Bytes{0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}; }},
    // 2. Non-minimal varints are a sender's fault the receiver may tolerate: own case below.
    // 3. Remaining Length smaller than the content.
    {"malformed.c03.length_shorter_than_content", "a PUBACK whose Remaining Length cuts its id",
     "MQTT-4.8.0-1", "MQTT-4.13.1-1", kBoth, true,
     [](CaseContext&, std::string_view) { return Bytes{0x40, 0x01, 0x00}; }},
    // 4. Huge Remaining Length on a first packet that is not CONNECT.
    {"malformed.c04.huge_first_packet", "a first packet PUBLISH announcing ~100 MB",
     "MQTT-3.1.0-1", "MQTT-3.1.0-1", kBoth, false,
     [](CaseContext&, std::string_view) {
       return Bytes{0x30, 0xFF, 0xFF, 0xFF, 0x2F, 0x00, 0x01, 'a', 'x', 'x', 'x'};
     }},
    // 5. Reserved fixed-header flags.
    {"malformed.c05.subscribe_flags", "SUBSCRIBE with fixed-header flags 0000", "MQTT-3.8.1-1",
     "MQTT-3.8.1-1", kBoth, true,
     [](CaseContext& ctx, std::string_view t) { return subscribe(ctx, 0x80, t, 0x00); }},
    {"malformed.c05.unsubscribe_flags", "UNSUBSCRIBE with fixed-header flags 0000",
     "MQTT-3.10.1-1", "MQTT-3.10.1-1", kBoth, true,
     [](CaseContext& ctx, std::string_view t) {
       Bytes body{0x00, 0x05};
       if (ctx.v5()) body.push_back(0x00);
       return frame(0xA0, cat({body, str(t)}));
     }},
    {"malformed.c05.pubrel_flags", "PUBREL with fixed-header flags 0000", "MQTT-3.6.1-1",
     "MQTT-3.6.1-1", kBoth, true,
     [](CaseContext&, std::string_view) { return Bytes{0x60, 0x02, 0x00, 0x01}; }},
    {"malformed.c05.pingreq_flags", "PINGREQ with fixed-header flags 0001", "MQTT-2.2.2-2",
     "MQTT-2.1.3-1", kBoth, true,
     [](CaseContext&, std::string_view) { return Bytes{0xC1, 0x00}; }},
    {"malformed.c05.connect_flags", "CONNECT with fixed-header flags 0001", "MQTT-2.2.2-2",
     "MQTT-2.1.3-1", kBoth, false,
     [](CaseContext& ctx, std::string_view) {
       Bytes b = raw_connect(ctx, ctx.unique_id("f"), 0x02);
       b[0] = 0x11;
       return b;
     }},
    // 6. QoS 3; DUP with QoS 0.
    {"malformed.c06.publish_qos_3", "PUBLISH with both QoS bits set", "MQTT-3.3.1-4",
     "MQTT-3.3.1-4", kBoth, true,
     [](CaseContext& ctx, std::string_view t) { return publish(ctx, 0x36, t, {0x00, 0x01}, {}); }},
    {"malformed.c06.publish_dup_qos_0", "PUBLISH QoS 0 with DUP 1", "MQTT-3.3.1-2",
     "MQTT-3.3.1-2", kBoth, true,
     [](CaseContext& ctx, std::string_view t) { return publish(ctx, 0x38, t, {}, {}); }},
    // 7. Reserved packet types and server-to-client packets.
    {"malformed.c07.packet_type_0", "packet type 0", "MQTT-4.8.0-1", "MQTT-4.13.1-1", kBoth, true,
     [](CaseContext&, std::string_view) { return Bytes{0x00, 0x00}; }},
    {"malformed.c07.auth_under_311", "AUTH (type 15) under 3.1.1", "MQTT-4.8.0-1", "", kV311, true,
     [](CaseContext&, std::string_view) { return Bytes{0xF0, 0x00}; }},
    {"malformed.c07.connack_to_broker", "a CONNACK sent to the broker", "MQTT-4.8.0-1",
     "MQTT-4.13.1-1", kBoth, true,
     [](CaseContext& ctx, std::string_view) {
       return ctx.v5() ? Bytes{0x20, 0x03, 0x00, 0x00, 0x00} : Bytes{0x20, 0x02, 0x00, 0x00};
     }},
    {"malformed.c07.suback_to_broker", "a SUBACK sent to the broker", "MQTT-4.8.0-1",
     "MQTT-4.13.1-1", kBoth, true,
     [](CaseContext& ctx, std::string_view) {
       return ctx.v5() ? Bytes{0x90, 0x04, 0x00, 0x01, 0x00, 0x00} : Bytes{0x90, 0x03, 0x00, 0x01, 0x00};
     }},
    // 8. A packet before CONNECT (the second CONNECT is connect.second_connect).
    {"malformed.c08.publish_before_connect", "PUBLISH before CONNECT", "MQTT-3.1.0-1",
     "MQTT-3.1.0-1", kBoth, false,
     [](CaseContext& ctx, std::string_view t) { return publish(ctx, 0x30, t, {}, {}); }},
    // 9. A string length running past the packet end.
    {"malformed.c09.topic_length_past_end", "a topic length larger than the packet",
     "MQTT-4.8.0-1", "MQTT-4.13.1-1", kBoth, true,
     [](CaseContext&, std::string_view) { return Bytes{0x30, 0x05, 0x00, 0x09, 'a', 'b', 'c'}; }},
    {"malformed.c09.filter_swallows_options", "a SUBSCRIBE filter length that swallows the options",
     "MQTT-4.8.0-1", "MQTT-4.13.1-1", kBoth, true,
     [](CaseContext& ctx, std::string_view) {
       return ctx.v5() ? Bytes{0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x02, 'a', 0x00}
                       : Bytes{0x82, 0x06, 0x00, 0x01, 0x00, 0x02, 'a', 0x00};
     }},
    // 10. QoS > 0 without packet id; packet id 0.
    {"malformed.c10.qos1_without_packet_id", "a QoS 1 PUBLISH that ends after its topic",
     "MQTT-4.8.0-1", "MQTT-4.13.1-1", kBoth, true,
     [](CaseContext&, std::string_view t) { return frame(0x32, str(t)); }},
    {"malformed.c10.publish_packet_id_0", "a QoS 1 PUBLISH with packet id 0", "MQTT-2.3.1-1",
     "MQTT-2.2.1-3", kBoth, true,
     [](CaseContext& ctx, std::string_view t) { return publish(ctx, 0x32, t, {0x00, 0x00}, {}); }},
    {"malformed.c10.subscribe_packet_id_0", "a SUBSCRIBE with packet id 0", "MQTT-2.3.1-1",
     "MQTT-2.2.1-3", kBoth, true,
     [](CaseContext& ctx, std::string_view t) {
       Bytes b = subscribe(ctx, 0x82, t, 0x00);
       b[2] = b[3] = 0x00;
       return b;
     }},
    // 11. Empty topic; wildcards in a topic name.
    {"malformed.c11.empty_topic", "a PUBLISH with an empty topic (and no alias)", "MQTT-4.7.3-1",
     "MQTT-4.7.3-1", kBoth, true,
     [](CaseContext& ctx, std::string_view) { return publish(ctx, 0x30, "", {}, {}); }},
    {"malformed.c11.plus_in_topic", "a PUBLISH topic containing '+'", "MQTT-3.3.2-2",
     "MQTT-3.3.2-2", kBoth, true,
     [](CaseContext& ctx, std::string_view t) {
       return publish(ctx, 0x30, ctx.keep(std::string(t) + "/+"), {}, {});
     }},
    {"malformed.c11.hash_in_topic", "a PUBLISH topic containing '#'", "MQTT-3.3.2-2",
     "MQTT-3.3.2-2", kBoth, true,
     [](CaseContext& ctx, std::string_view t) {
       return publish(ctx, 0x30, ctx.keep(std::string(t) + "/#"), {}, {});
     }},
    // 12. Bad UTF-8.
    {"malformed.c12.utf8_null", "a topic containing U+0000", "MQTT-1.5.3-2", "MQTT-1.5.4-2", kBoth,
     true, [](CaseContext& ctx, std::string_view t) { return with_topic_bytes(ctx, t, {0x00}); }},
    {"malformed.c12.utf8_surrogate", "a topic containing a surrogate (ED A0 80)", "MQTT-1.5.3-1",
     "MQTT-1.5.4-1", kBoth, true,
     [](CaseContext& ctx, std::string_view t) { return with_topic_bytes(ctx, t, {0xED, 0xA0, 0x80}); }},
    {"malformed.c12.utf8_overlong", "a topic containing an overlong form (C0 AF)", "MQTT-1.5.3-1",
     "MQTT-1.5.4-1", kBoth, true,
     [](CaseContext& ctx, std::string_view t) { return with_topic_bytes(ctx, t, {0xC0, 0xAF}); }},
    {"malformed.c12.utf8_above_10ffff", "a topic containing a code point above U+10FFFF",
     "MQTT-1.5.3-1", "MQTT-1.5.4-1", kBoth, true,
     [](CaseContext& ctx, std::string_view t) {
       return with_topic_bytes(ctx, t, {0xF4, 0x90, 0x80, 0x80});
     }},
    // 13. Property length inconsistent with the packet (5.0).
    {"malformed.c13.disconnect_property_length", "DISCONNECT with property length 0x20 in 2 bytes",
     "", "MQTT-4.13.1-1", kV5, true,
     [](CaseContext&, std::string_view) { return Bytes{0xE0, 0x02, 0x00, 0x20}; }},
    {"malformed.c13.publish_property_overrun", "PUBLISH properties that overrun their length",
     "", "MQTT-4.13.1-1", kV5, true,
     [](CaseContext&, std::string_view t) {
       return frame(0x30, cat({str(t), {0x02, 0x02, 0x00, 0x00, 0x00, 0x01}}));
     }},
    // 14. Unknown property; property not allowed in the packet type (5.0).
    {"malformed.c14.unknown_property", "PUBLISH with property id 0x00", "", "MQTT-4.13.1-1", kV5,
     true,
     [](CaseContext& ctx, std::string_view t) { return publish(ctx, 0x30, t, {}, {0x00, 0x00}); }},
    {"malformed.c14.property_not_allowed", "PUBLISH carrying Session Expiry Interval", "",
     "MQTT-4.13.1-1", kV5, true,
     [](CaseContext& ctx, std::string_view t) {
       return publish(ctx, 0x30, t, {}, {0x11, 0x00, 0x00, 0x00, 0x01});
     }},
    // 15. A property given twice (5.0).
    {"malformed.c15.duplicate_property", "PUBLISH with Payload Format Indicator twice", "",
     "MQTT-4.13.1-1", kV5, true,
     [](CaseContext& ctx, std::string_view t) {
       return publish(ctx, 0x30, t, {}, {0x01, 0x00, 0x01, 0x00});
     }},
    // 16. Property values out of range (5.0).
    {"malformed.c16.topic_alias_0", "PUBLISH with Topic Alias 0", "", "MQTT-3.3.2-8", kV5, true,
     [](CaseContext& ctx, std::string_view t) { return publish(ctx, 0x30, t, {}, {0x23, 0x00, 0x00}); }},
    {"malformed.c16.subscription_identifier_0", "SUBSCRIBE with Subscription Identifier 0", "",
     "MQTT-4.13.1-1", kV5, true,
     [](CaseContext& ctx, std::string_view t) { return subscribe(ctx, 0x82, t, 0x00, {0x0B, 0x00}); }},
    {"malformed.c16.request_problem_information_2", "CONNECT with Request Problem Information 2",
     "", "MQTT-4.13.1-1", kV5, false,
     [](CaseContext& ctx, std::string_view) {
       return frame(0x10, cat({str("MQTT"), {0x05, 0x02, 0x00, 0x3C, 0x02, 0x17, 0x02},
                               str(ctx.unique_id("p"))}));
     }},
    {"malformed.c16.receive_maximum_0", "CONNECT with Receive Maximum 0", "", "MQTT-4.13.1-1", kV5,
     false,
     [](CaseContext& ctx, std::string_view) {
       return frame(0x10, cat({str("MQTT"), {0x05, 0x02, 0x00, 0x3C, 0x03, 0x21, 0x00, 0x00},
                               str(ctx.unique_id("r"))}));
     }},
    {"malformed.c16.maximum_packet_size_0", "CONNECT with Maximum Packet Size 0", "",
     "MQTT-4.13.1-1", kV5, false,
     [](CaseContext& ctx, std::string_view) {
       return frame(0x10, cat({str("MQTT"), {0x05, 0x02, 0x00, 0x3C, 0x05, 0x27, 0, 0, 0, 0},
                               str(ctx.unique_id("m"))}));
     }},
    // 19. Bad SUBSCRIBE.
    // 5.0 §3.8.3.1 calls QoS 3 and Retain Handling 3 Protocol Errors without a statement id of
    // their own (its MQTT-3.8.3-5 is about the reserved bits 6-7): the close is MQTT-4.13.1-1.
    {"malformed.c19.subscribe_qos_3", "SUBSCRIBE requesting QoS 3", "MQTT-3.8.3-4", "MQTT-4.13.1-1",
     kBoth, true, [](CaseContext& ctx, std::string_view t) { return subscribe(ctx, 0x82, t, 0x03); }},
    {"malformed.c19.subscribe_reserved_bits", "SUBSCRIBE options with reserved bits set",
     "MQTT-3.8.3-4", "MQTT-3.8.3-5", kBoth, true,
     [](CaseContext& ctx, std::string_view t) { return subscribe(ctx, 0x82, t, 0xC0); }},
    {"malformed.c19.retain_handling_3", "SUBSCRIBE with Retain Handling 3", "", "MQTT-4.13.1-1",
     kV5, true,
     [](CaseContext& ctx, std::string_view t) { return subscribe(ctx, 0x82, t, 0x30); }},
    {"malformed.c19.subscribe_no_filters", "SUBSCRIBE without any filter", "MQTT-3.8.3-3",
     "MQTT-3.8.3-2", kBoth, true,
     [](CaseContext& ctx, std::string_view) {
       return ctx.v5() ? Bytes{0x82, 0x03, 0x00, 0x01, 0x00} : Bytes{0x82, 0x02, 0x00, 0x01};
     }},
    {"malformed.c19.unsubscribe_no_filters", "UNSUBSCRIBE without any filter", "MQTT-3.10.3-2",
     "MQTT-3.10.3-2", kBoth, true,
     [](CaseContext& ctx, std::string_view) {
       return ctx.v5() ? Bytes{0xA2, 0x03, 0x00, 0x01, 0x00} : Bytes{0xA2, 0x02, 0x00, 0x01};
     }},
    {"malformed.c19.no_local_on_shared", "No Local on a shared subscription", "", "MQTT-3.8.3-4",
     kV5, true,
     [](CaseContext& ctx, std::string_view t) {
       return subscribe(ctx, 0x82, ctx.keep("$share/g/" + std::string(t)), 0x04);
     }},
};

}  // namespace

void add_malformed_cases(std::vector<Case>& out) {
  for (const Row& row : kRows) {
    Case c{row.id,      std::string("the broker closes the connection on ") + row.title,
           "malformed", {row.st311},
           {row.st5},   row.versions,
           {},          {}};
    if (row.st311[0] == '\0') c.statements.clear();
    if (row.st5[0] == '\0') c.statements_v5.clear();
    c.run = [row](CaseContext& ctx) {
      const std::string statement = ctx.st(row.st311, row.st5);
      const std::string_view topic = ctx.topic("m");
      Client& victim = ctx.client("bad");
      if (row.after_connect) {
        victim.connect_clean();
      } else {
        victim.open();
      }
      victim.send_raw(row.build(ctx, topic), row.title);
      victim.expect_closed(
          {statement, "the connection closed (an error CONNACK or DISCONNECT first is allowed)"},
          row.after_connect ? std::function<void(const Packet&)>{}
                            : no_disconnect_before_connack(ctx));
      ctx.check_still_serving(statement);
    };
    out.push_back(std::move(c));
  }
  // MQTT-1.5.5-1 binds the sender: a receiver may refuse `80 00` or read it as 0. The case checks
  // that it does one of the two and keeps serving.
  out.push_back({"malformed.c02.non_minimal_length",
                 "a non-minimal Remaining Length (80 00) is either refused or read as 0",
                 "malformed",
                 {"MQTT-4.8.0-1"},
                 {"MQTT-1.5.5-1"},
                 kBoth,
                 {},
                 [](CaseContext& ctx) {
                   Client& c = connected(ctx);
                   c.send_raw({0xC0, 0x80, 0x00}, "PINGREQ with Remaining Length 80 00");
                   const std::string statement = ctx.st("MQTT-4.8.0-1", "MQTT-1.5.5-1");
                   Incoming in = c.next();
                   if (in.kind == Incoming::Kind::timeout) {
                     ctx.fail(statement, "neither PINGRESP nor a close", "one of them");
                   }
                   if (in.kind == Incoming::Kind::packet) {
                     const auto* d = std::get_if<Disconnect>(&in.received.packet);
                     if (d != nullptr && static_cast<int>(d->reason_code) >= 0x80) {
                       c.expect_closed({statement, "a close after the DISCONNECT"});
                       ctx.note("refused (DISCONNECT, close)");
                     } else if (!std::holds_alternative<Pingresp>(in.received.packet)) {
                       ctx.fail(statement, "received " + summarize(in.received.packet),
                                "PINGRESP or a close");
                     } else {
                       ctx.note("accepted (PINGRESP)");
                     }
                   }
                   ctx.check_still_serving(statement);
                 }});
  out.push_back(
      {"malformed.c17.deep_filter",
       "a SUBSCRIBE filter of 60,000 levels does not "
       "bring the broker down",
       "malformed",
       {"MQTT-4.7.3-3"},
       {},
       kBoth,
       {},
       [](CaseContext& ctx) {
         Client& c = connected(ctx);
         const std::string filter = ctx.prefix() + std::string(60000, '/');
         c.send_raw(
             frame(0x82,
                   cat({{0x00, 0x03}, ctx.v5() ? Bytes{0x00} : Bytes{}, str(filter), {0x00}})),
             "SUBSCRIBE to a 60,000-level filter");
         // A SUBACK (any code) or a refusal are both fine; the broker must survive. A slow
         // SUBACK is allowed too (the specification sets no deadline): 10 s beyond the response
         // timeout, then inconclusive if the broker still serves others.
         const TimeNs wait_ns = ctx.settings().response_timeout_ns + 10'000'000'000LL;
         Incoming in = c.next(wait_ns);
         ctx.check_still_serving("MQTT-4.7.3-3");
         if (in.kind == Incoming::Kind::timeout) {
           ctx.inconclusive("no SUBACK and no close within " + std::to_string(wait_ns / 1'000'000) +
                            " ms, but the broker still serves other clients");
         }
       }});
  out.back().runs_alone = true;
}

}  // namespace mqttsim::conformance
