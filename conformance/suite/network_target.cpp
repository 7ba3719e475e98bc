// The network target: a real broker over TCP or TLS. Each World runs its own io_context on the
// calling thread; wait() runs it until bytes arrive, the peer closes, or the deadline passes.
#include <asio.hpp>
#include <asio/ssl.hpp>

#include <array>
#include <chrono>
#include <map>
#include <thread>

#include "conformance/suite/target.hpp"

namespace mqttsim::conformance {
namespace {

using asio::ip::tcp;
using SslStream = asio::ssl::stream<tcp::socket>;
using Clock = std::chrono::steady_clock;

constexpr auto kConnectTimeout = std::chrono::seconds(5);

struct NetLink {
  std::unique_ptr<tcp::socket> plain;
  std::unique_ptr<SslStream> tls;
  std::array<std::uint8_t, 64 * 1024> buffer{};
  std::vector<std::uint8_t> inbox;
  bool reading = false;
  bool closed = false;
  std::string detail;
};

class NetworkWorld final : public World {
 public:
  NetworkWorld(const Endpoint& endpoint, asio::ssl::context* ssl)
      : endpoint_(endpoint), ssl_(ssl), start_(Clock::now()) {}

  ~NetworkWorld() override {
    for (auto& [id, link] : links_) shutdown(*link);
  }

  TimeNs now() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
  }

