// The event kernel: order by (time, insertion sequence), the clock, the bounded run calls,
// cancellation (including ids that outlive their slot), handler storage, and a property over
// random schedules with cancels.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "sim/kernel.hpp"

using mqttsim::sim::EventId;
using mqttsim::sim::Kernel;
using mqttsim::sim::kNsPerMs;
using mqttsim::sim::kTimeMaxNs;
using mqttsim::sim::TimeNs;

TEST_CASE("events fire in time order and equal times fire in scheduling order") {
  Kernel kernel;
  std::vector<int> fired;
  const std::array<TimeNs, 6> times = {30, 10, 20, 10, 30, 10};
  for (int i = 0; i < 6; ++i) {
    kernel.schedule_at(times[i], [&fired, i] { fired.push_back(i); });
  }
  CHECK(kernel.pending_count() == 6);
  CHECK(kernel.run() == 6);
  CHECK(fired == std::vector<int>{1, 3, 5, 2, 0, 4});
  CHECK(kernel.pending_count() == 0);
}

TEST_CASE("the clock reads the time of the event being fired") {
  Kernel kernel;
  std::vector<TimeNs> seen;
  kernel.schedule_at(5 * kNsPerMs, [&] { seen.push_back(kernel.now_ns()); });
  kernel.schedule_in(7, [&] { seen.push_back(kernel.now_ns()); });
  kernel.run();
  CHECK(seen == std::vector<TimeNs>{7, 5 * kNsPerMs});
  CHECK(kernel.now_ns() == 5 * kNsPerMs);  // run() leaves the clock at the last event
}

TEST_CASE("run_until fires what is due, leaves later events pending, and advances the clock") {
  Kernel kernel;
  int fired = 0;
  for (TimeNs t : {100, 200, 300, 400}) kernel.schedule_at(t, [&fired] { ++fired; });
  CHECK(kernel.run_until(300) == 3);  // an event exactly at the end time is due
  CHECK(fired == 3);
  CHECK(kernel.now_ns() == 300);
  CHECK(kernel.run_until(350) == 0);
  CHECK(kernel.now_ns() == 350);
  CHECK(kernel.pending_count() == 1);
  CHECK(kernel.next_event_ns() == 400);
}

TEST_CASE("run_steps fires at most the given number of events") {
  Kernel kernel;
  for (TimeNs t = 0; t < 10; ++t) kernel.schedule_at(t, [] {});
  CHECK(kernel.run_steps(4) == 4);
  CHECK(kernel.now_ns() == 3);
  CHECK(kernel.run_until(100, 2) == 2);
  CHECK(kernel.now_ns() == 5);  // stopped by the budget: the clock stays at the last event
  CHECK(kernel.step());
  CHECK(kernel.run() == 3);
  CHECK_FALSE(kernel.step());
  CHECK(kernel.fired_count() == 10);
}

TEST_CASE("a cancelled event never fires, and a second cancel or one after firing is refused") {
  Kernel kernel;
  bool a_fired = false;
  bool b_fired = false;
  const EventId a = kernel.schedule_at(10, [&] { a_fired = true; });
  const EventId b = kernel.schedule_at(20, [&] { b_fired = true; });
  CHECK(kernel.is_pending(a));
  CHECK(kernel.cancel(a));
  CHECK_FALSE(kernel.cancel(a));
  CHECK_FALSE(kernel.is_pending(a));
  CHECK(kernel.pending_count() == 1);
  CHECK(kernel.next_event_ns() == 20);
  kernel.run();
  CHECK_FALSE(a_fired);
  CHECK(b_fired);
  CHECK_FALSE(kernel.cancel(b));
  CHECK_FALSE(kernel.cancel(EventId{}));
}

TEST_CASE("an old id does not cancel the event that reuses its slot") {
  Kernel kernel;
  const EventId first = kernel.schedule_at(1, [] {});
  kernel.run();
  bool second_fired = false;
  const EventId second = kernel.schedule_at(2, [&] { second_fired = true; });
  CHECK(second.slot == first.slot);  // LIFO reuse makes this the interesting case
  CHECK_FALSE(kernel.cancel(first));
  kernel.run();
  CHECK(second_fired);
}

TEST_CASE("dropping a cancelled event does not move the clock or hide earlier new events") {
  Kernel kernel;
  const EventId later = kernel.schedule_at(3, [] {});
  kernel.cancel(later);
  CHECK_FALSE(kernel.step());  // drops the cancelled entry at t = 3, fires nothing
  CHECK(kernel.now_ns() == 0);
  std::vector<TimeNs> fired;
  kernel.schedule_at(3, [&] { fired.push_back(kernel.now_ns()); });
  kernel.schedule_at(0, [&] { fired.push_back(kernel.now_ns()); });
  kernel.run();
  CHECK(fired == std::vector<TimeNs>{0, 3});
}

