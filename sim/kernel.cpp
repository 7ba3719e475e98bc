// The kernel's run loops and cancellation. Cancelled events stay queued as tombstones (their
// slot marked cancelled) until they come first, or until a compaction when they outnumber the
// live ones: both are invisible to behaviour, because the key order is total.
#include "sim/kernel.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace mqttsim::sim {
namespace {

// Compaction pays off only for large queues mostly made of tombstones.
constexpr std::size_t kCompactMinTombstones = 4096;

// Small RAII guard: the running flag is cleared and a fired slot freed even if a handler throws.
template <class Release>
struct OnExit {
  Release release;
  ~OnExit() { release(); }
};
template <class Release>
OnExit(Release) -> OnExit<Release>;

}  // namespace

Kernel::~Kernel() {
  // Handler destructors may cancel or schedule events, and a cancel may compact the queue: so
  // collect the live slots first, and go round again until a round finds none.
  std::vector<std::uint32_t> live;
  do {
    live.clear();
    queue_.for_each([this, &live](const Entry& entry) {
      const auto index = static_cast<std::uint32_t>(entry.order & kSlotMask);
      if (slot_at(index).state == SlotState::pending) live.push_back(index);
    });
    for (const std::uint32_t index : live) {
      Slot& slot = slot_at(index);
      if (slot.state == SlotState::pending) destroy_pending(slot);
    }
  } while (!live.empty());
  if (slots_ != nullptr) ::munmap(slots_, std::size_t{kMaxPending} * sizeof(Slot));
}

bool Kernel::cancel(EventId id) {
  if (!is_pending(id)) return false;
  destroy_pending(slot_at(id.slot));
  // Only after the destructor returned: compaction releases every cancelled slot.
  if (cancelled_in_queue_ >= kCompactMinTombstones && cancelled_in_queue_ * 2 > queue_.size()) {
    compact();
  }
  return true;
}

void Kernel::destroy_pending(Slot& slot) {
  // Busy while the destructor runs: it may cancel this id again (refused), or cancel others and
  // so compact the queue, which must not release this slot under the running destructor.
  slot.state = SlotState::busy;
  if (slot.destroy) slot.destroy(slot.storage);
  slot.state = SlotState::cancelled;
  ++cancelled_in_queue_;
}

void Kernel::unqueue_failed(std::uint32_t index, Slot& slot) {
  slot.state = SlotState::busy;
  if (slot.destroy) slot.destroy(slot.storage);
  ++slot.generation;
  free_slot(index, slot);
}

bool Kernel::is_pending(EventId id) const {
  if (id.slot >= slot_capacity_) return false;
  const Slot& slot = slot_at(id.slot);
  return slot.generation == id.generation && slot.state == SlotState::pending;
}

TimeNs Kernel::next_event_ns() {
  while (!queue_.empty()) {
    const Entry top = queue_.peek();
    const auto index = static_cast<std::uint32_t>(top.order & kSlotMask);
    Slot& slot = slot_at(index);
    if (slot.state != SlotState::cancelled) return top.time_ns;
    queue_.pop();
    drop_tombstone(index, slot);
  }
  return kTimeMaxNs;
}

// Inlined into the run loops: the call per event cost 8% of the hold model's instructions.
[[gnu::always_inline]] inline bool Kernel::fire_next(TimeNs end_ns) {
  Entry top;
  // At 1M pending a slot is a cache miss: load the slots of the events that will fire next
  // while the queue moves them to the front, long before their handlers run.
  while (queue_.pop_due(end_ns, top,
                        [this](std::uint32_t soon) { __builtin_prefetch(&slot_at(soon)); })) {
    const auto index = static_cast<std::uint32_t>(top.order & kSlotMask);
    Slot& slot = slot_at(index);
    if (slot.state == SlotState::cancelled) {
      drop_tombstone(index, slot);
      continue;
    }
    now_ns_ = top.time_ns;
    // Its EventId stops matching, and not even a forged one can cancel it while it runs.
    ++slot.generation;
    slot.state = SlotState::busy;
    const OnExit done{[this, index, &slot] { free_slot(index, slot); }};
    ++fired_;
    slot.fire(slot.storage);
    return true;
  }
  return false;
}

