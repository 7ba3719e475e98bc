// The in-process target: BrokerCore in memory, no sockets, virtual time. Bytes a client sends
// reach the broker at once; the broker's transmits land in the receiving link's inbox; waiting
// jumps the clock to the broker's next deadline or the case's, whichever comes first.
#include <map>

#include "conformance/suite/target.hpp"
#include "protocol/broker/broker_core.hpp"

namespace mqttsim::conformance {
namespace {

struct InboxLink {
  std::vector<std::uint8_t> inbox;
  bool closed = false;
  std::string detail;
};

class InProcessWorld final : public World {
 public:
  explicit InProcessWorld(const protocol::BrokerConfig& config) : core_(config) {}

  TimeNs now() override { return now_ns_; }

  std::optional<LinkId> open(std::string&) override {
    const LinkId id = next_id_++;
    links_[id];
    core_.connection_opened(id, now_ns_);
    pump();
    return id;
  }

  void send(LinkId link, std::span<const std::uint8_t> bytes) override {
    auto it = links_.find(link);
    if (it == links_.end() || it->second.closed) return;
    core_.handle_bytes(link, now_ns_, protocol::ByteView(bytes.data(), bytes.size()));
    pump();
  }

  LinkEvent wait(LinkId link, TimeNs deadline) override {
    for (;;) {
      InboxLink& l = links_.at(link);
      if (!l.inbox.empty()) {
        LinkEvent e{LinkEvent::Kind::bytes, std::move(l.inbox), {}};
        l.inbox.clear();
        return e;
      }
      if (l.closed) return {LinkEvent::Kind::closed, {}, l.detail};
      if (!advance_towards(deadline)) return {LinkEvent::Kind::timeout, {}, {}};
    }
  }

  void close(LinkId link) override {
    auto it = links_.find(link);
    if (it == links_.end() || it->second.closed) return;
    it->second.closed = true;
    it->second.detail = "closed by the client";
    core_.connection_closed(link, now_ns_);
    pump();
  }

  void sleep_until(TimeNs deadline) override {
    while (advance_towards(deadline)) {
    }
  }

 private:
  // Fires the broker's next deadline if it falls before `deadline`; otherwise moves the clock
  // to `deadline`. Returns false once the clock has reached `deadline`.
  bool advance_towards(TimeNs deadline) {
    const auto next = core_.poll_timeout();
    if (next && *next <= deadline) {
      now_ns_ = std::max(now_ns_, *next);
      core_.handle_timeout(now_ns_);
      pump();
      return true;
    }
    now_ns_ = std::max(now_ns_, deadline);
    return false;
  }

  void pump() {
    while (auto t = core_.poll_transmit()) {
      auto it = links_.find(static_cast<LinkId>(t->connection));
      if (it == links_.end() || it->second.closed) continue;
      it->second.inbox.insert(it->second.inbox.end(), t->bytes.begin(), t->bytes.end());
      if (t->close) {
        it->second.closed = true;
        it->second.detail = "closed by the broker";
        core_.connection_closed(t->connection, now_ns_);
      }
    }
    while (core_.poll_event()) {
    }
  }

  protocol::BrokerCore core_;
  std::map<LinkId, InboxLink> links_;
  TimeNs now_ns_ = 0;
  LinkId next_id_ = 1;
};

class InProcessTarget final : public Target {
 public:
  explicit InProcessTarget(protocol::BrokerConfig config) : config_(std::move(config)) {}
  std::string describe() const override { return "in-process BrokerCore"; }
  std::unique_ptr<World> new_world() override { return std::make_unique<InProcessWorld>(config_); }
  bool fresh_broker_per_case() const override { return true; }

 private:
  protocol::BrokerConfig config_;
};

}  // namespace

std::unique_ptr<Target> make_in_process_target(protocol::BrokerConfig config) {
  return std::make_unique<InProcessTarget>(std::move(config));
}

}  // namespace mqttsim::conformance
