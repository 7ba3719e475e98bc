// The link model: exact serialization and LoRa airtime, the PER formula, queue tail drop, MTU,
// outages and duty cycle; loss and latency statistics over 100k+ packets within stated
// tolerances (about 5 standard errors); and determinism by seed and link name.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "sim/net/link.hpp"
#include "sim/net/profiles.hpp"

using namespace mqttsim::sim;
using namespace mqttsim::sim::net;

namespace {

LinkConfig plain(const char* name) {
  LinkConfig c;
  c.name = name;
  return c;
}

// Offers `n` packets one every `gap_ns`, returns the outcomes.
std::vector<Outcome> offer(LinkModel& link, int n, TimeNs gap_ns, std::int64_t size_bytes) {
  std::vector<Outcome> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back(link.transmit(TimeNs{i} * gap_ns, size_bytes));
  return out;
}

double loss_fraction(const std::vector<Outcome>& outcomes) {
  double lost = 0;
  for (const Outcome& o : outcomes) lost += o.delivered() ? 0 : 1;
  return lost / static_cast<double>(outcomes.size());
}

}  // namespace

TEST_CASE("serialization delay is bits / rate, rounded up to whole ns") {
  CHECK(serialization_ns(1500, 1'000'000'000) == 12'000);
  CHECK(serialization_ns(1, 3) == 2'666'666'667);  // 8e9 / 3 = 2666666666.67, rounded up
  CHECK(serialization_ns(64, 0) == 0);             // rate 0 means infinitely fast
  LinkConfig c = plain("ser");
  c.rate_bps = 8'000'000;  // one byte per µs
  c.latency_ns = 5 * kNsPerMs;
  LinkModel link(c, Rng(1));
  const Outcome a = link.transmit(0, 1000);
  const Outcome b = link.transmit(0, 500);  // waits for a to leave
  CHECK(a.departed_at_ns == 1'000'000);
  CHECK(a.delivered_at_ns == 6'000'000);
  CHECK(b.departed_at_ns == 1'500'000);
  CHECK(b.delivered_at_ns == 6'500'000);
}

TEST_CASE("a full queue drops at the tail, by packets and by bytes") {
  LinkConfig c = plain("queue");
  c.rate_bps = 8'000;  // 1 ms per byte
  c.queue_limit_packets = 3;
  LinkModel link(c, Rng(1));
  for (int i = 0; i < 3; ++i) CHECK(link.transmit(0, 10).delivered());
  CHECK(link.transmit(0, 10).drop == DropReason::queue_full);
  CHECK(link.transmit(9 * kNsPerMs, 10).drop == DropReason::queue_full);
  CHECK(link.transmit(10 * kNsPerMs, 10).delivered());  // the first left at 10 ms
  CHECK(link.stats().dropped_for(DropReason::queue_full) == 2);

  LinkConfig b = plain("bytes");
  b.rate_bps = 8'000;
  b.queue_limit_bytes = 100;
  LinkModel by_bytes(b, Rng(1));
  CHECK(by_bytes.transmit(0, 60).delivered());
  CHECK(by_bytes.transmit(0, 41).drop == DropReason::queue_full);
  CHECK(by_bytes.transmit(0, 40).delivered());
}

TEST_CASE("packets above the MTU are dropped, not fragmented") {
  LinkConfig c = plain("mtu");
  c.mtu_bytes = 1500;
  LinkModel link(c, Rng(1));
  CHECK(link.transmit(0, 1500).delivered());
  CHECK(link.transmit(0, 1501).drop == DropReason::mtu);
}

TEST_CASE("outages drop packets offered during them and packets in flight across them") {
  LinkConfig c = plain("outage");
  c.latency_ns = 10 * kNsPerMs;
  c.outages = {{200 * kNsPerMs, 300 * kNsPerMs}, {100 * kNsPerMs, 150 * kNsPerMs}};
  LinkModel link(c, Rng(1));
  CHECK(link.transmit(0, 100).delivered());
  CHECK(link.transmit(95 * kNsPerMs, 100).drop == DropReason::outage);  // arrives at 105 ms
  CHECK(link.transmit(120 * kNsPerMs, 100).drop == DropReason::outage);
  CHECK(link.transmit(150 * kNsPerMs, 100).delivered());  // the end is exclusive
  CHECK(link.transmit(299 * kNsPerMs, 100).drop == DropReason::outage);
  link.add_outage({400 * kNsPerMs, 500 * kNsPerMs});
  CHECK(link.transmit(450 * kNsPerMs, 100).drop == DropReason::outage);
  CHECK(link.transmit(500 * kNsPerMs, 100).delivered());
}

TEST_CASE("PER = 1 - (1 - BER)^bits, computed deterministically") {
  const auto exact = [](double ber, std::int64_t bits) {
    return -std::expm1(static_cast<double>(bits) * std::log1p(-ber));
  };
  for (const double ber : {1e-12, 1e-9, 1e-6, 1e-5, 1e-3, 0.1}) {
    for (const std::int64_t bits : {1, 8, 512, 8000, 12000, 1'000'000}) {
      CHECK(packet_error_rate(ber, bits) == Approx(exact(ber, bits)).epsilon(1e-12));
    }
  }
  CHECK(packet_error_rate(0, 8000) == 0);
  CHECK(packet_error_rate(1, 8) == 1);
  CHECK(packet_error_rate(1e-12, 8) == Approx(8e-12).epsilon(1e-9));  // no cancellation
}

TEST_CASE("with a bit error rate, larger packets lose more, as the PER says") {
  const double ber = 1e-4;
  constexpr int kPackets = 100'000;
  double last = 0;
  for (const std::int64_t size : {100, 500, 1000}) {
    LinkConfig c = plain("ber");
    c.bit_error_rate = ber;
    LinkModel link(c, Rng(7));
    const double measured = loss_fraction(offer(link, kPackets, 1, size));
    const double per = packet_error_rate(ber, size * 8);
    const double se = std::sqrt(per * (1 - per) / kPackets);
    CHECK(std::abs(measured - per) < 5 * se);
    CHECK(measured > last);
    last = measured;
    CHECK(link.stats().dropped_for(DropReason::bit_error) + link.stats().delivered == kPackets);
  }
}

TEST_CASE("Bernoulli loss matches p within 5 standard errors over 100k packets") {
  for (const double p : {0.001, 0.01, 0.05, 0.3}) {
    LinkConfig c = plain("bernoulli");
    c.loss = LossConfig{LossKind::bernoulli, p, 0, 1, 0, 1};
    LinkModel link(c, Rng(11));
    constexpr int kPackets = 100'000;
    const double measured = loss_fraction(offer(link, kPackets, 1, 100));
    CHECK(std::abs(measured - p) < 5 * std::sqrt(p * (1 - p) / kPackets));
  }
}

TEST_CASE("Gilbert-Elliott: stationary loss p_gb/(p_gb+p_bg), mean burst 1/p_bg") {
  // Loss exactly in the bad state, so loss bursts are bad-state sojourns.
  const double p_gb = 0.01, p_bg = 0.2;
  LinkConfig c = plain("ge");
  c.loss = LossConfig{LossKind::gilbert_elliott, 0, p_gb, p_bg, 0, 1};
  LinkModel link(c, Rng(3));
  constexpr int kPackets = 200'000;
  const std::vector<Outcome> out = offer(link, kPackets, 1, 100);
  int bursts = 0, lost = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i].delivered()) continue;
    ++lost;
    if (i == 0 || out[i - 1].delivered()) ++bursts;
  }
  const double pi_bad = p_gb / (p_gb + p_bg);  // 0.0476
  // Correlated draws: the variance grows by (1 + r) / (1 - r), r = 1 - p_gb - p_bg = 0.79, so
  // the standard error is about 0.0014 here; tolerance 0.007 (5 SE).
  CHECK(std::abs(lost / double{kPackets} - pi_bad) < 0.007);
  // Burst lengths are geometric (mean 5, variance 20); ~1900 bursts give SE 0.1; tolerance 0.5.
  CHECK(std::abs(lost / double(bursts) - 1 / p_bg) < 0.5);

  LinkConfig soft = c;  // partial loss in each state
  soft.loss = LossConfig{LossKind::gilbert_elliott, 0, 0.05, 0.25, 0.01, 0.5};
  LinkModel partial(soft, Rng(3));
  const double expected = (0.25 * 0.01 + 0.05 * 0.5) / 0.30;
  CHECK(std::abs(loss_fraction(offer(partial, kPackets, 1, 100)) - expected) < 0.006);
}

