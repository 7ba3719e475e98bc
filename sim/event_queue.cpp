// Radix heap operations: find the lowest occupied bucket through the occupancy bitmaps, take its
// minimum, and spread the rest of that bucket over lower levels relative to the new minimum.
#include "sim/event_queue.hpp"

namespace mqttsim::sim {
namespace {

__extension__ using Key = unsigned __int128;  // g++ and clang both provide it

Key key(const EventQueue::Entry& e) {
  return static_cast<Key>(static_cast<std::uint64_t>(e.time_ns)) << 64 | e.order;
}

}  // namespace

EventQueue::EventQueue() : buckets_(kLevels * kDigits) {}

void EventQueue::find_minimum() {
  // Lower levels hold smaller keys, and within a level a smaller digit means a smaller key.
  const auto level = static_cast<unsigned>(std::countr_zero(levels_));
  const std::uint64_t(&words)[kDigits / 64] = occupied_[level];
  unsigned word = 0;
  while (words[word] == 0) ++word;
  peek_bucket_ = level * kDigits + word * 64 + static_cast<unsigned>(std::countr_zero(words[word]));
  const std::vector<Entry>& entries = buckets_[peek_bucket_];
  // Branch-free minimum: which entry wins is unpredictable.
  std::size_t best = 0;
  Key best_key = key(entries[0]);
  for (std::size_t i = 1; i < entries.size(); ++i) {
    const Key k = key(entries[i]);
    const bool smaller = k < best_key;
    best_key = smaller ? k : best_key;
    best = smaller ? i : best;
  }
  peek_index_ = best;
  peeked_ = true;
}

}  // namespace mqttsim::sim
