// What a conformance case talks to: a Target makes one World per case, and a World gives the
// case its own clock and its own connections to the broker. The step interface has no
// coroutines: wait() blocks on a real socket, or advances virtual time to the next broker
// deadline in-process, so one script runs unchanged on both.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/broker/broker_config.hpp"
#include "protocol/types.hpp"

namespace mqttsim::conformance {

using protocol::TimeNs;
using LinkId = std::uint32_t;

// What wait() saw on one connection.
struct LinkEvent {
  enum class Kind : std::uint8_t { bytes, closed, timeout };
  Kind kind = Kind::timeout;
  std::vector<std::uint8_t> bytes;
  std::string detail;  // why it closed, when known
};

class World {
 public:
  virtual ~World() = default;
  virtual TimeNs now() = 0;
  // Opens a transport connection (TCP, TLS handshake done). nullopt and `error` on failure.
  virtual std::optional<LinkId> open(std::string& error) = 0;
  // Queues bytes; a failure to write shows up as `closed` on the next wait().
  virtual void send(LinkId link, std::span<const std::uint8_t> bytes) = 0;
  // Returns what arrived on `link` (all bytes received so far), its closing, or a timeout once
  // now() reaches `deadline`.
  virtual LinkEvent wait(LinkId link, TimeNs deadline) = 0;
  virtual void close(LinkId link) = 0;
  // Lets time pass; the broker keeps working (in-process: its timers fire on virtual time).
  virtual void sleep_until(TimeNs deadline) = 0;
};

class Target {
 public:
  virtual ~Target() = default;
  virtual std::string describe() const = 0;
  // Called from several threads at once (--jobs); each World is used by one thread.
  virtual std::unique_ptr<World> new_world() = 0;
  // In-process targets start every world with a fresh broker: nothing leaks between cases.
  virtual bool fresh_broker_per_case() const = 0;
};

// protocol/'s BrokerCore, in memory, on virtual time: each World owns a new broker.
std::unique_ptr<Target> make_in_process_target(protocol::BrokerConfig config);

struct TlsOptions {
  std::string ca_file;    // empty: the system's trust store
  std::string cert_file;  // client certificate (PEM), optional
  std::string key_file;   // its private key (PEM)
  bool insecure = false;  // skip certificate and host name verification
};

struct Endpoint {
  bool tls = false;
  std::string host;
  std::uint16_t port = 1883;
};

// Parses tcp://HOST:PORT or tls://HOST:PORT (default ports 1883 and 8883).
std::optional<Endpoint> parse_endpoint(const std::string& url, std::string& error);

// A real broker over TCP or TLS (Asio, OpenSSL), on the wall clock.
std::unique_ptr<Target> make_network_target(Endpoint endpoint, TlsOptions tls);

}  // namespace mqttsim::conformance
