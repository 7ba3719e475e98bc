// `mqttsim check [--runs N] [--seed S] [--max-clients K] [--mutant NAME] [--out DIR]`: the
// random exploration of issue 6 outside the unit tests. Generated scenarios run through the
// simulator and the QoS invariants; a failure is shrunk and written as a replayable YAML file.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "sim/checks/explore.hpp"

namespace mqttsim::cli {
namespace {

struct CheckArgs {
  int runs = 100;
  std::uint64_t seed = 1;
  int max_clients = 50;
  std::string mutant;
  std::string out_dir = "mqttsim-out/check";
  bool keep_going = false;
  bool no_shrink = false;
  bool quiet = false;
};

// One line redrawn in place on stderr: scenarios done, then the shrinking.
void draw(const sim::checks::ExploreProgress& p, int runs_before, int runs_total) {
  const int done = runs_before + p.runs_done;
  const int filled = runs_total > 0 ? done * 30 / runs_total : 30;
  std::fprintf(stderr, "\r[%.*s%*s] %d/%d scenarios", filled,
               "==============================", 30 - filled, "", done, runs_total);
  if (p.shrinking) std::fprintf(stderr, "  shrinking: %d tried", p.shrinks_tried);
  std::fprintf(stderr, "   ");
  std::fflush(stderr);
}

int check(const CheckArgs& args) {
  sim::checks::ExploreOptions options;
  options.limits.max_clients = args.max_clients;
  options.shrink = !args.no_shrink;
  if (!args.mutant.empty()) {
    options.mutant = protocol::parse_mutant(args.mutant);
    if (!options.mutant) {
      std::cerr << "mqttsim check: --mutant: no mutant named '" << args.mutant << "'; known:";
      for (const protocol::Mutant m : protocol::kAllMutants)
        std::cerr << " " << protocol::mutant_name(m);
      std::cerr << "\n";
      return kExitUsage;
    }
  }
  if (args.runs < 1 || args.max_clients < 2) {
    std::cerr << "mqttsim check: --runs must be >= 1 and --max-clients >= 2\n";
    return kExitUsage;
  }
  const bool bar = !args.quiet && isatty(STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  int runs_done = 0, found = 0;
  for (int round = 0; runs_done < args.runs; ++round) {
    options.runs = args.runs - runs_done;
    options.seed = args.seed + static_cast<std::uint64_t>(round);
    const sim::checks::ExploreResult r =
        sim::checks::explore(options, [&](const sim::checks::ExploreProgress& p) {
          if (bar) draw(p, runs_done, args.runs);
        });
    if (bar) std::fprintf(stderr, "\n");
    if (!r.error.empty()) {
      std::cerr << "mqttsim check: " << r.error << "\n";
      return kExitFailed;
    }
    if (!r.counterexample) {
      runs_done += r.runs_passed;
      break;
    }
    const sim::checks::Counterexample& c = *r.counterexample;
    runs_done += c.found_after_runs;
    std::error_code ec;
    std::filesystem::create_directories(args.out_dir, ec);
    const std::filesystem::path file =
        std::filesystem::path(args.out_dir) /
        ("counterexample-seed" + std::to_string(options.seed) + ".yaml");
    std::ofstream out(file);
    if (ec || !(out << c.yaml)) {
      std::cerr << "mqttsim check: cannot write " << file.string() << "\n";
      return kExitFailed;
    }
    ++found;
    std::cout << "FAIL " << sim::checks::invariant_name(c.violation.invariant) << " ("
              << c.violation.rule << ") after " << c.found_after_runs << " scenarios (seed "
              << options.seed << ")\n  " << c.violation.message << "\n  shrunk in "
              << c.shrink_steps << " steps to " << c.size << ": " << file.string()
              << "\n  replay: mqttsim run " << file.string()
              << (options.mutant ? " --mutant " + args.mutant : " --check") << "\n";
    if (!args.keep_going) break;
  }
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!args.quiet || found == 0) {
    std::cout << (found ? "mqttsim check: " + std::to_string(found) + " counterexample(s)"
                        : "mqttsim check: every invariant held")
              << " in " << runs_done << " scenarios (seed " << args.seed
              << (options.mutant ? ", mutant " + args.mutant : std::string()) << ", "
              << static_cast<int>(wall_s * 10) / 10.0 << " s)\n";
  }
  return found ? kExitFailed : kExitOk;
}

}  // namespace

void add_check_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check", "property-based QoS exploration: random scenarios against the QoS invariants");
  cmd->add_option("--runs", args->runs, "generated scenarios to run (default 100)");
  cmd->add_option("--seed", args->seed, "RapidCheck seed of the exploration (default 1)");
  cmd->add_option("--max-clients", args->max_clients, "most clients in one scenario (default 50)");
  cmd->add_option("--mutant", args->mutant,
                  "turn on one fault switch (protocol/mutants.hpp) to see the checks catch it");
  cmd->add_option("--out", args->out_dir, "where counterexamples go (default mqttsim-out/check)");
  cmd->add_flag("--keep-going", args->keep_going,
                "after a counterexample, explore on (next seed) until --runs are used");
  cmd->add_flag("--no-shrink", args->no_shrink,
                "write the first failing scenario as found (faster; for measuring)");
  cmd->add_flag("--quiet", args->quiet, "no progress bar");
  cmd->callback([args, &exit_code] { exit_code = check(*args); });
}

}  // namespace mqttsim::cli
