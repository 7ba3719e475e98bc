// The simulator's generator: fixed outputs for a fixed seed (any change would silently change
// every scenario's results), stream independence by name, and unbiased bounded draws.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <array>

#include "sim/random.hpp"

using mqttsim::sim::Rng;

TEST_CASE("the generator draws the same numbers for the same seed on every platform") {
  Rng rng(42);
  // Pinned values: xoshiro256** seeded by SplitMix64(42). Changing them changes every result.
  const std::array<std::uint64_t, 3> first = {rng.next_u64(), rng.next_u64(), rng.next_u64()};
  Rng again(42);
  for (std::uint64_t expected : first) CHECK(again.next_u64() == expected);
  // Reference: SplitMix64 of 42 gives state words; the first xoshiro256** output is
  // rotl(s1 * 5, 7) * 9, computed independently from the published reference algorithm.
  CHECK(first[0] == 0x15780b2e0c2ec716ull);
}

TEST_CASE("forked streams depend on the name and leave the parent untouched") {
  const Rng root(7);
  Rng a = root.fork("link/radio-1");
  Rng b = root.fork("link/radio-2");
  Rng a_again = root.fork("link/radio-1");
  const std::uint64_t a1 = a.next_u64();
  CHECK(a1 == a_again.next_u64());
  CHECK(a1 != b.next_u64());
  Rng copy = root;
  Rng fresh(7);
  CHECK(copy.next_u64() == fresh.next_u64());
}

TEST_CASE("bounded draws are uniform over small ranges") {
  Rng rng(1);
  std::array<int, 6> counts{};
  const int draws = 60000;
  for (int i = 0; i < draws; ++i) ++counts[rng.below(6)];
  for (int c : counts) {
    CHECK(c > draws / 6 - 400);  // ~5 standard deviations of a binomial(60000, 1/6)
    CHECK(c < draws / 6 + 400);
  }
}

TEST_CASE("unit draws stay at or above 0 and below 1") {
  rc::prop("next_unit is in [0, 1) for any seed", [](std::uint64_t seed) {
    Rng rng(seed);
    for (int i = 0; i < 100; ++i) {
      const double u = rng.next_unit();
      RC_ASSERT(u >= 0.0);
      RC_ASSERT(u < 1.0);
    }
  });
}
