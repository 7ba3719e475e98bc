// Distributions by inversion or rejection over Rng, and the deterministic log/exp they need
// (fdlibm's argument reductions with plain series, no table, no fused multiply-add).
#include "sim/distributions.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace mqttsim::sim {
namespace {

// ln 2 split so that n * kLn2Hi is exact for |n| < 2^11 (fdlibm's constants).
constexpr double kLn2Hi = 0x1.62e42feep-1;
constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;
constexpr double kInvLn2 = 0x1.71547652b82fep0;
constexpr double kSqrtHalf = 0x1.6a09e667f3bcdp-1;

// Uniform in (0, 1]: never 0, so its log is finite.
double unit_open_below(Rng& rng) {
  return 1.0 - rng.next_unit();
}

}  // namespace

double det_log(double x) {
  if (std::isnan(x) || x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return -std::numeric_limits<double>::infinity();
  if (std::isinf(x)) return x;
  int exponent = 0;
  double m = std::frexp(x, &exponent);  // exact: x = m * 2^exponent, m in [0.5, 1)
  if (m < kSqrtHalf) {
    m *= 2;
    --exponent;
  }
  // log(m) = 2 atanh(s) with s = (m - 1) / (m + 1), |s| <= 0.1716: ten odd terms reach 1e-17.
  const double s = (m - 1) / (m + 1);
  const double z = s * s;
  double series = 1.0 / 21;
  for (int k = 9; k >= 1; --k) series = series * z + 1.0 / (2 * k + 1);
  const double log_m = 2 * s + 2 * s * z * series;
  const double n = exponent;
  return n * kLn2Hi + (n * kLn2Lo + log_m);
}

double det_exp(double x) {
  if (std::isnan(x)) return x;
  if (x > 709.782712893384) return std::numeric_limits<double>::infinity();
  if (x < -745.1332191019412) return 0.0;
  // x = n ln2 + r with |r| <= ln2 / 2, then a degree-14 Taylor polynomial for e^r.
  const double n = std::floor(x * kInvLn2 + 0.5);
  const double r = (x - n * kLn2Hi) - n * kLn2Lo;
  double series = 1.0;
  for (int k = 14; k >= 1; --k) series = 1.0 + series * r / k;
  return std::ldexp(series, static_cast<int>(n));
}

void throw_empty_range() {
  throw std::invalid_argument("uniform_int: lo > hi");
}

double exponential(Rng& rng, double mean) {
  return -mean * det_log(unit_open_below(rng));
}

double normal(Rng& rng, double mean, double stddev) {
  double u = 0;
  double s = 0;
  do {
    u = 2 * rng.next_unit() - 1;
    const double v = 2 * rng.next_unit() - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  return mean + stddev * u * std::sqrt(-2 * det_log(s) / s);
}

double lognormal(Rng& rng, double mu, double sigma) {
  return det_exp(normal(rng, mu, sigma));
}

double pareto(Rng& rng, double scale, double shape) {
  return scale * det_exp(-det_log(unit_open_below(rng)) / shape);
}

TimeNs round_to_ns_outside(double duration_ns) {
  if (std::isnan(duration_ns)) throw std::invalid_argument("round_to_ns: NaN duration");
  // 2^63 is exactly representable; anything at or beyond it saturates.
  return duration_ns > 0 ? kTimeMaxNs : std::numeric_limits<TimeNs>::min();
}

}  // namespace mqttsim::sim
