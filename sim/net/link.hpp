// One unidirectional link: propagation latency with jitter, serialization at a bit rate (or LoRa
// airtime with a duty-cycle limit), a FIFO tail-drop queue, an MTU, loss models and outages.
// transmit() decides each packet's fate at once; the caller schedules the delivery on the Kernel.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/random.hpp"
#include "sim/time.hpp"

namespace mqttsim::sim::net {

enum class JitterKind : std::uint8_t {
  none,
  uniform,      // uniform in [-jitter_ns, +jitter_ns]
  normal,       // normal with stddev jitter_ns
  exponential,  // exponential with mean jitter_ns, added on top (only ever later)
};

enum class LossKind : std::uint8_t { none, bernoulli, gilbert_elliott };

struct LossConfig {
  LossKind kind = LossKind::none;
  double p = 0;  // bernoulli: loss probability per packet
  // Gilbert–Elliott: per-packet state transitions, then a loss draw in the new state.
  double p_good_to_bad = 0;
  double p_bad_to_good = 1;
  double loss_good = 0;
  double loss_bad = 1;
};

// The Semtech LoRa modem parameters that decide airtime (AN1200.13, SX1276 datasheet §4.1.1.7).
struct LoraConfig {
  int spreading_factor = 7;  // 7..12
  std::int64_t bandwidth_hz = 125'000;
  int coding_rate = 1;  // 1..4 for 4/5..4/8
  int preamble_symbols = 8;
  bool explicit_header = true;  // IH = 0
  bool crc = true;
  // Low data rate optimisation (DE): -1 = automatic, on when the symbol time exceeds 16 ms
  // (SF11 and SF12 at 125 kHz), as the Semtech modem requires.
  int low_data_rate_optimize = -1;
};

// What the device does with a packet offered while the sub-band is silent after a transmission.
enum class DutyCyclePolicy : std::uint8_t {
  wait,  // queue it (subject to the queue limit) until the silence ends
  drop,  // drop it with DropReason::duty_cycle; nothing queues behind the duty cycle
};

struct DutyCycleConfig {
  bool enabled = false;
  LoraConfig lora;
  double duty_cycle = 0.01;  // fraction of time on air, in (0, 1]
  DutyCyclePolicy policy = DutyCyclePolicy::wait;
  // The regulatory sub-band the transmitter uses. The duty cycle binds a transmitter per
  // sub-band, so links leaving one node on the same sub-band share one radio (Topology joins
  // them with share_radio): one queue, and airtime and silences on one timeline, as a
  // gateway's downlinks to many devices have. Empty: this link has a radio of its own.
  std::string sub_band;
};

// Half-open [start_ns, end_ns): the link drops everything offered or in flight then.
struct Outage {
  TimeNs start_ns = 0;
  TimeNs end_ns = 0;
};

struct LinkConfig {
  // What transmit() reads for every packet comes first, so that it spans few cache lines.
  TimeNs latency_ns = 0;
  TimeNs jitter_ns = 0;
  std::int64_t rate_bps = 0;             // 0 = infinite (no serialization delay)
  std::int64_t queue_limit_packets = 0;  // 0 = unlimited; counts waiting and serializing packets
  std::int64_t queue_limit_bytes = 0;    // 0 = unlimited
  std::int64_t mtu_bytes = 0;            // 0 = unlimited; larger packets are dropped (see below)
  LossConfig loss;
  double bit_error_rate = 0;  // independent of `loss`; both apply
  // Probability that a delivered packet arrives twice (a link-layer retransmission whose ACK was
  // lost). The draw and the copy's delay come from the link's own "duplicate" stream, and only
  // when > 0, so duplication never shifts the loss and jitter draws of the original packets.
  double duplicate_p = 0;
  JitterKind jitter = JitterKind::none;
  // Keep delivery order: a packet never arrives before the one sent ahead of it (jitter then
  // only delays). False lets jitter reorder packets, as on a multi-path route.
  bool in_order = true;
  std::vector<Outage> outages;
  DutyCycleConfig duty_cycle;  // when enabled, airtime replaces rate_bps serialization
  std::string name;            // stable: the link's random stream is forked from it
};

enum class DropReason : std::uint8_t {
  none,
  outage,
  mtu,  // the caller (TCP/UDP transport) is expected to fragment to at most the MTU
  queue_full,
  duty_cycle,
  loss,  // Bernoulli or Gilbert–Elliott
  bit_error,
  count_,
};
const char* to_string(DropReason reason);

struct Outcome {
  DropReason drop = DropReason::none;
  TimeNs departed_at_ns = 0;    // last bit on the wire (meaningful when it got on the wire)
  TimeNs delivered_at_ns = 0;   // arrival of the last bit at the far end, when delivered
  TimeNs duplicate_at_ns = -1;  // arrival of a duplicate copy; -1 when there is none
  TimeNs started_at_ns = 0;     // first bit on the wire (after queueing), when delivered
  bool delivered() const { return drop == DropReason::none; }
  bool duplicated() const { return duplicate_at_ns >= 0; }
};

struct LinkStats {
  std::uint64_t offered = 0;
  std::uint64_t delivered = 0;
  std::uint64_t duplicated = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::count_)> dropped{};
  std::uint64_t dropped_for(DropReason reason) const {
    return dropped[static_cast<std::size_t>(reason)];
  }
};

