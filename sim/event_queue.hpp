// The kernel's priority queue over (time, order) keys, in three tiers by time:
// - the front: a small binary heap holding everything in the wheel's current bucket and before;
// - the wheel: a calendar of `wheel_buckets` buckets of 2^shift ns each, unsorted chains with an
//   occupancy bitmap, for the near future;
// - the far tier: a radix heap (radix_heap.hpp) for everything beyond the wheel's horizon.
// An event is pushed into one bucket in O(1), and its bucket is heapified only when it becomes
// current: with buckets about as wide as the gap between events, that is one or two entries.
// The bucket width and count follow the observed event rate, so the wheel stays about one event
// per bucket and spans the pending events whatever the time scale (see adapt()).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/radix_heap.hpp"
#include "sim/time.hpp"

namespace mqttsim::sim {

class EventQueue {
 public:
  // Keys are unique (order carries a sequence number), so the pop order is fully defined.
  using Entry = RadixHeap::Entry;

  EventQueue() { reset_wheel(kInitialShift, kMinWheelBits); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Whether the wheel is in use (false: the radix heap holds everything). For tests and benches.
  bool wheel_on() const { return wheel_on_; }

  // Any key may be pushed, also below the last one popped (the kernel does so after dropping a
  // cancelled event): such keys fall in the front.
  [[gnu::always_inline]] void push(const Entry& entry) {
    ++size_;
    if (!wheel_on_) {
      far_.push(entry);
      return;
    }
    const std::uint64_t bucket = bucket_of(entry);
    if (bucket <= current_) {
      front_push(entry);
    } else if (bucket - current_ <= mask_) {
      wheel_insert(bucket, entry);
    } else {
      far_.push(entry);
    }
  }
  // The smallest entry, which stays queued; the queue must not be empty.
  const Entry& peek() {
    if (front_.empty()) {
      Entry unused;
      if (wheel_on_) refill<false>([](const Entry&) {}, unused);
      if (!wheel_on_) return far_.peek();
    }
    return front_.front();
  }
  // Pops the smallest entry into `out` if it is due at or before `end_ns`; false, with nothing
  // popped, when it is later or the queue is empty. `coming_soon(entry)` is told of entries that
  // enter the front some time before they are popped, so that the caller can prefetch what their
  // events will touch.
  template <class ComingSoon>
  bool pop_due(TimeNs end_ns, Entry& out, ComingSoon coming_soon) {
    if (size_ == 0) return false;
    if (front_.empty()) {
      // The common case: the next bucket holds one entry, which goes straight out.
      if (wheel_on_ && refill<true>(coming_soon, out)) {
        if (out.time_ns > end_ns) {
          front_.push_back(out);  // stays queued, as the whole front
          return false;
        }
        count_pop(out);
        return true;
      }
      if (!wheel_on_) {
        if (far_.peek().time_ns > end_ns) return false;
        out = far_.pop(coming_soon);
        count_pop(out);
        return true;
      }
    }
    if (front_.front().time_ns > end_ns) return false;
    if (front_.size() > 1) std::pop_heap(front_.begin(), front_.end(), later);
    out = front_.back();
    front_.pop_back();
    count_pop(out);
    return true;
  }
  // Removes and returns the smallest entry; the queue must not be empty.
  Entry pop() {
    Entry minimum{};
    pop_due(kTimeMaxNs, minimum, [](const Entry&) {});
    return minimum;
  }

  // Keeps the entries for which keep(entry) is true (used to drop cancelled ones).
  template <class Keep>
  void retain(Keep keep);
  template <class Visit>
  void for_each(Visit visit) const;

 private:
  static constexpr std::uint32_t kNil = UINT32_MAX;
  static constexpr unsigned kInitialShift = 6;  // 64 ns buckets until the first adapt()
  static constexpr unsigned kMinWheelBits = 12;
  // The wheel is for queues that fit in cache: its pushes land in random buckets. Beyond some
  // 64k pending events the radix heap alone is faster (its pushes are sequential appends), as
  // `mqttsim bench kernel --pending 1000000` shows; between 16k and 64k the mode stays put.
  static constexpr unsigned kMaxWheelBits = 17;
  static constexpr std::size_t kWheelOffAbove = 1u << 16;
  static constexpr std::size_t kWheelOnBelow = 1u << 14;
  static constexpr std::uint32_t kLongScanWords = 64;
  static constexpr std::size_t kCrowdedBucket = 16;
  static constexpr std::uint32_t kAdaptEvery = 1u << 15;  // pops between two looks at the rate
  // Looks asked for early (crowded or sparse buckets) still wait for this many pops, so that the
  // rate is measured over enough events and a rebuild costs at most O(pending) per this many.
  static constexpr std::uint32_t kMinWindowPops = 1024;

  struct Node {
    Entry entry;
    std::uint32_t next;
  };

  static bool earlier(const Entry& a, const Entry& b) {
    return a.time_ns < b.time_ns || (a.time_ns == b.time_ns && a.order < b.order);
  }
  static bool later(const Entry& a, const Entry& b) { return earlier(b, a); }

  std::uint64_t wheel_buckets() const { return mask_ + 1; }
  std::uint64_t bucket_of(const Entry& entry) const {
    return static_cast<std::uint64_t>(entry.time_ns) >> shift_;
  }
  void front_push(const Entry& entry) {
    front_.push_back(entry);
    std::push_heap(front_.begin(), front_.end(), later);
  }
  void wheel_insert(std::uint64_t bucket, const Entry& entry) {
    const auto slot = static_cast<std::uint32_t>(bucket & mask_);
    // Pointers first: stores of 64-bit entries may alias this object's size_t members.
    std::uint32_t* const heads = heads_.data();
    std::uint64_t* const words = words_.data();
    if (free_ == kNil) grow_nodes();
    Node* const nodes = nodes_.data();
    const std::uint32_t node = free_;
    free_ = nodes[node].next;
    nodes[node] = Node{entry, heads[slot]};
    heads[slot] = node;
    words[slot / 64] |= std::uint64_t{1} << (slot % 64);
    ++wheel_count_;
  }
  [[gnu::noinline]] void grow_nodes();
  void count_pop(const Entry& popped) {
    --size_;
    ++popped_;
    if (--until_adapt_ == 0) adapt(static_cast<std::uint64_t>(popped.time_ns));
  }
  // The first occupied slot at or after `from` (not wrapping), or kNil. Inline for the usual
  // case, a hit in the word of `from`.
  std::uint32_t next_occupied(std::uint32_t from) {
    const std::uint32_t word = from / 64;
    const std::uint64_t bits = words_[word] & (~std::uint64_t{0} << (from % 64));
    if (bits != 0) return word * 64 + static_cast<std::uint32_t>(std::countr_zero(bits));
    return next_occupied_after(word);
  }
  // The first occupied slot in the words after `word`, or kNil.
  [[gnu::noinline]] std::uint32_t next_occupied_after(std::uint32_t word);
  // Empties the chain of `slot`: into `single` when kSingle, the front is empty and the chain is
  // one entry (then true), else into the front, telling `coming_soon` of each entry.
  template <bool kSingle, class ComingSoon>
  bool take_chain(std::uint32_t slot, ComingSoon& coming_soon, Entry& single);
  // The front is empty: advances the current bucket to the next occupied one, pulls in the far
  // entries that the wheel's horizon now covers, and takes the bucket (see take_chain).
  template <bool kSingle, class ComingSoon>
  bool refill(ComingSoon&& coming_soon, Entry& single);
  // Re-sizes the wheel to the observed event rate and the pending count, when they moved far
  // enough from its shape (by 4x) to be worth rebuilding it.
  [[gnu::noinline]] void adapt(std::uint64_t now_ns);
  void reset_wheel(unsigned shift, unsigned wheel_bits);
  // Empties every tier, takes the given shape, and pushes `entries` again. `current` is the
  // new front's bucket: entries up to it go to the front.
  void reload(const std::vector<Entry>& entries, unsigned shift, unsigned wheel_bits, bool wheel_on,
              std::uint64_t current);
  unsigned wheel_bits() const { return static_cast<unsigned>(std::countr_zero(heads_.size())); }

  std::vector<Entry> front_;          // a min-heap of every entry with bucket <= current_
  std::vector<std::uint32_t> heads_;  // per slot: first node of its chain, or kNil
  // Bit per slot: chain not empty. adapt() keeps the wheel dense (about an event per bucket), so
  // a plain scan of these words finds the next occupied bucket within a word or two.
  std::vector<std::uint64_t> words_;
  std::vector<Node> nodes_;  // chain nodes; free ones linked from free_
  std::uint32_t free_ = kNil;
  std::uint64_t mask_ = 0;  // wheel_buckets() - 1
  unsigned shift_ = kInitialShift;
  std::uint64_t current_ = 0;  // absolute bucket number (time >> shift_) of the front
  std::size_t wheel_count_ = 0;
  bool wheel_on_ = true;  // false: every entry is in far_
  RadixHeap far_;         // every entry with bucket >= current_ + wheel_buckets() when it came
  std::size_t size_ = 0;
  std::uint32_t until_adapt_ = kAdaptEvery;  // pops left before adapt() looks again
  std::uint64_t popped_ = 0;                 // over the queue's life
  std::uint64_t adapt_window_start_ns_ = 0;
  std::uint64_t adapt_window_popped_ = 0;
};

template <bool kSingle, class ComingSoon>
bool EventQueue::take_chain(std::uint32_t slot, ComingSoon& coming_soon, Entry& single) {
  std::uint32_t* const heads = heads_.data();
  std::uint64_t* const words = words_.data();
  Node* const nodes = nodes_.data();
  std::uint32_t node = heads[slot];
  heads[slot] = kNil;
  words[slot / 64] &= ~(std::uint64_t{1} << (slot % 64));
  if (kSingle && nodes[node].next == kNil && front_.empty()) {
    single = nodes[node].entry;
    nodes[node].next = free_;
    free_ = node;
    --wheel_count_;
    return true;
  }
  while (node != kNil) {
    Node& n = nodes[node];
    coming_soon(n.entry);
    front_.push_back(n.entry);
    --wheel_count_;
    const std::uint32_t next = n.next;
    n.next = free_;
    free_ = node;
    node = next;
  }
  if (front_.size() > 1) {
    // Crowded buckets mean the wheel is too coarse for the event rate: look again soon.
    if (front_.size() > kCrowdedBucket) until_adapt_ = 1;
    std::make_heap(front_.begin(), front_.end(), later);
  }
  return false;
}

template <bool kSingle, class ComingSoon>
bool EventQueue::refill(ComingSoon&& coming_soon, Entry& single) {
  std::uint32_t slot = kNil;
  if (wheel_count_ > 0) {
    // Wheel entries are in buckets current_+1 .. current_+wheel_buckets()-1, so the first
    // occupied slot after the current one, wrapping once, is the next in time.
    const auto here = static_cast<std::uint32_t>(current_ & mask_);
    if (here < mask_) slot = next_occupied(here + 1);
    if (slot == kNil) slot = next_occupied(0);
    current_ += (slot - here) & mask_;
  } else {
    // Far entries all lie beyond every wheel bucket; with the wheel empty, jump to the first.
    current_ = bucket_of(far_.peek());
  }
  // The horizon moved: far entries it now covers join the wheel (or the front).
  while (!far_.empty()) {
    const std::uint64_t bucket = bucket_of(far_.peek());
    if (bucket - current_ > mask_) break;
    const Entry entry = far_.pop();
    if (bucket == current_) {
      coming_soon(entry);
      front_push(entry);
    } else {
      wheel_insert(bucket, entry);
    }
  }
  return slot != kNil && take_chain<kSingle>(slot, coming_soon, single);
}

template <class Visit>
void EventQueue::for_each(Visit visit) const {
  for (const Entry& entry : front_) visit(entry);
  for (std::uint32_t head : heads_) {
    for (std::uint32_t node = head; node != kNil; node = nodes_[node].next) {
      visit(nodes_[node].entry);
    }
  }
  far_.for_each(visit);
}

template <class Keep>
void EventQueue::retain(Keep keep) {
  // Rebuilt from scratch: compaction is rare, and this keeps one way of filling the tiers.
  std::vector<Entry> kept;
  kept.reserve(size_);
  for_each([&](const Entry& entry) {
    if (keep(entry)) kept.push_back(entry);
  });
  reload(kept, shift_, wheel_bits(), wheel_on_, current_);
}

}  // namespace mqttsim::sim
