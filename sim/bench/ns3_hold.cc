// The ns-3 side of `mqttsim bench kernel`: the same hold model on ns-3's default scheduler
// (MapScheduler), through ns3::Simulator::Schedule with a static function that reschedules
// itself. Built and run by scripts/bench-kernel-vs-ns3.sh; not part of the CMake build.
//
//   usage: ns3_hold PENDING EVENTS REPS
//
// Delays come from a 64-bit LCG (Knuth's MMIX constants) mapped to [1 ns, 2 ms] by a multiply-
// shift, so random-number cost is no larger than on our side (xoshiro256** + Lemire).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "ns3/nstime.h"
#include "ns3/simulator.h"
#include "ns3/version-defines.h"

namespace {

constexpr std::uint64_t kMaxDelayNs = 2'000'000;

std::uint64_t lcg_state = 1;
std::uint64_t fired = 0;
std::uint64_t target = 0;

std::uint64_t next_delay_ns() {
  lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
  const unsigned __int128 wide = static_cast<unsigned __int128>(lcg_state) * kMaxDelayNs;
  return static_cast<std::uint64_t>(wide >> 64) + 1;  // 1 .. 2 ms
}

void hold() {
  if (++fired == target) ns3::Simulator::Stop();
  ns3::Simulator::Schedule(ns3::NanoSeconds(next_delay_ns()), &hold);
}

double time_one_run(std::uint64_t pending, std::uint64_t events) {
  fired = 0;
  target = events;
  for (std::uint64_t i = 0; i < pending; ++i) {
    ns3::Simulator::Schedule(ns3::NanoSeconds(next_delay_ns()), &hold);
  }
  const auto start = std::chrono::steady_clock::now();
  ns3::Simulator::Run();
  const auto stop = std::chrono::steady_clock::now();
  if (fired != events) {
    std::fprintf(stderr, "ns3_hold: fired %llu events, expected %llu\n",
                 static_cast<unsigned long long>(fired), static_cast<unsigned long long>(events));
    std::exit(1);
  }
  ns3::Simulator::Destroy();  // drops the pending events; not timed
  return std::chrono::duration<double>(stop - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: ns3_hold PENDING EVENTS REPS\n");
    return 2;
  }
  const std::uint64_t pending = std::strtoull(argv[1], nullptr, 10);
  const std::uint64_t events = std::strtoull(argv[2], nullptr, 10);
  const int reps = std::max(1, std::atoi(argv[3]));
  std::vector<double> seconds;
  for (int r = 0; r < reps; ++r) seconds.push_back(time_one_run(pending, events));
  std::sort(seconds.begin(), seconds.end());
  const double n = static_cast<double>(events);
  std::printf(
      "ns-3 %d.%d hold model, %llu pending, %llu events per rep, %d reps, median reported\n",
      NS3_VERSION_MAJOR, NS3_VERSION_MINOR, static_cast<unsigned long long>(pending),
      static_cast<unsigned long long>(events), reps);
  std::printf("hold    %8.2f M events/s   (min %.2f, max %.2f M events/s)\n",
              n / seconds[seconds.size() / 2] / 1e6, n / seconds.back() / 1e6,
              n / seconds.front() / 1e6);
  return 0;
}
