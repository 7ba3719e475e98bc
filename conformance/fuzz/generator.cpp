// The packet grammar and the state-aware choice of what comes next. Packets are written as raw
// bytes so that every field can be made wrong on purpose; `label` names what was meant, and the
// executor's strict decoder decides independently whether the bytes are well-formed.
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

Bytes with_length(const Bytes& props) {
  return cat({varint(static_cast<std::uint32_t>(props.size())), props});
}

}  // namespace

std::uint64_t fork_seed(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  return sim::Rng(seed).fork(std::to_string(stream) + "/" + std::to_string(index)).next_u64();
}

Bytes varint(std::uint32_t n) {
  Bytes out;
  do {
    std::uint8_t b = static_cast<std::uint8_t>(n % 128);
    n /= 128;
    if (n > 0) b |= 0x80;
    out.push_back(b);
  } while (n > 0);
  return out;
}

Generator::Generator(protocol::Version version, std::uint64_t seed)
    : version_(version), seed_(seed), rng_(seed) {}

void Generator::begin_case(std::uint64_t index) {
  rng_ = Prng(fork_seed(seed_, 0x63617365 /* "case" */, index));
  next_id_ = 1;
  qos2_ids_.clear();
  last_qos2_publish_.clear();
  payload_counter_ = index * 1000;  // payloads stay unique across cases
}

std::string Generator::topic() {
  static const std::vector<std::string> kLevels = {
      "a", "b", "sensor", "x1", "\xC3\xA9", "$x", "", "long-level-name-0123456789"};
  std::string t = "fz";
  const std::uint32_t depth = 1 + rng_.below(4);
  for (std::uint32_t i = 0; i < depth; ++i) t += "/" + rng_.pick(kLevels);
  return t;
}

std::string Generator::filter() {
  static const std::vector<std::string> kFilters = {"fz/#", "fz/+",      "fz/+/a", "fz/a/#",
                                                    "#",    "fz/sensor", "+/+",    "$share/g/fz/#"};
  return rng_.chance(50) ? rng_.pick(kFilters) : topic();
}

std::uint16_t Generator::packet_id() {
  if (next_id_ == 0) next_id_ = 1;
  return next_id_++;
}

Bytes Generator::valid_props(int packet_type) {
  if (!v5()) return {};
  Bytes p;
  if (rng_.chance(40)) p = cat({p, {0x26}, str("k"), str("v")});
  if (packet_type == 3) {
    if (rng_.chance(30)) p = cat({p, {0x02, 0, 0, 0, 60}});        // message expiry
    if (rng_.chance(30)) p = cat({p, {0x03}, str("text/plain")});  // content type
    if (rng_.chance(20)) p = cat({p, {0x08}, str("fz/reply")});    // response topic
  } else if (packet_type == 1) {
    if (rng_.chance(40)) p = cat({p, {0x11, 0, 0, 0, 30}});  // session expiry
    if (rng_.chance(30)) p = cat({p, {0x21, 0, 10}});        // receive maximum
  } else if (packet_type == 8) {
    if (rng_.chance(30)) p = cat({p, {0x0B}, varint(1 + rng_.below(1000))});  // subscription id
  }
  return p;
}

Bytes Generator::connect_bytes(bool will_delay_abuse) {
  std::uint8_t flags = 0x02;  // clean start
  Bytes payload = str("fz-" + std::to_string(rng_.below(1000000)));
  const bool will = will_delay_abuse || rng_.chance(30);
  if (will) {
    // A retained Will is QoS 0, as is a retained PUBLISH below: retained QoS 1/2 messages pile
    // up over a run and, sent unacknowledged on every SUBSCRIBE, fill the broker's inflight
    // window, so that the messages a step is owed stop coming.
    const bool retain = rng_.chance(20);
    const std::uint8_t qos = retain ? 0 : static_cast<std::uint8_t>(rng_.below(3));
    flags = static_cast<std::uint8_t>(flags | 0x04 | (qos << 3) | (retain ? 0x20 : 0));
    Bytes will_props;
    if (v5()) {
      will_props = will_delay_abuse ? Bytes{0x18, 0, 0, 0x0E, 0x10} : Bytes{};
      will_props = with_length(will_props);
    }
    payload = cat({payload, will_props, str(topic()), str("will")});
  }
  Bytes props;
  if (v5()) props = with_length(will_delay_abuse ? Bytes{0x11, 0, 0, 0, 1} : valid_props(1));
  const Bytes header =
      cat({str("MQTT"), {static_cast<std::uint8_t>(version_), flags}, u16(30), props});
  return frame(0x10, cat({header, payload}));
}

