// Trace records: their stable byte form (which the digest hashes), their names, and the JSONL
// sink. Nothing here depends on pointer values or container iteration order.
#include "sim/trace.hpp"

#include <bit>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <string>

namespace mqttsim::sim {
namespace {

template <class Unsigned>
unsigned char* put_le(unsigned char* out, Unsigned value) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out, &value, sizeof value);
    return out + sizeof value;
  }
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
    *out++ = static_cast<unsigned char>(value >> (8 * i));
  }
  return out;
}

void write_json_string(std::ostream& out, std::string_view text) {
  out << '"';
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out << '\\' << c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out << escaped;
    } else {
      out << c;
    }
  }
  out << '"';
}

void write_hex64(std::ostream& out, const char* key, std::uint64_t value) {
  char text[40];
  std::snprintf(text, sizeof text, ",\"%s\":\"%016llx\"", key,
                static_cast<unsigned long long>(value));
  out << text;
}

}  // namespace

std::size_t serialize_trace_record(const TraceRecord& r, unsigned char* out) {
  if (r.label.size() > kMaxTraceLabelBytes) {
    throw std::length_error("trace label longer than 256 bytes: " + std::string(r.label));
  }
  unsigned char* p = out;
  p = put_le(p, static_cast<std::uint64_t>(r.time_ns));
  p = put_le(p, static_cast<std::uint8_t>(r.kind));
  p = put_le(p, static_cast<std::uint8_t>(r.layer));
  p = put_le(p, r.packet_type);
  p = put_le(p, static_cast<std::uint8_t>(r.qos));
  p = put_le(p, r.reason);
  p = put_le(p, r.node);
  p = put_le(p, r.peer);
  p = put_le(p, r.link);
  p = put_le(p, r.size_bytes);
  p = put_le(p, r.packet_id);
  p = put_le(p, r.bytes_digest);
  p = put_le(p, r.message_id);
  p = put_le(p, static_cast<std::uint16_t>(r.label.size()));
  if (!r.label.empty()) std::memcpy(p, r.label.data(), r.label.size());
  p += r.label.size();
  return static_cast<std::size_t>(p - out);
}

std::string_view trace_kind_name(TraceKind kind) {
  switch (kind) {
    case TraceKind::packet_sent:
      return "packet_sent";
    case TraceKind::packet_dropped:
      return "packet_dropped";
    case TraceKind::packet_delivered:
      return "packet_delivered";
    case TraceKind::protocol_event:
      return "protocol_event";
    case TraceKind::fault:
      return "fault";
  }
  return "unknown";
}

std::string_view trace_layer_name(TraceLayer layer) {
  switch (layer) {
    case TraceLayer::none:
      return "none";
    case TraceLayer::mqtt:
      return "mqtt";
    case TraceLayer::mqtt_sn:
      return "mqtt-sn";
    case TraceLayer::tcp:
      return "tcp";
    case TraceLayer::udp:
      return "udp";
  }
  return "unknown";
}

std::string_view drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::none:
      return "none";
    case DropReason::random_loss:
      return "random_loss";
    case DropReason::burst_loss:
      return "burst_loss";
    case DropReason::bit_errors:
      return "bit_errors";
    case DropReason::queue_full:
      return "queue_full";
    case DropReason::link_down:
      return "link_down";
    case DropReason::over_mtu:
      return "over_mtu";
    case DropReason::duty_cycle:
      return "duty_cycle";
    case DropReason::no_route:
      return "no_route";
    case DropReason::node_down:
      return "node_down";
  }
  return "unknown";
}

void JsonlTraceSink::write(const TraceRecord& r) {
  out_ << "{\"time_ns\":" << r.time_ns << ",\"kind\":\"" << trace_kind_name(r.kind) << '"';
  if (r.layer != TraceLayer::none) out_ << ",\"layer\":\"" << trace_layer_name(r.layer) << '"';
  if (r.packet_type != 0) out_ << ",\"packet_type\":" << unsigned{r.packet_type};
  if (r.qos != 0) out_ << ",\"qos\":" << int{r.qos};
  if (r.kind == TraceKind::packet_dropped) {
    out_ << ",\"reason\":\"" << drop_reason_name(static_cast<DropReason>(r.reason)) << '"';
  } else if (r.reason != 0) {
    out_ << ",\"reason\":" << unsigned{r.reason};
  }
  if (r.node != kNoNode) out_ << ",\"node\":" << r.node;
  if (r.peer != kNoNode) out_ << ",\"peer\":" << r.peer;
  if (r.link != kNoLink) out_ << ",\"link\":" << r.link;
  if (r.size_bytes != 0) out_ << ",\"size_bytes\":" << r.size_bytes;
  if (r.packet_id != 0) out_ << ",\"packet_id\":" << r.packet_id;
  if (r.bytes_digest != 0) write_hex64(out_, "bytes_digest", r.bytes_digest);
  if (r.message_id != 0) out_ << ",\"message_id\":" << r.message_id;
  if (!r.label.empty()) {
    out_ << ",\"label\":";
    write_json_string(out_, r.label);
  }
  out_ << "}\n";
}

void Trace::record(const TraceRecord& record) {
  if (pending_bytes_ + kMaxTraceRecordBytes > kPendingBytes) {
    hasher_.update(pending_, pending_bytes_);
    pending_bytes_ = 0;
  }
  pending_bytes_ += serialize_trace_record(record, pending_ + pending_bytes_);
  ++record_count_;
  if (sink_ != nullptr) sink_->write(record);
}

std::uint64_t Trace::digest() const {
  Xxh64 hasher = hasher_;
  hasher.update(pending_, pending_bytes_);
  return hasher.digest();
}

}  // namespace mqttsim::sim
