// xoshiro256** (Blackman & Vigna) seeded through SplitMix64, and name-keyed forking by
// FNV-1a, all with fixed-width integer arithmetic so every platform draws the same numbers.
#include "sim/random.hpp"

namespace mqttsim::sim {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (char c : text) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 0x100000001B3ull;
  }
  return h;
}

}  // namespace

Rng::Rng(std::uint64_t seed) {
  for (std::uint64_t& word : s_) word = splitmix64(seed);
}

// The rare retry of Lemire's method: the low word fell in the biased zone.
std::uint64_t Rng::below_slow(std::uint64_t bound, Wide m) {
  const std::uint64_t threshold = (0 - bound) % bound;
  while (static_cast<std::uint64_t>(m) < threshold) m = static_cast<Wide>(next_u64()) * bound;
  return static_cast<std::uint64_t>(m >> 64);
}

Rng Rng::fork(std::string_view name) const {
  // Mix the parent's state with the name; the parent itself does not advance.
  std::uint64_t seed = fnv1a(name);
  for (std::uint64_t word : s_) seed = rotl(seed, 23) ^ splitmix64(word);
  return Rng(seed);
}

}  // namespace mqttsim::sim
