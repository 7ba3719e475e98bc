// The suite runner: selects case instances (case x version), discovers capabilities, runs the
// instances on a pool of threads, and assembles the report in the suite's stable order.
#include "conformance/suite/runner.hpp"

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <thread>

namespace mqttsim::conformance {

using namespace protocol;
using reports::Verdict;

bool matches_pattern(std::string_view pattern, std::string_view id) {
  if (pattern.empty()) return true;
  if (pattern.find_first_of("*?") == std::string_view::npos) {
    return id.find(pattern) != std::string_view::npos;
  }
  // Glob with backtracking over the last '*'.
  std::size_t p = 0, s = 0, star = std::string_view::npos, mark = 0;
  while (s < id.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == id[s])) {
      ++p, ++s;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = s;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

struct Instance {
  const Case* c;
  Version version;
  std::size_t index;
};

std::string base36(std::uint64_t n, std::size_t width) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(width, '0');
  for (std::size_t i = width; i-- > 0; n /= 36) out[i] = kDigits[n % 36];
  return out;
}

// Different on every run, so leftovers of an earlier run (retained messages, sessions) cannot
// meet this one's client ids or topics.
std::string run_tag() {
  const auto ns = std::chrono::system_clock::now().time_since_epoch().count();
  const std::uint64_t mixed = static_cast<std::uint64_t>(ns) * 0x9E3779B97F4A7C15ull ^
                              static_cast<std::uint64_t>(::getpid());
  return base36(mixed >> 20, 4);
}

std::string iso_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

reports::CaseResult base_result(const Instance& in) {
  reports::CaseResult r;
  r.id = in.c->id;
  r.title = in.c->title;
  r.area = in.c->area;
  r.mqtt_version = std::string(version_name(in.version));
  r.statements =
      is_v5(in.version) && !in.c->statements_v5.empty() ? in.c->statements_v5 : in.c->statements;
  return r;
}

bool reachable(Target& target) {
  auto world = target.new_world();
  std::string error;
  const auto link = world->open(error);
  if (link) world->close(*link);
  return link.has_value();
}

reports::CaseResult run_instance(Target& target, const Instance& in, const Capabilities& caps,
                                 const RunSettings& settings, const std::string& tag) {
  reports::CaseResult r = base_result(in);
  for (Capability need : in.c->needs) {
    if (!caps.has(need)) {
      r.verdict = Verdict::skipped;
      r.reason = "skipped (capability): the broker lacks " + std::string(capability_name(need));
      return r;
    }
  }
  auto world = target.new_world();
  const std::string stem = "mq" + tag + base36(in.index, 3) + (is_v5(in.version) ? "5" : "4");
  // The case id without its dots: a broker that maps '.' in topics (RabbitMQ turns it into '/',
  // AMQP's routing-key separator) would otherwise fail every case for that one deviation, which
  // the dot rows of the matching matrix report on their own.
  std::string id_in_topic = in.c->id;
  std::replace(id_in_topic.begin(), id_in_topic.end(), '.', '-');
  const std::string prefix = "mqttsim-conf/" + tag + "/" + id_in_topic + "/v" +
                             std::to_string(static_cast<int>(in.version)) + "/";
  CaseContext ctx(*world, in.version, caps, settings, stem, prefix);
  const auto started = std::chrono::steady_clock::now();
  try {
    in.c->run(ctx);
    r.verdict = Verdict::pass;
  } catch (const CaseOutcome& outcome) {
    r.verdict = outcome.verdict;
    r.statement = outcome.statement;
    r.reason = outcome.reason;
    r.expected = outcome.expected;
    if (outcome.unreachable) r.reason = "error (broker unreachable): " + r.reason;
  } catch (const std::exception& e) {
    r.verdict = Verdict::error;
    r.reason = std::string("exception: ") + e.what();
  }
  r.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  r.evidence = ctx.take_transcript();
  return r;
}

// Declared deviations (the profile's known bugs of this broker): a failure the profile declares
// becomes `deviation`, which keeps its evidence but does not fail the run; a declared case that
// passes becomes `stale` (it fails the run) unless the declaration says the case is flaky.
// Other verdicts stay: a skip or an inconclusive run says nothing about the declaration.
void apply_declaration(const std::optional<Profile>& profile, reports::CaseResult& r) {
  if (!profile) return;
  const Deviation* d = find_deviation(*profile, r.id, r.mqtt_version);
  if (d == nullptr) return;
  if (r.verdict == Verdict::fail) {
    r.verdict = Verdict::deviation;
    r.declared_deviation = d->reason;
  } else if (r.verdict == Verdict::pass && !d->flaky) {
    r.verdict = Verdict::stale;
    r.declared_deviation = d->reason;
    r.reason = "stale declaration: the profile (line " + std::to_string(d->line) +
               ") declares this case a deviation, but it passed; remove the declaration";
  }
}

// Discovery per version, then the profile's declarations on top; records both in the report.
// Sets `unreachable` when the broker cannot be reached at all.
std::map<Version, Capabilities> discover_all(Target& target, const SuiteOptions& options,
                                             const RunSettings& settings,
                                             reports::ConformanceReport& report,
                                             std::atomic<bool>& unreachable) {
  std::map<Version, Capabilities> caps;
  for (Version v : options.versions) {
    std::vector<std::string> notes;
    Capabilities found;
    std::string source = "discovered";
    try {
      found = discover_capabilities(target, v, settings, notes);
    } catch (const CaseOutcome& outcome) {
      notes.push_back("discovery failed: " + outcome.reason);
      source = "defaults (discovery failed)";
      if (outcome.unreachable || !reachable(target)) unreachable = true;
    }
    if (options.profile) {
      apply_profile(*options.profile, found);  // validated when loaded
      source += "+profile";
    }
    caps[v] = found;
    reports::CapabilitySet set{std::string(version_name(v)), source, found.describe()};
    for (const std::string& n : notes) set.values.emplace_back("note", n);
    report.capabilities.push_back(std::move(set));
  }
  return caps;
}

}  // namespace

