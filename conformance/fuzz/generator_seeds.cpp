// The near-valid half of the grammar (one named fault per packet, class numbers of
// shared/reference/malformed-packets.md) and the seed cases: every class and CVE trigger of that
// file, sent once at the start of each run.
#include "conformance/fuzz/generator.hpp"
#include "conformance/suite/case_helpers.hpp"

namespace mqttsim::conformance::fuzz {

using cases::cat;
using cases::frame;
using cases::str;

namespace {

Bytes u16(std::uint16_t v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v & 0xFF)};
}

Bytes flood(std::size_t count) {
  Bytes out;
  out.reserve(count * 7);
  for (std::size_t i = 0; i < count; ++i) out.insert(out.end(), {0x26, 0, 1, 'k', 0, 1, 'v'});
  return out;
}

std::string levels(std::size_t n) {
  return "fz" + std::string(n, '/');
}

struct Seed {
  const char* label;
  bool v311;
  bool v5;
  bool after_connect;
  Bytes (*build)(bool v5);
};

Bytes props_if(bool v5, const Bytes& props) {
  if (!v5) return {};
  return cat({varint(static_cast<std::uint32_t>(props.size())), props});
}

Bytes pub(bool v5, std::uint8_t first, const std::string& t, const Bytes& id, const Bytes& props) {
  return frame(first, cat({str(t), id, props_if(v5, props), {'x'}}));
}

Bytes sub(bool v5, std::uint8_t first, const std::string& f, std::uint8_t options) {
  return frame(first, cat({u16(5), props_if(v5, {}), str(f), {options}}));
}

