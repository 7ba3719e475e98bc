// Radix heap operations: find the lowest occupied bucket through the occupancy bitmaps, take its
// minimum, and spread the rest of that bucket over lower levels relative to the new minimum.
#include "sim/radix_heap.hpp"

namespace mqttsim::sim {
namespace {

__extension__ using Key = unsigned __int128;  // g++ and clang both provide it

Key key(const RadixHeap::Entry& e) {
  return static_cast<Key>(static_cast<std::uint64_t>(e.time_ns)) << 64 | e.order;
}

}  // namespace

RadixHeap::RadixHeap() : buckets_(kLevels * kDigits) {}

void RadixHeap::clear() {
  for (std::vector<Entry>& bucket : buckets_) bucket.clear();
  for (auto& level : occupied_) std::fill(std::begin(level), std::end(level), 0);
  levels_ = 0;
  last_ = Entry{0, 0};
  early_.clear();
  size_ = 0;
  peeked_ = false;
}

void RadixHeap::find_minimum() {
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
