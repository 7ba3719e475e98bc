// The event queue's slow paths: finding the next occupied wheel bucket in the bitmap, and
// re-shaping the wheel to the observed event rate.
#include "sim/event_queue.hpp"

#include <bit>

namespace mqttsim::sim {

std::uint32_t EventQueue::next_occupied_after(std::uint32_t word) {
  const std::uint32_t first = word;
  std::uint64_t bits = 0;
  while (bits == 0) {
    if (++word == words_.size()) return kNil;
    bits = words_[word];
  }
  // A long scan means the wheel is sparse for the current event rate: look again soon.
  if (word - first > kLongScanWords) until_adapt_ = 1;
  return word * 64 + static_cast<std::uint32_t>(std::countr_zero(bits));
}

void EventQueue::grow_nodes() {
  // Free nodes are linked through `next`; a new batch is linked in order.
  const auto first = static_cast<std::uint32_t>(nodes_.size());
  const std::uint32_t batch = std::max<std::uint32_t>(64, first);
  nodes_.resize(first + batch);
  for (std::uint32_t i = 0; i < batch; ++i)
    nodes_[first + i].next = i + 1 < batch ? first + i + 1 : free_;
  free_ = first;
}

void EventQueue::reset_wheel(unsigned shift, unsigned wheel_bits) {
  shift_ = shift;
  const std::size_t buckets = std::size_t{1} << wheel_bits;
  heads_.assign(buckets, kNil);
  words_.assign(buckets / 64, 0);
  mask_ = buckets - 1;
  nodes_.clear();
  free_ = kNil;
  wheel_count_ = 0;
  front_.clear();
  far_.clear();
  size_ = 0;
  current_ = 0;
}

void EventQueue::adapt(std::uint64_t now_ns) {
  const std::uint64_t pops = popped_ - adapt_window_popped_;
  if (pops < kMinWindowPops) {
    until_adapt_ = static_cast<std::uint32_t>(kMinWindowPops - pops);
    return;
  }
  until_adapt_ = kAdaptEvery;
  // A pop below the window's start (possible after a dropped cancelled event) restarts it.
  if (now_ns < adapt_window_start_ns_) {
    adapt_window_start_ns_ = now_ns;
    adapt_window_popped_ = popped_;
    return;
  }
  const std::uint64_t window_ns = now_ns - adapt_window_start_ns_;
  adapt_window_start_ns_ = now_ns;
  adapt_window_popped_ = popped_;
  // Buckets a quarter to half of the mean gap between events wide (mostly one entry or none,
  // so a bucket rarely needs a heap), and four to eight times as many buckets as pending events:
  // the horizon then spans about the pending spread, and twice it when events are due evenly, as in
  // the hold model.
  const std::uint64_t gap_ns =
      std::max<std::uint64_t>(1, window_ns / std::max<std::uint64_t>(1, pops));
  const auto shift = std::clamp(static_cast<unsigned>(std::bit_width(gap_ns)), 2u, 42u) - 2;
  const auto bits =
      std::clamp(static_cast<unsigned>(std::bit_width(4 * size_)), kMinWheelBits, kMaxWheelBits);
  const bool wheel_on = wheel_on_ ? size_ <= kWheelOffAbove : size_ < kWheelOnBelow;
  const auto far_apart = [](unsigned a, unsigned b) { return (a > b ? a - b : b - a) >= 2; };
  const bool reshape = wheel_on && (far_apart(shift, shift_) || far_apart(bits, wheel_bits()));
  if (wheel_on == wheel_on_ && !reshape) return;
  std::vector<Entry> entries;
  entries.reserve(size_);
  for_each([&entries](const Entry& entry) { entries.push_back(entry); });
  reload(entries, shift, bits, wheel_on, now_ns >> shift);
}

void EventQueue::reload(const std::vector<Entry>& entries, unsigned shift, unsigned wheel_bits,
                        bool wheel_on, std::uint64_t current) {
  reset_wheel(shift, wheel_on ? wheel_bits : kMinWheelBits);
  wheel_on_ = wheel_on;
  current_ = current;
  for (const Entry& entry : entries) push(entry);
}

}  // namespace mqttsim::sim
