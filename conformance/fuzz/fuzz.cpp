// The fuzzing loop: the seed cases first, then generated cases, some grown from a corpus of
// cases that reached a new (state, packet, next state) transition, AFLNet-style. Stops on time,
// on max_cases, or when the broker no longer serves after a finding.
#include "conformance/fuzz/fuzz.hpp"

#include <chrono>
#include <set>
#include <sstream>

#include "conformance/fuzz/executor.hpp"
#include "conformance/fuzz/generator.hpp"
#include "protocol/types.hpp"

namespace mqttsim::conformance::fuzz {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxCorpus = 256;
constexpr std::size_t kMaxSteps = 8;
constexpr std::uint64_t kLoopStream = 0x6C6F6F70;  // "loop"
constexpr std::uint64_t kFnvOffset = 0xCBF29CE484222325ULL;

std::uint64_t fnv(std::uint64_t h, std::uint64_t word) {
  for (int i = 0; i < 8; ++i) {
    h ^= (word >> (8 * i)) & 0xFF;
    h *= 0x100000001B3ULL;
  }
  return h;
}

std::string type_of(const Bytes& bytes) {
  if (bytes.empty()) return "empty";
  const int type = bytes[0] >> 4;
  if (type == 0) return "type 0";
  return std::string(protocol::packet_type_name(static_cast<protocol::PacketType>(type)));
}

std::string class_of(const std::string& label) {
  return label.substr(0, label.find(':'));
}

class Loop {
 public:
  Loop(Target& target, const FuzzOptions& options)
      : options_(options), executor_(target, options), gen_(options.version, options.seed) {}

  FuzzResult run() {
    start_ = Clock::now();
    last_progress_ = start_;
    for (const std::vector<Step>& seed : gen_.seed_cases()) {
      if (done()) break;
      run_one(seed, 0);
    }
    while (!done()) {
      // The loop's choice for this case comes from its own stream forked by the case number:
      // nothing an earlier case did shifts it.
      Prng loop_rng(fork_seed(options_.seed, kLoopStream, result_.stats.cases));
      const bool from_corpus = loop_rng.chance(30);
      const std::uint64_t which = loop_rng.next();
      const std::uint64_t cut = loop_rng.next();
      if (from_corpus && !corpus_.empty()) {
        const std::vector<Step>& base = corpus_[which % corpus_.size()];
        run_one(base, 1 + cut % base.size());
      } else {
        run_one({}, 0);
      }
    }
    result_.stats.duration_s = elapsed_s();
    result_.stats.state_transitions = transitions_.size();
    result_.stats.corpus_size = corpus_.size();
    result_.run_digest = kFnvOffset;
    for (const CaseDigest& c : result_.case_log)
      result_.run_digest = fnv(result_.run_digest, c.digest);
    progress(true);
    return std::move(result_);
  }

 private:
  bool done() const {
    if (result_.target_down) return true;
    if (options_.max_cases && result_.stats.cases >= options_.max_cases) return true;
    return elapsed_s() >= options_.time_s;
  }
  double elapsed_s() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  // Runs `fixed` as it is (a seed case, prefix 0) or its first `prefix` steps then generated ones.
  void run_one(const std::vector<Step>& fixed, std::size_t prefix) {
    gen_.begin_case(result_.stats.cases);
    const bool whole = prefix == 0 && !fixed.empty();
    const std::size_t keep = whole ? fixed.size() : prefix;
    const std::size_t length = whole ? fixed.size() : 2 + gen_.prng().below(kMaxSteps - 1);
    NextStep next = [&](const ReplyState& state, std::size_t i) -> std::optional<Step> {
      if (i < keep) return fixed[i];
      if (i >= length || state.name == "closed") return std::nullopt;
      return i == 0 ? gen_.first_packet() : gen_.next(state);
    };
    CaseRun run = executor_.run_case(next, false, result_.stats.cases);
    ++result_.stats.cases;
    result_.case_log.push_back({case_digest(run.sent), static_cast<std::uint32_t>(run.sent.size()),
                                run.states.empty() ? "none" : run.states.back().name});
    learn(run);
    result_.stats.reply_timeouts += run.reply_timeouts;
    if (run.finding) {
      const auto [it, fresh] =
          by_signature_.emplace(run.finding->signature, result_.findings.size());
      if (fresh) {
        result_.findings.push_back(*run.finding);
        if (options_.on_finding) options_.on_finding(*run.finding);
      } else {
        ++result_.findings[it->second].repeats;
      }
      // A crash or hang: go on only if the broker serves again.
      if (run.finding->kind == FindingKind::crash || run.finding->kind == FindingKind::hang) {
        result_.target_down = !executor_.broker_serves();
      }
    }
    progress(false);
  }

