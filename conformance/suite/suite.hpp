// The case model and the script helpers. A case is an id, a title, the normative statements it
// checks, the protocol versions and capabilities it needs, and a script over raw packets that
// runs against any Target. Scripts end by returning (pass) or by throwing a CaseOutcome.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "conformance/suite/capabilities.hpp"
#include "conformance/suite/target.hpp"
#include "protocol/codec.hpp"
#include "protocol/packet_json.hpp"
#include "reports/conformance_report.hpp"

namespace mqttsim::conformance {

using protocol::Packet;
using protocol::QoS;
using protocol::Version;

inline constexpr std::uint8_t kV311 = 1;
inline constexpr std::uint8_t kV5 = 2;
inline constexpr std::uint8_t kBoth = kV311 | kV5;

class CaseContext;

struct Case {
  std::string id;     // "area.topic.detail", stable across runs
  std::string title;  // a sentence
  std::string area;
  std::vector<std::string> statements;     // 3.1.1 numbering (and 5.0 when the same)
  std::vector<std::string> statements_v5;  // 5.0 numbering where it differs
  std::uint8_t versions = kBoth;
  std::vector<Capability> needs;
  std::function<void(CaseContext&)> run;
  // A stress probe that may stall the broker for a while (RabbitMQ spends 6-14 s on a
  // 60,000-level filter and holds every other SUBSCRIBE meanwhile): run after every other case,
  // one at a time, so its cost cannot leak into other cases' verdicts.
  bool runs_alone = false;
};

// Thrown by scripts to end a case with a verdict other than pass.
struct CaseOutcome {
  reports::Verdict verdict = reports::Verdict::fail;
  std::string statement;
  std::string reason;
  std::string expected;
  bool unreachable = false;  // the broker could not be reached at all
};

// A packet as received, with the bytes its views point into.
struct Received {
  std::shared_ptr<std::vector<std::uint8_t>> bytes;
  Packet packet;
  TimeNs at_ns = 0;
};

// What the next step on a connection brought.
struct Incoming {
  enum class Kind : std::uint8_t { packet, closed, timeout };
  Kind kind = Kind::timeout;
  Received received;
  std::string detail;
};

struct Expectation {
  std::string statement;  // the rule checked, e.g. "MQTT-3.3.4-1"
  std::string what;       // what the specification allows here, in words
  TimeNs timeout_ns = 0;  // 0: the context's response timeout
  // A timeout means inconclusive, not fail: the broker may legally ignore the probe.
  bool timeout_inconclusive = false;
  // Packets that do not match are set aside (and stay queued) instead of failing: for
  // acknowledgements that may interleave with messages the client also receives.
  bool skip_others = false;
};

// One scripted client: its own transport link, client id and decoder. Every packet in or out is
// recorded in the case transcript.
class Client {
 public:
  Client(CaseContext& ctx, std::string client_id, Version version);

  const std::string& id() const { return client_id_; }
  Version version() const { return version_; }
  bool is_open() const { return link_.has_value(); }

  void open();  // opens a new transport link (after close() too); CaseOutcome on failure
  void send(const Packet& packet);
  void send_raw(std::vector<std::uint8_t> bytes, std::string summary);
  void close();  // drops the transport link without DISCONNECT
  // Bytes that do not decode end the connection (we close it) instead of failing the case:
  // for probes the broker may answer "in accordance with some other specification".
  void set_lenient(bool lenient) { lenient_ = lenient; }

  // The next packet, close or timeout within `timeout_ns` (0: response timeout).
  Incoming next(TimeNs timeout_ns = 0);

  // The next packet must be a T satisfying `match`; anything else (or nothing) fails with
  // `e.statement`.
  template <typename T>
  T expect(const Expectation& e, const std::function<bool(const T&)>& match = {}) {
    const Received r = expect_packet(e, [&](const Packet& p) {
      const T* t = std::get_if<T>(&p);
      return t != nullptr && (!match || match(*t));
    });
    return std::get<T>(r.packet);
  }
  Received expect_packet(const Expectation& e, const std::function<bool(const Packet&)>& match);
  // The broker must close the connection; packets before the close are allowed (a CONNACK or
  // DISCONNECT with an error code, or messages already in flight).
  // `on_packet` sees each packet that arrives before the close (it may fail the case).
  void expect_closed(const Expectation& e,
                     const std::function<void(const Packet&)>& on_packet = {});
  // Nothing may arrive for `duration_ns` (0: the context's silence period); a close fails too.
  void expect_silence(const Expectation& e, TimeNs duration_ns = 0);

