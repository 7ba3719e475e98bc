// The event queue's slow paths: finding the next occupied wheel bucket in the bitmap, and
// re-shaping the wheel to the observed event rate.
#include "sim/event_queue.hpp"

#include <bit>

namespace mqttsim::sim {

std::uint32_t EventQueue::next_occupied_after(std::uint32_t word) {
  const std::uint32_t first = word;
  std::uint64_t bits = 0;
  while (bits == 0) {
    if (++word == words_.size()) return kNoSlot;
    bits = words_[word];
  }
  // A long scan means the wheel is sparse for the current event rate: look again soon.
  if (word - first > kLongScanWords) until_adapt_ = 1;
  return word * 64 + static_cast<std::uint32_t>(std::countr_zero(bits));
}

void EventQueue::grow_nodes(std::uint32_t id) {
  nodes_.resize(std::max<std::size_t>({std::size_t{64}, std::size_t{id} + 2, 2 * nodes_.size()}));
  node_capacity_ = static_cast<std::uint32_t>(nodes_.size() - 1);
}

void EventQueue::pull_far_entries() {
  while (!far_.empty()) {
    const std::uint64_t bucket = bucket_of(far_.peek());
    if (bucket - current_ > mask_) break;
    wheel_insert(bucket, far_.pop());
  }
}

void EventQueue::push_outside(std::uint64_t bucket, const Entry& entry) {
  if (!wheel_on_ || bucket >= base_) {
    far_.push(entry);
    return;
  }
  front_insert(entry);
}

void EventQueue::grow_front(std::size_t entries) {
  front_.resize(std::max({entries, 2 * front_.size(), std::size_t{64}}));
}

void EventQueue::front_insert(const Entry& entry) {
  if (front_pos_ == front_end_) {
    // An empty front: below the current bucket (the kernel dropped a cancelled event and pushes
    // an earlier one). The wheel's buckets stay as they are; they all come after this entry.
    if (front_.empty()) grow_front(1);
    front_[0] = entry;
    front_pos_ = 0;
    front_end_ = 1;
    return;
  }
  if (front_pos_ > 0 && earlier(entry, front_[front_pos_])) {
    front_[--front_pos_] = entry;  // before every entry left: into the place just popped
    return;
  }
  if (front_end_ == front_.size()) grow_front(front_end_ + 1);
  // Most often a later event than all in the front: it goes at the end, nothing moves.
  Entry* const first = front_.data() + front_pos_;
  Entry* const last = front_.data() + front_end_;
  Entry* const at = earlier(entry, last[-1]) ? std::upper_bound(first, last, entry, earlier) : last;
  std::copy_backward(at, last, last + 1);
  *at = entry;
  ++front_end_;
}

void EventQueue::sort_run(Entry* first, Entry* last) {
  if (last - first > static_cast<std::ptrdiff_t>(kInsertionSortMax)) {
    std::sort(first, last, earlier);
    return;
  }
  for (Entry* i = first + 1; i != last; ++i) {
    const Entry entry = *i;
    Entry* j = i;
    for (; j != first && earlier(entry, j[-1]); --j) *j = j[-1];
    *j = entry;
  }
}

void EventQueue::reset_wheel(unsigned shift, unsigned wheel_bits) {
  shift_ = shift;
  const std::size_t buckets = std::size_t{1} << wheel_bits;
  heads_.assign(buckets, kNil);
  words_.assign(buckets / 64, 0);
  mask_ = buckets - 1;
  wheel_count_ = 0;
  front_pos_ = front_end_ = 0;
  far_.clear();
  size_ = 0;
  current_ = 0;
  close_batch();
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
  // so a bucket rarely needs a heap), and enough of them that the horizon spans two to four
  // times the mean wait of an event, pending count x mean gap (Little's law): all of the hold
  // model's uniform delays, and all but e^-2 of exponential ones.
  const std::uint64_t gap_ns =
      std::max<std::uint64_t>(1, window_ns / std::max<std::uint64_t>(1, pops));
  const auto shift = std::clamp(static_cast<unsigned>(std::bit_width(gap_ns)), 2u, 42u) - 2;
  const std::uint64_t buckets = 2 * std::max<std::size_t>(1, size_) * (gap_ns >> shift);
  const auto bits =
      std::clamp(static_cast<unsigned>(std::bit_width(buckets - 1)), kMinWheelBits, kMaxWheelBits);
  const bool wheel_on = wheel_on_ ? size_ <= kWheelOffAbove : size_ < kWheelOnBelow;
  // Re-shaped when the width is off by 4x, or the horizon is too short, or 4x too long.
  const bool reshape = wheel_on && (std::max(shift, shift_) - std::min(shift, shift_) >= 2 ||
                                    bits > wheel_bits() || bits + 2 <= wheel_bits());
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
  close_batch();
  for (const Entry& entry : entries) push(entry);
}

}  // namespace mqttsim::sim
