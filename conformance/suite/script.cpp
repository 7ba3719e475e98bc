// The script helpers behind every case: scripted clients that encode, send, decode and check
// what the broker answers, recording a transcript that becomes the evidence of the verdict.
#include <cstdio>

#include "conformance/suite/suite.hpp"

namespace mqttsim::conformance {

using namespace protocol;

Client::Client(CaseContext& ctx, std::string client_id, Version version)
    : ctx_(ctx), client_id_(std::move(client_id)), version_(version) {}

void Client::open() {
  if (link_) close();
  std::string error;
  link_ = ctx_.world().open(error);
  if (!link_) ctx_.error(error, true);
  StreamOptions options;
  options.sender = Sender::server;
  options.version = version_;
  decoder_ = std::make_unique<StreamDecoder>(options);
  pending_.clear();
}

void Client::send(const Packet& packet) {
  std::vector<std::uint8_t> bytes;
  if (auto error = encode(packet, version_, Sender::client, bytes)) {
    ctx_.error("the script built a packet the codec refuses: " + error->reason);
  }
  if (!link_) ctx_.error("send on a closed connection: " + summarize(packet));
  ctx_.record("sent", summarize(packet), to_json(packet, version_), bytes);
  ctx_.world().send(*link_, bytes);
}

void Client::send_raw(std::vector<std::uint8_t> bytes, std::string summary) {
  if (!link_) ctx_.error("send on a closed connection: " + summary);
  ctx_.record("sent", "raw: " + summary, nullptr, bytes);
  ctx_.world().send(*link_, bytes);
}

void Client::close() {
  if (!link_) return;
  ctx_.world().close(*link_);
  ctx_.record("closed", client_id_ + ": the client dropped the connection", nullptr, {});
  link_.reset();
}

void Client::record_received(const Received& r) {
  ctx_.record("received", client_id_ + " <- " + summarize(r.packet), to_json(r.packet, version_),
              *r.bytes);
}

Incoming Client::next(TimeNs timeout_ns) {
  if (timeout_ns == 0) timeout_ns = ctx_.settings().response_timeout_ns;
  const TimeNs case_end_ns = ctx_.started_ns() + ctx_.settings().case_timeout_ns;
  if (ctx_.world().now() >= case_end_ns) {
    ctx_.error("the case ran longer than its limit of " +
               std::to_string(ctx_.settings().case_timeout_ns / 1'000'000'000) + " s");
  }
  const TimeNs deadline = std::min(ctx_.world().now() + timeout_ns, case_end_ns);
  while (pending_.empty()) {
    if (!link_) return {Incoming::Kind::closed, {}, "not connected"};
    LinkEvent event = ctx_.world().wait(*link_, deadline);
    if (event.kind == LinkEvent::Kind::timeout) return {Incoming::Kind::timeout, {}, {}};
    if (event.kind == LinkEvent::Kind::closed) {
      ctx_.record("closed", client_id_ + ": " + event.detail, nullptr, {});
      link_.reset();
      return {Incoming::Kind::closed, {}, event.detail};
    }
    raw_ = std::move(event.bytes);
    decoder_->feed(ByteView(raw_.data(), raw_.size()));
    Packet packet;
    StreamDecoder::Status status;
    while ((status = decoder_->next(packet)) == StreamDecoder::Status::packet) {
      const ByteView frame = decoder_->last_packet_bytes();
      auto bytes = std::make_shared<std::vector<std::uint8_t>>(frame.begin(), frame.end());
      Received r{bytes, {}, ctx_.world().now()};
      decode_packet(ByteView(bytes->data(), bytes->size()), version_, Sender::server, {}, r.packet);
      record_received(r);
      pending_.push_back(std::move(r));
    }
    if (status == StreamDecoder::Status::malformed) {
      const Malformed& m = decoder_->error();
      ctx_.record("received", client_id_ + " <- malformed bytes: " + m.reason, to_json(m), raw_);
      if (lenient_) {
        close();
        return {Incoming::Kind::closed,
                {},
                "an answer that is not MQTT " + std::string(version_name(version_))};
      }
      ctx_.fail(std::string(m.spec_ref), "the broker sent a malformed packet: " + m.reason,
                "well-formed packets only");
    }
  }
  Incoming in{Incoming::Kind::packet, std::move(pending_.front()), {}};
  pending_.pop_front();
  kept_.push_back(in.received.bytes);
  return in;
}

namespace {
std::string ms_text(TimeNs ns) {
  return std::to_string(ns / 1'000'000) + " ms";
}
}  // namespace

Received Client::expect_packet(const Expectation& e,
                               const std::function<bool(const Packet&)>& match) {
  const TimeNs timeout = e.timeout_ns != 0 ? e.timeout_ns : ctx_.settings().response_timeout_ns;
  const TimeNs deadline = ctx_.world().now() + timeout;
  std::deque<Received> set_aside;
  // Set-aside packets go back to the front of the queue, in order, whatever happens next.
  struct Restore {
    std::deque<Received>& from;
    std::deque<Received>& to;
    ~Restore() { to.insert(to.begin(), from.begin(), from.end()); }
  } restore{set_aside, pending_};
  for (;;) {
    Incoming in = next(std::max<TimeNs>(deadline - ctx_.world().now(), 1));
    switch (in.kind) {
      case Incoming::Kind::packet:
        if (match(in.received.packet)) return in.received;
        if (e.skip_others && set_aside.size() < 10000) {
          set_aside.push_back(std::move(in.received));
          continue;
        }
        ctx_.fail(e.statement, client_id_ + " received " + summarize(in.received.packet), e.what);
      case Incoming::Kind::closed:
        ctx_.fail(e.statement, client_id_ + ": the connection closed (" + in.detail + ")", e.what);
      case Incoming::Kind::timeout:
        if (e.timeout_inconclusive) {
          ctx_.inconclusive("no answer within " + ms_text(timeout) +
                            " to a probe the broker may ignore; wanted: " + e.what);
        }
        ctx_.fail(e.statement, client_id_ + ": nothing arrived within " + ms_text(timeout), e.what);
    }
  }
}

void Client::expect_closed(const Expectation& e,
                           const std::function<void(const Packet&)>& on_packet) {
  const TimeNs timeout = e.timeout_ns != 0 ? e.timeout_ns : ctx_.settings().response_timeout_ns;
  const TimeNs deadline = ctx_.world().now() + timeout;
  for (int packets = 0; packets < 1000; ++packets) {
    const TimeNs left = deadline - ctx_.world().now();
    Incoming in = next(std::max<TimeNs>(left, 1));
    if (in.kind == Incoming::Kind::closed) return;
    if (in.kind == Incoming::Kind::packet && on_packet) on_packet(in.received.packet);
    if (in.kind == Incoming::Kind::timeout) {
      if (e.timeout_inconclusive) {
        ctx_.inconclusive("the connection stayed open " + ms_text(timeout) + "; wanted: " + e.what);
      }
      ctx_.fail(e.statement,
                client_id_ + ": the connection was still open after " + ms_text(timeout), e.what);
    }
  }
  ctx_.fail(e.statement, client_id_ + ": a flood of packets instead of a close", e.what);
}

void Client::expect_silence(const Expectation& e, TimeNs duration_ns) {
  if (duration_ns == 0) duration_ns = ctx_.settings().silence_ns;
  const TimeNs deadline = ctx_.world().now() + duration_ns;
  for (;;) {
    const TimeNs left = deadline - ctx_.world().now();
    if (left <= 0) return;
    Incoming in = next(left);
    if (in.kind == Incoming::Kind::timeout) return;
    if (in.kind == Incoming::Kind::closed) {
      ctx_.fail(e.statement, client_id_ + ": the connection closed (" + in.detail + ")", e.what);
    }
    ctx_.fail(e.statement, client_id_ + " received " + summarize(in.received.packet), e.what);
  }
}

std::uint16_t Client::next_packet_id() {
  packet_id_ = static_cast<std::uint16_t>(packet_id_ % 65535 + 1);
  return packet_id_;
}

Connack Client::connect(Connect connect) {
  if (!link_) open();
  connect.version = version_;
  send(connect);
  const Connack ack = expect<Connack>({"MQTT-3.2.0-1", "a CONNACK"});
  if (ack.reason_code != ReasonCode::success) {
    ctx_.error("the broker refused the CONNECT of " + client_id_ + " with code " +
               std::to_string(static_cast<int>(ack.reason_code)) +
               " (credentials or a capability missing from the profile?)");
  }
  return ack;
}

Connack Client::connect_clean() {
  Connect c;
  c.client_id = client_id_;
  c.clean_start = true;
  if (ctx_.settings().username) c.username = ctx_.keep(*ctx_.settings().username);
  if (ctx_.settings().password) c.password = ctx_.keep_bytes(*ctx_.settings().password);
  return connect(c);
}

std::vector<ReasonCode> Client::subscribe(std::string_view filter, QoS qos, Properties properties) {
  Subscribe s;
  s.packet_id = next_packet_id();
  s.properties = std::move(properties);
  s.subscriptions.push_back({filter, SubscriptionOptions{qos, false, false, {}}});
  send(s);
  const Suback ack = expect<Suback>(
      {"MQTT-3.8.4-2", "a SUBACK with the SUBSCRIBE's packet identifier", 0, false, true},
      [&](const Suback& a) { return a.packet_id == s.packet_id; });
  if (ack.reason_codes.size() != 1) {
    ctx_.fail("MQTT-3.8.4-6", "SUBACK has " + std::to_string(ack.reason_codes.size()) + " codes",
              "one return code per topic filter");
  }
  return ack.reason_codes;
}

void Client::unsubscribe(std::string_view filter) {
  Unsubscribe u;
  u.packet_id = next_packet_id();
  u.filters.push_back(filter);
  send(u);
  expect<Unsuback>(
      {"MQTT-3.10.4-4", "an UNSUBACK with the UNSUBSCRIBE's packet identifier", 0, false, true},
      [&](const Unsuback& a) { return a.packet_id == u.packet_id; });
}

void Client::publish(std::string_view topic, std::string_view payload, QoS qos, bool retain,
                     Properties properties) {
  Publish p;
  p.topic = topic;
  p.payload = ctx_.keep_bytes(std::string(payload));
  p.qos = qos;
  p.retain = retain;
  p.properties = std::move(properties);
  if (qos != QoS::at_most_once) p.packet_id = next_packet_id();
  send(p);
  if (qos == QoS::at_least_once) {
    expect<Puback>({"MQTT-3.3.4-1", "a PUBACK for the QoS 1 PUBLISH", 0, false, true},
                   [&](const Puback& a) { return a.packet_id == p.packet_id; });
  } else if (qos == QoS::exactly_once) {
    expect<Pubrec>({"MQTT-3.3.4-1", "a PUBREC for the QoS 2 PUBLISH", 0, false, true},
                   [&](const Pubrec& a) { return a.packet_id == p.packet_id; });
    Pubrel rel;
    rel.packet_id = p.packet_id;
    send(rel);
    expect<Pubcomp>({"MQTT-3.3.4-1", "a PUBCOMP for the PUBREL", 0, false, true},
                    [&](const Pubcomp& a) { return a.packet_id == p.packet_id; });
  }
}

void Client::disconnect() {
  if (!link_) return;
  send(Disconnect{});
  close();
}

}  // namespace mqttsim::conformance