TEST_CASE("events cannot be scheduled in the past or with a negative or overflowing delay") {
  Kernel kernel;
  kernel.schedule_at(50, [] {});
  kernel.run();
  CHECK_THROWS_AS(kernel.schedule_at(49, [] {}), std::invalid_argument);
  CHECK_THROWS_AS(kernel.schedule_in(-1, [] {}), std::invalid_argument);
  CHECK_THROWS_AS(kernel.schedule_in(kTimeMaxNs, [] {}), std::invalid_argument);
  CHECK(kernel.pending_count() == 0);
  CHECK_NOTHROW(kernel.schedule_at(50, [] {}));
}

TEST_CASE("a handler's events at the current time fire after those already queued for it") {
  Kernel kernel;
  std::vector<int> fired;
  kernel.schedule_at(10, [&] {
    fired.push_back(0);
    kernel.schedule_in(0, [&] { fired.push_back(2); });
  });
  kernel.schedule_at(10, [&] { fired.push_back(1); });
  kernel.run();
  CHECK(fired == std::vector<int>{0, 1, 2});
}

TEST_CASE("a firing event is no longer pending and cannot cancel itself") {
  Kernel kernel;
  EventId self;
  bool pending_inside = true;
  bool cancelled_inside = true;
  self = kernel.schedule_at(1, [&] {
    pending_inside = kernel.is_pending(self);
    cancelled_inside = kernel.cancel(self);
  });
  kernel.run();
  CHECK_FALSE(pending_inside);
  CHECK_FALSE(cancelled_inside);
}

TEST_CASE("not even a forged id for the next generation cancels a firing event") {
  Kernel kernel;
  EventId self;
  bool forged_cancelled = true;
  int fired = 0;
  self = kernel.schedule_at(1, [&] {
    ++fired;
    forged_cancelled = kernel.cancel(EventId{self.slot, self.generation + 1});
  });
  kernel.run();
  CHECK(fired == 1);
  CHECK_FALSE(forged_cancelled);
}

TEST_CASE("request_stop ends the run after the current handler") {
  Kernel kernel;
  int fired = 0;
  for (TimeNs t = 1; t <= 5; ++t) {
    kernel.schedule_at(t, [&] {
      if (++fired == 2) kernel.request_stop();
    });
  }
  CHECK(kernel.run_until(100) == 2);
  CHECK(kernel.now_ns() == 2);  // stopped early: the clock does not jump to the end time
  CHECK(kernel.run() == 3);     // a new run clears the request
}

TEST_CASE("running the kernel from inside a handler is refused and leaves it usable") {
  Kernel kernel;
  kernel.schedule_at(1, [&] { kernel.step(); });
  CHECK_THROWS_AS(kernel.run(), std::logic_error);
  bool later = false;
  kernel.schedule_at(2, [&] { later = true; });
  CHECK(kernel.run() == 1);
  CHECK(later);
}

TEST_CASE("large and move-only handlers work and every handler is destroyed exactly once") {
  auto token = std::make_shared<int>(0);
  {
    Kernel kernel;
    std::array<std::uint64_t, 16> big{};  // 128 bytes: stored out of line
    big[15] = 7;
    kernel.schedule_at(1, [token, big] { *token += static_cast<int>(big[15]); });
    kernel.schedule_at(2, [owned = std::make_unique<int>(5), token] { *token += *owned; });
    const EventId cancelled = kernel.schedule_at(3, [token] { *token += 1000; });
    kernel.schedule_at(4, [token, big] { *token += 1000; });  // still pending at destruction
    CHECK(token.use_count() == 5);
    kernel.cancel(cancelled);
    CHECK(token.use_count() == 4);  // a cancelled handler is released at once
    kernel.run_until(2);
    CHECK(*token == 12);
    CHECK(token.use_count() == 2);
  }
  CHECK(token.use_count() == 1);
}

TEST_CASE("a throwing handler is destroyed once, and its slot is reused") {
  auto token = std::make_shared<int>(0);
  Kernel kernel;
  kernel.schedule_at(1, [token] { throw std::runtime_error("boom"); });
  kernel.schedule_at(2, [owned = std::make_unique<int>(3), token] { *token += *owned; });
  CHECK(token.use_count() == 3);
  CHECK_THROWS_AS(kernel.run(), std::runtime_error);
  CHECK(token.use_count() == 2);  // the thrower is gone, the next one still pending
  CHECK(kernel.run() == 1);
  CHECK(*token == 3);
  CHECK(token.use_count() == 1);
  CHECK(kernel.pending_count() == 0);
}

