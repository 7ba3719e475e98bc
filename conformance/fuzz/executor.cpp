// The executor: one World (wall clock, real sockets) for the whole run, holding the `#` observer;
// each case gets a fresh connection. Judging follows issue 8: malformed replies, a probe that
// cannot connect (crash) or times out (hang), and forwarded messages our decoder rejected.
#include "conformance/fuzz/executor.hpp"

#include <algorithm>

#include "conformance/fuzz/reader.hpp"
#include "conformance/suite/case_helpers.hpp"
#include "protocol/packet_reader.hpp"

namespace mqttsim::conformance::fuzz {

using cases::cat;
using cases::frame;
using cases::str;

namespace {

constexpr protocol::TimeNs kMs = 1'000'000;
constexpr std::size_t kAllowedGeneration = 100'000;

Bytes connect_packet(protocol::Version v, const std::string& client_id) {
  const bool v5 = v == protocol::Version::v5;
  Bytes header = cat({str("MQTT"), {static_cast<std::uint8_t>(v), 0x02, 0, 0}});
  if (v5) header.push_back(0);
  return frame(0x10, cat({header, str(client_id)}));
}

Bytes subscribe_packet(protocol::Version v, const std::string& filter) {
  Bytes body{0, 1};
  if (v == protocol::Version::v5) body.push_back(0);
  return frame(0x82, cat({body, str(filter), {0}}));
}

Bytes publish_packet(protocol::Version v, const std::string& topic, const std::string& payload) {
  Bytes body = str(topic);
  if (v == protocol::Version::v5) body.push_back(0);
  body.insert(body.end(), payload.begin(), payload.end());
  return frame(0x30, body);
}

std::string text(protocol::ByteView b) {
  return std::string(b.begin(), b.end());
}

std::string state_name(const protocol::Packet& p) {
  const auto type = protocol::packet_type(p);
  std::string name(protocol::packet_type_name(type));
  if (const auto* c = std::get_if<protocol::Connack>(&p)) {
    name += ":" + std::to_string(static_cast<int>(c->reason_code));
  } else if (const auto* pub = std::get_if<protocol::Publish>(&p)) {
    name += ":q" + std::to_string(static_cast<int>(pub->qos));
  } else if (const auto* d = std::get_if<protocol::Disconnect>(&p)) {
    name += ":" + std::to_string(static_cast<int>(d->reason_code));
  }
  return name;
}

void fill_state(const protocol::Packet& p, ReplyState& s) {
  s.name = state_name(p);
  s.type = static_cast<int>(protocol::packet_type(p));
  s.packet_id = 0;
  s.qos = 0;
  std::visit(
      [&](const auto& pk) {
        using T = std::decay_t<decltype(pk)>;
        if constexpr (std::is_same_v<T, protocol::Publish>) {
          s.packet_id = pk.packet_id;
          s.qos = static_cast<int>(pk.qos);
        } else if constexpr (requires { pk.packet_id; }) {
          s.packet_id = pk.packet_id;
        }
      },
      p);
}

}  // namespace

Finding make_finding(FindingKind kind, std::string detail) {
  Finding f;
  f.kind = kind;
  f.detail = std::move(detail);
  return f;
}

std::string packet_kind(const Step& step) {
  std::string type = "empty";
  if (!step.bytes.empty()) {
    const int t = step.bytes[0] >> 4;
    type = t == 0 ? "type-0"
                  : std::string(protocol::packet_type_name(static_cast<protocol::PacketType>(t)));
  }
  return type + " " + step.label.substr(0, step.label.find(':'));
}

struct StreamReader {
  StreamReader(protocol::Sender sender, std::optional<protocol::Version> version, bool order)
      : reader(sender, version, order) {}
  Reader reader;
};

Executor::Executor(Target& target, const FuzzOptions& options)
    : target_(target), options_(options), world_(target.new_world()) {
  run_tag_ = std::to_string(options.seed % 100000) + "-" + std::to_string(world_->now() % 9973);
}

Executor::~Executor() = default;

void Executor::note(CaseRun& run, const std::string& direction, const std::string& summary,
                    const Bytes& bytes) {
  reports::EvidenceEntry e;
  e.time_ms = static_cast<double>(world_->now() - case_start_ns_) / 1e6;
  e.direction = direction;
  e.summary = summary;
  e.hex = to_hex(bytes, 512);
  run.evidence.push_back(std::move(e));
}

bool Executor::ensure_observer() {
  if (observer_) return true;
  auto link = world_->open(observer_error_);
  if (!link) return false;
  world_->send(*link, connect_packet(options_.version, "fz-observer-" + run_tag_));
  world_->send(*link, subscribe_packet(options_.version, "#"));
  observer_ = link;
  observer_decoder_ =
      std::make_unique<StreamReader>(protocol::Sender::server, options_.version, false);
  // The subscription must be in place before the case: a replay's first packets may be the
  // ones that get forwarded.
  bool subscribed = false;
  const protocol::TimeNs deadline = world_->now() + options_.probe_ms * kMs;
  while (!subscribed) {
    const LinkEvent e = world_->wait(*link, deadline);
    if (e.kind != LinkEvent::Kind::bytes) break;
    const bool ok = observer_decoder_->reader.feed(e.bytes, [&](const protocol::Packet& p) {
      subscribed |= std::holds_alternative<protocol::Suback>(p);
    });
    if (!ok) break;
  }
  return true;
}

void Executor::learn_allowed(const Bytes& bytes, CaseRun& run) {
  if (sent_decoder_->reader.dead()) return;
  const bool ok = sent_decoder_->reader.feed(bytes, [this](const protocol::Packet& p) {
    if (const auto* pub = std::get_if<protocol::Publish>(&p)) {
      std::string topic(pub->topic);
      if (const auto alias = pub->properties.topic_alias) {
        if (topic.empty())
          topic = aliases_[*alias];
        else
          aliases_[*alias] = topic;
      }
      allowed_.insert({topic, text(pub->payload)});
      expectations_.on_sent(p, topic);
      return;
    } else if (const auto* c = std::get_if<protocol::Connect>(&p)) {
      if (c->will) allowed_.insert({std::string(c->will->topic), text(c->will->payload)});
    }
    expectations_.on_sent(p, "");
  });
  if (!ok) {
    run.rejected_step = run.sent.size();
    const protocol::Malformed& e = sent_decoder_->reader.error();
    run.rejected_rule = e.spec_ref.empty() ? e.reason : std::string(e.spec_ref);
    run.rejected_reason = e.reason;
    const auto non_minimal = protocol::detail::varint_problem(protocol::VarintStatus::non_minimal);
    run.rejection_tolerable = e.reason.find(non_minimal) != std::string::npos;
  }
}

void Executor::send_steps(const NextStep& next, bool keep_timing, CaseRun& run) {
  std::string error;
  const auto link = world_->open(error);
  if (!link) {
    run.finding = make_finding(FindingKind::crash, "the port refuses connections: " + error);
    return;
  }
  replies_.reset();
  expectations_ = ReplyExpectations{};
  ReplyState state;
  for (std::size_t i = 0;; ++i) {
    auto step = next(state, i);
    if (!step) break;
    if (!replies_) {
      replies_ = std::make_unique<StreamReader>(
          protocol::Sender::server, reply_version(step->bytes, options_.version), false);
    }
    if (keep_timing) world_->sleep_until(case_start_ns_ + step->at_ms * kMs);
    step->at_ms = (world_->now() - case_start_ns_) / kMs;
    world_->send(*link, step->bytes);
    note(run, "sent", step->label, step->bytes);
    learn_allowed(step->bytes, run);
    run.sent.push_back(*step);
    state = ReplyState{"none", -1, 0, 0};
    if (expectations_.waiting()) state = await_owed(*link, run);
    expectations_.next_step();
    run.states.push_back(state);
    if (state.name == "closed" || run.finding) break;
  }
  // What the broker sends after the last step is judged (malformed bytes) but steers nothing.
  if (!run.finding && (run.states.empty() || run.states.back().name != "closed")) {
    const protocol::TimeNs quiet = world_->now() + options_.settle_ms * kMs;
    for (;;) {
      const LinkEvent e = world_->wait(*link, quiet);
      if (e.kind == LinkEvent::Kind::timeout) break;
      if (e.kind == LinkEvent::Kind::closed) {
        note(run, "closed", e.detail, {});
        break;
      }
      if (!take_replies(e.bytes, run, nullptr)) break;
    }
  }
  world_->close(*link);
}

// Waits until the broker has sent everything it owes for the step, closes, or --reply-ms passes.
// The state is the owed reply itself (our own QoS 1/2 message routed back to us first, so that
// the generator can answer it), never whatever else happened to arrive in the meantime.
ReplyState Executor::await_owed(LinkId link, CaseRun& run) {
  ReplyState state{"none", -1, 0, 0};
  const protocol::TimeNs deadline = world_->now() + options_.reply_ms * kMs;
  while (expectations_.waiting()) {
    const LinkEvent e = world_->wait(link, deadline);
    if (e.kind == LinkEvent::Kind::timeout) {
      ++run.reply_timeouts;
      note(run, "note", "an owed reply did not come within --reply-ms", {});
      break;
    }
    if (e.kind == LinkEvent::Kind::closed) {
      note(run, "closed", e.detail, {});
      state.name = "closed";
      break;
    }
    if (!take_replies(e.bytes, run, &state)) {
      state.name = "malformed";
      break;
    }
  }
  return state;
}

// Decodes bytes from the broker; owed replies update `state` when given. False on bytes our
// strict decoder rejects (the case's finding).
bool Executor::take_replies(const Bytes& bytes, CaseRun& run, ReplyState* state) {
  Reader& replies = replies_->reader;
  bool delivery_seen = false;
  std::string last = "none";
  const bool ok = replies.feed(bytes, [&](const protocol::Packet& p) {
    last = state_name(p);
    const auto match = expectations_.on_received(p);
    if (!state || match == ReplyExpectations::Match::unsolicited ||
        match == ReplyExpectations::Match::awaited) {
      return;
    }
    const bool delivery = match == ReplyExpectations::Match::delivery &&
                          std::get<protocol::Publish>(p).qos != protocol::QoS::at_most_once;
    if (delivery || !delivery_seen) fill_state(p, *state);
    delivery_seen |= delivery;
  });
  note(run, "received", ok ? last : "malformed: " + replies.error().reason, bytes);
  if (!ok) {
    run.reply_rule = std::string(replies.error().spec_ref);
    run.finding =
        make_finding(FindingKind::malformed_reply,
                     "the broker sent bytes our strict decoder rejects: " + replies.error().reason +
                         " [" + std::string(replies.error().spec_ref) + "]");
  }
  return ok;
}

CaseRun Executor::run_case(const NextStep& next, bool keep_timing, std::uint64_t case_index) {
  CaseRun run;
  ensure_observer();
  // Messages accepted in earlier cases may still be forwarded later (a resumed session's
  // PUBREL releases them), so the accepted set spans cases: two generations of bounded size.
  if (allowed_.size() > kAllowedGeneration) {
    allowed_before_ = std::move(allowed_);
    allowed_.clear();
  }
  sent_decoder_ = std::make_unique<StreamReader>(protocol::Sender::client, std::nullopt, true);
  aliases_.clear();
  case_start_ns_ = world_->now();
  send_steps(next, keep_timing, run);
  if (!run.finding) {
    const Probe p = probe(case_index);
    if (!p.ok) {
      run.finding = make_finding(p.kind, p.detail);
      note(run, "note", "health probe: " + p.detail, {});
    } else if (auto unexplained = check_observer("fz-probe-" + run_tag_ + "/")) {
      if (run.rejection_tolerable && !unexplained->malformed) {
        note(run, "note",
             "not judged: a message got through after a rejection a broker may tolerate", {});
      } else {
        run.finding = judge_forwarded(*unexplained, run);
        if (unexplained->malformed) run.reply_rule = unexplained->rule;
        note(run, "note", run.finding->detail, {});
      }
    }
  }
  if (run.finding) {
    std::string cause = "no packet rejected by the strict decoder";
    if (run.rejected_step) {
      cause = "after " + packet_kind(run.sent[*run.rejected_step]) + " [" + run.rejected_rule + "]";
    } else if (!run.sent.empty()) {
      cause += ", last sent " + packet_kind(run.sent.back());
    }
    run.finding->signature = finding_kind_name(run.finding->kind) + " " + cause;
    if (run.rejected_step) run.finding->rule = run.rejected_rule;
    if (run.finding->kind == FindingKind::malformed_reply) {
      // What the broker's bytes break names it, not what we sent: a broker that stored a bad
      // message (retained) sends it again in later cases whatever they contain.
      run.finding->signature = "malformed-reply from the broker [" + run.reply_rule + "]";
      run.finding->rule = run.reply_rule;
    }
    run.finding->rejected_step = run.rejected_step;
    run.finding->case_index = case_index;
    run.finding->input = FuzzInput{options_.version, run.sent};
    run.finding->evidence = run.evidence;
  }
  return run;
}

Executor::Probe Executor::probe(std::uint64_t case_index) {
  std::string error;
  const auto link = world_->open(error);
  if (!link) return {false, FindingKind::crash, "probe: the port refuses connections: " + error};
  const std::string topic = "fz-probe-" + run_tag_ + "/" + std::to_string(case_index);
  const Bytes packets[] = {connect_packet(options_.version, "fz-probe-" + run_tag_),
                           subscribe_packet(options_.version, topic),
                           publish_packet(options_.version, topic, "probe")};
  const char* names[] = {"CONNACK", "SUBACK", "its own PUBLISH"};
  const int want[] = {2, 9, 3};
  Reader reader(protocol::Sender::server, options_.version, false);
  Probe result{true, FindingKind::hang, ""};
  for (int i = 0; i < 3 && result.ok; ++i) {
    world_->send(*link, packets[i]);
    const protocol::TimeNs deadline = world_->now() + options_.probe_ms * kMs;
    bool got = false;
    while (!got && result.ok) {
      const LinkEvent e = world_->wait(*link, deadline);
      if (e.kind == LinkEvent::Kind::timeout) {
        result = {false, FindingKind::hang,
                  std::string("probe: no ") + names[i] + " within " +
                      std::to_string(options_.probe_ms) + " ms"};
      } else if (e.kind == LinkEvent::Kind::closed) {
        result = {false, FindingKind::crash,
                  std::string("probe: connection closed or reset while waiting for ") + names[i] +
                      (e.detail.empty() ? "" : " (" + e.detail + ")")};
      } else {
        reader.feed(e.bytes, [&](const protocol::Packet& p) {
          if (static_cast<int>(protocol::packet_type(p)) == want[i]) got = true;
        });
      }
    }
  }
  if (result.ok) world_->send(*link, Bytes{0xE0, 0x00});
  world_->close(*link);
  return result;
}

bool Executor::broker_serves() {
  // A supervised broker restarts: give it a few seconds before calling the target down.
  return serves_until(std::chrono::steady_clock::now() + std::chrono::seconds(3));
}

bool Executor::serves_until(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (probe(0).ok) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    world_->sleep_until(world_->now() + 200 * kMs);
  }
}