TEST_CASE("latency mean and jitter spread match the configuration") {
  struct Case {
    JitterKind kind;
    double mean_ns, stddev_ns;
  };
  const TimeNs base = 20 * kNsPerMs, jitter = 2 * kNsPerMs;
  const double j = static_cast<double>(jitter), b = static_cast<double>(base);
  for (const Case& k :
       {Case{JitterKind::uniform, b, j / std::sqrt(3.0)}, Case{JitterKind::normal, b, j},
        Case{JitterKind::exponential, b + j, j}, Case{JitterKind::none, b, 0}}) {
    LinkConfig c = plain("latency");
    c.latency_ns = base;
    c.jitter = k.kind;
    c.jitter_ns = jitter;
    c.in_order = false;
    LinkModel link(c, Rng(5));
    constexpr int kPackets = 100'000;
    double sum = 0, squares = 0;
    for (int i = 0; i < kPackets; ++i) {
      const TimeNs now = TimeNs{i} * kNsPerMs;
      const auto d = static_cast<double>(link.transmit(now, 100).delivered_at_ns - now);
      sum += d;
      squares += d * d;
    }
    const double mean = sum / kPackets;
    const double stddev = std::sqrt(squares / kPackets - mean * mean);
    // Mean within 5 SE (+1 ns for rounding to whole ns); the spread within 3%.
    CHECK(std::abs(mean - k.mean_ns) < 5 * k.stddev_ns / std::sqrt(double{kPackets}) + 1);
    CHECK(std::abs(stddev - k.stddev_ns) <= 0.03 * k.stddev_ns + 1);
  }
}

