// `mqttsim conform`: runs the conformance suite against a broker over TCP or TLS and writes
// report.json, junit.xml and report.html. Exit 1 when any case fails or errs, or when a
// deviation the profile declares passed (a stale declaration); declared deviations that fail
// as declared keep the exit code 0.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/commands.hpp"
#include "conformance/suite/runner.hpp"
#include "reports/conformance_compare.hpp"

namespace mqttsim::cli {
namespace {

struct ConformArgs {
  std::string url;
  std::string mqtt = "both";
  std::string profile_path;
  std::string user;
  std::string password;
  std::string only;
  unsigned jobs = 4;
  std::string out_dir = "conformance-report";
  conformance::TlsOptions tls;
  std::int64_t response_ms = 2000;
  std::int64_t silence_ms = 300;
  bool list = false;
  std::vector<std::string> compare;
  bool quiet = false;
};

int list_cases(const ConformArgs& args) {
  for (const conformance::Case& c : conformance::all_cases()) {
    if (!conformance::matches_pattern(args.only, c.id)) continue;
    std::cout << c.id << "  [" << ((c.versions & conformance::kV311) ? "3.1.1" : "")
              << (c.versions == conformance::kBoth ? "," : "")
              << ((c.versions & conformance::kV5) ? "5.0" : "") << "]  " << c.title << "\n";
  }
  return kExitOk;
}

// --compare: the broker matrix of earlier runs, as text on stdout and compare.html in --out.
int compare_reports(const ConformArgs& args) {
  std::vector<reports::ConformanceReport> loaded;
  for (const std::string& path : args.compare) {
    auto r = reports::read_conformance_json(path);
    if (auto* e = std::get_if<std::string>(&r)) {
      std::cerr << "mqttsim conform: " << *e << "\n";
      return kExitUsage;
    }
    loaded.push_back(std::move(std::get<reports::ConformanceReport>(r)));
  }
  reports::write_compare_text(loaded, std::cout);
  std::error_code ec;
  std::filesystem::create_directories(args.out_dir, ec);
  const std::string html = (std::filesystem::path(args.out_dir) / "compare.html").string();
  std::ofstream out(html);
  reports::write_compare_html(loaded, out);
  if (!out) {
    std::cerr << "mqttsim conform: cannot write " << html << "\n";
    return kExitFailed;
  }
  std::cout << "matrix: " << html << "\n";
  return kExitOk;
}

int run_conform(const ConformArgs& args) {
  if (args.list) return list_cases(args);
  if (!args.compare.empty()) return compare_reports(args);
  std::string error;
  const auto endpoint = conformance::parse_endpoint(args.url, error);
  if (!endpoint) {
    std::cerr << "mqttsim conform: " << error << "\n";
    return kExitUsage;
  }
  conformance::SuiteOptions options;
  if (args.mqtt == "3.1.1") {
    options.versions = {protocol::Version::v3_1_1};
  } else if (args.mqtt == "5" || args.mqtt == "5.0") {
    options.versions = {protocol::Version::v5};
  } else if (args.mqtt != "both") {
    std::cerr << "mqttsim conform: --mqtt: expected 3.1.1, 5 or both, got " << args.mqtt << "\n";
    return kExitUsage;
  }
  if (!args.profile_path.empty()) {
    auto loaded = conformance::load_profile(args.profile_path);
    if (auto* e = std::get_if<std::string>(&loaded)) {
      std::cerr << "mqttsim conform: " << *e << "\n";
      return kExitUsage;
    }
    options.profile = std::get<conformance::Profile>(loaded);
  }
  options.settings.response_timeout_ns = args.response_ms * 1'000'000;
  options.settings.silence_ns = args.silence_ms * 1'000'000;
  if (!args.user.empty()) options.settings.username = args.user;
  if (!args.password.empty()) options.settings.password = args.password;
  options.only = args.only;
  options.jobs = args.jobs;
  options.program_version = MQTTSIM_VERSION;
  options.on_case = [&args](const reports::CaseResult& r) {
    if (args.quiet && r.verdict == reports::Verdict::pass) return;
    std::cerr << (r.verdict == reports::Verdict::deviation ? "deviation (declared)"
                                                           : reports::verdict_name(r.verdict))
              << "  " << r.mqtt_version << "  " << r.id;
    if (r.verdict == reports::Verdict::deviation) std::cerr << "  [" << r.declared_deviation << "]";
    if (r.verdict != reports::Verdict::pass) {
      std::cerr << "  " << (r.statement.empty() ? "" : r.statement + ": ") << r.reason;
    }
    std::cerr << "\n";
  };
  std::unique_ptr<conformance::Target> target;
  try {
    target = conformance::make_network_target(*endpoint, args.tls);
  } catch (const std::exception& e) {
    std::cerr << "mqttsim conform: TLS setup: " << e.what() << "\n";
    return kExitUsage;
  }
  const reports::ConformanceReport report =
      conformance::run_suite(*target, conformance::all_cases(), options);
  for (const reports::CapabilitySet& set : report.capabilities) {
    for (const auto& [name, value] : set.values) {
      if (name == "note") std::cerr << "MQTT " << set.mqtt_version << ": " << value << "\n";
    }
  }
  for (const std::string& e : reports::write_conformance_reports(report, args.out_dir)) {
    std::cerr << "mqttsim conform: " << e << "\n";
  }
  std::cout << "mqttsim conform " << report.target << ": " << report.cases.size() << " cases, "
            << report.count(reports::Verdict::pass) << " pass, "
            << report.count(reports::Verdict::fail) << " fail, "
            << report.count(reports::Verdict::deviation) << " deviation (declared), "
            << report.count(reports::Verdict::stale) << " stale, "
            << report.count(reports::Verdict::skipped) << " skipped, "
            << report.count(reports::Verdict::inconclusive) << " inconclusive, "
            << report.count(reports::Verdict::error) << " error in " << report.duration_s
            << " s; reports in " << args.out_dir << "/\n";
  return report.any_failed() ? kExitFailed : kExitOk;
}

}  // namespace

void add_conform_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ConformArgs>();
  CLI::App* cmd = app.add_subcommand(
      "conform", "Run the MQTT conformance suite against a broker (tcp://HOST:PORT, tls://...)");
  cmd->add_option("url", args->url, "tcp://HOST:PORT or tls://HOST:PORT");
  cmd->add_option("--mqtt", args->mqtt, "3.1.1, 5 or both (default both)");
  cmd->add_option("--profile", args->profile_path,
                  "YAML broker profile: capabilities, credentials, declared deviations")
      ->check(CLI::ExistingFile);
  cmd->add_option("--user", args->user, "user name for every CONNECT");
  cmd->add_option("--password", args->password, "password for every CONNECT");
  cmd->add_option("--only", args->only, "run only cases whose id matches (glob or substring)");
  cmd->add_option("--jobs", args->jobs, "cases run in parallel (default 4)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--out", args->out_dir, "report directory (default conformance-report)");
  cmd->add_option("--cafile", args->tls.ca_file, "TLS: CA certificates (PEM)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--cert", args->tls.cert_file, "TLS: client certificate (PEM)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--key", args->tls.key_file, "TLS: client private key (PEM)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--insecure", args->tls.insecure, "TLS: do not verify the broker's certificate");
  cmd->add_option("--response-ms", args->response_ms, "how long to wait for an answer (2000)");
  cmd->add_option("--silence-ms", args->silence_ms, "how long 'nothing arrives' is watched (300)");
  cmd->add_flag("--list", args->list, "list the cases (with --only: the selected ones) and exit");
  cmd->add_flag("--quiet", args->quiet, "print only cases that did not pass");
  cmd->add_option("--compare", args->compare,
                  "report.json files of earlier runs: print the broker matrix (and compare.html)")
      ->check(CLI::ExistingFile);
  cmd->callback([args, &exit_code, cmd] {
    if (args->url.empty() && !args->list && args->compare.empty()) {
      std::cerr << "mqttsim conform: a broker URL is required\n" << cmd->help();
      exit_code = kExitUsage;
      return;
    }
    exit_code = run_conform(*args);
  });
}

}  // namespace mqttsim::cli