// Drains the observer until the probe's own message arrives (the broker has routed everything
// sent before it), and names the first message no accepted PUBLISH or Will explains.
std::optional<Executor::Unexplained> Executor::check_observer(const std::string& probe_prefix) {
  if (!observer_) return std::nullopt;
  Reader& reader = observer_decoder_->reader;
  std::optional<Unexplained> found;
  bool barrier = false;
  const protocol::TimeNs deadline = world_->now() + options_.probe_ms * kMs;
  while (!barrier) {
    const LinkEvent e = world_->wait(*observer_, deadline);
    if (e.kind != LinkEvent::Kind::bytes) {
      if (e.kind == LinkEvent::Kind::closed) observer_.reset();  // reconnected next case
      break;
    }
    const bool ok = reader.feed(e.bytes, [&](const protocol::Packet& p) {
      const auto* pub = std::get_if<protocol::Publish>(&p);
      if (!pub || pub->retain) return;  // retained: delivered on (re)subscription, not forwarded
      const std::string topic(pub->topic);
      if (topic.rfind(probe_prefix, 0) == 0) {
        barrier = true;
        return;
      }
      const std::pair<std::string, std::string> key{topic, text(pub->payload)};
      if (found || allowed_.count(key) || allowed_before_.count(key)) return;
      found = Unexplained{false, key.first, key.second, "", ""};
    });
    if (!ok) {
      observer_.reset();
      return Unexplained{true, "", "",
                         "the broker sent the # observer bytes our strict decoder rejects: " +
                             reader.error().reason + " [" + std::string(reader.error().spec_ref) +
                             "]",
                         std::string(reader.error().spec_ref)};
    }
  }
  return found;
}

