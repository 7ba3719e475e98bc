// Deterministic randomness for the simulator: xoshiro256** generators, each forked from the
// scenario seed by a stable name, so adding a component never shifts another's numbers.
// Our own generator on purpose: the standard distributions differ between implementations.
#pragma once

#include <cstdint>
#include <string_view>

namespace mqttsim::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  std::uint64_t next_u64();
  // Uniform in [0, 1) with 53 random bits.
  double next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, bound) without modulo bias (Lemire's method); bound > 0.
  std::uint64_t below(std::uint64_t bound);

  // An independent stream named `name`: the same (state, name) always gives the same stream.
  Rng fork(std::string_view name) const;

 private:
  std::uint64_t s_[4];
};

}  // namespace mqttsim::sim
