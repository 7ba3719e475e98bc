// Findings on disk and in the conform report: the replay file (JSON, steps as hex with their
// times) and the report model, one failed case per finding, the run's figures as a capability
// set named "fuzz".
#include <nlohmann/json.hpp>

#include <cctype>
#include <fstream>
#include <sstream>

#include "conformance/fuzz/fuzz.hpp"
#include "conformance/suite/suite.hpp"
#include "protocol/utf8.hpp"

namespace mqttsim::conformance::fuzz {
namespace {

std::string fuzz_version_name(protocol::Version v) {
  return v == protocol::Version::v5 ? "5.0" : "3.1.1";
}

std::optional<Bytes> from_hex(const std::string& hex) {
  Bytes out;
  int high = -1;
  for (const char c : hex) {
    if (c == ' ') continue;
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) return std::nullopt;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high * 16 + v));
      high = -1;
    }
  }
  if (high >= 0) return std::nullopt;
  return out;
}

std::string plain_hex(const Bytes& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

// report.json is UTF-8: text that came off the wire is kept only when it is valid.
std::string utf8_safe(const std::string& text) {
  if (protocol::check_utf8(text).status == protocol::Utf8Status::ok) return text;
  std::string out = text;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) >= 0x80 || c == 0) c = '?';
  }
  return out;
}

}  // namespace

std::string input_to_json(const Finding& finding, std::uint64_t seed) {
  nlohmann::ordered_json j;
  j["format"] = "mqttsim-fuzz-input";
  j["format_version"] = 1;
  j["mqtt_version"] = fuzz_version_name(finding.input.version);
  j["finding"] = finding_kind_name(finding.kind);
  j["detail"] = finding.detail;
  j["signature"] = finding.signature;
  j["repeats"] = finding.repeats;
  j["seed"] = seed;
  j["case_index"] = finding.case_index;
  j["steps"] = nlohmann::ordered_json::array();
  for (const Step& s : finding.input.steps) {
    j["steps"].push_back({{"at_ms", s.at_ms}, {"label", s.label}, {"hex", plain_hex(s.bytes)}});
  }
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::optional<FuzzInput> input_from_json(const std::string& text, std::string& error) {
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.value("format", "") != "mqttsim-fuzz-input") {
      error = "not an mqttsim fuzz input (format mqttsim-fuzz-input)";
      return std::nullopt;
    }
    FuzzInput input;
    const std::string v = j.at("mqtt_version").get<std::string>();
    if (v != "3.1.1" && v != "5.0") {
      error = "mqtt_version must be 3.1.1 or 5.0, got " + v;
      return std::nullopt;
    }
    input.version = v == "5.0" ? protocol::Version::v5 : protocol::Version::v3_1_1;
    for (const auto& s : j.at("steps")) {
      auto bytes = from_hex(s.at("hex").get<std::string>());
      if (!bytes) {
        error = "a step's hex is not hex: " + s.at("hex").get<std::string>();
        return std::nullopt;
      }
      input.steps.push_back(
          {s.at("at_ms").get<std::int64_t>(), std::move(*bytes), s.value("label", "")});
    }
    return input;
  } catch (const std::exception& e) {
    error = std::string("bad fuzz input: ") + e.what();
    return std::nullopt;
  }
}

std::optional<KnownDeviations> load_known(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  KnownDeviations known;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    const std::string why = line.find('#') == std::string::npos ? "" : line.substr(line.find('#'));
    line = line.substr(0, line.find('#'));
    std::istringstream fields(line);
    std::string kind;
    if (!(fields >> kind)) continue;
    std::string rule;
    std::getline(fields >> std::ws, rule);
    while (!rule.empty() && std::isspace(static_cast<unsigned char>(rule.back()))) rule.pop_back();
    const std::string where = path + ":" + std::to_string(number);
    if (kind == "crash" || kind == "hang") {
      error = where + ": a crash or a hang is never a known deviation";
      return std::nullopt;
    }
    if (kind != "forwarded" && kind != "tolerated" && kind != "malformed-reply") {
      error = where + ": unknown finding kind " + kind;
      return std::nullopt;
    }
    if (rule.empty()) {
      error = where + ": a line needs a kind and a rule";
      return std::nullopt;
    }
    known.lines[{kind, rule}] = where + (why.empty() ? "" : "  " + why);
  }
  return known;
}