TEST_CASE("a handler whose destructor cancels its own event is destroyed once") {
  Kernel kernel;
  EventId id;
  int destroyed = 0;
  struct SelfCancel {
    Kernel* kernel;
    EventId* id;
    int* destroyed;
    SelfCancel(Kernel* k, EventId* i, int* d) : kernel(k), id(i), destroyed(d) {}
    SelfCancel(SelfCancel&& other) noexcept
        : kernel(other.kernel), id(other.id), destroyed(other.destroyed) {
      other.kernel = nullptr;  // only the object in the slab counts
    }
    ~SelfCancel() {
      if (kernel == nullptr) return;
      ++*destroyed;
      kernel->cancel(*id);
    }
    void operator()() const {}
  };
  id = kernel.schedule_at(5, SelfCancel{&kernel, &id, &destroyed});
  CHECK(kernel.cancel(id));
  CHECK(destroyed == 1);
  CHECK(kernel.run() == 0);
  CHECK(destroyed == 1);
}

namespace {

// A handler whose destructor cancels another event and counts its own destruction. Its first
// bytes are an owning pointer: were its slot released while the destructor runs, the free-list
// link written there would change it (counted as a second destruction, and not freed).
struct CancelOnDestroy {
  std::unique_ptr<int> payload = std::make_unique<int>(42);
  int* payload_copy = payload.get();
  Kernel* kernel;
  const EventId* victim;
  int* destroyed;
  CancelOnDestroy(Kernel* k, const EventId* v, int* d) : kernel(k), victim(v), destroyed(d) {}
  CancelOnDestroy(CancelOnDestroy&& other) noexcept
      : payload(std::move(other.payload)),
        payload_copy(other.payload_copy),
        kernel(other.kernel),
        victim(other.victim),
        destroyed(other.destroyed) {
    other.kernel = nullptr;  // only the object in the slab counts
  }
  ~CancelOnDestroy() {
    if (kernel == nullptr) return;
    ++*destroyed;
    kernel->cancel(*victim);
    if (payload.get() != payload_copy) {
      ++*destroyed;
      (void)payload.release();
    }
  }
  void operator()() const {}
};
static_assert(sizeof(CancelOnDestroy) <= Kernel::kInlineBytes);

}  // namespace

TEST_CASE("a destructor that cancels another event during the kernel's destruction is safe") {
  auto token = std::make_shared<int>(0);
  int destroyed = 0;
  {
    Kernel kernel;
    // The victim's slot comes first, so the kernel destroys it before the canceller.
    const EventId victim = kernel.schedule_at(10, [token] {});
    kernel.schedule_at(1000, CancelOnDestroy{&kernel, &victim, &destroyed});
    CHECK(token.use_count() == 2);
  }
  CHECK(destroyed == 1);
  CHECK(token.use_count() == 1);  // released once, not twice
}

TEST_CASE("a cancel whose handler's destructor triggers compaction keeps that slot until done") {
  Kernel kernel;
  int destroyed = 0;
  std::vector<EventId> ids;
  for (TimeNs i = 0; i < 5000; ++i) ids.push_back(kernel.schedule_at(i + 1, [] {}));
  // One cancel short of the compaction threshold (4096 tombstones, half the queue).
  for (std::size_t i = 0; i < 4095; ++i) CHECK(kernel.cancel(ids[i]));
  const EventId victim = ids[4999];
  const EventId canceller = kernel.schedule_at(9000, CancelOnDestroy{&kernel, &victim, &destroyed});
  // Its destructor's cancel of the victim makes the 4096th tombstone and compacts, while the
  // canceller's own destructor is still running.
  CHECK(kernel.cancel(canceller));
  CHECK(destroyed == 1);
  CHECK_FALSE(kernel.is_pending(victim));
  // A slot taken now is not the canceller's storage being handed out twice: both fire.
  int fired = 0;
  kernel.schedule_at(9001, [&fired] { ++fired; });
  kernel.schedule_at(9002, [&fired] { ++fired; });
  CHECK(kernel.run() == 904 + 2);
  CHECK(fired == 2);
  CHECK(kernel.pending_count() == 0);
}