const Seed kSeeds[] = {
    {"c01:remaining length of 5 bytes", true, true, true,
     [](bool) { return Bytes{0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}; }},
    {"c02:non-minimal varint for PINGREQ", true, true, true,
     [](bool) {
       return Bytes{0xC0, 0x80, 0x00};
     }},
    {"c03:PUBACK length shorter than its id", true, true, true,
     [](bool) {
       return Bytes{0x40, 0x01, 0x00};
     }},
    {"c04:first packet PUBLISH announcing ~100 MB (CVE-2023-0809)", true, true, false,
     [](bool) { return Bytes{0x30, 0xFF, 0xFF, 0xFF, 0x2F, 0x00, 0x01, 'a', 'x'}; }},
    {"c05:SUBSCRIBE flags 0000", true, true, true,
     [](bool v5) { return sub(v5, 0x80, "fz/a", 0); }},
    {"c05:PUBREL flags 0000", true, true, true,
     [](bool) {
       return Bytes{0x60, 0x02, 0x00, 0x01};
     }},
    {"c06:PUBLISH QoS 3", true, true, true,
     [](bool v5) { return pub(v5, 0x36, "fz/a", u16(1), {}); }},
    {"c06:PUBLISH DUP with QoS 0", true, true, true,
     [](bool v5) { return pub(v5, 0x38, "fz/a", {}, {}); }},
    {"c07:packet type 0", true, true, true,
     [](bool) {
       return Bytes{0x00, 0x00};
     }},
    {"c07:AUTH under 3.1.1", true, false, true,
     [](bool) {
       return Bytes{0xF0, 0x00};
     }},
    {"c07:CONNACK sent to the broker (CVE-2021-28166)", true, true, true,
     [](bool) { return Bytes{0x20, 0x0B, 0x00, 0x00, 0x80, 0xFF, 0xFF, 0x0A, 0, 0, 0, 0, 0}; }},
    {"c07:SUBACK sent to the broker", true, true, true,
     [](bool) {
       return Bytes{0x90, 0x03, 0x00, 0x01, 0x00};
     }},
    {"c08:SUBSCRIBE before CONNECT", true, true, false,
     [](bool v5) { return sub(v5, 0x82, "fz/a", 0); }},
    {"c09:topic length past the packet end", true, true, true,
     [](bool) { return Bytes{0x30, 0x04, 0x00, 0x40, 'f', 'z'}; }},
    {"c10:QoS 1 PUBLISH with packet id 0", true, true, true,
     [](bool v5) { return pub(v5, 0x32, "fz/a", u16(0), {}); }},
    {"c10:QoS 1 PUBLISH ending after the topic (NanoMQ)", true, true, true,
     [](bool) { return frame(0x32, str("fz/a")); }},
    {"c11:PUBLISH with an empty topic (CVE-2021-34432)", true, true, true,
     [](bool v5) { return pub(v5, 0x30, "", {}, {}); }},
    {"c11:PUBLISH topic with a wildcard", true, true, true,
     [](bool v5) { return pub(v5, 0x30, "fz/+/a", {}, {}); }},
    {"c12:topic with U+0000", true, true, true,
     [](bool v5) { return pub(v5, 0x30, std::string("fz/\0a", 5), {}, {}); }},
    {"c12:topic with a surrogate", true, true, true,
     [](bool v5) { return pub(v5, 0x30, "fz/\xED\xA0\x80", {}, {}); }},
    {"c12:topic with an overlong form", true, true, true,
     [](bool v5) { return pub(v5, 0x30, "fz/\xC0\xAF", {}, {}); }},
    {"c13:DISCONNECT property length beyond its packet (aedes)", false, true, true,
     [](bool) {
       return Bytes{0xE0, 0x02, 0x00, 0x20};
     }},
    {"c14:unknown property 0x7F in PUBLISH", false, true, true,
     [](bool v5) {
       return pub(v5, 0x30, "fz/a", {}, {0x7F, 0x00});
     }},
    {"c14:Server Reference in PUBLISH (VerneMQ)", false, true, true,
     [](bool v5) {
       return pub(v5, 0x30, "fz/a", {}, cat({{0x1C}, str("other")}));
     }},
    {"c15:Content Type twice in PUBLISH", false, true, true,
     [](bool v5) {
       return pub(v5, 0x30, "fz/a", {}, cat({{0x03}, str("a"), {0x03}, str("b")}));
     }},
    {"c16:Topic Alias 0", false, true, true,
     [](bool v5) {
       return pub(v5, 0x30, "fz/a", {}, {0x23, 0x00, 0x00});
     }},
    {"c16:Payload Format Indicator 2", false, true, true,
     [](bool v5) {
       return pub(v5, 0x30, "fz/a", {}, {0x01, 0x02});
     }},
    {"c17:PUBLISH with 20000 User Properties (CVE-2021-41039)", false, true, true,
     [](bool v5) { return pub(v5, 0x30, "fz/a", {}, flood(20000)); }},
    {"c17:SUBSCRIBE to 65400 levels (CVE-2019-11779)", true, true, true,
     [](bool v5) { return sub(v5, 0x82, levels(65400), 0); }},
    {"c18:CONNECT reserved flag set", true, true, false,
     [](bool v5) {
       return frame(0x10, cat({str("MQTT"),
                               {static_cast<std::uint8_t>(v5 ? 5 : 4), 0x03, 0, 30},
                               props_if(v5, {}),
                               str("fz-c18")}));
     }},
    {"c18:CONNECT Will QoS 3", true, true, false,
     [](bool v5) {
       return frame(0x10, cat({str("MQTT"),
                               {static_cast<std::uint8_t>(v5 ? 5 : 4), 0x1E, 0, 30},
                               props_if(v5, {}),
                               str("fz-c18w"),
                               props_if(v5, {}),
                               str("fz/w"),
                               str("w")}));
     }},
    {"c18:CONNECT password without user name", true, false, false,
     [](bool) {
       return frame(0x10, cat({str("MQTT"), {4, 0x42, 0, 30}, str("fz-c18p"), str("pw")}));
     }},
    {"c19:SUBSCRIBE filter a/#/b", true, true, true,
     [](bool v5) { return sub(v5, 0x82, "fz/#/b", 0); }},
    {"c19:SUBSCRIBE reserved option bits", true, true, true,
     [](bool v5) { return sub(v5, 0x82, "fz/a", 0xC0); }},
    {"c19:SUBSCRIBE Retain Handling 3", false, true, true,
     [](bool v5) { return sub(v5, 0x82, "fz/a", 0x30); }},
    {"c19:SUBSCRIBE with no filter", true, true, true,
     [](bool v5) {
       return frame(0x82, cat({u16(5), props_if(v5, {})}));
     }},
    {"c19:SUBSCRIBE filter length swallowing the options (mqtt-packet)", true, true, true,
     [](bool v5) {
       return frame(0x82, cat({u16(5), props_if(v5, {}), {0, 5}, {'f', 'z', '/', 'a', 0}}));
     }},
    {"c19:shared subscription name with +", false, true, true,
     [](bool v5) { return sub(v5, 0x82, "$share/g+/fz/a", 0); }},
    {"c20:PUBREL for an unknown id", true, true, true,
     [](bool) {
       return Bytes{0x62, 0x02, 0xEE, 0x01};
     }},
    {"cve:topic starting with $ that is not $SYS (CVE-2018-12543)", true, true, true,
     [](bool v5) { return pub(v5, 0x30, "$fz/a", {}, {}); }},
    {"cve:CONNECT property length as a 5-byte varint (CVE-2026-21888)", false, true, false,
     [](bool) {
       return frame(
           0x10,
           cat({str("MQTT"), {5, 0x02, 0, 30, 0x80, 0x80, 0x80, 0x80, 0x00}, str("fz-nano")}));
     }},
    {"cve:Will properties of invalid types (CVE-2023-3592)", false, true, false,
     [](bool) {
       return frame(0x10, cat({str("MQTT"),
                               {5, 0x06, 0, 30, 0x00},
                               str("fz-willprop"),
                               {0x05, 0x11, 0, 0, 0, 1},
                               str("fz/w"),
                               str("w")}));
     }},
    {"cve:CONNECT with 20000 User Properties (CVE-2021-41039)", false, true, false,
     [](bool) {
       const Bytes props = flood(20000);
       return frame(0x10, cat({str("MQTT"),
                               {5, 0x02, 0, 30},
                               varint(static_cast<std::uint32_t>(props.size())),
                               props,
                               str("fz-flood")}));
     }},
};

}  // namespace

