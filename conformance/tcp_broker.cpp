// run_tcp_broker: one thread, one io_context. Reads go straight into BrokerCore; after every
// input the core's transmits are written out in order, and one timer tracks poll_timeout().
#include "conformance/tcp_broker.hpp"

#include <asio.hpp>

#include <chrono>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <variant>

namespace mqttsim::conformance {
namespace {

using asio::ip::tcp;
using protocol::ConnectionId;
using protocol::TimeNs;

struct Peer {
  tcp::socket socket;
  std::array<std::uint8_t, 16 * 1024> buffer{};
  std::deque<std::vector<std::uint8_t>> writes;
  bool writing = false;
  bool close_after_writes = false;
  explicit Peer(tcp::socket s) : socket(std::move(s)) {}
};

class Server {
 public:
  Server(asio::io_context& io, const TcpBrokerOptions& options)
      : io_(io),
        options_(options),
        core_(options.config),
        acceptor_(io),
        timer_(io),
        timer_restart_(io),
        signals_(io, SIGINT, SIGTERM),
        start_(std::chrono::steady_clock::now()) {}

  bool listen() {
    asio::error_code ec = open_acceptor(options_.port);
    if (ec) {
      std::cerr << "mqttsim broker: cannot listen on " << options_.host << ":" << options_.port
                << ": " << ec.message() << "\n";
      return false;
    }
    if (options_.on_listening) options_.on_listening(acceptor_.local_endpoint().port());
    signals_.async_wait([this](const asio::error_code&, int) { stop(); });
    accept();
    return true;
  }

 private:
  asio::error_code open_acceptor(std::uint16_t port) {
    asio::error_code ec;
    const tcp::endpoint endpoint(asio::ip::make_address(options_.host, ec), port);
    if (!ec) acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    return ec;
  }

  TimeNs now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                start_)
        .count();
  }

  void accept() {
    acceptor_.async_accept([this](const asio::error_code& ec, tcp::socket socket) {
      if (ec) return;  // the acceptor was closed by stop()
      if (stalled_) {  // test fault: connections are taken but never served
        stalled_sockets_.push_back(std::move(socket));
        accept();
        return;
      }
      socket.set_option(tcp::no_delay(true));
      const ConnectionId id = next_id_++;
      auto peer = std::make_unique<Peer>(std::move(socket));
      Peer& p = *peer;
      peers_.emplace(id, std::move(peer));
      core_.connection_opened(id, now());
      read(id, p);
      settle();
      accept();
    });
  }

  void read(ConnectionId id, Peer& p) {
    p.socket.async_read_some(
        asio::buffer(p.buffer), [this, id](const asio::error_code& ec, std::size_t n) {
          auto it = peers_.find(id);
          if (it == peers_.end() || stalled_) return;
          if (ec) {
            core_.connection_closed(id, now());
            drop(id);
          } else {
            core_.handle_bytes(id, now(), protocol::ByteView(it->second->buffer.data(), n));
            if (peers_.count(id) != 0) read(id, *it->second);
          }
          settle();
        });
  }

  // Writes what the core produced, re-arms the deadline timer, logs events.
  void settle() {
    while (auto t = core_.poll_transmit()) {
      auto it = peers_.find(t->connection);
      if (it == peers_.end()) continue;
      Peer& p = *it->second;
      if (!t->bytes.empty()) p.writes.push_back(std::move(t->bytes));
      if (t->close) p.close_after_writes = true;
      write(t->connection, p);
    }
    while (auto e = core_.poll_event()) {
      log(*e);
      apply_test_fault(*e);
    }
    if (auto deadline = core_.poll_timeout()) {
      timer_.expires_after(std::chrono::nanoseconds(std::max<TimeNs>(*deadline - now(), 0)));
      timer_.async_wait([this](const asio::error_code& ec) {
        if (ec) return;  // re-armed or stopped
        core_.handle_timeout(now());
        settle();
      });
    }
  }

