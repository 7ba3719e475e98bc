// `mqttsim run SCENARIO.yaml [--seed N] [--out DIR] [--set k=v]...`: load and check the
// scenario, simulate it with a progress bar on a terminal, print the summary table, and write
// the report directory (report.json, report.html, and on request trace.jsonl, capture.pcap).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "sim/checks/invariants.hpp"
#include "sim/scenario/load.hpp"
#include "sim/scenario/pcap_capture.hpp"
#include "sim/scenario/report.hpp"
#include "sim/scenario/world.hpp"

namespace mqttsim::cli {
namespace {

struct RunArgs {
  std::string scenario_path;
  std::optional<std::uint64_t> seed;
  std::string out_dir;
  std::vector<std::string> overrides;
  bool quiet = false;
  bool check = false;
  std::string mutant;  // replays of `mqttsim check` counterexamples only
};

// One line redrawn in place on stderr: virtual time done, events/s and the ETA.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled), start_(Clock::now()) {}
  void update(const sim::scenario::Progress& p) {
    if (!enabled_) return;
    const double wall_s = seconds_since_start();
    const double done = p.duration_ns ? double(p.virtual_ns) / double(p.duration_ns) : 1.0;
    const int filled = static_cast<int>(done * 30);
    const double eta_s = done > 0 ? wall_s * (1 - done) / done : 0;
    std::fprintf(stderr, "\r[%.*s%*s] %3d%%  virtual %s / %s  %.2f M events/s  ETA %.0f s ", filled,
                 "==============================", 30 - filled, "", static_cast<int>(done * 100),
                 reports::format_duration(p.virtual_ns).c_str(),
                 reports::format_duration(p.duration_ns).c_str(),
                 wall_s > 0 ? double(p.events) / wall_s / 1e6 : 0.0, eta_s);
    std::fflush(stderr);
  }
  void finish() {
    if (enabled_) std::fprintf(stderr, "\n");
  }
  double seconds_since_start() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  Clock::time_point start_;
};

std::string default_out_dir(const std::string& scenario_path) {
  return "mqttsim-out/" + std::filesystem::path(scenario_path).stem().string();
}

int write_file(const std::filesystem::path& path, const std::function<void(std::ostream&)>& body) {
  std::ofstream out(path);
  if (!out) {
    std::cerr << "mqttsim run: cannot write " << path.string() << "\n";
    return kExitFailed;
  }
  body(out);
  return kExitOk;
}

// --check / --mutant: the QoS invariants of `mqttsim check` over this run; prints each violation.
bool check_invariants(const sim::scenario::World& world) {
  const auto start = std::chrono::steady_clock::now();
  const auto violations = sim::checks::check_all(sim::checks::check_input(world));
  const double check_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  constexpr std::size_t kShown = 10;
  for (std::size_t i = 0; i < violations.size() && i < kShown; ++i) {
    const auto& v = violations[i];
    std::cout << "VIOLATION " << sim::checks::invariant_name(v.invariant) << " (" << v.rule
              << "): " << v.message << "\n";
  }
  if (violations.size() > kShown)
    std::cout << "... and " << violations.size() - kShown << " more\n";
  std::cout << "invariants: "
            << (violations.empty() ? "all held"
                                   : std::to_string(violations.size()) + " violation(s)")
            << " (checked in " << static_cast<int>(check_s * 1000) << " ms)\n";
  return violations.empty();
}

int run(const RunArgs& args) {
  const sim::scenario::LoadResult loaded =
      sim::scenario::load_scenario_file(args.scenario_path, args.overrides);
  if (!loaded.spec) {
    for (const std::string& e : loaded.errors) std::cerr << e << "\n";
    std::cerr << "mqttsim run: " << loaded.errors.size() << " error"
              << (loaded.errors.size() == 1 ? "" : "s") << " in the scenario\n";
    return kExitUsage;
  }
  const std::filesystem::path out_dir =
      args.out_dir.empty() ? default_out_dir(args.scenario_path) : args.out_dir;
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    std::cerr << "mqttsim run: --out " << out_dir.string() << ": " << ec.message() << "\n";
    return kExitUsage;
  }
  std::ofstream trace_file;
  std::optional<sim::JsonlTraceSink> trace_sink;
  if (loaded.spec->measure.trace) {
    trace_file.open(out_dir / "trace.jsonl");
    if (!trace_file) {
      std::cerr << "mqttsim run: cannot write " << (out_dir / "trace.jsonl").string() << "\n";
      return kExitFailed;
    }
    trace_sink.emplace(trace_file);
  }
  sim::scenario::WorldOptions options;
  options.seed = args.seed;
  options.trace_sink = trace_sink ? &*trace_sink : nullptr;
  if (!args.mutant.empty()) {
    const auto mutant = protocol::parse_mutant(args.mutant);
    if (!mutant) {
      std::cerr << "mqttsim run: --mutant: no mutant named '" << args.mutant << "'\n";
      return kExitUsage;
    }
    options.add_mutant(*mutant);
  }
  std::optional<sim::scenario::World> world;
  try {
    world.emplace(*loaded.spec, options);
  } catch (const sim::scenario::WorldError& e) {
    std::cerr << args.scenario_path << ": " << e.what() << "\n";
    return e.kind() == sim::scenario::WorldError::Kind::not_built ? kExitNotBuilt : kExitUsage;
  }
  std::ofstream pcap_file;
  std::optional<sim::scenario::PcapCapture> capture;
  if (loaded.spec->measure.pcap) {
    pcap_file.open(out_dir / "capture.pcap", std::ios::binary);
    if (!pcap_file) {
      std::cerr << "mqttsim run: cannot write " << (out_dir / "capture.pcap").string() << "\n";
      return kExitFailed;
    }
    capture.emplace(pcap_file);
    world->set_capture(&*capture);
  }
  ProgressBar bar(!args.quiet && isatty(STDERR_FILENO));
  world->run([&bar](const sim::scenario::Progress& p) { bar.update(p); });
  bar.finish();
  const reports::RunReport report = sim::scenario::make_run_report(
      *world, bar.seconds_since_start(), std::string("mqttsim ") + MQTTSIM_VERSION);
  if (!args.quiet) reports::write_run_summary(report, std::cout);
  if (write_file(out_dir / "report.json",
                 [&](std::ostream& o) { reports::write_run_json(report, o); }) ||
      write_file(out_dir / "report.html",
                 [&](std::ostream& o) { reports::write_run_html(report, o); })) {
    return kExitFailed;
  }
  if (!args.quiet) std::cout << "report: " << (out_dir / "report.html").string() << "\n";
  const bool invariants_held = !(args.check || !args.mutant.empty()) || check_invariants(*world);
  return report.passed() && invariants_held ? kExitOk : kExitFailed;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "simulate a YAML scenario and write its report");
  cmd->add_option("scenario", args->scenario_path, "the scenario file (see scenarios/README.md)")
      ->required();
  cmd->add_option("--seed", args->seed, "override the scenario's seed");
  cmd->add_option("--out", args->out_dir, "report directory (default mqttsim-out/<scenario>)");
  cmd->add_option("--set", args->overrides, "override a value: key.path=value (repeatable)")
      ->take_all()
      ->allow_extra_args(false);
  cmd->add_flag("--quiet", args->quiet, "no progress bar and no summary");
  cmd->add_flag("--check", args->check,
                "also check the QoS invariants of `mqttsim check`; exit 1 on a violation");
  cmd->add_option("--mutant", args->mutant,
                  "for replaying `mqttsim check` counterexamples only: turn on this fault switch "
                  "(implies --check)");
  cmd->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace mqttsim::cli
