// Our distributions: each one's mean and variance over 200k draws within 5 standard errors, a
// Kolmogorov-Smirnov (continuous) or chi-square (discrete) test at alpha = 0.001, and pinned
// first draws, so that any change to an algorithm (which changes every scenario) is caught.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "sim/distributions.hpp"

using namespace mqttsim::sim;

namespace {

constexpr int kDraws = 200'000;
// The KS critical value at alpha = 0.001 for large n: 1.949 / sqrt(n), about 0.0044 here.
const double kKsCritical = 1.949 / std::sqrt(double{kDraws});

std::vector<double> draw(std::uint64_t seed, const std::function<double(Rng&)>& sample) {
  Rng rng = Rng(seed).fork("distributions-test");
  std::vector<double> xs(kDraws);
  for (double& x : xs) x = sample(rng);
  return xs;
}

// Mean within 5 standard errors; variance within 5 standard errors of the sample variance,
// which for a distribution of kurtosis k is about variance * sqrt((k - 1) / n).
void check_moments(const std::vector<double>& xs, double mean, double variance, double kurtosis) {
  double sum = 0;
  for (double x : xs) sum += x;
  const auto n = static_cast<double>(xs.size());
  const double sample_mean = sum / n;
  double squares = 0;
  for (double x : xs) squares += (x - sample_mean) * (x - sample_mean);
  const double sample_variance = squares / (n - 1);
  CHECK(std::abs(sample_mean - mean) < 5 * std::sqrt(variance / n));
  CHECK(std::abs(sample_variance - variance) < 5 * variance * std::sqrt((kurtosis - 1) / n));
}

double ks_statistic(std::vector<double> xs, const std::function<double(double)>& cdf) {
  std::sort(xs.begin(), xs.end());
  const auto n = static_cast<double>(xs.size());
  double d = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double f = cdf(xs[i]);
    d = std::max({d, static_cast<double>(i + 1) / n - f, f - static_cast<double>(i) / n});
  }
  return d;
}

double normal_cdf(double x, double mean, double stddev) {
  return 0.5 * std::erfc(-(x - mean) / (stddev * std::sqrt(2.0)));
}

}  // namespace

TEST_CASE("det_log and det_exp agree with the C library to within 2 ulp") {
  const double two_ulp = 2 * std::numeric_limits<double>::epsilon();
  Rng rng(3);
  for (int i = 0; i < 100000; ++i) {
    const double x = std::ldexp(1.0 + rng.next_unit(), static_cast<int>(rng.below(2000)) - 1000);
    CHECK(std::abs(det_log(x) - std::log(x)) <= two_ulp * std::max(1.0, std::abs(std::log(x))));
    const double y = uniform_real(rng, -700, 700);
    CHECK(std::abs(det_exp(y) - std::exp(y)) <= two_ulp * std::exp(y));
  }
  CHECK(det_log(1.0) == 0.0);
  CHECK(det_exp(0.0) == 1.0);
  CHECK(det_log(0.0) == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(det_log(-1.0)));
  CHECK(det_exp(1000.0) == std::numeric_limits<double>::infinity());
  CHECK(det_exp(-1000.0) == 0.0);
  CHECK(std::abs(det_log(1e-310) - std::log(1e-310)) < 1e-12);  // subnormal input
}

TEST_CASE("uniform integers cover the range evenly, both ends included") {
  Rng rng = Rng(11).fork("uniform-int");
  std::array<int, 10> counts{};
  for (int i = 0; i < kDraws; ++i) {
    const std::int64_t x = uniform_int(rng, -3, 6);
    REQUIRE(x >= -3);
    REQUIRE(x <= 6);
    ++counts[static_cast<std::size_t>(x + 3)];
  }
  const double expected = kDraws / 10.0;
  double chi_square = 0;
  for (int c : counts) chi_square += (c - expected) * (c - expected) / expected;
  CHECK(chi_square < 27.88);  // 9 degrees of freedom, alpha = 0.001
  CHECK(uniform_int(rng, 5, 5) == 5);
  CHECK_NOTHROW(uniform_int(rng, INT64_MIN, INT64_MAX));
  CHECK_THROWS(uniform_int(rng, 2, 1));
}

TEST_CASE("uniform reals have the mean, variance and distribution of U(lo, hi)") {
  const auto xs = draw(1, [](Rng& rng) { return uniform_real(rng, -2.0, 6.0); });
  check_moments(xs, 2.0, 64.0 / 12, 1.8);
  CHECK(ks_statistic(xs, [](double x) { return (x + 2) / 8; }) < kKsCritical);
  CHECK(*std::min_element(xs.begin(), xs.end()) >= -2.0);
  CHECK(*std::max_element(xs.begin(), xs.end()) < 6.0);
}

TEST_CASE("exponential draws have the configured mean and pass a KS test") {
  const double mean = 0.25;
  const auto xs = draw(2, [mean](Rng& rng) { return exponential(rng, mean); });
  check_moments(xs, mean, mean * mean, 9.0);
  CHECK(ks_statistic(xs, [mean](double x) { return 1 - std::exp(-x / mean); }) < kKsCritical);
}

TEST_CASE("normal draws have the configured mean and deviation and pass a KS test") {
  const auto xs = draw(3, [](Rng& rng) { return normal(rng, 10.0, 3.0); });
  check_moments(xs, 10.0, 9.0, 3.0);
  CHECK(ks_statistic(xs, [](double x) { return normal_cdf(x, 10.0, 3.0); }) < kKsCritical);
}

