// A radix heap with 256-way digits over the 128-bit key (time, order): the far tier of the
// kernel's event queue (event_queue.hpp), for events beyond its timing wheel. Simulated time never
// goes back, so new keys are almost always above the last one popped, which is all a radix heap
// needs; each entry then moves only a few times (once per key byte in which it differs from the
// minimum), by sequential appends, whatever the spread of times.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/time.hpp"

namespace mqttsim::sim {

class RadixHeap {
 public:
  // Keys are unique (order carries a sequence number), so the pop order is fully defined.
  struct Entry {
    TimeNs time_ns;  // never negative
    std::uint64_t order;
  };

  RadixHeap();

  std::size_t size() const { return size_; }
  // Empties the heap and forgets the last key popped, so that any key may come next.
  void clear();
  bool empty() const { return size_ == 0; }

  // Any key may be pushed, but keys below the last one popped (possible only after the caller
  // popped an entry it then ignored, such as a cancelled event) take a slower side heap.
  void push(const Entry& entry) {
    if (earlier(entry, last_)) {
      early_.push_back(entry);
      std::push_heap(early_.begin(), early_.end(), later);
      ++size_;
      return;
    }
    const unsigned bucket = place(entry);
    ++size_;  // after: a push that throws (bad_alloc) leaves the count right
    // A remembered minimum stays right unless the new entry undercuts it.
    if (peeked_ && earlier(entry, buckets_[peek_bucket_][peek_index_])) {
      peek_bucket_ = bucket;
      peek_index_ = buckets_[bucket].size() - 1;
    }
  }
  // The smallest entry, which stays queued; the queue must not be empty. Costs a scan of one
  // bucket, remembered until the next pop. Early entries are all below `last_`, hence below
  // every radix entry.
  const Entry& peek() {
    if (!early_.empty()) return early_.front();
    if (!peeked_) find_minimum();
    return buckets_[peek_bucket_][peek_index_];
  }
  // Removes and returns the smallest entry. `coming_soon(entry)` is told of every entry that
  // this pop moves to the front levels (keys within 256 ns of the new minimum), so that the
  // caller can prefetch what those events will touch.
  template <class ComingSoon>
  Entry pop(ComingSoon coming_soon);
  Entry pop() {
    return pop([](const Entry&) {});
  }

  template <class Visit>
  void for_each(Visit visit) const {
    for (const std::vector<Entry>& bucket : buckets_) {
      for (const Entry& entry : bucket) visit(entry);
    }
    for (const Entry& entry : early_) visit(entry);
  }

 private:
  // Levels 0-7 are the bytes of `order`, levels 8-15 those of the time: an entry lives at the
  // highest byte in which its key differs from `last_`, in the bucket of that byte's value.
  static constexpr unsigned kLevels = 16;
  static constexpr unsigned kDigits = 256;
  static constexpr unsigned kFrontBuckets = 9 * kDigits;  // levels 0-8: same time but byte 0

  static unsigned bucket_of(const Entry& entry, const Entry& last) {
    const auto time_diff = static_cast<std::uint64_t>(entry.time_ns ^ last.time_ns);
    if (time_diff != 0) {
      const unsigned byte = static_cast<unsigned>(63 - std::countl_zero(time_diff)) / 8;
      const auto digit =
          static_cast<unsigned>(static_cast<std::uint64_t>(entry.time_ns) >> (8 * byte)) & 0xFF;
      return (8 + byte) * kDigits + digit;
    }
    // `| 1`: an entry equal to `last` (only the very first key can be) goes to level 0.
    const unsigned byte =
        static_cast<unsigned>(63 - std::countl_zero((entry.order ^ last.order) | 1)) / 8;
    return byte * kDigits + static_cast<unsigned>(entry.order >> (8 * byte) & 0xFF);
  }
  static bool earlier(const Entry& a, const Entry& b) {
    return a.time_ns < b.time_ns || (a.time_ns == b.time_ns && a.order < b.order);
  }
  static bool later(const Entry& a, const Entry& b) { return earlier(b, a); }
  unsigned place(const Entry& entry) {
    const unsigned bucket = bucket_of(entry, last_);
    buckets_[bucket].push_back(entry);
    mark(bucket);
    return bucket;
  }
  void mark(unsigned bucket) {
    const unsigned level = bucket / kDigits;
    const unsigned digit = bucket % kDigits;
    occupied_[level][digit / 64] |= std::uint64_t{1} << (digit % 64);
    levels_ |= 1u << level;
  }
  void unmark(unsigned bucket) {
    const unsigned level = bucket / kDigits;
    const unsigned digit = bucket % kDigits;
    std::uint64_t(&words)[kDigits / 64] = occupied_[level];
    words[digit / 64] &= ~(std::uint64_t{1} << (digit % 64));
    if ((words[0] | words[1] | words[2] | words[3]) == 0) levels_ &= ~(1u << level);
  }
  void find_minimum();

  std::vector<std::vector<Entry>> buckets_;
  std::uint64_t occupied_[kLevels][kDigits / 64] = {};
  std::uint32_t levels_ = 0;  // bit l: some bucket of level l is occupied
  Entry last_{0, 0};          // the last radix entry popped: every radix entry is above it
  std::vector<Entry> early_;  // a min-heap of the entries pushed below `last_`
  std::size_t size_ = 0;
  bool peeked_ = false;  // peek_bucket_/peek_index_ locate the minimum
  unsigned peek_bucket_ = 0;
  std::size_t peek_index_ = 0;
};

template <class ComingSoon>
RadixHeap::Entry RadixHeap::pop(ComingSoon coming_soon) {
  --size_;
  if (!early_.empty()) {
    std::pop_heap(early_.begin(), early_.end(), later);
    const Entry minimum = early_.back();
    early_.pop_back();
    return minimum;
  }
  peek();
  std::vector<Entry>& entries = buckets_[peek_bucket_];
  const Entry minimum = entries[peek_index_];
  entries[peek_index_] = entries.back();
  entries.pop_back();
  unmark(peek_bucket_);
  last_ = minimum;
  // Every other entry of this bucket shares the bytes above its level with the new minimum
  // and that level's byte too, so each lands in a strictly lower level: never this bucket.
  for (const Entry& entry : entries) {
    if (place(entry) < kFrontBuckets) coming_soon(entry);
  }
  entries.clear();
  peeked_ = false;
  return minimum;
}

}  // namespace mqttsim::sim
