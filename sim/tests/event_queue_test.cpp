// The event queue (wheel + radix heap) and the radix heap alone against a plain ordered set: any
// mix of pushes and pops (many equal times, some keys below the last pop) pops in key order, and
// retain() drops exactly what it is told to. Long hold-model runs cross the queue's re-shaping
// and its switch to the radix heap alone, against the radix heap as the model.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "sim/distributions.hpp"
#include "sim/event_queue.hpp"
#include "sim/radix_heap.hpp"
#include "sim/random.hpp"

using mqttsim::sim::EventQueue;
using mqttsim::sim::RadixHeap;
using Key = std::pair<std::int64_t, std::uint64_t>;

namespace {

Key key_of(const EventQueue::Entry& e) {
  return {e.time_ns, e.order};
}

}  // namespace

TEMPLATE_TEST_CASE("the event queue pops in (time, order) order whatever the time scales", "",
                   EventQueue, RadixHeap) {
  rc::prop("pops equal the model's minimum, also after pushes below the last pop", [] {
    // Delays span bytes 0-5 of the time and collide often, to exercise every level; some
    // pushes go below the last pop, as after the kernel dropped a cancelled event.
    const auto ops = *rc::gen::container<std::vector<std::pair<int, int>>>(
        rc::gen::pair(rc::gen::inRange(0, 5), rc::gen::inRange(0, 48)));
    TestType queue;
    std::set<Key> model;
    std::int64_t now_ns = 0;
    std::uint64_t sequence = 0;
    for (const auto& [kind, shift] : ops) {
      if (kind <= 2 || model.empty()) {
        const std::int64_t delay_ns = shift < 8 ? 0 : (std::int64_t{1} << (shift - 8)) + shift;
        const std::int64_t at_ns =
            kind == 2 ? std::max<std::int64_t>(0, now_ns - delay_ns) : now_ns + delay_ns;
        ++sequence;
        const EventQueue::Entry entry{at_ns, sequence << 8 | (sequence % 256)};
        queue.push(entry);
        model.insert(key_of(entry));
      } else {
        RC_ASSERT(key_of(queue.peek()) == *model.begin());
        const EventQueue::Entry popped = queue.pop();
        RC_ASSERT(key_of(popped) == *model.begin());
        model.erase(model.begin());
        now_ns = std::max(now_ns, popped.time_ns);
      }
      RC_ASSERT(queue.size() == model.size());
    }
    while (!model.empty()) {
      RC_ASSERT(key_of(queue.pop()) == *model.begin());
      model.erase(model.begin());
    }
    RC_ASSERT(queue.empty());
  });
}

TEST_CASE("a push below the remembered minimum becomes the new minimum") {
  EventQueue queue;
  queue.push({1000, 1});
  queue.push({5000, 2});
  CHECK(queue.peek().time_ns == 1000);
  queue.push({500, 3});
  CHECK(queue.peek().time_ns == 500);
  CHECK(queue.pop().order == 3);
  CHECK(queue.pop().order == 1);
  CHECK(queue.pop().order == 2);
}

TEST_CASE("pushes into the open batch land in order: at its end, in the middle, before it") {
  // Until its first re-shaping the wheel has 64 ns buckets, so one bitmap word, the most a
  // batch takes, is 0-4095 ns.
  EventQueue queue;
  for (const auto& [at_ns, order] : std::vector<std::pair<std::int64_t, std::uint64_t>>{
           {100, 1}, {90, 2}, {3000, 3}, {200, 4}}) {
    queue.push({at_ns, order});
  }
  CHECK(queue.pop().order == 2);  // opens the batch 90, 100, 200, 3000
  queue.push({150, 5});           // between two entries left
  queue.push({5000, 6});          // after the batch: into the wheel
  queue.push({95, 7});            // before every entry left: into the place just popped
  queue.push({3000, 8});          // the same time as the batch's last, pushed later: after it
  queue.push({50, 9});            // below the last pop, with no popped place left
  std::vector<std::uint64_t> orders;
  while (!queue.empty()) orders.push_back(queue.pop().order);
  CHECK(orders == std::vector<std::uint64_t>{9, 7, 1, 5, 4, 3, 8, 6});
  // The front is empty and the current bucket is 5000's: an earlier push still comes first.
  queue.push({6000, 10});
  queue.push({4000, 11});
  CHECK(queue.pop().order == 11);
  CHECK(queue.pop().order == 10);
}

TEST_CASE("a bucket's own entries are sorted when its batch opens, equal times by order") {
  EventQueue queue;
  queue.push({1'000'000, 1});  // a later word: the five below are a batch of their own
  for (const auto& [at_ns, order] : std::vector<std::pair<std::int64_t, std::uint64_t>>{
           {250, 7}, {200, 8}, {230, 9}, {200, 10}, {199, 11}}) {
    queue.push({at_ns, order});
  }
  std::vector<std::uint64_t> orders;
  while (!queue.empty()) orders.push_back(queue.pop().order);
  CHECK(orders == std::vector<std::uint64_t>{11, 8, 10, 9, 7, 1});
}