  void write(ConnectionId id, Peer& p) {
    if (p.writing) return;
    if (p.writes.empty()) {
      if (p.close_after_writes) drop(id);
      return;
    }
    p.writing = true;
    asio::async_write(p.socket, asio::buffer(p.writes.front()),
                      [this, id](const asio::error_code& ec, std::size_t) {
                        auto it = peers_.find(id);
                        if (it == peers_.end()) return;
                        Peer& peer = *it->second;
                        peer.writing = false;
                        peer.writes.pop_front();
                        if (ec) {
                          core_.connection_closed(id, now());
                          drop(id);
                          return settle();
                        }
                        write(id, peer);
                      });
  }

  void drop(ConnectionId id) {
    auto it = peers_.find(id);
    if (it == peers_.end()) return;
    asio::error_code ignored;
    it->second->socket.shutdown(tcp::socket::shutdown_both, ignored);
    it->second->socket.close(ignored);
    peers_.erase(it);
  }

  void log(const protocol::BrokerEvent& e) {
    if (!options_.log_events) return;
    std::visit(
        [](const auto& ev) {
          using T = std::decay_t<decltype(ev)>;
          if constexpr (std::is_same_v<T, protocol::broker_event::ClientConnected>) {
            std::cerr << "connected " << ev.client_id << "\n";
          } else if constexpr (std::is_same_v<T, protocol::broker_event::ClientDisconnected>) {
            std::cerr << "disconnected " << ev.client_id << ": " << ev.reason << "\n";
          } else if constexpr (std::is_same_v<T, protocol::broker_event::ProtocolViolation>) {
            std::cerr << "violation on connection " << ev.connection << ": " << ev.error.reason
                      << " [" << ev.error.spec_ref << "]\n";
          }
        },
        e);
  }

  // The deliberate faults of TcpBrokerOptions::test_fault, for the fuzzer's tests only.
  void apply_test_fault(const protocol::BrokerEvent& e) {
    const auto* v = std::get_if<protocol::broker_event::ProtocolViolation>(&e);
    if (options_.test_fault.empty() || !v || v->error.spec_ref != "MQTT-3.3.1-4") return;
    if (options_.test_fault == "stall-on-qos3-publish") {
      stalled_ = true;
      return;
    }
    asio::error_code ignored;
    const std::uint16_t port = acceptor_.local_endpoint(ignored).port();
    acceptor_.close(ignored);
    std::vector<ConnectionId> ids;
    for (const auto& [id, peer] : peers_) ids.push_back(id);
    for (const ConnectionId id : ids) drop(id);
    if (options_.test_fault != "restart-on-qos3-publish") return;
    // A supervised broker comes back: the same port listens again a second later.
    timer_restart_.expires_after(std::chrono::seconds(1));
    timer_restart_.async_wait([this, port](const asio::error_code& ec) {
      if (ec || open_acceptor(port)) return;
      accept();
    });
  }

  void stop() {
    asio::error_code ignored;
    acceptor_.close(ignored);
    core_.shutdown(now());
    settle();
    timer_.cancel();
    timer_restart_.cancel();
    // Give the final DISCONNECTs a moment to be written, then end the loop.
    auto grace = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(200));
    grace->async_wait([this, grace](const asio::error_code&) { io_.stop(); });
  }

  asio::io_context& io_;
  const TcpBrokerOptions& options_;
  protocol::BrokerCore core_;
  tcp::acceptor acceptor_;
  asio::steady_timer timer_;
  asio::steady_timer timer_restart_;  // test fault "restart-on-qos3-publish"
  asio::signal_set signals_;
  std::chrono::steady_clock::time_point start_;
  std::map<ConnectionId, std::unique_ptr<Peer>> peers_;
  bool stalled_ = false;                      // test fault "stall-on-qos3-publish" fired
  std::vector<tcp::socket> stalled_sockets_;  // accepted while stalled, never read
  ConnectionId next_id_ = 1;
};

}  // namespace

bool is_test_fault(const std::string& name) {
  return name == "stop-on-qos3-publish" || name == "stall-on-qos3-publish" ||
         name == "restart-on-qos3-publish";
}

int run_tcp_broker(const TcpBrokerOptions& options) {
  asio::io_context io;
  Server server(io, options);
  if (!server.listen()) return 2;
  io.run();
  return 0;
}

}  // namespace mqttsim::conformance
