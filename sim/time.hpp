// Simulated time: signed 64-bit integer nanoseconds since the start of a run (about 292 years
// of range). Integers, not doubles, so that event order and trace digests are exact everywhere.
#pragma once

#include <cstdint>
#include <limits>

#include "protocol/types.hpp"

namespace mqttsim::sim {

using TimeNs = protocol::TimeNs;  // one time type for the protocol core and the simulator

inline constexpr TimeNs kNsPerUs = 1'000;
inline constexpr TimeNs kNsPerMs = 1'000'000;
inline constexpr TimeNs kNsPerS = 1'000'000'000;
inline constexpr TimeNs kTimeMaxNs = std::numeric_limits<TimeNs>::max();

}  // namespace mqttsim::sim
