// The discrete-event kernel: virtual time in integer nanoseconds and one event queue ordered by
// (time, insertion sequence), so events at equal times fire in the order they were scheduled.
// Built for speed: a timing wheel over a radix heap of 16-byte keys (event_queue.hpp); handlers
// live in a slab of one cache line per event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/event_queue.hpp"
#include "sim/time.hpp"

namespace mqttsim::sim {

// Names one scheduled event for cancel(). Safe to keep after the event fired or was cancelled:
// its slot's generation has moved on, so the id no longer matches anything.
struct EventId {
  std::uint32_t slot = UINT32_MAX;
  std::uint32_t generation = 0;
  friend bool operator==(EventId, EventId) = default;
};

class Kernel {
 public:
  static constexpr std::uint64_t kNoLimit = UINT64_MAX;
  // Limits that come from packing (sequence, slot) into the 64-bit `order` of a queue key: events
  // pending at once (one slot index is the queue's sentinel), and events scheduled over a whole
  // run. Exceeding either throws length_error.
  static constexpr std::uint32_t kMaxPending = (1u << 24) - 1;
  static constexpr std::uint64_t kMaxScheduled = 1ull << 40;
  // Handlers up to this size (and alignment 8) are stored in the slab without allocating.
  static constexpr std::size_t kInlineBytes = 40;

  Kernel() = default;
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  TimeNs now_ns() const { return now_ns_; }

  // Schedules `handler()` (any callable taking no arguments) at `at_ns`, which must not be in
  // the past. Move-only callables are fine; they are constructed in place and never moved.
  template <class F>
  [[gnu::always_inline]] EventId schedule_at(TimeNs at_ns, F&& handler);
  template <class F>
  EventId schedule_in(TimeNs delay_ns, F&& handler) {
    if (delay_ns < 0 || delay_ns > kTimeMaxNs - now_ns_) throw_bad_delay(delay_ns);
    return schedule_unchecked(now_ns_ + delay_ns, std::forward<F>(handler));
  }

  // Cancels a pending event; false if it already fired, was cancelled, or is firing right now.
  // The handler is destroyed at once; its queue entry is dropped lazily.
  bool cancel(EventId id);
  bool is_pending(EventId id) const;

  std::size_t pending_count() const { return queue_.size() - cancelled_in_queue_; }
  std::uint64_t fired_count() const { return fired_; }
  std::uint64_t scheduled_count() const { return next_sequence_; }
  // Time of the next live event, or kTimeMaxNs when nothing is pending.
  TimeNs next_event_ns();

  // Fires the next event, if any. Handlers may schedule and cancel, but not run the kernel.
  bool step();
  // Fires up to `max_events` events; returns how many fired.
  std::uint64_t run_steps(std::uint64_t max_events);
  // Fires every event due at or before `end_ns` (up to `max_events`), then advances the clock to
  // `end_ns` unless stopped early. Returns how many fired.
  std::uint64_t run_until(TimeNs end_ns, std::uint64_t max_events = kNoLimit);
  // Fires events until none is pending (or `max_events` fired); the clock stays at the last one.
  std::uint64_t run(std::uint64_t max_events = kNoLimit);
  // Called from a handler: the run in progress returns after this handler.
  void request_stop() { stop_requested_ = true; }

 private:
  // A slot's generation moves on when its event starts firing or its tombstone is dropped, so
  // that old EventIds stop matching. `busy`: its handler is running or being destroyed, so the
  // slot can be neither cancelled nor released (its entry, if still queued, counts as live).
  enum class SlotState : std::uint32_t { free, pending, cancelled, busy };
  struct alignas(64) Slot {
    // Runs the handler, then destroys it (also when it throws): one indirect call per event.
    void (*fire)(void* storage) = nullptr;
    void (*destroy)(void* storage) = nullptr;  // for cancel(); nullptr when trivially destructible
    std::uint32_t generation = 0;
    SlotState state = SlotState::free;
    alignas(8) unsigned char storage[kInlineBytes];
  };
  static_assert(sizeof(Slot) == 64, "one slot per cache line");
  using Entry = EventQueue::Entry;
  // An entry's `order` is sequence << 24 | slot: the sequence makes keys unique and FIFO among
  // equal times, so the slot bits never decide an order.
  static constexpr int kSlotBits = 24;
  static constexpr std::uint64_t kSlotMask = (1ull << kSlotBits) - 1;
  static_assert(kSlotBits == EventQueue::kIdBits, "the queue links entries by slot index");
  // The slab is one address range reserved for kMaxPending slots, made usable as it grows: slots
  // never move (handlers stay put) and a slot is one index away, with no chunk table.
  static constexpr std::size_t kFirstSlots = 1024;

  template <class Fn>
  static constexpr bool fits_inline = sizeof(Fn) <= kInlineBytes && alignof(Fn) <= 8;