bool Kernel::step() {
  if (running_) throw std::logic_error("Kernel::step called from inside an event handler");
  running_ = true;
  const OnExit done{[this] { running_ = false; }};
  return fire_next(kTimeMaxNs);
}

std::uint64_t Kernel::run_steps(std::uint64_t max_events) {
  return fire_loop(kTimeMaxNs, max_events);
}

std::uint64_t Kernel::run_until(TimeNs end_ns, std::uint64_t max_events) {
  const std::uint64_t fired = fire_loop(end_ns, max_events);
  // Fewer than max_events fired and no stop: the queue declined its next event, which is later
  // than end_ns. No peek then, so the wheel's current bucket stays where the declined pop left it.
  if (!stop_requested_ && end_ns > now_ns_ && (fired < max_events || next_event_ns() > end_ns)) {
    now_ns_ = end_ns;
  }
  return fired;
}

std::uint64_t Kernel::run(std::uint64_t max_events) {
  return fire_loop(kTimeMaxNs, max_events);
}

std::uint64_t Kernel::fire_loop(TimeNs end_ns, std::uint64_t max_events) {
  if (running_) throw std::logic_error("Kernel run called from inside an event handler");
  running_ = true;
  const OnExit done{[this] { running_ = false; }};
  stop_requested_ = false;
  std::uint64_t fired = 0;
  while (fired < max_events && !stop_requested_ && fire_next(end_ns)) ++fired;
  return fired;
}

void Kernel::grow_slab() {
  constexpr std::size_t kReservedBytes = std::size_t{kMaxPending} * sizeof(Slot);
  if (slots_ == nullptr) {
    // Address space only: no memory is committed until a range is made readable and writable.
    void* const range = ::mmap(nullptr, kReservedBytes, PROT_NONE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (range == MAP_FAILED) throw std::bad_alloc();
    // Slots are touched at random: on 2 MB pages a large queue costs no TLB miss per event.
    // Advice only (a kernel without transparent huge pages refuses it, and that is fine).
    (void)::madvise(range, kReservedBytes, MADV_HUGEPAGE);
    slots_ = static_cast<Slot*>(range);
  }
  const std::size_t first = slot_capacity_;
  if (first >= kMaxPending) {
    throw std::length_error("Kernel: more than " + std::to_string(kMaxPending) +
                            " events pending at once");
  }
  const std::size_t added =
      std::min<std::size_t>(std::max(kFirstSlots, first), kMaxPending - first);
  // Page-aligned: the range starts on a page and slots are 64 bytes, a divisor of the page size.
  if (::mprotect(slots_ + first, added * sizeof(Slot), PROT_READ | PROT_WRITE) != 0) {
    throw std::bad_alloc();
  }
  for (std::size_t i = first; i < first + added; ++i) ::new (static_cast<void*>(slots_ + i)) Slot{};
  slot_capacity_ = static_cast<std::uint32_t>(first + added);
  // Linked in reverse so that slots are handed out in increasing order.
  for (std::size_t i = first + added; i-- > first;) {
    const auto index = static_cast<std::uint32_t>(i);
    free_slot(index, slot_at(index));
  }
}

// Drops every tombstone at once, releasing their slots.
void Kernel::compact() {
  queue_.retain([this](const Entry& entry) {
    const auto index = static_cast<std::uint32_t>(entry.order & kSlotMask);
    Slot& slot = slot_at(index);
    if (slot.state != SlotState::cancelled) return true;
    drop_tombstone(index, slot);
    return false;
  });
}

void Kernel::throw_past(TimeNs at_ns) const {
  throw std::invalid_argument("Kernel: event scheduled at " + std::to_string(at_ns) +
                              " ns, before now (" + std::to_string(now_ns_) + " ns)");
}

void Kernel::throw_bad_delay(TimeNs delay_ns) const {
  throw std::invalid_argument("Kernel: delay of " + std::to_string(delay_ns) +
                              " ns is negative or overflows the clock at " +
                              std::to_string(now_ns_) + " ns");
}

void Kernel::throw_too_many_scheduled() {
  throw std::length_error("Kernel: more than 2^40 events scheduled in one run");
}

}  // namespace mqttsim::sim