TEST_CASE("in-order links never deliver a packet before the one ahead of it") {
  LinkConfig c = plain("order");
  c.latency_ns = 10 * kNsPerMs;
  c.jitter = JitterKind::uniform;
  c.jitter_ns = 5 * kNsPerMs;
  LinkModel link(c, Rng(9));
  TimeNs last = 0;
  for (const Outcome& o : offer(link, 10'000, 100 * kNsPerUs, 100)) {
    CHECK(o.delivered_at_ns >= last);
    last = o.delivered_at_ns;
  }
}

TEST_CASE("LoRa airtime follows the Semtech formula") {
  LoraConfig sf7;  // SF7, 125 kHz, CR 4/5, 8 preamble symbols, explicit header, CRC
  // Symbol 1.024 ms; payload ceil(176/28)·5 + 8 = 43 symbols; 12.25 + 43 = 55.25 symbols.
  CHECK(lora_airtime_ns(sf7, 20) == 56'576'000);
  LoraConfig sf12 = sf7;
  sf12.spreading_factor = 12;  // DE on: ceil(156/40)·5 + 8 = 28; 40.25 symbols of 32.768 ms
  CHECK(lora_airtime_ns(sf12, 20) == 1'318'912'000);
  LoraConfig sf9 = sf7;
  sf9.spreading_factor = 9;  // 51 bytes: ceil(416/36)·5 + 8 = 68; 80.25 · 4.096 ms
  CHECK(lora_airtime_ns(sf9, 51) == 328'704'000);
  LoraConfig sf11 = sf7;
  sf11.spreading_factor = 11;  // DE on by default: ceil(160/36)·5 + 8 = 33; 45.25 · 16.384 ms
  CHECK(lora_airtime_ns(sf11, 20) == 741'376'000);
  sf11.low_data_rate_optimize = 0;  // forced off: ceil(160/44)·5 + 8 = 28; 40.25 · 16.384 ms
  CHECK(lora_airtime_ns(sf11, 20) == 659'456'000);
  LoraConfig wide = sf7;
  wide.bandwidth_hz = 250'000;  // half the symbol time of 125 kHz
  CHECK(lora_airtime_ns(wide, 20) == 28'288'000);
  CHECK(lora_airtime_ns(sf7, 0) > 0);  // the preamble and header still go on air
}

TEST_CASE("after a LoRa transmission the sub-band stays silent for airtime·(1/dc - 1)") {
  const TimeNs airtime = 56'576'000, silence = 99 * airtime;
  CHECK(std::abs(duty_cycle_silence_ns(airtime, 0.01) - silence) <= 1);
  CHECK(duty_cycle_silence_ns(airtime, 1.0) == 0);

  LinkConfig c = make_link_config(find_profile("lora-sf7"), "lora");
  c.loss = {};
  c.latency_ns = 0;
  LinkModel waits(c, Rng(1));
  const Outcome first = waits.transmit(0, 20);
  const Outcome second = waits.transmit(kNsPerS, 20);  // waits for the silence to end
  CHECK(first.delivered_at_ns == airtime);
  CHECK(std::abs(second.delivered_at_ns - (2 * airtime + silence)) <= 1);

  c.duty_cycle.policy = DutyCyclePolicy::drop;
  LinkModel drops(c, Rng(1));
  CHECK(drops.transmit(0, 20).delivered());
  CHECK(drops.transmit(kNsPerS, 20).drop == DropReason::duty_cycle);
  CHECK(drops.transmit(airtime + silence + 1, 20).delivered());
  CHECK(drops.transmit(airtime + silence + 2, 300).drop == DropReason::mtu);  // M = 230 at SF7
}

TEST_CASE("every built-in profile builds a valid link") {
  for (const char* name : {"ethernet", "wifi", "lte", "nbiot", "gprs", "lora-sf7", "lora-sf8",
                           "lora-sf9", "lora-sf10", "lora-sf11", "lora-sf12", "satellite"}) {
    const LinkConfig c = make_link_config(find_profile(name), name);
    LinkModel link(c, Rng(1));
    CHECK(link.transmit(0, 40).departed_at_ns >= 0);
  }
  CHECK(builtin_profiles().size() == 12);
  CHECK_THROWS_AS(find_profile("carrier-pigeon"), std::invalid_argument);
  CHECK(find_profile("satellite").latency_ns * 2 >= 550 * kNsPerMs);  // GEO RTT ≈ 600 ms
}

namespace {

std::vector<Outcome> noisy_run(std::uint64_t seed, const char* name) {
  LinkConfig c = plain(name);
  c.latency_ns = 30 * kNsPerMs;
  c.jitter = JitterKind::normal;
  c.jitter_ns = 5 * kNsPerMs;
  c.rate_bps = 1'000'000;
  c.queue_limit_packets = 20;
  c.loss = LossConfig{LossKind::gilbert_elliott, 0, 0.02, 0.3, 0.001, 0.6};
  c.bit_error_rate = 1e-6;
  LinkModel link(c, Rng(seed));
  return offer(link, 20'000, 700 * kNsPerUs, 100);
}

bool same(const std::vector<Outcome>& a, const std::vector<Outcome>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].drop != b[i].drop || a[i].delivered_at_ns != b[i].delivered_at_ns ||
        a[i].departed_at_ns != b[i].departed_at_ns)
      return false;
  }
  return true;
}

}  // namespace