  std::optional<LinkId> open(std::string& error) override {
    auto link = std::make_unique<NetLink>();
    asio::error_code ec;
    tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(endpoint_.host, std::to_string(endpoint_.port), ec);
    if (ec) {
      error = "cannot resolve " + endpoint_.host + ": " + ec.message();
      return std::nullopt;
    }
    tcp::socket& socket =
        ssl_ ? make_tls(*link) : *(link->plain = std::make_unique<tcp::socket>(io_));
    bool done = false;
    asio::async_connect(socket, endpoints, [&](const asio::error_code& e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    if (!run_until_done(done, Clock::now() + kConnectTimeout)) ec = asio::error::timed_out;
    if (!ec) socket.set_option(tcp::no_delay(true), ec);
    if (!ec && ssl_) {
      done = false;
      link->tls->async_handshake(asio::ssl::stream_base::client, [&](const asio::error_code& e) {
        ec = e;
        done = true;
      });
      if (!run_until_done(done, Clock::now() + kConnectTimeout)) ec = asio::error::timed_out;
    }
    if (ec) {
      error = "cannot connect to " + endpoint_.host + ":" + std::to_string(endpoint_.port) + ": " +
              ec.message();
      shutdown(*link);
      return std::nullopt;
    }
    const LinkId id = next_id_++;
    links_.emplace(id, std::move(link));
    return id;
  }

  void send(LinkId id, std::span<const std::uint8_t> bytes) override {
    NetLink& link = *links_.at(id);
    if (link.closed) return;
    bool done = false;
    asio::error_code ec;
    auto handler = [&](const asio::error_code& e, std::size_t) {
      ec = e;
      done = true;
    };
    const auto buffer = asio::buffer(bytes.data(), bytes.size());
    if (link.tls) {
      asio::async_write(*link.tls, buffer, handler);
    } else {
      asio::async_write(*link.plain, buffer, handler);
    }
    if (!run_until_done(done, Clock::now() + kConnectTimeout)) ec = asio::error::timed_out;
    if (ec) mark_closed(link, "write failed: " + ec.message());
  }

  LinkEvent wait(LinkId id, TimeNs deadline) override {
    NetLink& link = *links_.at(id);
    const auto until = start_ + std::chrono::nanoseconds(deadline);
    for (;;) {
      if (!link.inbox.empty()) {
        LinkEvent e{LinkEvent::Kind::bytes, std::move(link.inbox), {}};
        link.inbox.clear();
        return e;
      }
      if (link.closed) return {LinkEvent::Kind::closed, {}, link.detail};
      start_read(link);
      io_.restart();
      if (io_.run_one_until(until) == 0 && Clock::now() >= until) {
        return {LinkEvent::Kind::timeout, {}, {}};
      }
    }
  }

  void close(LinkId id) override {
    NetLink& link = *links_.at(id);
    shutdown(link);
    mark_closed(link, "closed by the client");
  }

  void sleep_until(TimeNs deadline) override {
    std::this_thread::sleep_until(start_ + std::chrono::nanoseconds(deadline));
  }

 private:
  tcp::socket& make_tls(NetLink& link) {
    link.tls = std::make_unique<SslStream>(io_, *ssl_);
    SSL_set_tlsext_host_name(link.tls->native_handle(), endpoint_.host.c_str());
    return link.tls->next_layer();
  }

  bool run_until_done(const bool& done, Clock::time_point until) {
    io_.restart();
    while (!done) {
      if (io_.run_one_until(until) == 0 && Clock::now() >= until) return done;
      if (io_.stopped()) io_.restart();
    }
    return true;
  }

  void start_read(NetLink& link) {
    if (link.reading || link.closed) return;
    link.reading = true;
    auto handler = [this, &link](const asio::error_code& ec, std::size_t n) {
      link.reading = false;
      if (ec)
        return mark_closed(
            link, ec == asio::error::eof ? "closed by the broker" : "read failed: " + ec.message());
      link.inbox.insert(link.inbox.end(), link.buffer.begin(),
                        link.buffer.begin() + static_cast<std::ptrdiff_t>(n));
    };
    if (link.tls) {
      link.tls->async_read_some(asio::buffer(link.buffer), handler);
    } else {
      link.plain->async_read_some(asio::buffer(link.buffer), handler);
    }
  }

  static void mark_closed(NetLink& link, std::string detail) {
    if (link.closed) return;
    link.closed = true;
    link.detail = std::move(detail);
  }

  static void shutdown(NetLink& link) {
    asio::error_code ignored;
    tcp::socket* socket = link.tls ? &link.tls->next_layer() : link.plain.get();
    if (socket == nullptr || !socket->is_open()) return;
    socket->shutdown(tcp::socket::shutdown_both, ignored);
    socket->close(ignored);
  }

  // Declared first: destroyed last, after the sockets whose handlers it still holds.
  asio::io_context io_;
  Endpoint endpoint_;
  asio::ssl::context* ssl_;
  Clock::time_point start_;
  std::map<LinkId, std::unique_ptr<NetLink>> links_;
  LinkId next_id_ = 1;
};

class NetworkTarget final : public Target {
 public:
  NetworkTarget(Endpoint endpoint, const TlsOptions& tls) : endpoint_(std::move(endpoint)) {
    if (!endpoint_.tls) return;
    ssl_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    if (tls.ca_file.empty()) {
      ssl_->set_default_verify_paths();
    } else {
      ssl_->load_verify_file(tls.ca_file);
    }
    if (!tls.cert_file.empty()) ssl_->use_certificate_chain_file(tls.cert_file);
    if (!tls.key_file.empty()) ssl_->use_private_key_file(tls.key_file, asio::ssl::context::pem);
    if (tls.insecure) {
      ssl_->set_verify_mode(asio::ssl::verify_none);
    } else {
      ssl_->set_verify_mode(asio::ssl::verify_peer);
      ssl_->set_verify_callback(asio::ssl::host_name_verification(endpoint_.host));
    }
  }

  std::string describe() const override {
    return (endpoint_.tls ? "tls://" : "tcp://") + endpoint_.host + ":" +
           std::to_string(endpoint_.port);
  }
  std::unique_ptr<World> new_world() override {
    return std::make_unique<NetworkWorld>(endpoint_, ssl_.get());
  }
  bool fresh_broker_per_case() const override { return false; }

 private:
  Endpoint endpoint_;
  std::unique_ptr<asio::ssl::context> ssl_;  // shared by every World: thread-safe once set up
};

}  // namespace

std::optional<Endpoint> parse_endpoint(const std::string& url, std::string& error) {
  Endpoint e;
  std::string rest;
  if (url.rfind("tcp://", 0) == 0) {
    rest = url.substr(6);
  } else if (url.rfind("tls://", 0) == 0) {
    rest = url.substr(6);
    e.tls = true;
    e.port = 8883;
  } else {
    error = "expected tcp://HOST:PORT or tls://HOST:PORT, got " + url;
    return std::nullopt;
  }
  const auto colon = rest.rfind(':');
  e.host = rest.substr(0, colon);
  if (colon != std::string::npos) {
    try {
      const unsigned long port = std::stoul(rest.substr(colon + 1));
      if (port == 0 || port > 65535) throw std::out_of_range("port");
      e.port = static_cast<std::uint16_t>(port);
    } catch (const std::exception&) {
      error = "bad port in " + url;
      return std::nullopt;
    }
  }
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']') {
    e.host = e.host.substr(1, e.host.size() - 2);  // [::1]
  }
  if (e.host.empty()) {
    error = "no host in " + url;
    return std::nullopt;
  }
  return e;
}

std::unique_ptr<Target> make_network_target(Endpoint endpoint, TlsOptions tls) {
  return std::make_unique<NetworkTarget>(std::move(endpoint), tls);
}

}  // namespace mqttsim::conformance
