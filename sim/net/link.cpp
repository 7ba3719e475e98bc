// The link model's arithmetic (serialization, LoRa airtime, duty cycle, PER) and its per-packet
// decisions. Everything that decides behaviour uses integers or sim's deterministic
// det_log/det_exp.
#include "sim/net/link.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

#include "sim/distributions.hpp"

namespace mqttsim::sim::net {
namespace {

__extension__ using Wide = __int128;

[[gnu::noinline]] TimeNs ceil_div(Wide num, Wide den) {
  const Wide q = (num + den - 1) / den;
  return q > static_cast<Wide>(kTimeMaxNs) ? kTimeMaxNs : static_cast<TimeNs>(q);
}

TimeNs saturating_add(TimeNs a, TimeNs b) {
  return b > 0 && a > kTimeMaxNs - b ? kTimeMaxNs : a + b;
}

// log1p and expm1 through Goldberg's and Kahan's corrections: exact enough for BER ~ 1e-12.
double det_log1p(double x) {
  const double u = 1.0 + x;
  if (u == 1.0) return x;
  return det_log(u) * x / (u - 1.0);
}
double det_expm1(double y) {
  const double u = det_exp(y);
  if (u == 1.0) return y;
  if (u - 1.0 == -1.0) return -1.0;
  return (u - 1.0) * y / det_log(u);
}

bool probability(double p) {
  return p >= 0 && p <= 1;
}

void validate(const LinkConfig& c) {
  const auto fail = [&c](const char* what) {
    throw std::invalid_argument("link '" + c.name + "': " + what);
  };
  if (c.latency_ns < 0 || c.jitter_ns < 0) fail("negative latency or jitter");
  if (c.rate_bps < 0 || c.queue_limit_packets < 0 || c.queue_limit_bytes < 0 || c.mtu_bytes < 0)
    fail("negative rate, queue limit or MTU");
  const LossConfig& l = c.loss;
  if (!probability(l.p) || !probability(l.p_good_to_bad) || !probability(l.p_bad_to_good) ||
      !probability(l.loss_good) || !probability(l.loss_bad))
    fail("loss probability outside [0, 1]");
  if (!probability(c.bit_error_rate)) fail("bit error rate outside [0, 1]");
  if (!probability(c.duplicate_p)) fail("duplicate probability outside [0, 1]");
  for (const Outage& o : c.outages) {
    if (o.end_ns < o.start_ns) fail("outage ends before it starts");
  }
  const DutyCycleConfig& d = c.duty_cycle;
  if (d.enabled) {
    if (!(d.duty_cycle > 0 && d.duty_cycle <= 1)) fail("duty cycle outside (0, 1]");
    if (d.lora.spreading_factor < 6 || d.lora.spreading_factor > 12) fail("SF outside 6..12");
    if (d.lora.bandwidth_hz <= 0) fail("LoRa bandwidth must be positive");
    if (d.lora.coding_rate < 1 || d.lora.coding_rate > 4) fail("coding rate outside 1..4");
    if (d.lora.preamble_symbols < 0) fail("negative preamble");
  }
}

}  // namespace

const char* to_string(DropReason reason) {
  switch (reason) {
    case DropReason::none:
      return "none";
    case DropReason::outage:
      return "outage";
    case DropReason::mtu:
      return "mtu";
    case DropReason::queue_full:
      return "queue_full";
    case DropReason::duty_cycle:
      return "duty_cycle";
    case DropReason::loss:
      return "loss";
    case DropReason::bit_error:
      return "bit_error";
    case DropReason::count_:
      break;
  }
  return "?";
}

TimeNs serialization_ns(std::int64_t size_bytes, std::int64_t rate_bps) {
  if (rate_bps <= 0 || size_bytes <= 0) return 0;
  // In 64 bits when nothing can overflow (packets below ~570 MB): the same quotient as the
  // 128-bit path without a __divti3 call per packet.
  constexpr std::int64_t kHalf = std::numeric_limits<std::int64_t>::max() / 2;
  if (size_bytes <= kHalf / (8 * kNsPerS) && rate_bps <= kHalf) {
    return (size_bytes * 8 * kNsPerS + rate_bps - 1) / rate_bps;
  }
  return ceil_div(static_cast<Wide>(size_bytes) * 8 * kNsPerS, rate_bps);
}

TimeNs lora_airtime_ns(const LoraConfig& lora, std::int64_t payload_bytes) {
  const int sf = lora.spreading_factor;
  const Wide symbol_num = (Wide{1} << sf) * kNsPerS;  // symbol time = 2^SF / BW seconds
  const bool de = lora.low_data_rate_optimize < 0
                      ? symbol_num > Wide{16} * kNsPerMs * lora.bandwidth_hz
                      : lora.low_data_rate_optimize != 0;
  // Payload symbols: 8 + max(ceil((8PL − 4SF + 28 + 16CRC − 20IH) / (4(SF − 2DE)))·(CR + 4), 0).
  const std::int64_t num =
      8 * payload_bytes - 4 * sf + 28 + (lora.crc ? 16 : 0) - (lora.explicit_header ? 0 : 20);
  const std::int64_t den = 4 * (sf - (de ? 2 : 0));
  const std::int64_t blocks = num > 0 ? (num + den - 1) / den : 0;
  const std::int64_t payload_symbols = 8 + blocks * (lora.coding_rate + 4);
  // Preamble: n + 4.25 symbols. Counted in quarter symbols to stay in integers.
  const Wide quarter_symbols = 4 * (lora.preamble_symbols + payload_symbols) + 17;
  return ceil_div(quarter_symbols * symbol_num, Wide{4} * lora.bandwidth_hz);
}

TimeNs duty_cycle_silence_ns(TimeNs airtime_ns, double dc) {
  return round_to_ns(static_cast<double>(airtime_ns) * (1.0 - dc) / dc);
}

double packet_error_rate(double ber, std::int64_t bits) {
  if (ber <= 0 || bits <= 0) return 0;
  if (ber >= 1) return 1;
  return -det_expm1(static_cast<double>(bits) * det_log1p(-ber));
}

LinkModel::LinkModel(LinkConfig config, const Rng& world)
    : loss_rng_(world.fork("link/" + config.name).fork("loss")),
      jitter_rng_(world.fork("link/" + config.name).fork("jitter")),
      config_(std::move(config)),
      duplicate_rng_(world.fork("link/" + config_.name).fork("duplicate")) {
  validate(config_);
  sort_outages();
}

void LinkModel::share_radio(LinkModel& other) {
  if (!other.shared_radio_) other.shared_radio_ = std::make_shared<Radio>(other.own_radio_);
  shared_radio_ = other.shared_radio_;
}

void LinkModel::sort_outages() {
  // Sorted by start so that lookups do not depend on the order the scenario listed them in.
  std::sort(config_.outages.begin(), config_.outages.end(), [](const Outage& a, const Outage& b) {
    return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.end_ns < b.end_ns;
  });
}

void LinkModel::add_outage(Outage outage) {
  config_.outages.push_back(outage);
  validate(config_);
  sort_outages();
}

void LinkModel::set_down(TimeNs now_ns, bool down) {
  if (down == is_down()) return;
  if (down) {
    down_since_ns_ = now_ns;
    return;
  }
  // The closed interval joins the outage list, so packets offered during it that are still in
  // flight are judged the same way as under a scheduled outage.
  if (now_ns > down_since_ns_) config_.outages.push_back(Outage{down_since_ns_, now_ns});
  down_since_ns_ = -1;
  sort_outages();
}

void LinkModel::count_late_drop() {
  --stats_.delivered;
  ++stats_.dropped[static_cast<std::size_t>(DropReason::outage)];
}

void LinkModel::set_loss(const LossConfig& loss) {
  config_.loss = loss;
  validate(config_);
}

void LinkModel::set_bit_error_rate(double ber) {
  config_.bit_error_rate = ber;
  validate(config_);
  for (PerEntry& e : per_cache_) e = PerEntry{};
}

double LinkModel::cached_packet_error_rate(std::int64_t size_bytes) {
  for (const PerEntry& e : per_cache_) {
    if (e.size_bytes == size_bytes) return e.per;
  }
  const double per = packet_error_rate(config_.bit_error_rate, size_bytes * 8);
  per_cache_[per_cache_next_] = PerEntry{size_bytes, per};
  per_cache_next_ = static_cast<std::uint8_t>((per_cache_next_ + 1) % std::size(per_cache_));
  return per;
}

bool LinkModel::outage_overlaps_slow(TimeNs start_ns, TimeNs end_ns) const {
  if (down_since_ns_ >= 0 && end_ns > down_since_ns_) return true;
  // Few outages per link: a linear scan is simplest and order-independent.
  for (const Outage& o : config_.outages) {
    if (o.start_ns >= end_ns) break;
    if (o.end_ns > start_ns && o.end_ns > o.start_ns) return true;
  }
  return false;
}

inline void LinkModel::drain(TimeNs now_ns) {
  Radio& r = radio();
  if (r.free_at_ns <= now_ns) {
    // Idle: everything queued has departed (no packet departs after free_at_ns). Emptied
    // without reading the entries, which are cold by now.
    r.queue.clear();
    r.queue_head = 0;
    r.queued_bytes = 0;
    return;
  }
  while (r.queue_head < r.queue.size() && r.queue[r.queue_head].departs_ns <= now_ns) {
    r.queued_bytes -= r.queue[r.queue_head].size_bytes;
    ++r.queue_head;
  }
  if (r.queue_head == r.queue.size()) {
    r.queue.clear();
    r.queue_head = 0;
  } else if (r.queue_head >= 64 && 2 * r.queue_head >= r.queue.size()) {
    r.queue.erase(r.queue.begin(), r.queue.begin() + static_cast<std::ptrdiff_t>(r.queue_head));
    r.queue_head = 0;
  }
}

bool LinkModel::queue_full(std::int64_t size_bytes) const {
  const std::int64_t packets = queued_packets();
  if (config_.queue_limit_packets > 0 && packets >= config_.queue_limit_packets) return true;
  return config_.queue_limit_bytes > 0 &&
         radio().queued_bytes + size_bytes > config_.queue_limit_bytes;
}

TimeNs LinkModel::tx_duration_ns(std::int64_t size_bytes) const {
  if (config_.duty_cycle.enabled) return lora_airtime_ns(config_.duty_cycle.lora, size_bytes);
  return serialization_ns(size_bytes, config_.rate_bps);
}

bool LinkModel::lost_by_model() {
  const LossConfig& l = config_.loss;
  switch (l.kind) {
    case LossKind::none:
      return false;
    case LossKind::bernoulli:
      return bernoulli(loss_rng_, l.p);
    case LossKind::gilbert_elliott: {
      // Transition first, so a packet's fate follows the channel state it is sent in.
      ge_bad_ = bernoulli(loss_rng_, ge_bad_ ? 1.0 - l.p_bad_to_good : l.p_good_to_bad);
      return bernoulli(loss_rng_, ge_bad_ ? l.loss_bad : l.loss_good);
    }
  }
  return false;
}

inline TimeNs LinkModel::draw_delay_ns(Rng& rng) {
  const double base = static_cast<double>(config_.latency_ns);
  const double jitter = static_cast<double>(config_.jitter_ns);
  double delay = base;
  switch (config_.jitter) {
    case JitterKind::none:
      break;
    case JitterKind::uniform:
      delay += uniform_real(rng, -jitter, jitter);
      break;
    case JitterKind::normal:
      delay += normal(rng, 0, jitter);
      break;
    case JitterKind::exponential:
      if (jitter > 0) delay += exponential(rng, jitter);
      break;
  }
  return std::max<TimeNs>(0, round_to_ns(delay));  // never faster than instantaneous
}

Outcome LinkModel::drop(DropReason reason, TimeNs departed_at_ns) {
  ++stats_.dropped[static_cast<std::size_t>(reason)];
  return Outcome{reason, departed_at_ns, 0};
}

Outcome LinkModel::transmit(TimeNs now_ns, std::int64_t size_bytes) {
  if (now_ns < last_now_ns_) throw std::invalid_argument("LinkModel::transmit: time went back");
  if (size_bytes < 0) throw std::invalid_argument("LinkModel::transmit: negative size");
  last_now_ns_ = now_ns;
  ++stats_.offered;
  drain(now_ns);
  if (in_outage(now_ns)) return drop(DropReason::outage);
  if (config_.mtu_bytes > 0 && size_bytes > config_.mtu_bytes) return drop(DropReason::mtu);
  const DutyCycleConfig& dc = config_.duty_cycle;
  Radio& radio = this->radio();
  if (dc.enabled && dc.policy == DutyCyclePolicy::drop && now_ns < radio.free_at_ns)
    return drop(DropReason::duty_cycle);
  if (queue_full(size_bytes)) return drop(DropReason::queue_full);

  const TimeNs start_ns = std::max(now_ns, radio.free_at_ns);
  const TimeNs tx_ns = tx_duration_ns(size_bytes);
  const TimeNs departs_ns = saturating_add(start_ns, tx_ns);
  radio.free_at_ns = departs_ns;
  if (dc.enabled) {
    radio.free_at_ns = saturating_add(departs_ns, duty_cycle_silence_ns(tx_ns, dc.duty_cycle));
  }
  radio.queue.push_back(Queued{departs_ns, size_bytes});
  radio.queued_bytes += size_bytes;

  // Every packet on the wire draws the same numbers whatever its fate, so one drop does not
  // shift the draws of the packets after it.
  const bool lost = lost_by_model();
  const bool corrupted =
      config_.bit_error_rate > 0 && bernoulli(loss_rng_, cached_packet_error_rate(size_bytes));
  TimeNs arrives_ns = saturating_add(departs_ns, draw_delay_ns(jitter_rng_));
  if (config_.in_order) arrives_ns = std::max(arrives_ns, last_delivery_ns_);

  if (lost) return drop(DropReason::loss, departs_ns);
  if (corrupted) return drop(DropReason::bit_error, departs_ns);
  if (outage_overlaps(start_ns, arrives_ns)) return drop(DropReason::outage, departs_ns);
  last_delivery_ns_ = arrives_ns;
  ++stats_.delivered;
  Outcome outcome{DropReason::none, departs_ns, arrives_ns};
  outcome.started_at_ns = start_ns;
  if (config_.duplicate_p > 0 && bernoulli(duplicate_rng_, config_.duplicate_p)) {
    TimeNs copy_ns = saturating_add(departs_ns, draw_delay_ns(duplicate_rng_));
    if (config_.in_order) copy_ns = std::max(copy_ns, last_delivery_ns_);
    if (!outage_overlaps(start_ns, copy_ns)) {
      if (config_.in_order) last_delivery_ns_ = copy_ns;
      outcome.duplicate_at_ns = copy_ns;
      ++stats_.duplicated;
    }
  }
  return outcome;
}

}  // namespace mqttsim::sim::net
