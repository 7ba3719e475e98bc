// Runs fuzz cases on one connection of a real broker and judges them: the broker's replies go
// through our strict decoder, a `#` observer shows what got forwarded, and a health probe
// (connect, subscribe, publish, receive) after each case tells a crash or a hang.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "conformance/fuzz/expect.hpp"
#include "conformance/fuzz/fuzz.hpp"
#include "conformance/fuzz/generator.hpp"

namespace mqttsim::conformance::fuzz {

// What one case did: the steps as sent (with their times), the reply state after each, and the
// finding it produced, if any.
struct CaseRun {
  std::vector<Step> sent;
  std::vector<ReplyState> states;
  std::vector<reports::EvidenceEntry> evidence;
  std::optional<Finding> finding;
  // The first step our strict decoder rejected, with the rule it breaks.
  std::optional<std::size_t> rejected_step;
  std::string rejected_rule;
  std::string rejected_reason;
  // The rejection is one a receiver may tolerate (a Variable Byte Integer in more bytes than
  // needed: MQTT-1.5.5-1 binds the sender), so what the broker forwards after it is not judged.
  bool rejection_tolerable = false;
  std::uint32_t reply_timeouts = 0;  // steps whose owed replies did not all come in time
  std::string reply_rule;            // a malformed reply: the statement the broker's bytes break
};

// Supplies step `index` given the broker's last reply; nullopt ends the case.
using NextStep = std::function<std::optional<Step>(const ReplyState& state, std::size_t index)>;

Finding make_finding(FindingKind kind, std::string detail);

// "PUBLISH c06": the packet type by the first byte, and the class the generator meant.
std::string packet_kind(const Step& step);

class Executor {
 public:
  Executor(Target& target, const FuzzOptions& options);
  ~Executor();

  // Sends the case's steps (at their recorded times when `keep_timing`), then probes the broker
  // and checks the observer.
  CaseRun run_case(const NextStep& next, bool keep_timing, std::uint64_t case_index);

  // Probes again after a finding: true when the broker serves (the run may go on).
  bool broker_serves();
  // Probes until the broker serves or `deadline` passes (a crashed broker being restarted).
  bool serves_until(std::chrono::steady_clock::time_point deadline);

 private:
  struct Probe {
    bool ok = false;
    FindingKind kind = FindingKind::hang;
    std::string detail;
  };
  Probe probe(std::uint64_t case_index);
  void send_steps(const NextStep& next, bool keep_timing, CaseRun& run);
  ReplyState await_owed(LinkId link, CaseRun& run);
  bool take_replies(const Bytes& bytes, CaseRun& run, ReplyState* state);
  // A message on the observer that no accepted packet explains, or malformed observer bytes.
  struct Unexplained {
    bool malformed = false;
    std::string topic;
    std::string payload;
    std::string detail;
    std::string rule;  // malformed: the statement the broker's bytes break
  };
  std::optional<Unexplained> check_observer(const std::string& probe_prefix);
  Finding judge_forwarded(const Unexplained& u, const CaseRun& run) const;
  void learn_allowed(const Bytes& bytes, CaseRun& run);
  bool ensure_observer();
  void note(CaseRun& run, const std::string& direction, const std::string& summary,
            const Bytes& bytes);

  Target& target_;
  FuzzOptions options_;
  std::unique_ptr<World> world_;
  std::optional<LinkId> observer_;
  std::string observer_error_;
  protocol::TimeNs case_start_ns_ = 0;
  // (topic, payload) of every PUBLISH and Will our decoder accepted, this case and the last.
  std::set<std::pair<std::string, std::string>> allowed_;
  std::set<std::pair<std::string, std::string>> allowed_before_;
  std::unique_ptr<struct StreamReader> sent_decoder_;
  std::unique_ptr<struct StreamReader> observer_decoder_;
  std::unique_ptr<struct StreamReader> replies_;  // the fuzzed connection's replies
  ReplyExpectations expectations_;
  std::map<std::uint16_t, std::string> aliases_;  // 5.0 topic aliases of this case
  std::string run_tag_;  // makes the probe's and observer's client ids unique to the run
};

}  // namespace mqttsim::conformance::fuzz