reports::ConformanceReport run_suite(Target& target, const std::vector<Case>& cases,
                                     const SuiteOptions& options) {
  reports::ConformanceReport report;
  report.program_version = options.program_version;
  report.target = target.describe();
  report.started_utc = iso_now();
  const auto started = std::chrono::steady_clock::now();
  RunSettings settings = options.settings;
  if (options.profile) {
    if (options.profile->username) settings.username = options.profile->username;
    if (options.profile->password) settings.password = options.profile->password;
    if (options.profile->response_ms)
      settings.response_timeout_ns = *options.profile->response_ms * 1'000'000;
    if (options.profile->silence_ms) settings.silence_ns = *options.profile->silence_ms * 1'000'000;
  }

  std::vector<Instance> instances;
  for (Version v : options.versions) {
    for (const Case& c : cases) {
      const std::uint8_t bit = is_v5(v) ? kV5 : kV311;
      if ((c.versions & bit) == 0 || !matches_pattern(options.only, c.id)) continue;
      instances.push_back({&c, v, instances.size()});
    }
  }

  std::atomic<bool> unreachable{false};
  const std::map<Version, Capabilities> caps =
      discover_all(target, options, settings, report, unreachable);

  const std::string tag = run_tag();
  std::vector<reports::CaseResult> results(instances.size());
  std::atomic<std::size_t> next{0};
  std::mutex lock;
  // Phase 1 runs the ordinary cases on the pool; phase 2 the stress probes, alone, in order.
  std::vector<std::size_t> pooled, alone;
  for (const Instance& in : instances) (in.c->runs_alone ? alone : pooled).push_back(in.index);
  auto run_one = [&](std::size_t i) {
    const Instance& in = instances[i];
    reports::CaseResult r;
    if (unreachable) {
      r = base_result(in);
      r.verdict = Verdict::error;
      r.reason = "error (broker unreachable): not run";
    } else {
      r = run_instance(target, in, caps.at(in.version), settings, tag);
      // A broker that died mid-case makes that case's verdict meaningless: recheck.
      const bool suspect =
          r.verdict == Verdict::fail || r.verdict == Verdict::inconclusive ||
          (r.verdict == Verdict::error && r.reason.find("unreachable") != std::string::npos);
      if (suspect && !reachable(target)) {
        unreachable = true;
        if (r.verdict != Verdict::error) {
          r.reason = "error (broker unreachable) after: " + r.reason;
          r.verdict = Verdict::error;
        }
      }
    }
    apply_declaration(options.profile, r);
    std::lock_guard<std::mutex> guard(lock);
    if (options.on_case) options.on_case(r);
    results[i] = std::move(r);
  };
  auto worker = [&] {
    for (std::size_t k; (k = next++) < pooled.size();) run_one(pooled[k]);
  };
  std::vector<std::thread> threads;
  const unsigned jobs = std::max(1u, std::min<unsigned>(options.jobs, 64));
  for (unsigned j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
  for (std::size_t i : alone) run_one(i);

  report.cases = std::move(results);
  report.duration_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace mqttsim::conformance
