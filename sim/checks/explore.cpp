// The exploration loop over RapidCheck. rc::check reads its seed and run count from RC_PARAMS
// and prints to stderr; `mqttsim check` and the tests need both under their own control and a
// progress callback, so this calls rc::detail::checkProperty with explicit TestParams and a
// TestListener (a detail API: the one Debian's librapidcheck-dev ships is what this builds on).
#include "sim/checks/explore.hpp"

#include <rapidcheck.h>

#include <algorithm>

#include "sim/scenario/load.hpp"
#include "sim/scenario/world.hpp"

namespace mqttsim::sim::checks {
namespace {

class ProgressListener final : public rc::detail::TestListener {
 public:
  ProgressListener(int runs, const std::function<void(const ExploreProgress&)>& callback)
      : callback_(callback) {
    progress_.runs = runs;
  }
  void onTestCaseFinished(const rc::detail::CaseDescription& /*description*/) override {
    if (!progress_.shrinking) ++progress_.runs_done;
    report();
  }
  void onShrinkTried(const rc::detail::CaseDescription& /*shrink*/, bool accepted) override {
    progress_.shrinking = true;
    ++progress_.shrinks_tried;
    if (accepted) ++accepted_;
    report();
  }
  void onTestFinished(const rc::detail::TestMetadata& /*metadata*/,
                      const rc::detail::TestResult& /*result*/) override {}
  int runs_done() const { return progress_.runs_done; }
  int accepted() const { return accepted_; }

 private:
  void report() {
    if (callback_) callback_(progress_);
  }
  const std::function<void(const ExploreProgress&)>& callback_;
  ExploreProgress progress_;
  int accepted_ = 0;
};

std::vector<Violation> only(std::vector<Violation> all, std::optional<Invariant> target) {
  if (!target) return all;
  all.erase(std::remove_if(all.begin(), all.end(),
                           [&](const Violation& v) { return v.invariant != *target; }),
            all.end());
  return all;
}

std::vector<std::string> header_lines(const ExploreOptions& options, const Violation& v,
                                      int found_after, int steps, const std::string& size) {
  const std::string mutant =
      options.mutant ? std::string(protocol::mutant_name(*options.mutant)) : std::string();
  return {"mqttsim check counterexample: invariant " + std::string(invariant_name(v.invariant)) +
              " broken " +
              (options.mutant ? "with mutant " + mutant : "by the cores without mutants"),
          "rule: " + v.rule,
          "violation: " + v.message,
          "found after " + std::to_string(found_after) +
              " generated scenarios (mqttsim check --seed " + std::to_string(options.seed) +
              "), shrunk in " + std::to_string(steps) + " steps to " + size,
          "replay: mqttsim run THIS_FILE " + (options.mutant ? "--mutant " + mutant : "--check") +
              "   (prints the violations, exits 1)",
          ""};
}

}  // namespace

CaseResult run_case(const std::string& yaml_text, protocol::MutantSet broker_mutants,
                    protocol::MutantSet client_mutants) {
  CaseResult result;
  const scenario::LoadResult loaded = scenario::parse_scenario(yaml_text, "<generated>");
  if (!loaded.spec) {
    result.load_errors = loaded.errors;
    return result;
  }
  scenario::WorldOptions options;
  options.broker_mutants = broker_mutants;
  options.client_mutants = client_mutants;
  try {
    scenario::World world(*loaded.spec, options);
    world.run();
    result.violations = check_all(check_input(world));
    result.messages = world.ledger().message_count();
    result.deliveries = world.ledger().deliveries().size();
    for (const nodes::DeliveryRecord& d : world.ledger().deliveries()) {
      result.retained_copies += d.retain ? 1 : 0;
    }
    for (nodes::MessageKey key = 1; key <= result.messages; ++key) {
      const nodes::MessageRecord& m = world.ledger().message(key);
      result.reported_lost += m.acked_ns != nodes::kNeverNs && !m.acked() ? 1 : 0;
    }
  } catch (const scenario::WorldError& e) {
    result.load_errors.push_back(e.what());
  }
  return result;
}

CaseResult run_case(const std::string& yaml_text, std::optional<protocol::Mutant> mutant) {
  scenario::WorldOptions options;
  if (mutant) options.add_mutant(*mutant);
  return run_case(yaml_text, options.broker_mutants, options.client_mutants);
}

ExploreResult explore(const ExploreOptions& options,
                      const std::function<void(const ExploreProgress&)>& progress) {
  ProgressListener listener(options.runs, progress);
  std::optional<Invariant> target;  // the invariant the first failure broke: shrinking keeps it
  std::optional<GenScenario> last_failing;
  int found_after = 0;
  std::string generator_error;
  const auto property = [&] {
    const GenScenario scenario = *gen_scenario(options.limits);
    const CaseResult r = run_case(to_yaml(scenario, options.limits), options.mutant);
    if (!r.load_errors.empty()) {
      if (target) return;  // a shrink the loader refuses is no smaller counterexample
      generator_error = "a generated scenario did not load: " + r.load_errors.front();
      RC_FAIL(generator_error);
    }
    const std::vector<Violation> kept = only(r.violations, target);
    if (kept.empty()) return;
    if (!target) {
      target = kept.front().invariant;
      found_after = listener.runs_done() + 1;
    }
    last_failing = scenario;
    RC_FAIL(std::string(invariant_name(kept.front().invariant)) + ": " + kept.front().message);
  };
  rc::detail::TestParams params;
  params.seed = options.seed;
  params.maxSuccess = options.runs;
  params.maxSize = 100;
  params.disableShrinking = !options.shrink;
  rc::detail::TestMetadata metadata;
  metadata.id = "mqttsim check";
  metadata.description = "QoS invariants over generated scenarios";
  // The overload with an explicit (empty) reproduce map: the others read RapidCheck's global
  // configuration, which prints a line with a random seed of its own that means nothing here.
  const rc::detail::TestResult outcome =
      rc::detail::checkProperty(rc::detail::toProperty(property), metadata, params, listener, {});

  ExploreResult result;
  rc::detail::SuccessResult success;
  rc::detail::FailureResult failure;
  if (outcome.match(success)) {
    result.runs_passed = success.numSuccess;
    return result;
  }
  if (!outcome.match(failure) || !last_failing) {
    result.error =
        generator_error.empty() ? "RapidCheck stopped without a result" : generator_error;
    if (outcome.match(failure)) result.error += " (" + failure.description + ")";
    return result;
  }
  result.runs_passed = failure.numSuccess;
  // Run the shrunk scenario once more: its file and its violation are what the user replays.
  const std::string plain = to_yaml(*last_failing, options.limits);
  const std::vector<Violation> violations =
      only(run_case(plain, options.mutant).violations, target);
  Counterexample c;
  c.found_after_runs = found_after;
  c.shrink_steps = listener.accepted();
  c.size = describe_size(*last_failing, options.limits);
  c.violations = static_cast<int>(violations.size());
  if (violations.empty()) {
    result.error = "the shrunk counterexample did not fail again (non-deterministic run?)";
    return result;
  }
  c.violation = violations.front();
  c.yaml = to_yaml(*last_failing, options.limits,
                   header_lines(options, c.violation, found_after, c.shrink_steps, c.size));
  result.counterexample = std::move(c);
  return result;
}

}  // namespace mqttsim::sim::checks