TEST_CASE("the same seed and link name give the same outcomes") {
  CHECK(same(noisy_run(42, "a"), noisy_run(42, "a")));
  CHECK_FALSE(same(noisy_run(42, "a"), noisy_run(43, "a")));
  CHECK_FALSE(same(noisy_run(42, "a"), noisy_run(42, "b")));
}

TEST_CASE("link invariants hold for any configuration and offer pattern") {
  rc::prop("stats add up, delivery is after departure plus latency, departures are FIFO", [] {
    LinkConfig c = plain("prop");
    c.latency_ns = *rc::gen::inRange<TimeNs>(0, 100'000);
    c.rate_bps = *rc::gen::inRange<std::int64_t>(0, 10'000'000);
    c.queue_limit_packets = *rc::gen::inRange<std::int64_t>(0, 8);
    c.mtu_bytes = *rc::gen::inRange<std::int64_t>(0, 1500);
    c.loss = LossConfig{LossKind::bernoulli, *rc::gen::inRange(0, 100) / 100.0, 0, 1, 0, 1};
    const auto offers = *rc::gen::container<std::vector<std::pair<int, int>>>(
        rc::gen::pair(rc::gen::inRange(0, 50'000), rc::gen::inRange(0, 2000)));
    LinkModel link(c, Rng(*rc::gen::arbitrary<std::uint64_t>()));
    TimeNs now = 0, last_departure = 0;
    for (const auto& [gap, size] : offers) {
      now += gap;
      const Outcome o = link.transmit(now, size);
      if (o.departed_at_ns > 0) {
        RC_ASSERT(o.departed_at_ns >= last_departure);
        last_departure = o.departed_at_ns;
      }
      if (o.delivered()) RC_ASSERT(o.delivered_at_ns >= o.departed_at_ns + c.latency_ns);
      RC_ASSERT(link.queued_packets() <=
                (c.queue_limit_packets > 0 ? c.queue_limit_packets : 1'000'000));
    }
    std::uint64_t total = link.stats().delivered;
    for (const std::uint64_t d : link.stats().dropped) total += d;
    RC_ASSERT(total == offers.size());
  });
}

TEST_CASE("duplication never shifts the draws that decide the original packets") {
  LinkConfig c = plain("dup");
  c.latency_ns = 10 * kNsPerMs;
  c.jitter = JitterKind::uniform;
  c.jitter_ns = 5 * kNsPerMs;
  c.in_order = false;
  c.loss.kind = LossKind::bernoulli;
  c.loss.p = 0.2;
  LinkModel plain_link(c, Rng(5));
  c.duplicate_p = 0.3;
  LinkModel dup_link(c, Rng(5));
  const auto a = offer(plain_link, 5000, kNsPerMs, 100);
  const auto b = offer(dup_link, 5000, kNsPerMs, 100);
  int duplicated = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].drop == b[i].drop);
    CHECK(a[i].delivered_at_ns == b[i].delivered_at_ns);
    CHECK_FALSE(a[i].duplicated());
    duplicated += b[i].duplicated() ? 1 : 0;
    if (b[i].duplicated()) CHECK(b[i].delivered());
  }
  CHECK(duplicated > 1000);
  CHECK(static_cast<std::uint64_t>(duplicated) == dup_link.stats().duplicated);
}

TEST_CASE("a link set down drops what is offered and reports packets in flight") {
  LinkConfig c = plain("down");
  c.latency_ns = 10 * kNsPerMs;
  LinkModel link(c, Rng(1));
  const Outcome before = link.transmit(0, 100);
  REQUIRE(before.delivered());
  link.set_down(5 * kNsPerMs, true);
  CHECK(link.is_down());
  CHECK(link.down_during(before.started_at_ns, before.delivered_at_ns));  // in flight: caught
  CHECK(link.transmit(6 * kNsPerMs, 100).drop == DropReason::outage);
  link.set_down(8 * kNsPerMs, false);
  CHECK_FALSE(link.is_down());
  CHECK(link.down_during(0, 10 * kNsPerMs));  // the closed interval stays on record
  CHECK_FALSE(link.down_during(8 * kNsPerMs, 20 * kNsPerMs));
  CHECK(link.transmit(8 * kNsPerMs, 100).delivered());
}
