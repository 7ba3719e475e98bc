// Broker fuzzing over TCP: cases (byte sequences with timing) sent to a real broker, judged by a
// health probe, a `#` observer and our strict decoder. A run is reproducible from its seed as long
// as the broker answers the same way (the broker's replies steer what is sent next).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conformance/suite/target.hpp"
#include "protocol/types.hpp"
#include "reports/conformance_report.hpp"

namespace mqttsim::conformance::fuzz {

using Bytes = std::vector<std::uint8_t>;

// One write on the fuzzed connection, `at_ms` after the case's connection opened.
struct Step {
  std::int64_t at_ms = 0;
  Bytes bytes;
  std::string label;  // what the generator meant: "valid:PUBLISH", "c06:PUBLISH qos 3", ...
};

// A replayable input: open one connection, write each step at its time, then probe the broker.
struct FuzzInput {
  protocol::Version version = protocol::Version::v3_1_1;
  std::vector<Step> steps;
};

// forwarded: a packet the broker must reject reached a subscriber; tolerated: the broker kept a
// connection open after such a packet and later messages on it reached a subscriber.
enum class FindingKind : std::uint8_t { crash, hang, forwarded, tolerated, malformed_reply };
std::string finding_kind_name(FindingKind kind);

struct Finding {
  FindingKind kind = FindingKind::crash;
  std::string detail;
  // What kind of input caused it, for de-duplication and known-deviation lists:
  // "forwarded after PUBLISH c06 [MQTT-3.3.1-2]" names the first packet our decoder rejected.
  std::string signature;
  // The statement our strict decoder names for the first packet it rejected in the case (empty
  // when it rejected none; for a malformed-reply, the statement the broker's bytes break), and
  // the rejected packet's step: with the kind, what known lists match on.
  std::string rule;
  std::optional<std::size_t> rejected_step;
  std::uint64_t case_index = 0;
  std::uint64_t repeats = 0;  // later cases with the same signature (not saved again)
  FuzzInput input;
  std::vector<reports::EvidenceEntry> evidence;  // the case's transcript
  // Set by minimisation: the smaller input (evidence is then its transcript) and how it went.
  std::optional<FuzzInput> minimised;
  std::string minimise_note;
  // Set when a known-deviation list names this (kind, rule): "file:line  # why".
  std::string known;
};

// A known-deviation list (profiles/BROKER.fuzz.known): one "KIND RULE  # why" per line. A
// finding matches a line when its kind and its rule (Finding::rule) are both equal: neither
// depends on the seed or on which of the generator's paths produced the packet. Crashes and
// hangs cannot be listed.
struct KnownDeviations {
  std::map<std::pair<std::string, std::string>, std::string> lines;  // (kind, rule) -> where
};
std::optional<KnownDeviations> load_known(const std::string& path, std::string& error);
// Marks the findings the list names (Finding::known); returns how many are not known.
std::size_t mark_known(const KnownDeviations& known, std::vector<Finding>& findings);

struct FuzzOptions {
  protocol::Version version = protocol::Version::v3_1_1;
  double time_s = 60;
  std::uint64_t seed = 1;
  // A step waits for what the broker owes for it (an acknowledgement, our own message routed
  // back) up to reply_ms; after the last step, settle_ms of quiet lets the broker finish.
  std::int64_t reply_ms = 500;
  std::int64_t settle_ms = 15;
  std::int64_t probe_ms = 2000;  // a health-probe step slower than this is a hang
  std::size_t max_cases = 0;     // 0: no limit but time
  std::string program_version;
  std::function<void(const std::string& line)> on_progress;  // about once a second
  std::function<void(const Finding&)> on_finding;
};

struct FuzzStats {
  std::uint64_t cases = 0;
  std::uint64_t packets_sent = 0;
  double duration_s = 0;
  // Packet type (by first byte) × class label -> how many packets were sent.
  std::map<std::string, std::map<std::string, std::uint64_t>> coverage;
  std::size_t state_transitions = 0;  // distinct (state, packet kind, next state) seen
  std::size_t corpus_size = 0;
  // Steps whose owed replies did not all arrive within reply_ms: each cost reply_ms, and is
  // where timing could still steer a run (a slow broker, or a reply we predicted wrongly).
  std::uint64_t reply_timeouts = 0;
};

// One line of the run log: what case `index` sent, as a digest of its bytes (FNV-1a 64 over each
// step's length and bytes; timing left out). Two runs with one seed give the same lines as long
// as the broker's replies have the same content.
struct CaseDigest {
  std::uint64_t digest = 0;
  std::uint32_t steps = 0;
  std::string end_state;  // the reply state after the last step ("CONNACK:0", "closed", ...)
};

struct FuzzResult {
  FuzzStats stats;
  std::vector<CaseDigest> case_log;
  std::uint64_t run_digest = 0;  // FNV-1a 64 over the case digests in order
  std::vector<Finding> findings;
  bool target_down = false;  // the run stopped early: the broker no longer answers
};

// Fuzzes `target` for options.time_s seconds (or max_cases cases).
FuzzResult run_fuzz(Target& target, const FuzzOptions& options);

// Runs one saved input and judges it as the fuzzer did. Returns the finding it reproduces.
std::optional<Finding> replay(Target& target, const FuzzInput& input, const FuzzOptions& options);

// Minimisation of a finding against the live target (ddmin over the steps, then over the body
// bytes of the rejected packet), bounded per finding.
struct MinimiseOptions {
  double budget_s = 30;
  std::size_t max_attempts = 300;
  double recover_s = 5;  // how long the broker may take to serve again after a reproduction
};

struct Minimised {
  FuzzInput input;           // the smallest input found that still reproduces the finding
  Finding finding;           // as that input reproduces it (its transcript)
  std::size_t attempts = 0;  // replays spent
  bool reproduced = false;   // the original input reproduced the finding at all
  bool complete = false;     // 1-minimal: no single chunk of steps or body bytes can go
  std::string note;          // why it stopped early, if it did
};

Minimised minimise(Target& target, const Finding& finding, const FuzzOptions& options,
                   const MinimiseOptions& limits);

// The replay file: JSON with the version, the steps as hex with their times, and the finding.
std::string input_to_json(const Finding& finding, std::uint64_t seed);
std::optional<FuzzInput> input_from_json(const std::string& text, std::string& error);

// The conform report model: one failed case per finding (or one passing summary case), and the
// run's statistics in a capability set named "fuzz".
reports::ConformanceReport to_report(const FuzzResult& result, const FuzzOptions& options,
                                     const std::string& target, const std::string& started_utc);

// The digest of one case's bytes, as in the run log.
std::uint64_t case_digest(const std::vector<Step>& steps);
std::string digest_hex(std::uint64_t digest);

// Packet type × class coverage as a short line: "12 types × 21 classes, 143 cells".
std::string coverage_line(const FuzzStats& stats);

}  // namespace mqttsim::conformance::fuzz