// Names what the observer saw: the rejected packet itself forwarded, or (tolerated) the
// connection kept open after a packet that must close it, so that later messages got through.
Finding Executor::judge_forwarded(const Unexplained& u, const CaseRun& run) const {
  if (u.malformed) return make_finding(FindingKind::malformed_reply, u.detail);
  std::string shown = u.payload.substr(0, 40);  // printable: the report is JSON (UTF-8)
  for (char& c : shown) {
    if (c < 0x20 || c > 0x7E) c = '.';
  }
  const std::string where = "the observer subscribed to # received a PUBLISH on '" + u.topic +
                            "' (payload '" + shown + "')";
  if (!run.rejected_step) {
    return make_finding(FindingKind::forwarded,
                        where + " that no packet sent in this run carried as accepted");
  }
  auto contains = [](const Bytes& hay, const std::string& needle) {
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
  };
  const Step& rejected = run.sent[*run.rejected_step];
  const std::string why = " (" + run.rejected_reason + ")";
  if (contains(rejected.bytes, u.topic) && contains(rejected.bytes, u.payload)) {
    return make_finding(FindingKind::forwarded,
                        where + ": it came from the packet the strict decoder rejects" + why);
  }
  return make_finding(FindingKind::tolerated,
                      where + " sent after a packet the broker must close the connection on" + why);
}

}  // namespace mqttsim::conformance::fuzz