std::vector<std::vector<Step>> Generator::seed_cases() {
  std::vector<std::vector<Step>> out;
  for (const Seed& s : kSeeds) {
    if (!(v5() ? s.v5 : s.v311)) continue;
    std::vector<Step> steps;
    if (s.after_connect) steps.push_back({0, connect_bytes(false), "valid:CONNECT"});
    steps.push_back({0, s.build(v5()), s.label});
    out.push_back(std::move(steps));
  }
  // Stateful class 20: the same QoS 2 PUBLISH with DUP, repeated, never released
  // (CVE-2023-28366).
  std::vector<Step> repeated{{0, connect_bytes(false), "valid:CONNECT"}};
  const Bytes first = publish_bytes(2, false, false, "fz/q2", 7, {}, {'x'});
  repeated.push_back({0, first, "valid:PUBLISH"});
  Bytes again = first;
  again[0] |= 0x08;
  for (int i = 0; i < 5; ++i) repeated.push_back({0, again, "c20:PUBLISH QoS 2 repeated with DUP"});
  out.push_back(std::move(repeated));
  if (v5()) out.push_back({{0, connect_bytes(true), "c20:CONNECT will delay > session expiry"}});
  return out;
}

Step Generator::near_valid_packet() {
  const std::uint16_t id = packet_id();
  const std::string t = topic();
  const bool v = v5();
  switch (rng_.below(v ? 17 : 12)) {
    case 0:
      return {0, publish_bytes(3, false, false, t, id, {}, {'x'}), "c06:PUBLISH QoS 3"};
    case 1:
      return {0, publish_bytes(0, true, false, t, 0, {}, {'x'}), "c06:PUBLISH DUP QoS 0"};
    case 2:
      return {0, publish_bytes(1, false, false, t, 0, {}, {'x'}), "c10:PUBLISH id 0"};
    case 3:
      return {0, publish_bytes(0, false, false, "", 0, {}, {'x'}), "c11:PUBLISH empty topic"};
    case 4:
      return {0, publish_bytes(0, false, false, t + "/#", 0, {}, {'x'}), "c11:PUBLISH wildcard"};
    case 5:
      return {0, publish_bytes(0, false, false, t + "\xED\xA0\x80", 0, {}, {'x'}),
              "c12:PUBLISH surrogate in topic"};
    case 6:
      return {0, subscribe_bytes(id, filter(), 0, {}, 0x80), "c05:SUBSCRIBE flags 0000"};
    case 7:
      return {0, subscribe_bytes(id, t + "/#/x", 0, {}), "c19:SUBSCRIBE bad filter"};
    case 8:
      return {0, subscribe_bytes(id, filter(), 3, {}), "c19:SUBSCRIBE QoS 3"};
    case 9:
      return {0, connect_bytes(false), "c08:second CONNECT"};
    case 10: {
      Bytes p = publish_bytes(1, false, false, t, id, {}, {'x'});
      p[1] = static_cast<std::uint8_t>(p[1] + 1 + rng_.below(3));  // length beyond the bytes
      return {0, p, "c03:Remaining Length larger than the content"};
    }
    case 11:
      return {0, publish_bytes(0, false, false, levels(1000 + rng_.below(30000)), 0, {}, {'x'}),
              "c17:PUBLISH deep topic"};
    case 12:
      return {0, publish_bytes(0, false, false, t, 0, {0x1C, 0, 1, 'x'}, {'x'}),
              "c14:PUBLISH with Server Reference"};
    case 13:
      return {0, publish_bytes(0, false, false, t, 0, {0x02, 0, 0, 0, 1, 0x02, 0, 0, 0, 2}, {'x'}),
              "c15:PUBLISH Message Expiry twice"};
    case 14:
      return {0, publish_bytes(0, false, false, t, 0, {0x23, 0, 0}, {'x'}), "c16:Topic Alias 0"};
    case 15:
      return {0, publish_bytes(0, false, false, t, 0, flood(2000 + rng_.below(20000)), {'x'}),
              "c17:PUBLISH User Property flood"};
    default:
      return {0, subscribe_bytes(id, filter(), 0, {0x0B, 0x00}), "c16:Subscription Identifier 0"};
  }
}

}  // namespace mqttsim::conformance::fuzz
