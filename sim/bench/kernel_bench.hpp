// The kernel benchmark behind `mqttsim bench kernel`: the classic hold model. N events are
// pending; each fired event schedules one more at now + uniform(1 ns, 2 ms), so the queue size
// stays N. A benchmark, not a test: it prints figures and checks only the event count.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mqttsim::sim::bench {

struct KernelBenchOptions {
  std::size_t pending = 10'000;
  std::uint64_t events = 10'000'000;  // fired per repetition, after the N initial ones are queued
  std::size_t repetitions = 5;        // the median of these is reported
  std::uint64_t seed = 1;
};

struct KernelBenchResult {
  double median_events_per_s = 0;
  double min_events_per_s = 0;
  double max_events_per_s = 0;
  std::int64_t final_time_ns = 0;  // virtual time at the end of the last repetition
};

KernelBenchResult run_kernel_bench(const KernelBenchOptions& options);

}  // namespace mqttsim::sim::bench
