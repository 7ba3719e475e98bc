// The kernel's priority queue over (time, order) keys, in three tiers by time:
// - the wheel: a calendar of `wheel_buckets` buckets of 2^shift ns each, unsorted chains with an
//   occupancy bitmap, for the near future;
// - the front: a sorted run of the entries of the buckets being popped, read from its start;
// - the far tier: a radix heap (radix_heap.hpp) for everything beyond the wheel's horizon.
// An event is pushed into one bucket in O(1). The bucket width and count follow the observed
// event rate, so the wheel stays under one event per bucket and spans the pending events
// whatever the time scale (see adapt()). Pops take the wheel a bitmap word at a time: the
// entries of the next occupied bucket and of the rest of its word (some 64 buckets, a dozen or
// two entries) move into the front, are sorted once, and are then popped by reading the next
// one. The caller learns their ids as they move, so it can fetch their events' memory early.
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
    if (front_pos_ == front_end_) {
      if (!wheel_on_) return far_.peek();
      open_batch([](std::uint32_t) {}, kTimeMaxNs);
    }
    return front_[front_pos_];
  }
  // Pops the smallest entry into `out` if it is due at or before `end_ns`; false, with nothing
  // popped, when it is later or the queue is empty. `coming_soon(id)` is told the ids of
  // entries likely to be popped next, so that the caller can prefetch what their events touch.
  template <class ComingSoon>
  bool pop_due(TimeNs end_ns, Entry& out, ComingSoon coming_soon) {
    if (front_pos_ == front_end_) {
      if (size_ == 0) return false;
      if (!wheel_on_) {
        if (far_.peek().time_ns > end_ns) return false;
        out = far_.pop([&coming_soon](const Entry& soon) { coming_soon(id_of(soon)); });
        count_pop(out);
        return true;
      }
      if (!open_batch(coming_soon, end_ns)) return false;
    }
    const Entry* const next = front_.data() + front_pos_;
    if (next->time_ns > end_ns) return false;
    out = *next;
    const std::size_t left = front_end_ - ++front_pos_;
    if (left == 0) {
      close_batch();
    } else if (left > kLead) {
      coming_soon(id_of(next[kLead]));  // the batch's first kLead were announced when it opened
    }
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
  // A batch of more than this many entries (two per bucket of a word) means the buckets are
  // too wide for the event rate.
  static constexpr std::size_t kCrowdedBatch = 128;
  // Entries of the front announced to the caller ahead of their pop.
  static constexpr std::size_t kLead = 16;
  // Buckets up to this many entries are sorted by insertion: they hold two or three, where
  // std::sort cost 2.5% more of the hold model's instructions (callgrind, 449 M -> 460 M).
  static constexpr std::size_t kInsertionSortMax = 32;
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
  static bool earlier(const Entry& a, const Entry& b) {
    return a.time_ns < b.time_ns || (a.time_ns == b.time_ns && a.order < b.order);
  }
  static std::uint32_t id_of(const Entry& entry) {
    return static_cast<std::uint32_t>(entry.order & kIdMask);
  }

  std::uint64_t wheel_buckets() const { return mask_ + 1; }
  std::uint64_t bucket_of(const Entry& entry) const {
    return static_cast<std::uint64_t>(entry.time_ns) >> shift_;
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
  // Into its place in the front's sorted run: most often at the end (a later event).
  void front_insert(const Entry& entry);
  // Makes room for at least `entries` in the front, keeping its contents.
  [[gnu::noinline]] void grow_front(std::size_t entries);
  // The front's last entry was popped: the wheel takes pushes from the current bucket again.
  void close_batch() {
    front_pos_ = front_end_ = 0;
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
  // pulls in the far entries that the horizon now covers, and moves the entries of that bucket
  // and of the rest of its bitmap word into the front, sorted, telling `coming_soon` of the
  // first kLead. The wheel then takes pushes only after the batch; earlier ones go to the front.
  // False, with nothing moved, if the first occupied bucket starts after `end_ns`: pushes
  // before it, as after a run_until(), still go into the wheel.
  template <class ComingSoon>
  bool open_batch(ComingSoon&& coming_soon, TimeNs end_ns);
  // Sorts [first, last) by key.
  static void sort_run(Entry* first, Entry* last);
  // The horizon moved: far entries it now covers join the wheel.
  [[gnu::always_inline]] void pull_far() {
    if (!far_.empty()) pull_far_entries();
  }
  [[gnu::noinline]] void pull_far_entries();
  // Re-sizes the wheel to the observed event rate and the pending count, when they moved far
  // enough from its shape to be worth rebuilding it.
  [[gnu::noinline]] void adapt(std::uint64_t now_ns);
  void reset_wheel(unsigned shift, unsigned wheel_bits);
  // Empties every tier, takes the given shape, and pushes `entries` again. `current` is the
  // new current bucket: entries before it go to the front.
  void reload(const std::vector<Entry>& entries, unsigned shift, unsigned wheel_bits, bool wheel_on,
              std::uint64_t current);
  unsigned wheel_bits() const { return static_cast<unsigned>(std::countr_zero(heads_.size())); }

  // front_[front_pos_, front_end_): entries in key order, popped from the start. While any is
  // left, the front holds every queued entry with a bucket below base_, and the wheel's chains
  // start at base_: the front's next entry is the queue's minimum. The vector's size is the
  // room, at least the queue's size when a batch opens, so filling it needs no checks.
  std::vector<Entry> front_;
  std::size_t front_pos_ = 0;
  std::size_t front_end_ = 0;
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
  // the bucket after the open batch, and span_ reaches to current_ + mask_, or is 0 with the
  // wheel off.
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
bool EventQueue::open_batch(ComingSoon&& coming_soon, TimeNs end_ns) {
  if (wheel_count_ == 0) {
    // Far entries all lie beyond every wheel bucket; with the wheel empty, jump to the first.
    const Entry& first_far = far_.peek();
    if (first_far.time_ns > end_ns) return false;
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
  if (static_cast<TimeNs>(bucket << shift_) > end_ns) return false;
  current_ = bucket;
  pull_far();
  // Room for every queued entry: nothing below can throw or run out of room.
  if (front_.size() < size_) grow_front(size_);
  // The batch: this slot and the rest of its word, buckets bucket .. bucket + (63 - slot % 64),
  // all within the horizon (the wheel has at least 64 slots).
  std::uint64_t& word = words_[slot / 64];
  std::uint64_t bits = word & (~std::uint64_t{0} << (slot % 64));
  word &= ~bits;
  base_ = bucket + (64 - slot % 64);
  span_ = current_ + mask_ + 1 - base_;
  const Node* const nodes = nodes_.data();
  std::uint32_t* const heads = heads_.data();
  const std::uint32_t first_slot = slot & ~63u;
  Entry* const run = front_.data();
  std::size_t count = 0;
  // Buckets are taken in time order, so only a bucket's own entries (a chain, newest first) can
  // be out of order, and most buckets hold one.
  do {
    const std::uint32_t at = first_slot + static_cast<std::uint32_t>(std::countr_zero(bits));
    bits &= bits - 1;
    const std::size_t bucket_start = count;
    for (std::uint32_t node = heads[at]; node != kNil; node = nodes[node].next()) {
      if (count < kLead) coming_soon(node - 1);
      run[count++] = entry_at(nodes, node);
    }
    if (count - bucket_start > 1) sort_run(run + bucket_start, run + count);
    heads[at] = kNil;
  } while (bits != 0);
  wheel_count_ -= count;
  front_end_ = count;
  // Crowded buckets mean the wheel is too coarse for the event rate: look again soon.
  if (count > kCrowdedBatch) until_adapt_ = 1;
  return true;
}

template <class Visit>
void EventQueue::for_each(Visit visit) const {
  for (std::size_t i = front_pos_; i < front_end_; ++i) visit(front_[i]);
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
