// The kernel's priority queue over (time, order) keys, in three tiers by time:
// - the wheel: a calendar of `wheel_buckets` buckets of 2^shift ns each, unsorted chains with an
//   occupancy bitmap, for the near future;
// - the front: a small binary heap, used only when a bucket is crowded (three entries or more)
//   or for pushes below the current bucket;
// - the far tier: a radix heap (radix_heap.hpp) for everything beyond the wheel's horizon.
// An event is pushed into one bucket in O(1). The bucket width and count follow the observed
// event rate, so the wheel stays well under one event per bucket and spans the pending events
// whatever the time scale (see adapt()). A pop takes the earlier of a bucket's one or two
// entries straight out of its chain, and looks one bucket ahead so that the caller can fetch
// the next event's memory while this one runs.
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
  // The low kIdBits of an entry's `order` are its id, unique among the queued entries (the
  // kernel puts its slot index there): the wheel links entries through a node per id, so it
  // allocates nothing per push and needs no free list.
  static constexpr unsigned kIdBits = 24;
  static constexpr std::uint64_t kIdMask = (std::uint64_t{1} << kIdBits) - 1;

  EventQueue() : nodes_(1, Node{kTimeMaxNs, ~kIdMask | kNil}) {
    reset_wheel(kInitialShift, kMinWheelBits);
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Whether the wheel is in use (false: the radix heap holds everything). For tests and benches.
  bool wheel_on() const { return wheel_on_; }

  // Any key may be pushed, also below the last one popped (the kernel does so after dropping a
  // cancelled event): such keys go to the front.
  [[gnu::always_inline]] void push(const Entry& entry) {
    const std::uint64_t bucket = bucket_of(entry);
    // One test for the common case, a bucket in the wheel (it wraps below base_).
    if (bucket - base_ < span_) {
      wheel_insert(bucket, entry);
    } else {
      push_outside(bucket, entry);
    }
    ++size_;  // after: an insert that throws (bad_alloc) leaves the count right
  }
  // The smallest entry, which stays queued; the queue must not be empty.
  Entry peek() {
    if (!front_.empty()) return front_.front();
    if (!wheel_on_) return far_.peek();
    Pick pick;
    if (locate([](std::uint32_t) {}, pick, kTimeMaxNs) == Located::front) return front_.front();
    return entry_at(nodes_.data(), pick.take);
  }
  // Pops the smallest entry into `out` if it is due at or before `end_ns`; false, with nothing
  // popped, when it is later or the queue is empty. `coming_soon(id)` is told the ids of
  // entries likely to be popped next, so that the caller can prefetch what their events touch.
  template <class ComingSoon>
  bool pop_due(TimeNs end_ns, Entry& out, ComingSoon coming_soon) {
    if (size_ == 0) return false;
    if (front_.empty()) {
      if (!wheel_on_) {
        if (far_.peek().time_ns > end_ns) return false;
        out = far_.pop([&coming_soon](const Entry& soon) { coming_soon(id_of(soon)); });
        count_pop(out);
        return true;
      }
      Pick pick;
      const Located located = locate(coming_soon, pick, end_ns);
      if (located == Located::later) return false;
      if (located == Located::entry) {
        if (nodes_[pick.take].time_ns > end_ns) return false;
        out = entry_at(nodes_.data(), pick.take);
        take(pick, coming_soon);
        count_pop(out);
        return true;
      }
      // The bucket was crowded and went to the front.
    }
    if (front_.front().time_ns > end_ns) return false;
    if (front_.size() > 1) std::pop_heap(front_.begin(), front_.end(), later);
    out = front_.back();
    front_.pop_back();
    if (front_.empty()) reopen_current();
    count_pop(out);
    return true;
  }
  // Removes and returns the smallest entry; the queue must not be empty.
  Entry pop() {
    Entry minimum{};
    pop_due(kTimeMaxNs, minimum, [](std::uint32_t) {});
    return minimum;
  }

  // Keeps the entries for which keep(entry) is true (used to drop cancelled ones).
  template <class Keep>
  void retain(Keep keep);
  template <class Visit>
  void for_each(Visit visit) const;

 private:
  // Node index 0 is a sentinel, later than any entry, that ends every chain: entry id i has
  // node i + 1, so ids go up to 2^kIdBits - 2.
  static constexpr std::uint32_t kNil = 0;
  static constexpr std::uint32_t kNoSlot = UINT32_MAX;
  static constexpr unsigned kInitialShift = 6;  // 64 ns buckets until the first adapt()
  static constexpr unsigned kMinWheelBits = 12;
  // The wheel is for queues that fit in cache: its pushes land in random buckets. Beyond some
  // 64k pending events the radix heap alone is faster (its pushes are sequential appends), as
  // `mqttsim bench kernel --pending 200000` shows; between 16k and 64k the mode stays put.
  // 2^19 buckets give the horizon adapt() wants up to 64k pending (2 x 64k x at most 3 each);
  // with 2^17, 60k pending ran at 17 M events/s instead of 28, half its pushes going far.
  static constexpr unsigned kMaxWheelBits = 19;
  static constexpr std::size_t kWheelOffAbove = 1u << 16;
  static constexpr std::size_t kWheelOnBelow = 1u << 14;
  static constexpr std::uint32_t kLongScanWords = 64;
  static constexpr std::size_t kCrowdedBucket = 16;
  static constexpr std::uint32_t kAdaptEvery = 1u << 15;  // pops between two looks at the rate
  // Looks asked for early (crowded or sparse buckets) still wait for this many pops, so that the
  // rate is measured over enough events and a rebuild costs at most O(pending) per this many.
  static constexpr std::uint32_t kMinWindowPops = 1024;

  // 16 bytes: the id is the node's index less one, so the order's id bits hold the link.
  struct Node {
    TimeNs time_ns;
    std::uint64_t link;  // the entry's order without its id bits | the next node (kNil: none)
    std::uint32_t next() const { return static_cast<std::uint32_t>(link & kIdMask); }
  };
  static Entry entry_at(const Node* nodes, std::uint32_t node) {
    return Entry{nodes[node].time_ns, (nodes[node].link & ~kIdMask) | ((node - 1) & kIdMask)};
  }
  // The earlier of the first two entries of the current bucket's chain, and the other one
  // (kNil when the chain had one).
  struct Pick {
    std::uint32_t slot;
    std::uint32_t take;
    std::uint32_t keep;
  };

  static bool earlier(const Entry& a, const Entry& b) {
    return a.time_ns < b.time_ns || (a.time_ns == b.time_ns && a.order < b.order);
  }
  static bool later(const Entry& a, const Entry& b) { return earlier(b, a); }
  static std::uint32_t id_of(const Entry& entry) {
    return static_cast<std::uint32_t>(entry.order & kIdMask);
  }

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
    const std::uint32_t id = id_of(entry);
    if (id >= node_capacity_) grow_nodes(id);
    // Pointers first: stores of 64-bit entries may alias this object's size_t members.
    std::uint32_t* const heads = heads_.data();
    std::uint64_t* const words = words_.data();
    nodes_.data()[id + 1] = Node{entry.time_ns, (entry.order & ~kIdMask) | heads[slot]};
    heads[slot] = id + 1;
    words[slot / 64] |= std::uint64_t{1} << (slot % 64);
    ++wheel_count_;
  }
  [[gnu::noinline]] void grow_nodes(std::uint32_t id);
  // Into the front (bucket below base_) or the far tier (beyond the horizon, or wheel off).
  [[gnu::noinline]] void push_outside(std::uint64_t bucket, const Entry& entry);
  // The front is about to hold entries: the current bucket's chain joins it, so that the front
  // holds every entry up to the current bucket, and the wheel takes pushes only after it.
  void close_current();
  // The front is empty again: the wheel takes pushes into the current bucket again.
  void reopen_current() {
    base_ = current_;
    span_ = wheel_on_ ? mask_ + 1 : 0;
  }
  void count_pop(const Entry& popped) {
    --size_;
    ++popped_;
    if (--until_adapt_ == 0) adapt(static_cast<std::uint64_t>(popped.time_ns));
  }
  // The first occupied slot at or after `from` (not wrapping), or kNoSlot. Inline for the
  // usual case, a hit in the word of `from`.
  std::uint32_t next_occupied(std::uint32_t from) {
    const std::uint32_t word = from / 64;
    const std::uint64_t bits = words_[word] & (~std::uint64_t{0} << (from % 64));
    if (bits != 0) return word * 64 + static_cast<std::uint32_t>(std::countr_zero(bits));
    return next_occupied_after(word);
  }
  // The first occupied slot in the words after `word`, or kNoSlot.
  [[gnu::noinline]] std::uint32_t next_occupied_after(std::uint32_t word);
  // The front is empty and the wheel on: moves the current bucket to the first occupied one,
  // pulls in the far entries that the horizon now covers, and picks the bucket's earliest entry
  // (entry); or, if the bucket holds three entries or more, moves them all into the front
  // (front), telling `coming_soon` of each. If that bucket starts after `end_ns`, nothing moves
  // (later): pushes before it, as after a run_until(), still go into the wheel.
  enum class Located { entry, front, later };
  template <class ComingSoon>
  Located locate(ComingSoon&& coming_soon, Pick& pick, TimeNs end_ns);
  // The horizon moved: far entries it now covers join the wheel.
  [[gnu::always_inline]] void pull_far() {
    if (!far_.empty()) pull_far_entries();
  }
  [[gnu::noinline]] void pull_far_entries();
  // Unlinks the picked entry; tells `coming_soon` of the next entry in the wheel's order.
  template <class ComingSoon>
  void take(const Pick& pick, ComingSoon& coming_soon);
  // Re-sizes the wheel to the observed event rate and the pending count, when they moved far
  // enough from its shape to be worth rebuilding it.
  [[gnu::noinline]] void adapt(std::uint64_t now_ns);
  void reset_wheel(unsigned shift, unsigned wheel_bits);
  // Empties every tier, takes the given shape, and pushes `entries` again. `current` is the
  // new current bucket: entries before it go to the front.
  void reload(const std::vector<Entry>& entries, unsigned shift, unsigned wheel_bits, bool wheel_on,
              std::uint64_t current);
  unsigned wheel_bits() const { return static_cast<unsigned>(std::countr_zero(heads_.size())); }

  // A min-heap of entries with bucket <= current_. While it holds any, the current bucket's
  // chain is empty, so the front's minimum is the queue's.
  std::vector<Entry> front_;
  std::vector<std::uint32_t> heads_;  // per slot: first node of its chain, or kNil
  // Bit per slot: chain not empty. adapt() keeps the wheel dense enough that a scan of these
  // words finds the next occupied bucket within a word or two.
  std::vector<std::uint64_t> words_;
  std::vector<Node> nodes_;          // the sentinel, then one per entry id
  std::uint32_t node_capacity_ = 0;  // ids that have a node: nodes_.size() - 1
  std::uint64_t mask_ = 0;           // wheel_buckets() - 1
  unsigned shift_ = kInitialShift;
  std::uint64_t current_ = 0;  // absolute bucket number (time >> shift_) of the earliest chain
  // Pushes with bucket - base_ < span_ go into the wheel: base_ is current_ (front empty) or
  // current_ + 1, and span_ reaches to current_ + mask_, or is 0 with the wheel off.
  std::uint64_t base_ = 0;
  std::uint64_t span_ = 0;
  std::size_t wheel_count_ = 0;
  bool wheel_on_ = true;  // false: every entry is in far_
  RadixHeap far_;         // every entry with bucket > current_ + mask_ when it came
  std::size_t size_ = 0;
  std::uint32_t until_adapt_ = kAdaptEvery;  // pops left before adapt() looks again
  std::uint64_t popped_ = 0;                 // over the queue's life
  std::uint64_t adapt_window_start_ns_ = 0;
  std::uint64_t adapt_window_popped_ = 0;
};