  void learn(const CaseRun& run) {
    bool fresh = false;
    std::string prev = "start";
    for (std::size_t i = 0; i < run.sent.size(); ++i) {
      const Step& s = run.sent[i];
      const std::string kind = type_of(s.bytes) + "/" + class_of(s.label);
      ++result_.stats.coverage[type_of(s.bytes)][class_of(s.label)];
      ++result_.stats.packets_sent;
      const std::string next = i < run.states.size() ? run.states[i].name : "none";
      fresh |= transitions_.insert(prev + "|" + kind + "|" + next).second;
      prev = next;
    }
    if (fresh && corpus_.size() < kMaxCorpus && !run.sent.empty()) corpus_.push_back(run.sent);
  }

  void progress(bool last) {
    if (!options_.on_progress) return;
    const auto now = Clock::now();
    if (!last && now - last_progress_ < std::chrono::seconds(1)) return;
    last_progress_ = now;
    result_.stats.state_transitions = transitions_.size();
    std::ostringstream line;
    line.precision(1);
    line << std::fixed << "fuzz " << elapsed_s() << " s: " << result_.stats.cases << " cases, "
         << static_cast<double>(result_.stats.cases) / std::max(elapsed_s(), 1e-3) << " cases/s, "
         << result_.findings.size() << " findings, coverage " << coverage_line(result_.stats)
         << ", " << transitions_.size() << " transitions, " << result_.stats.reply_timeouts
         << " reply timeouts";
    options_.on_progress(line.str());
  }

  FuzzOptions options_;
  Executor executor_;
  Generator gen_;
  FuzzResult result_;
  std::vector<std::vector<Step>> corpus_;
  std::set<std::string> transitions_;
  std::map<std::string, std::size_t> by_signature_;  // finding signature -> index in findings
  Clock::time_point start_;
  Clock::time_point last_progress_;
};

}  // namespace

std::string finding_kind_name(FindingKind kind) {
  switch (kind) {
    case FindingKind::crash:
      return "crash";
    case FindingKind::hang:
      return "hang";
    case FindingKind::forwarded:
      return "forwarded";
    case FindingKind::tolerated:
      return "tolerated";
    case FindingKind::malformed_reply:
      return "malformed-reply";
  }
  return "unknown";
}

std::uint64_t case_digest(const std::vector<Step>& steps) {
  std::uint64_t h = kFnvOffset;
  for (const Step& s : steps) {
    h = fnv(h, s.bytes.size());
    for (const std::uint8_t b : s.bytes) {
      h ^= b;
      h *= 0x100000001B3ULL;
    }
  }
  return h;
}

std::string digest_hex(std::uint64_t digest) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, digest >>= 4)
    out[static_cast<std::size_t>(i)] = kDigits[digest & 15];
  return out;
}

std::string coverage_line(const FuzzStats& stats) {
  std::set<std::string> classes;
  std::size_t cells = 0;
  for (const auto& [type, row] : stats.coverage) {
    for (const auto& [cls, n] : row) {
      classes.insert(cls);
      if (n) ++cells;
    }
  }
  return std::to_string(stats.coverage.size()) + " types x " + std::to_string(classes.size()) +
         " classes, " + std::to_string(cells) + " cells";
}

FuzzResult run_fuzz(Target& target, const FuzzOptions& options) {
  Loop loop(target, options);
  return loop.run();
}

std::optional<Finding> replay(Target& target, const FuzzInput& input, const FuzzOptions& options) {
  FuzzOptions o = options;
  o.version = input.version;
  Executor executor(target, o);
  NextStep next = [&](const ReplyState&, std::size_t i) -> std::optional<Step> {
    if (i >= input.steps.size()) return std::nullopt;
    return input.steps[i];
  };
  CaseRun run = executor.run_case(next, true, 0);
  return run.finding;
}

}  // namespace mqttsim::conformance::fuzz
