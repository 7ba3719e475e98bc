// Scripted clients and the in-memory broker they talk to (see broker_harness.hpp).
#include "broker_harness.hpp"

namespace mqttsim::protocol::testing {

namespace {
StreamOptions client_side(Version version) {
  StreamOptions options;
  options.sender = Sender::server;
  options.version = version;
  return options;
}
}  // namespace

ScriptedClient::ScriptedClient(BrokerHarness& harness, ConnectionId id, Version version)
    : harness_(harness), id_(id), version_(version), decoder_(client_side(version)) {}

void ScriptedClient::send(const Packet& packet) {
  std::vector<std::uint8_t> bytes;
  const auto error = encode(packet, version_, Sender::client, bytes);
  INFO((error ? error->reason : std::string()));
  REQUIRE_FALSE(error.has_value());
  send_raw(std::move(bytes));
}

void ScriptedClient::send_raw(std::vector<std::uint8_t> bytes) {
  REQUIRE_FALSE(closed_);
  harness_.broker.handle_bytes(id_, harness_.now_ns, ByteView(bytes.data(), bytes.size()));
  harness_.flush();
}

void ScriptedClient::close() {
  closed_ = true;
  harness_.broker.connection_closed(id_, harness_.now_ns);
  harness_.flush();
}

Connack ScriptedClient::connect(Connect connect) {
  connect.version = version_;
  send(connect);
  return take_as<Connack>();
}

Packet ScriptedClient::take() {
  REQUIRE_FALSE(inbox_.empty());
  Received r = std::move(inbox_.front());
  inbox_.pop_front();
  kept_.push_back(r.bytes);  // the returned packet's views point into these bytes
  return r.packet;
}

void ScriptedClient::receive(const std::vector<std::uint8_t>& bytes, bool close) {
  auto owned = std::make_shared<std::vector<std::uint8_t>>(bytes);
  decoder_.feed(ByteView(owned->data(), owned->size()));
  Packet packet;
  StreamDecoder::Status status;
  while ((status = decoder_.next(packet)) == StreamDecoder::Status::packet) {
    // Copy the packet's bytes so its views outlive the decoder's buffer.
    const ByteView raw = decoder_.last_packet_bytes();
    auto keep = std::make_shared<std::vector<std::uint8_t>>(raw.begin(), raw.end());
    Packet stable;
    REQUIRE_FALSE(
        decode_packet(ByteView(keep->data(), keep->size()), version_, Sender::server, {}, stable)
            .has_value());
    inbox_.push_back({keep, std::move(stable)});
  }
  INFO("broker sent malformed bytes: " << decoder_.error().reason);
  REQUIRE(status == StreamDecoder::Status::need_more);
  if (close) closed_ = true;
}

ScriptedClient& BrokerHarness::client(Version version) {
  const ConnectionId id = next_id_++;
  auto [it, inserted] = clients_.emplace(id, std::make_unique<ScriptedClient>(*this, id, version));
  broker.connection_opened(id, now_ns);
  return *it->second;
}

void BrokerHarness::flush() {
  while (auto t = broker.poll_transmit()) {
    auto it = clients_.find(t->connection);
    REQUIRE(it != clients_.end());
    it->second->receive(t->bytes, t->close);
    if (t->close) broker.connection_closed(t->connection, now_ns);
  }
}

void BrokerHarness::advance(TimeNs delta_ns) {
  const TimeNs until = now_ns + delta_ns;
  while (auto next = broker.poll_timeout()) {
    if (*next > until) break;
    now_ns = std::max(now_ns, *next);
    broker.handle_timeout(now_ns);
    flush();
  }
  now_ns = until;
}

std::vector<BrokerEvent> BrokerHarness::events() {
  std::vector<BrokerEvent> out;
  while (auto e = broker.poll_event()) out.push_back(std::move(*e));
  return out;
}

Connect make_connect(std::string_view client_id, Version version, bool clean_start) {
  Connect c;
  c.version = version;
  c.client_id = client_id;
  c.clean_start = clean_start;
  return c;
}

Publish make_publish(std::string_view topic, std::string_view payload, QoS qos,
                     std::uint16_t packet_id, bool retain) {
  Publish p;
  p.topic = topic;
  p.payload = ByteView::of(payload);
  p.qos = qos;
  p.packet_id = packet_id;
  p.retain = retain;
  return p;
}

Subscribe make_subscribe(std::uint16_t packet_id, std::string_view filter, QoS qos) {
  Subscribe s;
  s.packet_id = packet_id;
  s.subscriptions.push_back({filter, SubscriptionOptions{qos, false, false, {}}});
  return s;
}

}  // namespace mqttsim::protocol::testing