template <class ComingSoon>
EventQueue::Located EventQueue::locate(ComingSoon&& coming_soon, Pick& pick, TimeNs end_ns) {
  if (wheel_count_ == 0) {
    // Far entries all lie beyond every wheel bucket; with the wheel empty, jump to the first.
    const Entry& first_far = far_.peek();
    if (first_far.time_ns > end_ns) return Located::later;
    current_ = base_ = bucket_of(first_far);
    pull_far();
  }
  // Wheel entries are in buckets current_ .. current_ + mask_, so the first occupied slot from
  // the current one, wrapping once, is the earliest.
  const auto here = static_cast<std::uint32_t>(current_ & mask_);
  std::uint32_t slot = next_occupied(here);
  if (slot == kNoSlot) slot = next_occupied(0);
  const std::uint64_t bucket = current_ + ((slot - here) & mask_);
  // No overflow: the bucket is some entry's time >> shift_.
  if (static_cast<TimeNs>(bucket << shift_) > end_ns) return Located::later;
  // Unconditional: after a two-entry bucket the current one stays, a coin toss to predict.
  current_ = base_ = bucket;
  pull_far();
  const Node* const nodes = nodes_.data();
  const std::uint32_t first = heads_[slot];
  const std::uint32_t second = nodes[first].next();
  if (nodes[second].next() != kNil) {
    close_current();
    for (const Entry& entry : front_) coming_soon(id_of(entry));
    // Crowded buckets mean the wheel is too coarse for the event rate: look again soon.
    if (front_.size() > kCrowdedBucket) until_adapt_ = 1;
    return Located::front;
  }
  // With one entry, `second` is the sentinel, which is never earlier.
  // A branch, not masks: it is predictable (one entry, most often), and speculating past it
  // lets the caller start on the event before the comparison is done. Measured: masks cost 20%.
  const bool swap = earlier(entry_at(nodes, second), entry_at(nodes, first));
  pick = Pick{slot, swap ? second : first, swap ? first : second};
  return Located::entry;
}

