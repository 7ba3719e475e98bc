// Small builders shared by the case files: raw packet framing for malformed input, and packet
// makers that fill in this case's version, credentials and unique names.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "conformance/suite/suite.hpp"

namespace mqttsim::conformance::cases {

using Bytes = std::vector<std::uint8_t>;

// A fixed header byte, the minimal Remaining Length of `body`, and `body`.
inline Bytes frame(std::uint8_t first_byte, const Bytes& body) {
  Bytes out{first_byte};
  std::size_t n = body.size();
  do {
    std::uint8_t b = static_cast<std::uint8_t>(n % 128);
    n /= 128;
    if (n > 0) b |= 0x80;
    out.push_back(b);
  } while (n > 0);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// A two-byte length prefix and the bytes of `text`.
inline Bytes str(std::string_view text) {
  Bytes out{static_cast<std::uint8_t>(text.size() >> 8), static_cast<std::uint8_t>(text.size())};
  out.insert(out.end(), text.begin(), text.end());
  return out;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// The variable header of a CONNECT for `ctx`'s version: name, level, `flags`, keep alive 60,
// and (5.0) an empty property list.
inline Bytes connect_header(const CaseContext& ctx, std::uint8_t flags) {
  Bytes out = cat({str("MQTT"), {static_cast<std::uint8_t>(ctx.version()), flags, 0x00, 0x3C}});
  if (ctx.v5()) out.push_back(0x00);
  return out;
}

// A complete CONNECT with `flags` and the given payload fields after the client id.
inline Bytes raw_connect(const CaseContext& ctx, std::string_view client_id, std::uint8_t flags,
                         const Bytes& rest = {}) {
  return frame(0x10, cat({connect_header(ctx, flags), str(client_id), rest}));
}

inline protocol::Connect make_connect(CaseContext& ctx, const Client& c, bool clean = true) {
  protocol::Connect connect;
  connect.version = ctx.version();
  connect.client_id = ctx.keep(c.id());
  connect.clean_start = clean;
  if (ctx.settings().username) connect.username = ctx.keep(*ctx.settings().username);
  if (ctx.settings().password) connect.password = ctx.keep_bytes(*ctx.settings().password);
  return connect;
}

inline protocol::Publish make_publish(CaseContext& ctx, std::string_view topic,
                                      std::string_view payload, QoS qos,
                                      std::uint16_t packet_id = 0, bool retain = false) {
  protocol::Publish p;
  p.topic = topic;
  p.payload = ctx.keep_bytes(std::string(payload));
  p.qos = qos;
  p.packet_id = qos == QoS::at_most_once ? 0 : packet_id;
  p.retain = retain;
  return p;
}

inline protocol::Subscribe make_subscribe(std::uint16_t packet_id, std::string_view filter,
                                          QoS qos) {
  protocol::Subscribe s;
  s.packet_id = packet_id;
  s.subscriptions.push_back({filter, protocol::SubscriptionOptions{qos, false, false, {}}});
  return s;
}

// A connected client (clean start) under `name`.
inline Client& connected(CaseContext& ctx, std::string_view name = "c") {
  Client& c = ctx.client(name);
  c.connect_clean();
  return c;
}

// The next PUBLISH on `c` for `topic`, or a failure citing `statement`.
// `timeout_ns` 0: the response timeout.
inline protocol::Publish expect_publish(Client& c, std::string_view topic, std::string statement,
                                        std::string what = {}, TimeNs timeout_ns = 0) {
  if (what.empty()) what = "a PUBLISH on " + std::string(topic);
  return c.expect<protocol::Publish>({std::move(statement), std::move(what), timeout_ns},
                                     [&](const protocol::Publish& p) { return p.topic == topic; });
}

// Acknowledges a received QoS 1 or 2 PUBLISH completely.
inline void ack(CaseContext& ctx, Client& c, const protocol::Publish& p) {
  if (p.qos == QoS::at_least_once) {
    c.send(protocol::Puback{p.packet_id, {}, {}});
  } else if (p.qos == QoS::exactly_once) {
    c.send(protocol::Pubrec{p.packet_id, {}, {}});
    c.expect<protocol::Pubrel>(
        {ctx.st("MQTT-4.3.3-1", "MQTT-4.3.3-4"), "a PUBREL for the PUBREC", 0, false, true},
        [&](const protocol::Pubrel& r) { return r.packet_id == p.packet_id; });
    c.send(protocol::Pubcomp{p.packet_id, {}, {}});
  }
}

// After a SUBSCRIBE the broker may refuse: a SUBACK with one failure code (>= 0x80), or a
// close, under 5.0 possibly after a DISCONNECT with an error code. Returns true on a close.
inline bool expect_suback_failure_or_close(CaseContext& ctx, Client& c,
                                           const std::string& statement) {
  Incoming in = c.next();
  if (in.kind == Incoming::Kind::closed) return true;
  if (in.kind == Incoming::Kind::timeout) {
    ctx.fail(statement, "no SUBACK and no close", "a SUBACK failure code or a close");
  }
  if (const auto* d = std::get_if<protocol::Disconnect>(&in.received.packet)) {
    if (static_cast<int>(d->reason_code) >= 0x80) {
      c.expect_closed({statement, "a close after the DISCONNECT"});
      return true;
    }
  }
  const auto* ack = std::get_if<protocol::Suback>(&in.received.packet);
  if (ack == nullptr || ack->reason_codes.size() != 1 ||
      static_cast<int>(ack->reason_codes[0]) < 0x80) {
    ctx.fail(statement, "received " + summarize(in.received.packet),
             "a SUBACK with a failure code (>= 0x80), or a close");
  }
  return false;
}

// For a connection refused before its CONNACK: a 5.0 server must not send DISCONNECT until it
// has sent a successful CONNACK (MQTT-3.14.0-1).
inline std::function<void(const Packet&)> no_disconnect_before_connack(CaseContext& ctx) {
  return [&ctx, connack_ok = std::make_shared<bool>(false)](const Packet& p) {
    if (const auto* ack = std::get_if<protocol::Connack>(&p)) {
      *connack_ok = static_cast<int>(ack->reason_code) < 0x80;
    }
    if (ctx.v5() && !*connack_ok && std::holds_alternative<protocol::Disconnect>(p)) {
      ctx.fail("MQTT-3.14.0-1", "a DISCONNECT before any successful CONNACK",
               "a close, or a CONNACK with an error code and a close");
    }
  };
}

}  // namespace mqttsim::conformance::cases
