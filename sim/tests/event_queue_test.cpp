// The radix-heap event queue against a plain ordered set: any monotone mix of pushes and pops
// (keys above the last pop, many equal times) pops in key order, and retain() drops exactly
// what it is told to.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "sim/event_queue.hpp"

using mqttsim::sim::EventQueue;
using Key = std::pair<std::int64_t, std::uint64_t>;

namespace {

Key key_of(const EventQueue::Entry& e) {
  return {e.time_ns, e.order};
}

}  // namespace

TEST_CASE("the event queue pops in (time, order) order whatever the time scales") {
  rc::prop("pops equal the model's minimum, also after pushes below the last pop", [] {
    // Delays span bytes 0-5 of the time and collide often, to exercise every level; some
    // pushes go below the last pop, as after the kernel dropped a cancelled event.
    const auto ops = *rc::gen::container<std::vector<std::pair<int, int>>>(
        rc::gen::pair(rc::gen::inRange(0, 5), rc::gen::inRange(0, 48)));
    EventQueue queue;
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
