// Primitive wire encodings shared by the MQTT and MQTT-SN codecs: big-endian integers,
// length-prefixed strings and binary data, and the Variable Byte Integer. Readers are bounds
// checked and never allocate; writers append to a byte vector.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.hpp"

namespace mqttsim::protocol {

inline constexpr std::uint32_t kVarintMax = 268'435'455;  // 0xFF 0xFF 0xFF 0x7F

enum class VarintStatus : std::uint8_t { ok, need_more, too_long, non_minimal };

// Decodes a Variable Byte Integer from [p, end). On `ok`, `value` and `length` are set.
// Non-minimal encodings (e.g. 80 00 for 0) are rejected: MQTT 5.0 requires the minimum number
// of bytes (MQTT-1.5.5-1) and 3.1.1 defines the encoding by the same algorithm, which never
// produces them, so accepting them would only widen the attack surface of fuzzed peers.
inline VarintStatus decode_varint(const std::uint8_t* p, const std::uint8_t* end,
                                  std::uint32_t& value, std::size_t& length) {
  std::uint32_t result = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (p + i >= end) return VarintStatus::need_more;
    const std::uint8_t byte = p[i];
    result |= static_cast<std::uint32_t>(byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) {
      if (i > 0 && byte == 0) return VarintStatus::non_minimal;
      value = result;
      length = i + 1;
      return VarintStatus::ok;
    }
  }
  return VarintStatus::too_long;
}

constexpr std::size_t varint_size(std::uint32_t value) {
  return value < 128 ? 1 : value < 16'384 ? 2 : value < 2'097'152 ? 3 : 4;
}

// A bounds-checked cursor over one packet. Every read returns false instead of running past
// the end; the caller turns that into a Malformed with the rule that applies where it reads.
class WireReader {
 public:
  // `base_offset` is where `bytes` starts inside the enclosing packet, so offset() can be
  // reported relative to the packet even for a reader over one section of it.
  explicit WireReader(ByteView bytes, std::size_t base_offset = 0)
      : begin_(bytes.data()), p_(begin_), end_(p_ + bytes.size()), base_offset_(base_offset) {}

  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }
  std::size_t offset() const { return base_offset_ + static_cast<std::size_t>(p_ - begin_); }
  bool at_end() const { return p_ == end_; }

  bool u8(std::uint8_t& out) {
    if (p_ == end_) return false;
    out = *p_++;
    return true;
  }
  bool u16(std::uint16_t& out) {
    if (remaining() < 2) return false;
    out = static_cast<std::uint16_t>(p_[0] << 8 | p_[1]);
    p_ += 2;
    return true;
  }
  bool u32(std::uint32_t& out) {
    if (remaining() < 4) return false;
    out = static_cast<std::uint32_t>(p_[0]) << 24 | static_cast<std::uint32_t>(p_[1]) << 16 |
          static_cast<std::uint32_t>(p_[2]) << 8 | p_[3];
    p_ += 4;
    return true;
  }
  VarintStatus varint(std::uint32_t& out) {
    std::size_t length = 0;
    const VarintStatus status = decode_varint(p_, end_, out, length);
    if (status == VarintStatus::ok) p_ += length;
    return status;
  }
  bool bytes(std::size_t n, ByteView& out) {
    if (remaining() < n) return false;
    out = ByteView(p_, n);
    p_ += n;
    return true;
  }
  // Two-byte length prefix then that many bytes (UTF-8 strings and Binary Data alike).
  bool prefixed(ByteView& out) {
    std::uint16_t n = 0;
    const std::uint8_t* start = p_;
    if (!u16(n) || !bytes(n, out)) {
      p_ = start;
      return false;
    }
    return true;
  }
  bool prefixed(std::string_view& out) {
    ByteView raw;
    if (!prefixed(raw)) return false;
    out = raw.as_chars();
    return true;
  }
  ByteView rest() {
    ByteView out(p_, remaining());
    p_ = end_;
    return out;
  }

 private:
  const std::uint8_t* begin_;
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  std::size_t base_offset_;
};

// Appends wire encodings to a byte vector. Callers check lengths beforehand (the encoder
// validates a packet completely before writing its first byte).
class WireWriter {
 public:
  explicit WireWriter(std::vector<std::uint8_t>& out) : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
      out_.push_back(static_cast<std::uint8_t>(v >> shift));
  }
  void varint(std::uint32_t v) {
    do {
      std::uint8_t byte = v & 0x7F;
      v >>= 7;
      if (v > 0) byte |= 0x80;
      out_.push_back(byte);
    } while (v > 0);
  }
  void bytes(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void bytes(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  void prefixed(ByteView b) {
    u16(static_cast<std::uint16_t>(b.size()));
    bytes(b);
  }
  void prefixed(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    bytes(s);
  }

 private:
  std::vector<std::uint8_t>& out_;
};

}  // namespace mqttsim::protocol