  Slot& slot_at(std::uint32_t index) { return slots_[index]; }
  const Slot& slot_at(std::uint32_t index) const { return slots_[index]; }
  // Free slots form a LIFO list through their storage (the slot just freed is warm in cache).
  Slot& acquire_slot(std::uint32_t& index) {
    if (free_head_ == kNoSlot) grow_slab();
    index = free_head_;
    Slot& slot = slot_at(index);
    std::memcpy(&free_head_, slot.storage, sizeof free_head_);
    return slot;
  }
  // The slot's generation must have moved on since its last EventId was handed out. Marked
  // free as well, so that not even a forged id can cancel it.
  void free_slot(std::uint32_t index, Slot& slot) {
    slot.state = SlotState::free;
    std::memcpy(slot.storage, &free_head_, sizeof free_head_);
    free_head_ = index;
  }
  void drop_tombstone(std::uint32_t index, Slot& slot) {
    --cancelled_in_queue_;
    ++slot.generation;
    free_slot(index, slot);
  }
  bool fire_next(TimeNs end_ns);
  std::uint64_t fire_loop(TimeNs end_ns, std::uint64_t max_events);
  // Rare paths, kept out of line (also under LTO) so that scheduling and firing stay small
  // enough to inline into every handler.
  [[gnu::noinline, gnu::cold]] void grow_slab();
  // The queue could not take a new entry (out of memory): the handler is destroyed, the slot freed.
  [[gnu::noinline, gnu::cold]] void unqueue_failed(std::uint32_t index, Slot& slot);
  // Destroys a pending handler; its queue entry becomes a tombstone.
  void destroy_pending(Slot& slot);
  [[gnu::noinline]] void compact();
  [[noreturn, gnu::noinline, gnu::cold]] void throw_past(TimeNs at_ns) const;
  [[noreturn, gnu::noinline, gnu::cold]] void throw_bad_delay(TimeNs delay_ns) const;
  [[noreturn, gnu::noinline, gnu::cold]] static void throw_too_many_scheduled();

  template <class Fn>
  static void fire_inline(void* storage) {
    Fn* const fn = std::launder(static_cast<Fn*>(storage));
    if constexpr (std::is_trivially_destructible_v<Fn>) {
      (*fn)();
    } else {
      struct Destroy {
        Fn* fn;
        ~Destroy() { fn->~Fn(); }
      } const destroy{fn};
      (*fn)();
    }
  }
  template <class Fn>
  static void destroy_inline(void* storage) {
    std::launder(static_cast<Fn*>(storage))->~Fn();
  }
  template <class Fn>
  static Fn* boxed(void* storage) {
    Fn* fn;
    std::memcpy(&fn, storage, sizeof fn);
    return fn;
  }
  template <class Fn>
  static void fire_boxed(void* storage) {
    const std::unique_ptr<Fn> fn(boxed<Fn>(storage));
    (*fn)();
  }
  template <class Fn>
  static void destroy_boxed(void* storage) {
    delete boxed<Fn>(storage);
  }
  template <class Fn, class F>
  void emplace_handler(Slot& slot, F&& handler);
  // schedule_at without the check that `at_ns` is not in the past.
  template <class F>
  [[gnu::always_inline]] EventId schedule_unchecked(TimeNs at_ns, F&& handler);

  EventQueue queue_;
  Slot* slots_ = nullptr;            // reserved on first use
  std::uint32_t slot_capacity_ = 0;  // usable slots, all constructed
  static constexpr std::uint32_t kNoSlot = UINT32_MAX;
  std::uint32_t free_head_ = kNoSlot;  // first free slot; each links the next
  TimeNs now_ns_ = 0;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t fired_ = 0;
  std::size_t cancelled_in_queue_ = 0;
  bool running_ = false;  // a run loop or step() is firing events
  bool stop_requested_ = false;
};

template <class Fn, class F>
void Kernel::emplace_handler(Slot& slot, F&& handler) {
  if constexpr (fits_inline<Fn>) {
    ::new (static_cast<void*>(slot.storage)) Fn(std::forward<F>(handler));
    slot.fire = &fire_inline<Fn>;
    slot.destroy = std::is_trivially_destructible_v<Fn> ? nullptr : &destroy_inline<Fn>;
  } else {
    Fn* fn = new Fn(std::forward<F>(handler));
    std::memcpy(slot.storage, &fn, sizeof fn);
    slot.fire = &fire_boxed<Fn>;
    slot.destroy = &destroy_boxed<Fn>;
  }
}

template <class F>
inline EventId Kernel::schedule_at(TimeNs at_ns, F&& handler) {
  if (at_ns < now_ns_) throw_past(at_ns);
  return schedule_unchecked(at_ns, std::forward<F>(handler));
}

template <class F>
inline EventId Kernel::schedule_unchecked(TimeNs at_ns, F&& handler) {
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_v<Fn&>, "an event handler takes no arguments");
  if (next_sequence_ >= kMaxScheduled) throw_too_many_scheduled();
  std::uint32_t index;
  Slot& slot = acquire_slot(index);
  if constexpr (std::is_nothrow_constructible_v<Fn, F&&> && fits_inline<Fn>) {
    emplace_handler<Fn>(slot, std::forward<F>(handler));
  } else {
    try {
      emplace_handler<Fn>(slot, std::forward<F>(handler));
    } catch (...) {
      ++slot.generation;
      free_slot(index, slot);
      throw;
    }
  }
  slot.state = SlotState::pending;
  try {
    queue_.push(Entry{at_ns, next_sequence_ << kSlotBits | index});
  } catch (...) {
    unqueue_failed(index, slot);
    throw;
  }
  ++next_sequence_;
  return EventId{index, slot.generation};
}

}  // namespace mqttsim::sim
