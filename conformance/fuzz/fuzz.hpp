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
  std::uint64_t case_index = 0;
  std::uint64_t repeats = 0;  // later cases with the same signature (not saved again)
  FuzzInput input;
  std::vector<reports::EvidenceEntry> evidence;  // the case's transcript
};

struct FuzzOptions {
  protocol::Version version = protocol::Version::v3_1_1;
  double time_s = 60;
  std::uint64_t seed = 1;
  std::int64_t reply_ms = 15;    // how long each step waits for the broker's answer
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
};

struct FuzzResult {
  FuzzStats stats;
  std::vector<Finding> findings;
  bool target_down = false;  // the run stopped early: the broker no longer answers
};

// Fuzzes `target` for options.time_s seconds (or max_cases cases).
FuzzResult run_fuzz(Target& target, const FuzzOptions& options);

// Runs one saved input and judges it as the fuzzer did. Returns the finding it reproduces.
std::optional<Finding> replay(Target& target, const FuzzInput& input, const FuzzOptions& options);

// The replay file: JSON with the version, the steps as hex with their times, and the finding.
std::string input_to_json(const Finding& finding, std::uint64_t seed);
std::optional<FuzzInput> input_from_json(const std::string& text, std::string& error);

// The conform report model: one failed case per finding (or one passing summary case), and the
// run's statistics in a capability set named "fuzz".
reports::ConformanceReport to_report(const FuzzResult& result, const FuzzOptions& options,
                                     const std::string& target, const std::string& started_utc);

// Packet type × class coverage as a short line: "12 types × 21 classes, 143 cells".
std::string coverage_line(const FuzzStats& stats);

}  // namespace mqttsim::conformance::fuzz
