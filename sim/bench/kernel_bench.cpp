// The hold model on sim::Kernel. Wall-clock time is fine here: benchmarks are not part of the
// deterministic core. Only the firing phase is timed, as in sim/bench/ns3_hold.cc.
#include "sim/bench/kernel_bench.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <vector>

#include "sim/distributions.hpp"
#include "sim/kernel.hpp"
#include "sim/random.hpp"

namespace mqttsim::sim::bench {
namespace {

constexpr TimeNs kMaxDelayNs = 2 * kNsPerMs;

// Each fired event schedules its successor: the handler is two pointers, stored inline.
struct Hold {
  Kernel* kernel;
  Rng* rng;
  void operator()() const {
    kernel->schedule_in(uniform_int(*rng, 1, kMaxDelayNs), Hold{kernel, rng});
  }
};

double time_one_run(const KernelBenchOptions& o, TimeNs& final_time_ns) {
  Kernel kernel;
  Rng rng = Rng(o.seed).fork("bench/hold");
  for (std::size_t i = 0; i < o.pending; ++i) {
    kernel.schedule_at(uniform_int(rng, 1, kMaxDelayNs), Hold{&kernel, &rng});
  }
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t fired = kernel.run_steps(o.events);
  const auto stop = std::chrono::steady_clock::now();
  if (fired != o.events || kernel.pending_count() != o.pending) {
    throw std::runtime_error("kernel bench: the hold model lost or gained events");
  }
  final_time_ns = kernel.now_ns();
  return std::chrono::duration<double>(stop - start).count();
}

}  // namespace

KernelBenchResult run_kernel_bench(const KernelBenchOptions& o) {
  if (o.pending == 0) throw std::invalid_argument("kernel bench: --pending must be at least 1");
  std::vector<double> seconds;
  KernelBenchResult result;
  for (std::size_t r = 0; r < std::max<std::size_t>(1, o.repetitions); ++r) {
    seconds.push_back(time_one_run(o, result.final_time_ns));
  }
  std::sort(seconds.begin(), seconds.end());
  const auto n = static_cast<double>(o.events);
  result.median_events_per_s = n / seconds[seconds.size() / 2];
  result.min_events_per_s = n / seconds.back();
  result.max_events_per_s = n / seconds.front();
  return result;
}

}  // namespace mqttsim::sim::bench
