// The conformance report model: what one `mqttsim conform` run found, case by case, with the
// evidence of each verdict. A leaf: filled by conformance/, written by the writers below, and it
// knows nothing of either (packets arrive here as JSON and hex already).
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace mqttsim::reports {

// Bumped whenever a field of report.json changes meaning or disappears. 2: the verdicts
// "deviation" and "stale" and the field "declared_deviation".
inline constexpr int kConformanceSchemaVersion = 2;

// `deviation`: a failure the broker profile declares (a known bug of that broker, kept visible
// but not failing the run); `stale`: a declared deviation that passed, so the declaration is out
// of date. Both come from conformance/'s runner; fail, error and stale fail the run.
enum class Verdict : std::uint8_t { pass, fail, skipped, inconclusive, error, deviation, stale };
std::string_view verdict_name(Verdict v);  // "pass", "fail", ...
inline constexpr Verdict kAllVerdicts[] = {Verdict::pass,  Verdict::fail,    Verdict::deviation,
                                           Verdict::stale, Verdict::skipped, Verdict::inconclusive,
                                           Verdict::error};

// One line of a case's transcript: a packet sent or received, a close, or a note.
struct EvidenceEntry {
  double time_ms = 0;             // since the case started
  std::string direction;          // "sent", "received", "closed", "note"
  std::string summary;            // one line, e.g. "PUBLISH qos=1 topic=a/b"
  nlohmann::ordered_json packet;  // the decoded packet (null when none or undecodable)
  std::string hex;                // the raw bytes as sent or received
};

struct CaseResult {
  std::string id;                       // stable, e.g. "publish.qos1.puback"
  std::string title;                    // a sentence
  std::string area;                     // "connect", "publish", "subscribe", ...
  std::string mqtt_version;             // "3.1.1" or "5.0"
  std::vector<std::string> statements;  // "MQTT-3.3.4-1", ...
  Verdict verdict = Verdict::error;
  std::string reason;     // why not pass: the failed expectation, the missing capability, ...
  std::string statement;  // the statement a failure breaks (one of `statements`)
  std::string expected;   // what the specification allows at that point
  std::string declared_deviation;  // the profile's reason, for verdicts deviation and stale
  double duration_ms = 0;
  std::vector<EvidenceEntry> evidence;
};

// Capabilities as discovered or declared, per protocol version.
struct CapabilitySet {
  std::string mqtt_version;
  std::string source;  // "discovered", "profile", "discovered+profile"
  std::vector<std::pair<std::string, std::string>> values;
};

struct ConformanceReport {
  std::string program_version;
  std::string target;       // "tcp://127.0.0.1:1883", "in-process BrokerCore"
  std::string started_utc;  // ISO 8601
  double duration_s = 0;
  std::vector<CapabilitySet> capabilities;
  std::vector<CaseResult> cases;

  std::size_t count(Verdict v) const;
  // A declared deviation does not fail the run; a stale declaration does.
  bool any_failed() const {
    return count(Verdict::fail) + count(Verdict::error) + count(Verdict::stale) > 0;
  }
};

nlohmann::ordered_json to_json(const ConformanceReport& report);
void write_junit(const ConformanceReport& report, std::ostream& out);
void write_html(const ConformanceReport& report, std::ostream& out);

// Writes report.json, junit.xml and report.html into `dir` (created if missing). Returns the
// error messages, empty on success.
std::vector<std::string> write_conformance_reports(const ConformanceReport& report,
                                                   const std::string& dir);

}  // namespace mqttsim::reports