TEST_CASE("pop_due leaves an entry later than the limit queued, in every tier") {
  EventQueue queue;
  queue.push({100, 1});
  queue.push({90, 2});
  queue.push({5'000'000'000, 3});  // far beyond the wheel
  EventQueue::Entry out{};
  const auto ignore = [](std::uint32_t) {};
  CHECK_FALSE(queue.pop_due(89, out, ignore));
  CHECK(queue.size() == 3);
  CHECK(queue.pop_due(95, out, ignore));
  CHECK(out.order == 2);
  CHECK_FALSE(queue.pop_due(99, out, ignore));
  CHECK(queue.pop_due(100, out, ignore));
  CHECK_FALSE(queue.pop_due(4'999'999'999, out, ignore));
  CHECK(queue.size() == 1);
  CHECK(queue.pop_due(5'000'000'000, out, ignore));
  CHECK(out.order == 3);
  CHECK(queue.empty());
}

TEST_CASE("retain keeps exactly the entries it is told to, in order") {
  EventQueue queue;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    queue.push({static_cast<std::int64_t>((i * 7919) % 997), i});
  }
  queue.pop();  // the queue has spread some buckets: retain must work on every level
  queue.retain([](const EventQueue::Entry& e) { return e.order % 3 == 0; });
  std::vector<Key> popped;
  while (!queue.empty()) popped.push_back(key_of(queue.pop()));
  CHECK(popped.size() == 333);
  CHECK(std::is_sorted(popped.begin(), popped.end()));
  for (const Key& k : popped) CHECK(k.second % 3 == 0);
}

namespace {

// Pops up to `pops` entries from both queues (until empty), pushing `pushes(i)` new entries per
// pop at `delay(rng, popped)` after it, and requires identical pop sequences. Returns how many
// pops matched. `modes` records the wheel's on/off changes, starting with its first state.
template <class Delay, class Pushes>
std::size_t against_radix_heap(std::size_t pending, std::size_t pops, Delay delay, Pushes pushes,
                               std::vector<bool>* modes = nullptr) {
  EventQueue queue;
  RadixHeap model;
  mqttsim::sim::Rng rng(7);
  std::uint64_t order = 0;
  for (std::size_t i = 0; i < pending; ++i) {
    const EventQueue::Entry entry{mqttsim::sim::uniform_int(rng, 0, 2'000'000), order++};
    queue.push(entry);
    model.push(entry);
  }
  for (std::size_t i = 0; i < pops; ++i) {
    if (model.empty()) return queue.empty() ? pops : i;
    const EventQueue::Entry got = queue.pop();
    const EventQueue::Entry want = model.pop();
    if (key_of(got) != key_of(want) || queue.size() != model.size()) return i;
    if (modes && (modes->empty() || modes->back() != queue.wheel_on())) {
      modes->push_back(queue.wheel_on());
    }
    for (int n = pushes(i); n > 0; --n) {
      const EventQueue::Entry next{std::max<std::int64_t>(0, got.time_ns + delay(rng, got)),
                                   order++};
      queue.push(next);
      model.push(next);
    }
  }
  return pops;
}

}  // namespace

TEST_CASE("the event queue matches the radix heap over long hold-model runs of every size") {
  const auto uniform_2ms = [](mqttsim::sim::Rng& rng, const EventQueue::Entry&) {
    return mqttsim::sim::uniform_int(rng, 1, 2'000'000);
  };
  const auto one = [](std::size_t) { return 1; };
  // 100k pending switches the wheel off at its first look; the others keep it and re-shape it.
  for (const std::size_t pending :
       {std::size_t{1}, std::size_t{100}, std::size_t{10'000}, std::size_t{100'000}}) {
    INFO("pending " << pending);
    std::vector<bool> modes;
    CHECK(against_radix_heap(pending, 300'000, uniform_2ms, one, &modes) == 300'000);
    CHECK(modes == (pending < 100'000 ? std::vector<bool>{true} : std::vector<bool>{true, false}));
  }
}

TEST_CASE("the event queue matches the radix heap when time scales and the load swing") {
  // Delays from zero (bursts at one instant) to an hour, and some below the last pop; the
  // pending count grows to 100k and shrinks back to none, so the wheel turns off and on again.
  const auto mixed = [](mqttsim::sim::Rng& rng, const EventQueue::Entry& popped) {
    static constexpr std::int64_t kScalesNs[] = {
        0, 1, 1'000, 1'000'000, 10'000'000'000, 3'600'000'000'000};
    const auto scale = kScalesNs[mqttsim::sim::uniform_int(rng, 0, 5)];
    const std::int64_t delay_ns = mqttsim::sim::uniform_int(rng, 0, scale);
    return popped.order % 97 == 0 ? -delay_ns : delay_ns;
  };
  const auto swing = [](std::size_t i) { return i < 100'000 ? 2 : 0; };
  std::vector<bool> modes;
  CHECK(against_radix_heap(5, 400'000, mixed, swing, &modes) == 400'000);
  CHECK(modes == std::vector<bool>{true, false, true});
  const auto one = [](std::size_t) { return 1; };
  CHECK(against_radix_heap(5, 400'000, mixed, one) == 400'000);
}