  // Conveniences that check the broker's normal answers on the way.
  protocol::Connack connect(protocol::Connect connect);  // CONNACK must be success
  protocol::Connack connect_clean();                     // clean start, keep alive 60
  std::vector<protocol::ReasonCode> subscribe(std::string_view filter, QoS qos,
                                              protocol::Properties properties = {});
  void unsubscribe(std::string_view filter);
  // Publishes and completes the QoS 1/2 handshake.
  void publish(std::string_view topic, std::string_view payload, QoS qos, bool retain = false,
               protocol::Properties properties = {});
  void disconnect();  // DISCONNECT (normal), then close
  std::uint16_t next_packet_id();

 private:
  void record_received(const Received& r);

  CaseContext& ctx_;
  std::string client_id_;
  Version version_;
  std::optional<LinkId> link_;
  std::unique_ptr<protocol::StreamDecoder> decoder_;
  std::deque<Received> pending_;  // decoded but not yet consumed
  std::vector<std::shared_ptr<std::vector<std::uint8_t>>> kept_;
  std::vector<std::uint8_t> raw_;  // bytes fed to the decoder, kept until decoded
  std::uint16_t packet_id_ = 0;
  bool lenient_ = false;
};

struct RunSettings {
  TimeNs response_timeout_ns = 2'000'000'000;
  TimeNs silence_ns = 300'000'000;
  // Every case ends within this: a script waiting longer is stopped with an error.
  TimeNs case_timeout_ns = 60'000'000'000;
  std::optional<std::string> username;
  std::optional<std::string> password;
};

class CaseContext {
 public:
  CaseContext(World& world, Version version, const Capabilities& caps, const RunSettings& settings,
              std::string id_stem, std::string topic_prefix);

  Version version() const { return version_; }
  bool v5() const { return protocol::is_v5(version_); }
  const Capabilities& caps() const { return caps_; }
  const RunSettings& settings() const { return settings_; }
  World& world() { return world_; }

  // A new client with a unique client id (at most 23 characters, MQTT-3.1.3-5).
  Client& client(std::string_view name = "c");
  Client& client(std::string_view name, Version version);
  // A topic under this case's unique prefix.
  std::string_view topic(std::string_view suffix);
  std::string_view keep(std::string text) { return store_.keep(std::move(text)); }
  protocol::ByteView keep_bytes(std::string text) {
    return protocol::ByteView::of(keep(std::move(text)));
  }
  const std::string& prefix() const { return topic_prefix_; }
  std::string unique_id(std::string_view name) const;

  // The statement id under this case's version: 3.1.1 and 5.0 number many rules differently.
  std::string st(std::string_view v311, std::string_view v5) const {
    return std::string(this->v5() ? v5 : v311);
  }
  void sleep_ms(std::int64_t ms);
  void note(std::string text);
  // A fresh client must still connect and get a PINGRESP: the broker kept serving.
  void check_still_serving(std::string_view statement);

  [[noreturn]] void fail(std::string statement, std::string reason, std::string expected = {});
  [[noreturn]] void inconclusive(std::string reason);
  [[noreturn]] void error(std::string reason, bool unreachable = false);

  void record(std::string direction, std::string summary, nlohmann::ordered_json packet,
              std::span<const std::uint8_t> bytes);
  std::vector<reports::EvidenceEntry> take_transcript() { return std::move(transcript_); }
  TimeNs started_ns() const { return start_ns_; }

 private:
  World& world_;
  Version version_;
  const Capabilities& caps_;
  const RunSettings& settings_;
  std::string id_stem_;
  std::string topic_prefix_;
  protocol::TextStore store_;
  std::deque<std::unique_ptr<Client>> clients_;
  std::vector<reports::EvidenceEntry> transcript_;
  TimeNs start_ns_ = 0;
};

std::string summarize(const Packet& packet);
std::string to_hex(std::span<const std::uint8_t> bytes, std::size_t max_bytes = 256);

// Every case of the suite, in a stable order.
const std::vector<Case>& all_cases();
// Parts of the suite, one per file.
void add_connect_cases(std::vector<Case>& out);
void add_publish_cases(std::vector<Case>& out);
void add_subscribe_cases(std::vector<Case>& out);
void add_session_cases(std::vector<Case>& out);
void add_malformed_cases(std::vector<Case>& out);
void add_v5_cases(std::vector<Case>& out);
void add_more_cases(std::vector<Case>& out);

}  // namespace mqttsim::conformance
