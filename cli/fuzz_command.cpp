// `mqttsim fuzz`: fuzzes a broker over TCP or TLS and writes report.json, junit.xml,
// report.html, cases.log and one replayable input per finding (findings/NNN-KIND.json, and
// NNN-KIND.min.json once minimised) into --out;
// `--replay FILE` runs one saved input again. Exit 1 when there is a finding not in --known.
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "conformance/fuzz/fuzz.hpp"

namespace mqttsim::cli {
namespace {

struct FuzzArgs {
  std::string url;
  std::string mqtt = "3.1.1";
  double time_s = 60;
  std::uint64_t seed = 1;
  std::string out_dir = "fuzz-report";
  std::string replay_file;
  std::int64_t reply_ms = 500;
  std::int64_t settle_ms = 15;
  std::int64_t probe_ms = 2000;
  std::size_t max_cases = 0;
  double minimise_s = 30;
  std::string known_file;
  conformance::TlsOptions tls;
};

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

int save_findings(const conformance::fuzz::FuzzResult& result, const FuzzArgs& args) {
  const std::filesystem::path dir = std::filesystem::path(args.out_dir) / "findings";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::size_t n = 0;
  for (const auto& f : result.findings) {
    char name[64];
    std::snprintf(name, sizeof name, "%03zu-%s.json", ++n,
                  conformance::fuzz::finding_kind_name(f.kind).c_str());
    std::ofstream out(dir / name);
    out << conformance::fuzz::input_to_json(f, args.seed);
    std::string shown = (dir / name).string();
    if (f.minimised) {
      conformance::fuzz::Finding smaller = f;
      smaller.input = *f.minimised;
      shown.replace(shown.size() - 5, 5, ".min.json");
      std::ofstream min_out(shown);
      min_out << conformance::fuzz::input_to_json(smaller, args.seed);
      if (!min_out) out.setstate(std::ios::failbit);
    }
    if (!out) {
      std::cerr << "mqttsim fuzz: cannot write " << shown << "\n";
      return kExitFailed;
    }
    std::cout << "finding " << n << (f.known.empty() ? "" : " (known deviation)") << ": "
              << f.signature << " (" << f.repeats + 1 << " cases): " << f.detail
              << (f.minimise_note.empty() ? "" : "\n  " + f.minimise_note)
              << "\n  replay: mqttsim fuzz --replay " << shown << " " << args.url << "\n";
  }
  return kExitOk;
}

// cases.log: one line per case (index, digest of the bytes it sent, steps, last reply state),
// then the run's digest. Same seed, same broker answers: the same file.
bool write_case_log(const conformance::fuzz::FuzzResult& result, const FuzzArgs& args) {
  std::ofstream out(std::filesystem::path(args.out_dir) / "cases.log");
  out << "# mqttsim fuzz run log: case digest steps last-reply-state (seed " << args.seed
      << ", MQTT " << args.mqtt << ")\n";
  for (std::size_t i = 0; i < result.case_log.size(); ++i) {
    const auto& c = result.case_log[i];
    out << i << " " << conformance::fuzz::digest_hex(c.digest) << " " << c.steps << " "
        << c.end_state << "\n";
  }
  out << "run " << conformance::fuzz::digest_hex(result.run_digest) << " " << result.case_log.size()
      << " cases\n";
  return static_cast<bool>(out);
}

std::size_t total_bytes(const conformance::fuzz::FuzzInput& input) {
  std::size_t n = 0;
  for (const auto& s : input.steps) n += s.bytes.size();
  return n;
}

// Shrinks every finding against the live broker (replay as the oracle) within --minimise-s.
void minimise_findings(conformance::fuzz::FuzzResult& result, conformance::Target& target,
                       const conformance::fuzz::FuzzOptions& options, double budget_s) {
  conformance::fuzz::MinimiseOptions limits;
  limits.budget_s = budget_s;
  for (auto& f : result.findings) {
    const auto m = conformance::fuzz::minimise(target, f, options, limits);
    std::ostringstream note;
    note << "minimised from " << f.input.steps.size() << " steps / " << total_bytes(f.input)
         << " bytes to " << m.input.steps.size() << " / " << total_bytes(m.input) << " in "
         << m.attempts << " replays"
         << (m.complete       ? " (1-minimal)"
             : m.note.empty() ? ""
                              : " (" + m.note + ")");
    std::cerr << "mqttsim fuzz: finding " << f.signature << ": " << note.str() << "\n";
    if (!m.reproduced) {
      f.minimise_note = "not minimised: " + m.note;
      continue;
    }
    f.minimised = m.input;
    f.minimise_note = note.str();
    f.evidence = m.finding.evidence;
  }
}

int run_replay(const FuzzArgs& args, conformance::Target& target,
               conformance::fuzz::FuzzOptions& options) {
  std::ifstream in(args.replay_file);
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  const auto input = conformance::fuzz::input_from_json(text.str(), error);
  if (!input) {
    std::cerr << "mqttsim fuzz: " << args.replay_file << ": " << error << "\n";
    return kExitUsage;
  }
  const auto finding = conformance::fuzz::replay(target, *input, options);
  if (!finding) {
    std::cout << "mqttsim fuzz --replay: " << input->steps.size()
              << " steps sent; no finding: the broker still serves and forwarded nothing\n";
    return kExitOk;
  }
  std::cout << "mqttsim fuzz --replay: reproduced: " << finding->signature << ": "
            << finding->detail << "\n";
  return kExitFailed;
}

int run_fuzz_command(const FuzzArgs& args) {
  std::string error;
  const auto endpoint = conformance::parse_endpoint(args.url, error);
  if (!endpoint) {
    std::cerr << "mqttsim fuzz: " << error << "\n";
    return kExitUsage;
  }
  conformance::fuzz::FuzzOptions options;
  if (args.mqtt == "5" || args.mqtt == "5.0") {
    options.version = protocol::Version::v5;
  } else if (args.mqtt != "3.1.1") {
    std::cerr << "mqttsim fuzz: --mqtt: expected 3.1.1 or 5, got " << args.mqtt << "\n";
    return kExitUsage;
  }
  options.time_s = args.time_s;
  options.seed = args.seed;
  options.reply_ms = args.reply_ms;
  options.settle_ms = args.settle_ms;
  options.probe_ms = args.probe_ms;
  options.max_cases = args.max_cases;
  options.program_version = MQTTSIM_VERSION;
  options.on_progress = [](const std::string& line) { std::cerr << line << "\n"; };
  options.on_finding = [](const conformance::fuzz::Finding& f) {
    std::cerr << "FINDING in case " << f.case_index << ": " << f.signature << ": " << f.detail
              << "\n";
  };
  std::unique_ptr<conformance::Target> target;
  try {
    target = conformance::make_network_target(*endpoint, args.tls);
  } catch (const std::exception& e) {
    std::cerr << "mqttsim fuzz: TLS setup: " << e.what() << "\n";
    return kExitUsage;
  }
  if (!args.replay_file.empty()) return run_replay(args, *target, options);
  std::optional<conformance::fuzz::KnownDeviations> known;
  if (!args.known_file.empty()) {
    known = conformance::fuzz::load_known(args.known_file, error);
    if (!known) {
      std::cerr << "mqttsim fuzz: --known: " << error << "\n";
      return kExitUsage;
    }
  }
  const std::string started = utc_now();
  auto result = conformance::fuzz::run_fuzz(*target, options);
  std::size_t unknown = result.findings.size();
  if (known) unknown = conformance::fuzz::mark_known(*known, result.findings);
  if (args.minimise_s > 0 && !result.findings.empty()) {
    minimise_findings(result, *target, options, args.minimise_s);
  }
  const auto report = conformance::fuzz::to_report(result, options, args.url, started);
  for (const std::string& e : reports::write_conformance_reports(report, args.out_dir)) {
    std::cerr << "mqttsim fuzz: " << e << "\n";
  }
  if (save_findings(result, args) != kExitOk) return kExitFailed;
  if (!write_case_log(result, args)) {
    std::cerr << "mqttsim fuzz: cannot write " << args.out_dir << "/cases.log\n";
    return kExitFailed;
  }
  std::cout << "mqttsim fuzz " << args.url << " (MQTT " << args.mqtt << ", seed " << args.seed
            << "): " << result.stats.cases << " cases in " << result.stats.duration_s << " s, "
            << result.findings.size() << " findings (" << unknown << " not known)"
            << (result.target_down ? " (stopped: the broker no longer serves)" : "")
            << "; coverage " << conformance::fuzz::coverage_line(result.stats) << "; run digest "
            << conformance::fuzz::digest_hex(result.run_digest) << "; reports in " << args.out_dir
            << "/\n";
  return unknown == 0 ? kExitOk : kExitFailed;
}

}  // namespace

void add_fuzz_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<FuzzArgs>();
  CLI::App* cmd = app.add_subcommand(
      "fuzz", "Fuzz a broker over TCP or TLS: crashes, hangs, forwarded malformed input");
  cmd->add_option("url", args->url, "tcp://HOST:PORT or tls://HOST:PORT")->required();
  cmd->add_option("--mqtt", args->mqtt, "3.1.1 or 5 (default 3.1.1)");
  CLI::Option* time = cmd->add_option(
      "--time", args->time_s, "seconds to fuzz (default 60; with --cases, no limit unless given)");
  cmd->add_option("--seed", args->seed, "the run's seed (default 1)");
  cmd->add_option("--out", args->out_dir, "report directory (default fuzz-report)");
  cmd->add_option("--replay", args->replay_file, "run one saved finding (findings/*.json) again")
      ->check(CLI::ExistingFile);
  cmd->add_option("--cases,--max-cases", args->max_cases,
                  "run exactly this many cases (the exact-repeat mode; a --time given may end "
                  "it first); default: no limit");
  cmd->add_option("--reply-ms", args->reply_ms,
                  "how long a step waits for the replies the broker owes for it (500)");
  cmd->add_option("--settle-ms", args->settle_ms, "quiet time after a case's last step (15)");
  cmd->add_option("--probe-ms", args->probe_ms, "a slower health-probe step is a hang (2000)");
  cmd->add_option("--minimise-s", args->minimise_s,
                  "seconds per finding to shrink it by replaying against the broker (30; 0: off)");
  cmd->add_option("--known", args->known_file,
                  "known deviations (KIND RULE lines): such findings are reported, exit 0")
      ->check(CLI::ExistingFile);
  cmd->add_option("--cafile", args->tls.ca_file, "TLS: CA certificates (PEM)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--cert", args->tls.cert_file, "TLS: client certificate (PEM)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--key", args->tls.key_file, "TLS: client private key (PEM)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--insecure", args->tls.insecure, "TLS: do not verify the broker's certificate");
  cmd->callback([args, time, &exit_code] {
    // --cases alone is the exact-repeat mode: the count, not the clock, ends the run.
    if (args->max_cases > 0 && time->count() == 0) args->time_s = 1e12;
    exit_code = run_fuzz_command(*args);
  });
}

}  // namespace mqttsim::cli