std::size_t mark_known(const KnownDeviations& known, std::vector<Finding>& findings) {
  std::size_t unknown = 0;
  for (Finding& f : findings) {
    const auto it = known.lines.find({finding_kind_name(f.kind), f.rule});
    if (it == known.lines.end() || f.rule.empty()) {
      ++unknown;
    } else {
      f.known = it->second;
    }
  }
  return unknown;
}

reports::ConformanceReport to_report(const FuzzResult& result, const FuzzOptions& options,
                                     const std::string& target, const std::string& started_utc) {
  reports::ConformanceReport report;
  report.program_version = options.program_version;
  report.target = target;
  report.started_utc = started_utc;
  report.duration_s = result.stats.duration_s;
  const std::string v = fuzz_version_name(options.version);
  reports::CapabilitySet figures{v, "fuzz", {}};
  auto add = [&](const std::string& k, const std::string& value) {
    figures.values.emplace_back(k, value);
  };
  add("seed", std::to_string(options.seed));
  add("cases", std::to_string(result.stats.cases));
  add("packets sent", std::to_string(result.stats.packets_sent));
  add("cases per second", std::to_string(static_cast<double>(result.stats.cases) /
                                         std::max(result.stats.duration_s, 1e-3)));
  add("coverage", coverage_line(result.stats));
  add("state transitions", std::to_string(result.stats.state_transitions));
  add("corpus", std::to_string(result.stats.corpus_size));
  add("run digest", digest_hex(result.run_digest));
  add("reply timeouts", std::to_string(result.stats.reply_timeouts));
  if (result.target_down) add("note", "the run stopped early: the broker no longer serves");
  for (const auto& [type, row] : result.stats.coverage) {
    std::string cells;
    for (const auto& [cls, n] : row)
      cells += (cells.empty() ? "" : " ") + cls + "=" + std::to_string(n);
    add("sent " + type, cells);
  }
  report.capabilities.push_back(std::move(figures));
  std::size_t n = 0;
  for (const Finding& f : result.findings) {
    reports::CaseResult c;
    c.id = "fuzz." + finding_kind_name(f.kind) + "." + std::to_string(++n);
    c.title = "fuzz case " + std::to_string(f.case_index) + ": " + finding_kind_name(f.kind) +
              (f.known.empty() ? "" : " (known deviation)");
    c.area = "fuzz";
    c.mqtt_version = v;
    c.verdict = reports::Verdict::fail;
    c.reason = f.signature + ": " + f.detail +
               (f.repeats ? " (" + std::to_string(f.repeats) + " more cases like it)" : "");
    if (!f.minimise_note.empty()) c.reason += "; " + f.minimise_note;
    if (!f.known.empty()) c.reason += "; known deviation: " + f.known;
    c.expected =
        "the broker rejects malformed input, keeps serving and forwards nothing it rejects";
    c.reason = utf8_safe(c.reason);
    c.evidence = f.evidence;
    for (auto& e : c.evidence) e.summary = utf8_safe(e.summary);
    report.cases.push_back(std::move(c));
  }
  if (result.findings.empty()) {
    reports::CaseResult c;
    c.id = "fuzz.run";
    c.title = std::to_string(result.stats.cases) + " fuzz cases without a finding";
    c.area = "fuzz";
    c.mqtt_version = v;
    c.verdict = reports::Verdict::pass;
    c.duration_ms = result.stats.duration_s * 1000;
    report.cases.push_back(std::move(c));
  }
  return report;
}

}  // namespace mqttsim::conformance::fuzz