TEST_CASE("lognormal draws have the moments of exp(N(mu, sigma)) and pass a KS test") {
  const double mu = 1.0;
  const double sigma = 0.5;
  const auto xs = draw(4, [=](Rng& rng) { return lognormal(rng, mu, sigma); });
  const double s2 = sigma * sigma;
  const double kurtosis = std::exp(4 * s2) + 2 * std::exp(3 * s2) + 3 * std::exp(2 * s2) - 3;
  check_moments(xs, std::exp(mu + s2 / 2), (std::exp(s2) - 1) * std::exp(2 * mu + s2), kurtosis);
  CHECK(ks_statistic(xs, [=](double x) { return normal_cdf(std::log(x), mu, sigma); }) <
        kKsCritical);
}

TEST_CASE("Pareto draws have the moments of Pareto(scale, shape) and pass a KS test") {
  const double scale = 2.0;
  const double shape = 5.0;
  const auto xs = draw(5, [=](Rng& rng) { return pareto(rng, scale, shape); });
  const double variance = scale * scale * shape / ((shape - 1) * (shape - 1) * (shape - 2));
  const double excess = 6 * (shape * shape * shape + shape * shape - 6 * shape - 2) /
                        (shape * (shape - 3) * (shape - 4));
  check_moments(xs, shape * scale / (shape - 1), variance, excess + 3);
  CHECK(*std::min_element(xs.begin(), xs.end()) >= scale);
  CHECK(ks_statistic(xs, [=](double x) { return 1 - std::pow(scale / x, shape); }) < kKsCritical);
}

TEST_CASE("Bernoulli draws succeed with probability p and are certain at 0 and 1") {
  Rng rng = Rng(6).fork("bernoulli");
  int successes = 0;
  for (int i = 0; i < kDraws; ++i) successes += bernoulli(rng, 0.3) ? 1 : 0;
  const double sd = std::sqrt(kDraws * 0.3 * 0.7);
  CHECK(std::abs(successes - kDraws * 0.3) < 5 * sd);
  bool any_at_zero = false;
  bool all_at_one = true;
  for (int i = 0; i < 10000; ++i) {
    any_at_zero = any_at_zero || bernoulli(rng, 0.0);
    all_at_one = all_at_one && bernoulli(rng, 1.0);
  }
  CHECK_FALSE(any_at_zero);
  CHECK(all_at_one);
}

TEST_CASE("durations round to whole nanoseconds, half away from zero, and saturate") {
  CHECK(round_to_ns(1.4) == 1);
  CHECK(round_to_ns(1.5) == 2);
  CHECK(round_to_ns(-1.5) == -2);
  CHECK(round_to_ns(1e30) == kTimeMaxNs);
  CHECK(round_to_ns(-1e30) == std::numeric_limits<TimeNs>::min());
  CHECK_THROWS(round_to_ns(std::nan("")));
  CHECK(round_to_ns(0.49999999999999994) == 0);  // x + 0.5 would round this up
  CHECK(round_to_ns(-0.49999999999999994) == 0);
  CHECK(round_to_ns(0x1p53 + 2) == (std::int64_t{1} << 53) + 2);
  CHECK(round_to_ns(std::nextafter(0x1p63, 0.0)) == std::llround(std::nextafter(0x1p63, 0.0)));
  CHECK(round_to_ns(-0x1p63) == std::numeric_limits<TimeNs>::min());
}

TEST_CASE("round_to_ns agrees with llround across the TimeNs range") {
  // Halves and near-halves of small values, and large values of every magnitude.
  rc::prop("round_to_ns(x) == llround(x)", [](std::int64_t whole, std::uint8_t eighths) {
    const double near = static_cast<double>(whole >> 40) + eighths / 8.0 - 16;
    RC_ASSERT(round_to_ns(near) == std::llround(near));
    const double wide = static_cast<double>(whole) * 0.75;
    RC_ASSERT(round_to_ns(wide) == std::llround(wide));
  });
}

TEST_CASE("a fixed seed gives the same first draws of every distribution, on every platform") {
  // Pinned: changing an algorithm changes every scenario's results, so it must show up here.
  Rng rng = Rng(2024).fork("pinned");
  CHECK(uniform_int(rng, 1, 2'000'000) == 373767);
  CHECK(uniform_real(rng, 0.0, 1.0) == 0x1.dcb25e959341fp-1);
  CHECK(exponential(rng, 1.0) == 0x1.41af61bb83382p+1);
  CHECK(normal(rng, 0.0, 1.0) == 0x1.87bfbf88765dp+0);
  CHECK(lognormal(rng, 0.0, 1.0) == 0x1.8c61b39ea082ap-1);
  CHECK(pareto(rng, 1.0, 2.0) == 0x1.839cf28b36e18p+0);
  CHECK(bernoulli(rng, 0.5) == false);
  CHECK(det_log(10.0) == 0x1.26bb1bbb55516p+1);  // ln 10, correctly rounded
  CHECK(det_exp(0.5) == 0x1.a61298e1e069cp+0);
}

TEST_CASE("uniform integers stay in range for any bounds") {
  rc::prop("lo <= uniform_int(lo, hi) <= hi",
           [](std::uint64_t seed, std::int64_t a, std::int64_t b) {
             Rng rng(seed);
             const std::int64_t lo = std::min(a, b);
             const std::int64_t hi = std::max(a, b);
             for (int i = 0; i < 20; ++i) {
               const std::int64_t x = uniform_int(rng, lo, hi);
               RC_ASSERT(x >= lo);
               RC_ASSERT(x <= hi);
             }
           });
}
