// The discrete-event kernel: virtual time in integer nanoseconds and one event queue ordered by
// (time, insertion sequence), so events at equal times fire in the order they were scheduled.
// Built for speed: a radix heap of 16-byte entries (event_queue.hpp); handlers live in a slab.
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
  // pending at once, and events scheduled over a whole run. Exceeding either throws length_error.
  static constexpr std::uint32_t kMaxPending = 1u << 24;
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
    return schedule_at(now_ns_ + delay_ns, std::forward<F>(handler));
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
  enum class SlotState : std::uint32_t { free, pending, cancelled, firing };
  struct alignas(64) Slot {
    void (*invoke)(void* storage) = nullptr;
    void (*destroy)(void* storage) = nullptr;  // nullptr when trivially destructible
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
  static constexpr std::size_t kChunkSlots = 1024;  // slab chunks never move: handlers stay put

  template <class Fn>
  static constexpr bool fits_inline = sizeof(Fn) <= kInlineBytes && alignof(Fn) <= 8;

  static std::uint32_t slot_of(const Entry& entry) {
    return static_cast<std::uint32_t>(entry.order & kSlotMask);
  }
  Slot& slot_at(std::uint32_t index) { return chunks_[index / kChunkSlots][index % kChunkSlots]; }
  const Slot& slot_at(std::uint32_t index) const {
    return chunks_[index / kChunkSlots][index % kChunkSlots];
  }
  // Free slots form a LIFO list through their storage (the slot just freed is warm in cache).
  std::uint32_t acquire_slot() {
    if (free_head_ == kNoSlot) grow_slab();
    const std::uint32_t index = free_head_;
    std::memcpy(&free_head_, slot_at(index).storage, sizeof free_head_);
    return index;
  }
  void release_slot(std::uint32_t index, Slot& slot) {
    ++slot.generation;
    slot.state = SlotState::free;
    std::memcpy(slot.storage, &free_head_, sizeof free_head_);
    free_head_ = index;
  }
  bool fire_next(TimeNs end_ns);
  std::uint64_t fire_loop(TimeNs end_ns, std::uint64_t max_events);
  // Rare paths, kept out of line (also under LTO) so that scheduling and firing stay small
  // enough to inline into every handler.
  [[gnu::noinline, gnu::cold]] void grow_slab();
  [[gnu::noinline]] void compact();
  [[noreturn, gnu::noinline, gnu::cold]] void throw_past(TimeNs at_ns) const;
  [[noreturn, gnu::noinline, gnu::cold]] void throw_bad_delay(TimeNs delay_ns) const;
  [[noreturn, gnu::noinline, gnu::cold]] static void throw_too_many_scheduled();

  template <class Fn>
  static void invoke_inline(void* storage) {
    (*std::launder(static_cast<Fn*>(storage)))();
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
  static void invoke_boxed(void* storage) {
    (*boxed<Fn>(storage))();
  }
  template <class Fn>
  static void destroy_boxed(void* storage) {
    delete boxed<Fn>(storage);
  }
  template <class Fn, class F>
  void emplace_handler(Slot& slot, F&& handler);

  EventQueue queue_;
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  static constexpr std::uint32_t kNoSlot = UINT32_MAX;
  std::uint32_t free_head_ = kNoSlot;  // first free slot; each links the next
  TimeNs now_ns_ = 0;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t fired_ = 0;
  std::size_t cancelled_in_queue_ = 0;
  bool firing_ = false;
  bool stop_requested_ = false;
};

template <class Fn, class F>
void Kernel::emplace_handler(Slot& slot, F&& handler) {
  if constexpr (fits_inline<Fn>) {
    ::new (static_cast<void*>(slot.storage)) Fn(std::forward<F>(handler));
    slot.invoke = &invoke_inline<Fn>;
    slot.destroy = std::is_trivially_destructible_v<Fn> ? nullptr : &destroy_inline<Fn>;
  } else {
    Fn* fn = new Fn(std::forward<F>(handler));
    std::memcpy(slot.storage, &fn, sizeof fn);
    slot.invoke = &invoke_boxed<Fn>;
    slot.destroy = &destroy_boxed<Fn>;
  }
}

template <class F>
inline EventId Kernel::schedule_at(TimeNs at_ns, F&& handler) {
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_v<Fn&>, "an event handler takes no arguments");
  if (at_ns < now_ns_) throw_past(at_ns);
  if (next_sequence_ >= kMaxScheduled) throw_too_many_scheduled();
  const std::uint32_t index = acquire_slot();
  Slot& slot = slot_at(index);
  if constexpr (std::is_nothrow_constructible_v<Fn, F&&> && fits_inline<Fn>) {
    emplace_handler<Fn>(slot, std::forward<F>(handler));
  } else {
    try {
      emplace_handler<Fn>(slot, std::forward<F>(handler));
    } catch (...) {
      release_slot(index, slot);
      throw;
    }
  }
  slot.state = SlotState::pending;
  queue_.push(Entry{at_ns, next_sequence_++ << kSlotBits | index});
  return EventId{index, slot.generation};
}

}  // namespace mqttsim::sim
