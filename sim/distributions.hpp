// Our own distributions over Rng, the same numbers on every platform: the standard library's
// distributions differ between implementations, and libm's log/exp may differ between versions,
// so det_log/det_exp below use only +, -, *, / and sqrt (exactly rounded by IEEE 754).
#pragma once

#include <cstdint>

#include "sim/random.hpp"
#include "sim/time.hpp"

namespace mqttsim::sim {

// Natural log and exp from basic operations only; within 2 ulp of the true value. det_log
// wants x > 0 (gives -inf at 0, NaN below); det_exp saturates to +inf and 0.
double det_log(double x);
double det_exp(double x);

// Each draw below consumes a fixed number of generator outputs for given parameters (except
// the normal family's rejection loop and uniform_int's rare retries), always from `rng`.

// Uniform integer in [lo, hi], both included; lo <= hi (else std::invalid_argument). Inline:
// event delays are drawn with it on the kernel's hot path.
[[noreturn]] void throw_empty_range();
inline std::int64_t uniform_int(Rng& rng, std::int64_t lo, std::int64_t hi) {
  if (lo > hi) throw_empty_range();
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  const std::uint64_t offset = span == UINT64_MAX ? rng.next_u64() : rng.below(span + 1);
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + offset);
}
// Uniform real in [lo, hi). Inline, like bernoulli(): every link hop draws both.
inline double uniform_real(Rng& rng, double lo, double hi) {
  return lo + (hi - lo) * rng.next_unit();
}
// Exponential with the given mean (> 0): inversion, -mean * log(u) with u in (0, 1].
double exponential(Rng& rng, double mean);
// Normal by Marsaglia's polar method; the pair's second value is discarded so that a draw
// depends only on how many draws came before, not on a hidden cache.
double normal(Rng& rng, double mean, double stddev);
// exp(normal(mu, sigma)): mu and sigma are those of the underlying normal.
double lognormal(Rng& rng, double mu, double sigma);
// Pareto type I: scale x_m > 0, shape alpha > 0; P(X > x) = (x_m / x)^alpha for x >= x_m.
double pareto(Rng& rng, double scale, double shape);
// True with probability p (clamped to [0, 1]); always consumes one output.
inline bool bernoulli(Rng& rng, double p) {
  return rng.next_unit() < p;
}

// round_to_ns's out-of-range case: NaN throws, |duration| >= 2^63 saturates.
TimeNs round_to_ns_outside(double duration_ns);

// A real duration rounded to whole nanoseconds (half away from zero), saturating at the
// TimeNs range; NaN throws std::invalid_argument. The one bridge from reals to event times.
// Inline, since every link hop and timer jitter goes through it: truncation plus an exact
// fraction test gives llround's result without its library call.
inline TimeNs round_to_ns(double duration_ns) {
  if (!(duration_ns > -0x1p63 && duration_ns < 0x1p63)) return round_to_ns_outside(duration_ns);
  const auto whole = static_cast<TimeNs>(duration_ns);  // toward zero
  // Exact: below 2^53 `whole` is representable and the difference needs no rounding; above
  // it every double is an integer, so the fraction is 0.
  const double fraction = duration_ns - static_cast<double>(whole);
  return whole + (fraction >= 0.5 ? 1 : 0) - (fraction <= -0.5 ? 1 : 0);
}

}  // namespace mqttsim::sim
