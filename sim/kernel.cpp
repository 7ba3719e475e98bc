// The kernel's run loops and cancellation. Cancelled events stay queued as tombstones (their
// slot marked cancelled) until they come first, or until a compaction when they outnumber the
// live ones: both are invisible to behaviour, because the key order is total.
#include "sim/kernel.hpp"

#include <stdexcept>
#include <string>

namespace mqttsim::sim {
namespace {

// Compaction pays off only for large queues mostly made of tombstones.
constexpr std::size_t kCompactMinTombstones = 4096;

// Small RAII guard: the firing flag is cleared and the slot released even if a handler throws.
template <class Release>
struct OnExit {
  Release release;
  ~OnExit() { release(); }
};
template <class Release>
OnExit(Release) -> OnExit<Release>;

}  // namespace

Kernel::~Kernel() {
  queue_.for_each([this](const Entry& entry) {
    Slot& slot = slot_at(static_cast<std::uint32_t>(entry.order & kSlotMask));
    if (slot.state == SlotState::pending && slot.destroy) slot.destroy(slot.storage);
  });
}

bool Kernel::cancel(EventId id) {
  if (!is_pending(id)) return false;
  Slot& slot = slot_at(id.slot);
  if (slot.destroy) slot.destroy(slot.storage);
  slot.state = SlotState::cancelled;
  ++cancelled_in_queue_;
  if (cancelled_in_queue_ >= kCompactMinTombstones && cancelled_in_queue_ * 2 > queue_.size()) {
    compact();
  }
  return true;
}

bool Kernel::is_pending(EventId id) const {
  if (id.slot >= chunks_.size() * kChunkSlots) return false;
  const Slot& slot = slot_at(id.slot);
  return slot.generation == id.generation && slot.state == SlotState::pending;
}

TimeNs Kernel::next_event_ns() {
  while (!queue_.empty()) {
    const Entry& top = queue_.peek();
    const auto index = static_cast<std::uint32_t>(top.order & kSlotMask);
    Slot& slot = slot_at(index);
    if (slot.state != SlotState::cancelled) return top.time_ns;
    queue_.pop();
    --cancelled_in_queue_;
    release_slot(index, slot);
  }
  return kTimeMaxNs;
}

bool Kernel::step() {
  if (firing_) throw std::logic_error("Kernel::step called from inside an event handler");
  return fire_next(kTimeMaxNs);
}

std::uint64_t Kernel::run_steps(std::uint64_t max_events) {
  return fire_loop(kTimeMaxNs, max_events);
}

std::uint64_t Kernel::run_until(TimeNs end_ns, std::uint64_t max_events) {
  const std::uint64_t fired = fire_loop(end_ns, max_events);
  if (!stop_requested_ && end_ns > now_ns_ && next_event_ns() > end_ns) now_ns_ = end_ns;
  return fired;
}

std::uint64_t Kernel::run(std::uint64_t max_events) {
  return fire_loop(kTimeMaxNs, max_events);
}

std::uint64_t Kernel::fire_loop(TimeNs end_ns, std::uint64_t max_events) {
  if (firing_) throw std::logic_error("Kernel run called from inside an event handler");
  stop_requested_ = false;
  std::uint64_t fired = 0;
  while (fired < max_events && !stop_requested_ && fire_next(end_ns)) ++fired;
  return fired;
}

bool Kernel::fire_next(TimeNs end_ns) {
  Entry top;
  // At 1M pending a slot is a cache miss: load the slots of the events that will fire next
  // while the queue moves them to the front, long before their handlers run.
  while (queue_.pop_due(
      end_ns, top, [this](const Entry& soon) { __builtin_prefetch(&slot_at(slot_of(soon))); })) {
    const auto index = static_cast<std::uint32_t>(top.order & kSlotMask);
    Slot& slot = slot_at(index);
    if (slot.state == SlotState::cancelled) {
      --cancelled_in_queue_;
      release_slot(index, slot);
      continue;
    }
    now_ns_ = top.time_ns;
    slot.state = SlotState::firing;
    firing_ = true;
    const OnExit done{[this, index, &slot] {
      firing_ = false;
      if (slot.destroy) slot.destroy(slot.storage);
      release_slot(index, slot);
    }};
    ++fired_;
    slot.invoke(slot.storage);
    return true;
  }
  return false;
}

void Kernel::grow_slab() {
  const std::size_t first = chunks_.size() * kChunkSlots;
  if (first + kChunkSlots > kMaxPending) {
    throw std::length_error("Kernel: more than " + std::to_string(kMaxPending) +
                            " events pending at once");
  }
  chunks_.push_back(std::make_unique<Slot[]>(kChunkSlots));
  // Linked in reverse so that slots are handed out in increasing order.
  for (std::size_t i = kChunkSlots; i-- > 0;) {
    const auto index = static_cast<std::uint32_t>(first + i);
    release_slot(index, slot_at(index));
  }
}

// Drops every tombstone at once, releasing their slots.
void Kernel::compact() {
  queue_.retain([this](const Entry& entry) {
    const auto index = static_cast<std::uint32_t>(entry.order & kSlotMask);
    Slot& slot = slot_at(index);
    if (slot.state != SlotState::cancelled) return true;
    release_slot(index, slot);
    return false;
  });
  cancelled_in_queue_ = 0;
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
