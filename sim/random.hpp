// Deterministic randomness for the simulator: xoshiro256** generators, each forked from the
// scenario seed by a stable name, so adding a component never shifts another's numbers.
// Our own generator on purpose: the standard distributions differ between implementations.
#pragma once

#include <cstdint>
#include <string_view>

namespace mqttsim::sim {

class Rng {
  __extension__ using Wide = unsigned __int128;  // g++ and clang both provide it

 public:
  explicit Rng(std::uint64_t seed);

  std::uint64_t next_u64() {
    // xoshiro256** (Blackman & Vigna); inline because every draw of every component calls it.
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 53 random bits.
  double next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, bound) without modulo bias (Lemire's method); bound > 0.
  std::uint64_t below(std::uint64_t bound) {
    const Wide m = static_cast<Wide>(next_u64()) * bound;
    if (static_cast<std::uint64_t>(m) < bound) return below_slow(bound, m);
    return static_cast<std::uint64_t>(m >> 64);
  }

  // An independent stream named `name`: the same (state, name) always gives the same stream.
  Rng fork(std::string_view name) const;

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t below_slow(std::uint64_t bound, Wide m);

  std::uint64_t s_[4];
};

}  // namespace mqttsim::sim
