// The run's trace: every packet sent, dropped and delivered and every protocol event, as small
// fixed records. Recording them is optional (a sink); the 64-bit digest of the trace is always
// kept, so two runs can be compared by one number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string_view>
#include <vector>

#include "sim/digest.hpp"
#include "sim/time.hpp"

namespace mqttsim::sim {

// The numeric values below feed the digest: append new values, never renumber.
enum class TraceKind : std::uint8_t {
  packet_sent = 1,
  packet_dropped = 2,
  packet_delivered = 3,
  protocol_event = 4,  // a session or broker event: connect, disconnect, retry, error, ...
  fault = 5,           // a scheduled fault took effect: link down/up, crash, partition, ...
};

enum class TraceLayer : std::uint8_t { none = 0, mqtt = 1, mqtt_sn = 2, tcp = 3, udp = 4 };

enum class DropReason : std::uint8_t {
  none = 0,
  random_loss = 1,  // Bernoulli loss
  burst_loss = 2,   // Gilbert-Elliott bad state
  bit_errors = 3,   // PER from the bit error rate
  queue_full = 4,   // tail drop
  link_down = 5,    // outage or partition
  over_mtu = 6,
  duty_cycle = 7,  // the sub-band is still silent
  no_route = 8,
  node_down = 9,
};

inline constexpr std::uint32_t kNoNode = UINT32_MAX;
inline constexpr std::uint32_t kNoLink = UINT32_MAX;

struct TraceRecord {
  TimeNs time_ns = 0;
  TraceKind kind = TraceKind::protocol_event;
  TraceLayer layer = TraceLayer::none;
  std::uint8_t packet_type = 0;  // MQTT control packet type (1-15) or MQTT-SN MsgType; 0: none
  std::int8_t qos = 0;           // -1 for MQTT-SN QoS -1
  std::uint8_t reason = 0;       // a DropReason for drops; an MQTT reason code for events
  std::uint32_t node = kNoNode;  // where it happened
  std::uint32_t peer = kNoNode;  // the other end: destination of a send, source of a delivery
  std::uint32_t link = kNoLink;
  std::uint32_t size_bytes = 0;
  std::uint16_t packet_id = 0;     // MQTT packet identifier; 0: none
  std::uint64_t bytes_digest = 0;  // xxh64() of the packet's bytes; 0: not computed
  std::uint64_t message_id = 0;    // the delivery ledger's id of the message; 0: none
  std::string_view label;          // static text (event name, spec ref): must outlive the trace

  friend bool operator==(const TraceRecord&, const TraceRecord&) = default;
};

// The stable byte form that feeds the digest (format 1): fixed-width little-endian fields in
// declaration order, qos as its two's-complement byte, then the label as u16 length + bytes.
inline constexpr std::size_t kTraceFixedBytes = 49;
inline constexpr std::size_t kMaxTraceLabelBytes = 256;
inline constexpr std::size_t kMaxTraceRecordBytes = kTraceFixedBytes + kMaxTraceLabelBytes;
// Writes `record` into `out` (at least kMaxTraceRecordBytes); returns the bytes written.
// Throws std::length_error for a label over kMaxTraceLabelBytes.
std::size_t serialize_trace_record(const TraceRecord& record, unsigned char* out);

std::string_view trace_kind_name(TraceKind kind);
std::string_view trace_layer_name(TraceLayer layer);
std::string_view drop_reason_name(DropReason reason);

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void write(const TraceRecord& record) = 0;
};

class MemoryTraceSink final : public TraceSink {
 public:
  void write(const TraceRecord& record) override { records.push_back(record); }
  std::vector<TraceRecord> records;
};

// One JSON object per line (trace.jsonl); fields at their "none" value are left out. Digests
// are 16-digit hex strings, since JSON readers lose integers above 2^53.
class JsonlTraceSink final : public TraceSink {
 public:
  explicit JsonlTraceSink(std::ostream& out) : out_(out) {}
  void write(const TraceRecord& record) override;

 private:
  std::ostream& out_;
};

class Trace {
 public:
  explicit Trace(TraceSink* sink = nullptr) : sink_(sink) {}

  // Recording is optional; the digest is not. `sink` (or nullptr) must outlive its use.
  void set_sink(TraceSink* sink) { sink_ = sink; }
  void record(const TraceRecord& record);

  // XXH64 of the concatenated serialized records so far (xxhsum -H1 of that byte stream).
  std::uint64_t digest() const;
  std::uint64_t record_count() const { return record_count_; }

 private:
  // Records are serialized into `pending_` and hashed a few kilobytes at a time: XXH64 of a
  // stream does not depend on how it is split, and one long update costs a fraction of one
  // short update per record.
  static constexpr std::size_t kPendingBytes = 8192;
  Xxh64 hasher_;
  TraceSink* sink_;
  std::uint64_t record_count_ = 0;
  std::size_t pending_bytes_ = 0;
  unsigned char pending_[kPendingBytes];
};

}  // namespace mqttsim::sim