Bytes Generator::publish_bytes(std::uint8_t qos, bool dup, bool retain, const std::string& t,
                               std::uint16_t id, const Bytes& props, const Bytes& payload) {
  const std::uint8_t first =
      static_cast<std::uint8_t>(0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 1 : 0));
  Bytes body = str(t);
  if (qos > 0) body = cat({body, u16(id)});
  if (v5()) body = cat({body, with_length(props)});
  return frame(first, cat({body, payload}));
}

Bytes Generator::subscribe_bytes(std::uint16_t id, const std::string& f, std::uint8_t options,
                                 const Bytes& props, std::uint8_t first) {
  Bytes body = u16(id);
  if (v5()) body = cat({body, with_length(props)});
  return frame(first, cat({body, str(f), {options}}));
}

Bytes Generator::ack_bytes(std::uint8_t first, std::uint16_t id) {
  return frame(first, u16(id));
}

Step Generator::first_packet() {
  if (rng_.chance(85)) return {0, connect_bytes(false), "valid:CONNECT"};
  if (v5() && rng_.chance(30)) {
    return {0, connect_bytes(true), "c20:CONNECT will delay > session expiry"};
  }
  Bytes c = connect_bytes(false);
  switch (rng_.below(4)) {
    case 0:
      return {0, mutate_bytes(c, rng_, true), "mutated:CONNECT"};
    case 1:
      c[c.size() > 11 ? 11 : 0] |= 0x01;
      return {0, c, "c18:CONNECT reserved flag"};
    case 2:
      c[c.size() > 10 ? 10 : 0] = 7;
      return {0, c, "c18:CONNECT protocol level 7"};
    default:
      return {0, valid_packet().bytes, "c08:packet before CONNECT"};
  }
}

Step Generator::valid_packet() {
  const std::uint32_t pick = rng_.below(10);
  if (pick < 5) {
    const bool retain = rng_.chance(10);
    const std::uint8_t qos = retain ? 0 : static_cast<std::uint8_t>(rng_.below(3));
    const std::uint16_t id = packet_id();
    // Unique payloads: the `#` observer tells each forwarded message apart.
    const std::string tag = "p" + std::to_string(++payload_counter_) + "-";
    Bytes payload(tag.begin(), tag.end());
    payload.resize(payload.size() + rng_.below(20),
                   static_cast<std::uint8_t>('a' + rng_.below(26)));
    Bytes p = publish_bytes(qos, false, retain, topic(), id, valid_props(3), payload);
    if (qos == 2) {
      qos2_ids_.push_back(id);
      last_qos2_publish_ = p;
    }
    return {0, p, "valid:PUBLISH"};
  }
  if (pick < 7) {
    const std::uint8_t options = static_cast<std::uint8_t>(rng_.below(3));
    return {0, subscribe_bytes(packet_id(), filter(), options, valid_props(8)), "valid:SUBSCRIBE"};
  }
  if (pick == 7) {
    Bytes body = u16(packet_id());
    if (v5()) body.push_back(0);
    return {0, frame(0xA2, cat({body, str(filter())})), "valid:UNSUBSCRIBE"};
  }
  if (pick == 8) return {0, {0xC0, 0x00}, "valid:PINGREQ"};
  return {0, ack_bytes(0x62, qos2_ids_.empty() ? 1 : rng_.pick(qos2_ids_)), "valid:PUBREL"};
}