template <class ComingSoon>
void EventQueue::take(const Pick& pick, ComingSoon& coming_soon) {
  std::uint32_t* const heads = heads_.data();
  std::uint64_t* const words = words_.data();
  Node* const nodes = nodes_.data();
  nodes[pick.keep].link &= ~kIdMask;  // ends the chain; harmless on the sentinel
  heads[pick.slot] = pick.keep;
  const std::uint64_t bit = std::uint64_t{1} << (pick.slot % 64);
  std::uint64_t& word = words[pick.slot / 64];
  word &= ~(bit & (std::uint64_t{0} - (pick.keep == kNil)));  // cleared when the chain is empty
  --wheel_count_;
  // Look ahead: the next entry is the kept one or in the next occupied bucket of this word.
  const std::uint64_t after = word & (~std::uint64_t{0} << (pick.slot % 64));
  if (after != 0) {
    const std::uint32_t next =
        heads[(pick.slot & ~63u) + static_cast<std::uint32_t>(std::countr_zero(after))];
    __builtin_prefetch(&nodes[next]);
    coming_soon(next - 1);
  }
}

template <class Visit>
void EventQueue::for_each(Visit visit) const {
  for (const Entry& entry : front_) visit(entry);
  for (std::uint32_t head : heads_) {
    for (std::uint32_t node = head; node != kNil; node = nodes_[node].next()) {
      visit(entry_at(nodes_.data(), node));
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
