// Minimising a finding against the live broker: delta debugging (Zeller's ddmin) over the
// steps of its input, then over the body bytes of the packet our decoder rejected (with the
// Remaining Length rebuilt), each candidate judged by replaying it. A candidate counts when it
// reproduces the same kind of finding with the same rule; the broker must serve again between
// attempts, so a crashed broker that does not come back ends the minimisation early.
#include <chrono>

#include "conformance/fuzz/executor.hpp"
#include "conformance/fuzz/fuzz.hpp"
#include "conformance/suite/case_helpers.hpp"

namespace mqttsim::conformance::fuzz {
namespace {

using Clock = std::chrono::steady_clock;

class Minimiser {
 public:
  Minimiser(Target& target, const Finding& original, const FuzzOptions& options,
            const MinimiseOptions& limits)
      : target_(target), original_(original), options_(options), limits_(limits) {
    options_.version = original.input.version;
    start_ = Clock::now();
  }

  Minimised run() {
    Minimised out;
    out.input = original_.input;
    out.finding = original_;
    std::vector<Step> steps = original_.input.steps;
    if (!test(steps, out)) {
      out.attempts = attempts_;
      out.note = note_.empty() ? "the finding did not reproduce (replay gave " + last_result_ +
                                     "); not minimised"
                               : note_;
      return out;
    }
    out.reproduced = true;
    out.complete = ddmin<Step>(
        steps, [&](const std::vector<Step>& candidate) { return test(candidate, out); });
    // Then the bytes of the rejected packet, when there is one and a single whole packet holds it.
    const auto at = out.finding.rejected_step;
    if (!stopped_ && at && *at < steps.size()) {
      const Bytes& packet = steps[*at].bytes;
      const std::size_t header = header_size(packet);
      if (header && header < packet.size()) {
        std::vector<std::uint8_t> body(packet.begin() + static_cast<std::ptrdiff_t>(header),
                                       packet.end());
        const std::uint8_t first = packet[0];
        out.complete &= ddmin<std::uint8_t>(body, [&](const std::vector<std::uint8_t>& b) {
          std::vector<Step> candidate = steps;
          candidate[*at].bytes = cases::frame(first, b);
          return test(candidate, out);
        });
      }
    }
    out.attempts = attempts_;
    out.note = note_;
    return out;
  }

 private:
  // The fixed header's size when `packet` is exactly one packet (its Remaining Length, in any
  // number of bytes, counts exactly the rest), else 0.
  static std::size_t header_size(const Bytes& packet) {
    std::size_t i = 1;
    std::uint32_t length = 0;
    for (std::uint32_t shift = 0; i < packet.size() && i < 5; ++i, shift += 7) {
      length |= static_cast<std::uint32_t>(packet[i] & 0x7F) << shift;
      if (!(packet[i] & 0x80)) {
        ++i;
        return i + length == packet.size() ? i : 0;
      }
    }
    return 0;
  }

  bool out_of_budget() {
    const double elapsed_s = std::chrono::duration<double>(Clock::now() - start_).count();
    if (attempts_ >= limits_.max_attempts) note_ = "attempt budget spent";
    if (elapsed_s >= limits_.budget_s) note_ = "time budget spent";
    stopped_ |= !note_.empty();
    return stopped_;
  }

  // Replays `candidate`; true (and `best` updated) when it reproduces the original finding.
  bool test(const std::vector<Step>& candidate, Minimised& best) {
    if (stopped_ || out_of_budget()) return false;
    if (!serves()) {
      note_ = "the broker did not serve again within " + std::to_string(limits_.recover_s) +
              " s after a reproduction";
      stopped_ = true;
      return false;
    }
    ++attempts_;
    const auto finding = replay(target_, FuzzInput{options_.version, candidate}, options_);
    last_result_ = finding ? finding->signature : "no finding";
    if (!finding || finding->kind != original_.kind || finding->rule != original_.rule) {
      return false;
    }
    best.input = FuzzInput{options_.version, candidate};
    best.finding = *finding;
    return true;
  }

  // Waits (up to recover_s) until the broker passes the health probe again.
  bool serves() {
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(limits_.recover_s));
    Executor executor(target_, options_);
    return executor.serves_until(deadline);
  }

  // ddmin, complements only: remove chunks while the test passes,
  // doubling the granularity when nothing can go. True when it reached 1-minimality.
  template <typename T, typename Test>
  bool ddmin(std::vector<T>& items, const Test& test) {
    std::size_t n = 2;
    while (items.size() >= 2) {
      const std::size_t chunk = (items.size() + n - 1) / n;
      bool reduced = false;
      for (std::size_t start = 0; start < items.size() && !reduced; start += chunk) {
        const std::size_t end = std::min(start + chunk, items.size());
        std::vector<T> complement(items.begin(),
                                  items.begin() + static_cast<std::ptrdiff_t>(start));
        complement.insert(complement.end(), items.begin() + static_cast<std::ptrdiff_t>(end),
                          items.end());
        if (test(complement)) {
          items = std::move(complement);
          n = std::max<std::size_t>(n - 1, 2);
          reduced = true;
        }
      }
      if (stopped_) return false;
      if (reduced) continue;
      if (n >= items.size()) return true;
      n = std::min(n * 2, items.size());
    }
    return !stopped_;
  }

  Target& target_;
  const Finding& original_;
  FuzzOptions options_;
  MinimiseOptions limits_;
  Clock::time_point start_;
  std::size_t attempts_ = 0;
  bool stopped_ = false;
  std::string note_;
  std::string last_result_;  // what the last replay found, for the note
};

}  // namespace

Minimised minimise(Target& target, const Finding& finding, const FuzzOptions& options,
                   const MinimiseOptions& limits) {
  Minimiser m(target, finding, options, limits);
  return m.run();
}

}  // namespace mqttsim::conformance::fuzz