// Serialization time of `size_bytes` at `rate_bps`: ceil(8·size·1e9 / rate) ns, rounded up
// because a packet has not left until its last bit has. 0 when rate_bps is 0 (infinite).
TimeNs serialization_ns(std::int64_t size_bytes, std::int64_t rate_bps);
// LoRa time on air of a `payload_bytes` PHY payload, rounded up to whole ns (exact for the
// 125/250/500 kHz bandwidths, whose symbol times are whole nanoseconds).
TimeNs lora_airtime_ns(const LoraConfig& lora, std::int64_t payload_bytes);
// The silence after a transmission of `airtime_ns` at duty cycle `dc`: airtime·(1/dc − 1).
TimeNs duty_cycle_silence_ns(TimeNs airtime_ns, double dc);
// PER = 1 − (1 − BER)^bits, as −expm1(bits·log1p(−BER)) from det_log/det_exp only, so that
// tiny BERs keep their precision and every platform computes the same value.
double packet_error_rate(double bit_error_rate, std::int64_t bits);

class LinkModel {
 public:
  // The link's randomness is `world.fork("link/" + name)`; config is validated (invalid_argument).
  LinkModel(LinkConfig config, const Rng& world);

  // Offers a packet at `now_ns` (non-decreasing across calls, else invalid_argument). Drops are
  // decided in this order: outage at `now_ns`, MTU, duty cycle (drop policy), queue full, then,
  // for a packet that got on the wire: loss model, bit errors, an outage during its flight.
  Outcome transmit(TimeNs now_ns, std::int64_t size_bytes);

  // Faults, effective for packets offered from now on.
  void add_outage(Outage outage);
  void set_loss(const LossConfig& loss);
  void set_bit_error_rate(double ber);
  // An open-ended outage (a link-down fault): from `now_ns` until set_down(later, false), the
  // link drops everything offered, and down_during() tells the caller which packets already in
  // flight it must drop. Kept as an outage interval, so transmit() needs no extra check.
  void set_down(TimeNs now_ns, bool down);
  bool is_down() const { return down_since_ns_ >= 0; }
  // True when an outage (scheduled or a down fault) overlaps [start_ns, end_ns).
  bool down_during(TimeNs start_ns, TimeNs end_ns) const {
    return outage_overlaps(start_ns, end_ns);
  }
  // The caller dropped a packet that transmit() had delivered (the link went down under it).
  void count_late_drop();
  // From now on this link transmits on `other`'s radio: one FIFO and one timeline of airtime
  // and duty-cycle silence for both (and any other link sharing it). Call before either has
  // transmitted.
  void share_radio(LinkModel& other);

  const LinkConfig& config() const { return config_; }
  const LinkStats& stats() const { return stats_; }
  bool in_bad_state() const { return ge_bad_; }
  std::int64_t queued_packets() const {
    return static_cast<std::int64_t>(radio().queue.size() - radio().queue_head);
  }

 private:
  struct Queued {
    TimeNs departs_ns;
    std::int64_t size_bytes;
  };
  bool in_outage(TimeNs at_ns) const { return outage_overlaps(at_ns, at_ns + 1); }
  // Inline for the usual case, a link that is up with no outage scheduled (twice per packet).
  bool outage_overlaps(TimeNs start_ns, TimeNs end_ns) const {
    if (down_since_ns_ < 0 && config_.outages.empty()) return false;
    return outage_overlaps_slow(start_ns, end_ns);
  }
  bool outage_overlaps_slow(TimeNs start_ns, TimeNs end_ns) const;
  // Inline into transmit(), which runs for every packet on every hop.
  [[gnu::always_inline]] inline void drain(TimeNs now_ns);
  bool queue_full(std::int64_t size_bytes) const;
  TimeNs tx_duration_ns(std::int64_t size_bytes) const;
  bool lost_by_model();
  [[gnu::always_inline]] inline TimeNs draw_delay_ns(Rng& rng);
  double cached_packet_error_rate(std::int64_t size_bytes);
  void sort_outages();
  Outcome drop(DropReason reason, TimeNs departed_at_ns = 0);

  // One transmitter: its FIFO of packets waiting or on air, and when it may start again (the
  // end of its last transmission, plus the duty-cycle silence). Shared by the links of one radio
  // (share_radio), whose packets then queue together, each under its own link's limits; a link
  // alone uses its own, inline. The FIFO is a vector and a head index: a queue that goes
  // 0 → 1 → 0 packets (the usual case) then reuses one allocation, where a deque allocates
  // every few.
  struct Radio {
    TimeNs free_at_ns = 0;
    std::vector<Queued> queue;
    std::size_t queue_head = 0;
    std::int64_t queued_bytes = 0;
  };
  Radio& radio() { return shared_radio_ ? *shared_radio_ : own_radio_; }
  const Radio& radio() const { return shared_radio_ ? *shared_radio_ : own_radio_; }

  // The state transmit() touches for every packet comes first and together: a fleet has tens of
  // thousands of links, and each packet's link is a cold cache line or several.
  TimeNs last_now_ns_ = 0;
  TimeNs down_since_ns_ = -1;  // start of the open-ended down fault; -1 when up
  TimeNs last_delivery_ns_ = 0;
  Radio own_radio_;
  std::shared_ptr<Radio> shared_radio_;  // set by share_radio(); own_radio_ is then unused
  Rng loss_rng_;
  Rng jitter_rng_;
  bool ge_bad_ = false;
  std::uint8_t per_cache_next_ = 0;
  LinkStats stats_;
  LinkConfig config_;
  Rng duplicate_rng_;
  // The PER of the last four packet sizes at the current bit error rate: a link carries few
  // sizes (pure ACKs, acks, one data size), and the PER costs a log and an exp per packet.
  struct PerEntry {
    std::int64_t size_bytes = -1;
    double per = 0;
  };
  PerEntry per_cache_[4];
};

}  // namespace mqttsim::sim::net