Step Generator::mutated_packet() {
  Step s = valid_packet();
  const bool reframe = rng_.chance(60);
  s.bytes = mutate_bytes(s.bytes, rng_, reframe);
  s.label = "mutated:" + s.label.substr(s.label.find(':') + 1);
  return s;
}

Step Generator::next(const ReplyState& state) {
  bool chosen = false;
  Step s = stateful(state, chosen);
  if (chosen) return s;
  const std::uint32_t roll = rng_.below(100);
  if (roll < 50) return valid_packet();
  if (roll < 78) return near_valid_packet();
  return mutated_packet();
}

// Answers what the broker just did, correctly or in one of the stateful ways class 20 lists.
Step Generator::stateful(const ReplyState& state, bool& chosen) {
  chosen = true;
  const std::uint16_t id = state.packet_id;
  if (state.type == 5 && rng_.chance(70)) {  // PUBREC
    if (rng_.chance(60)) return {0, ack_bytes(0x62, id), "valid:PUBREL"};
    if (!last_qos2_publish_.empty()) {
      Bytes again = last_qos2_publish_;
      again[0] |= 0x08;
      return {0, again, "c20:PUBLISH QoS 2 repeated with DUP before PUBREL"};
    }
  }
  if (state.type == 3 && state.qos == 1 && rng_.chance(70)) {
    if (rng_.chance(60)) return {0, ack_bytes(0x40, id), "valid:PUBACK"};
    return {0, ack_bytes(0x50, id), "c20:PUBREC answering a QoS 1 PUBLISH"};
  }
  if (state.type == 3 && state.qos == 2 && rng_.chance(70)) {
    if (rng_.chance(60)) return {0, ack_bytes(0x50, id), "valid:PUBREC"};
    return {0, ack_bytes(0x70, id), "c20:PUBCOMP before PUBREC"};
  }
  if (state.type == 6 && rng_.chance(80)) return {0, ack_bytes(0x70, id), "valid:PUBCOMP"};
  if (rng_.chance(8)) {
    return {0, ack_bytes(0x62, static_cast<std::uint16_t>(50000 + rng_.below(15000))),
            "c20:PUBREL for an unknown id"};
  }
  chosen = false;
  return {};
}

Bytes mutate_bytes(const Bytes& packet, Prng& rng, bool reframe) {
  if (packet.size() < 2) return packet;
  // The body starts after the Remaining Length bytes.
  std::size_t header = 1;
  while (header < packet.size() && header < 5 && (packet[header] & 0x80)) ++header;
  ++header;
  Bytes body(packet.begin() + static_cast<std::ptrdiff_t>(std::min(header, packet.size())),
             packet.end());
  Bytes out = reframe ? body : packet;
  static const std::uint8_t kInteresting[] = {0x00, 0x01, 0x7F, 0x80, 0xFF, 0x2F, 0x23, 0x2B};
  const std::uint32_t rounds = 1 + rng.below(3);
  for (std::uint32_t r = 0; r < rounds; ++r) {
    const std::uint32_t n = static_cast<std::uint32_t>(out.size());
    const std::uint32_t at = n == 0 ? 0 : rng.below(n);
    switch (rng.below(6)) {
      case 0:
        if (n) out[at] = static_cast<std::uint8_t>(out[at] ^ (1u << rng.below(8)));
        break;
      case 1:
        if (n) out[at] = kInteresting[rng.below(8)];
        break;
      case 2:
        out.insert(out.begin() + at, static_cast<std::uint8_t>(rng.next()));
        break;
      case 3:
        if (n) out.erase(out.begin() + at);
        break;
      case 4:
        if (n > 1) out.resize(at);
        break;
      default: {
        const std::uint32_t len = n == 0 ? 0 : 1 + rng.below(std::min<std::uint32_t>(n - at, 8));
        Bytes chunk(out.begin() + at, out.begin() + at + len);
        out.insert(out.begin() + at, chunk.begin(), chunk.end());
      }
    }
  }
  return reframe ? frame(packet[0], out) : out;
}

}  // namespace mqttsim::conformance::fuzz