TEST_CASE("the handler slab grows past many ranges and keeps every handler in place") {
  // 100k pending handlers, each of which checks that it was moved exactly once (from the
  // argument into its slot) and that its storage did not move since, and that events still
  // fire in time order.
  struct Check {
    std::size_t* good;
    TimeNs* last_ns;
    Kernel* kernel;
    const Check* self;
    int moves = 0;
    Check(std::size_t* g, TimeNs* l, Kernel* k) : good(g), last_ns(l), kernel(k), self(this) {}
    Check(Check&& other) noexcept
        : good(other.good),
          last_ns(other.last_ns),
          kernel(other.kernel),
          self(this),
          moves(other.moves + 1) {}
    void operator()() const {
      if (moves == 1 && self == this && kernel->now_ns() > *last_ns) ++*good;
      *last_ns = kernel->now_ns();
    }
  };
  Kernel kernel;
  std::size_t good = 0;
  TimeNs last_ns = 0;
  constexpr TimeNs kPending = 100'000;
  for (TimeNs i = 0; i < kPending; ++i) {
    kernel.schedule_at(kPending - i, Check{&good, &last_ns, &kernel});
  }
  CHECK(kernel.pending_count() == static_cast<std::size_t>(kPending));
  CHECK(kernel.run() == static_cast<std::uint64_t>(kPending));
  CHECK(good == static_cast<std::size_t>(kPending));
}

TEST_CASE("mass cancellation compacts the queue without changing what fires or when") {
  Kernel kernel;
  std::vector<TimeNs> fired;
  std::vector<EventId> ids;
  for (TimeNs i = 0; i < 20000; ++i) {
    const TimeNs at_ns = (i * 7919) % 5000;  // many equal times
    ids.push_back(
        kernel.schedule_at(at_ns, [&fired, &kernel] { fired.push_back(kernel.now_ns()); }));
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i % 4 != 0) CHECK(kernel.cancel(ids[i]));
  }
  CHECK(kernel.pending_count() == 5000);
  CHECK(kernel.run() == 5000);
  std::vector<TimeNs> expected;
  for (TimeNs i = 0; i < 20000; i += 4) expected.push_back((i * 7919) % 5000);
  std::sort(expected.begin(), expected.end());
  CHECK(fired == expected);
}

namespace {

// The property's model: every event scheduled, with the test's own sequence number, and what
// the kernel reported about it.
struct ScheduledEvent {
  TimeNs at_ns;
  std::size_t sequence;
  EventId id;
  bool cancelled = false;
  int fire_count = 0;
  TimeNs clock_when_fired = -1;
};

struct Schedule {
  Kernel kernel;
  std::vector<ScheduledEvent> events;
  std::vector<std::size_t> fired;  // indices into events, in firing order
  bool cancel_answers_matched = true;

  void try_cancel(std::size_t target) {
    if (events.empty()) return;
    ScheduledEvent& e = events[target % events.size()];
    const bool expected = !e.cancelled && e.fire_count == 0;
    const bool answer = kernel.cancel(e.id);
    if (answer != expected) cancel_answers_matched = false;
    e.cancelled = e.cancelled || answer;
  }

  // On firing, the event records itself and may schedule a child and cancel another event.
  void add(TimeNs delay_ns, bool spawns, TimeNs child_delay_ns, std::size_t target) {
    const std::size_t index = events.size();
    events.push_back({kernel.now_ns() + delay_ns, index, {}});
    events[index].id = kernel.schedule_in(delay_ns, [this, index, spawns, child_delay_ns, target] {
      ScheduledEvent& e = events[index];
      ++e.fire_count;
      e.clock_when_fired = kernel.now_ns();
      fired.push_back(index);
      if (spawns) {
        add(child_delay_ns, false, 0, 0);
        try_cancel(target);
      }
    });
  }
};

}  // namespace

TEST_CASE("random schedules with cancels fire in (time, sequence) order and never fire a cancel") {
  rc::prop("time order, FIFO among equal times, cancelled never fire, the rest fire once", [] {
    const auto ops = *rc::gen::container<std::vector<std::tuple<int, int, int, std::size_t>>>(
        rc::gen::tuple(rc::gen::inRange(0, 4), rc::gen::inRange(0, 4), rc::gen::inRange(0, 3),
                       rc::gen::arbitrary<std::size_t>()));
    Schedule s;
    for (const auto& [kind, delay, child_delay, target] : ops) {
      if (kind == 0) s.add(delay, false, 0, 0);
      if (kind == 1) s.add(delay, true, child_delay, target);
      if (kind == 2) s.try_cancel(target);
      if (kind == 3) s.kernel.step();
    }
    s.kernel.run();
    RC_ASSERT(s.cancel_answers_matched);
    for (std::size_t i = 1; i < s.fired.size(); ++i) {
      const ScheduledEvent& before = s.events[s.fired[i - 1]];
      const ScheduledEvent& after = s.events[s.fired[i]];
      RC_ASSERT(std::tie(before.at_ns, before.sequence) < std::tie(after.at_ns, after.sequence));
    }
    for (const ScheduledEvent& e : s.events) {
      RC_ASSERT(e.fire_count == (e.cancelled ? 0 : 1));
      if (!e.cancelled) RC_ASSERT(e.clock_when_fired == e.at_ns);
    }
    RC_ASSERT(s.kernel.pending_count() == 0u);
  });
}
