// Test harness for BrokerCore: scripted clients that speak bytes to one in-memory broker, with
// time stepped by hand (in the manner of quinn-proto's test Pair). Every packet a client
// receives is decoded by the strict decoder, so the broker's output is checked on every test.
#pragma once

#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "protocol/broker/broker_core.hpp"
#include "protocol/codec.hpp"

namespace mqttsim::protocol::testing {

// A received packet with the bytes its views point into.
struct Received {
  std::shared_ptr<std::vector<std::uint8_t>> bytes;
  Packet packet;
};

class BrokerHarness;

class ScriptedClient {
 public:
  ScriptedClient(BrokerHarness& harness, ConnectionId id, Version version);

  void send(const Packet& packet);  // encodes as a client would and delivers it
  void send_raw(std::vector<std::uint8_t> bytes);
  void close();                      // the network connection drops
  Connack connect(Connect connect);  // sends CONNECT, returns the CONNACK

  // The next packet received; fails the test when there is none.
  Packet take();
  template <typename T>
  T take_as() {
    Packet p = take();
    INFO("received " << packet_type_name(packet_type(p)));
    REQUIRE(std::holds_alternative<T>(p));
    return std::get<T>(p);
  }
  // The bytes of the packet take() returned last, exactly as the broker sent them.
  const std::vector<std::uint8_t>& last_bytes() const { return *kept_.back(); }
  bool has_packet() const { return !inbox_.empty(); }
  std::size_t pending() const { return inbox_.size(); }
  bool closed() const { return closed_; }
  ConnectionId id() const { return id_; }
  Version version() const { return version_; }

  void receive(const std::vector<std::uint8_t>& bytes, bool close);

 private:
  BrokerHarness& harness_;
  ConnectionId id_;
  Version version_;
  StreamDecoder decoder_;
  std::deque<Received> inbox_;
  std::vector<std::shared_ptr<std::vector<std::uint8_t>>> kept_;
  bool closed_ = false;
};

class BrokerHarness {
 public:
  explicit BrokerHarness(BrokerConfig config = {}) : broker(std::move(config)) {}

  ScriptedClient& client(Version version = Version::v3_1_1);
  void advance(TimeNs delta_ns);  // moves time and fires due deadlines
  void flush();                   // hands every pending Transmit to its client
  std::vector<BrokerEvent> events();

  BrokerCore broker;
  TimeNs now_ns = 0;

 private:
  std::map<ConnectionId, std::unique_ptr<ScriptedClient>> clients_;
  ConnectionId next_id_ = 1;
};

Connect make_connect(std::string_view client_id, Version version, bool clean_start = true);
Publish make_publish(std::string_view topic, std::string_view payload, QoS qos,
                     std::uint16_t packet_id = 0, bool retain = false);
Subscribe make_subscribe(std::uint16_t packet_id, std::string_view filter, QoS qos);

}  // namespace mqttsim::protocol::testing
