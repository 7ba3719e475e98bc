// UTF-8 validation for MQTT strings: RFC 3629 well-formedness plus the MQTT bans on surrogates
// and U+0000. Topics are nearly always printable ASCII, so whole 8-byte words of it are skipped
// with a few bit operations and only the rest is decoded byte by byte.
#include "protocol/utf8.hpp"

#include <cstring>

namespace mqttsim::protocol {
namespace {

constexpr std::uint64_t splat(std::uint8_t byte) {
  return 0x0101010101010101ULL * byte;
}

constexpr std::uint64_t kHighBits = splat(0x80);

// Nonzero when any byte of `word` is not printable ASCII (0x20..0x7E), i.e. when it needs the
// byte-wise path: a multi-byte sequence, a control character, DEL or U+0000.
constexpr std::uint64_t special_bytes(std::uint64_t word) {
  // The last two terms are exact only when no byte has its high bit set; when one has, the first
  // term already makes the result nonzero. Below 0x80 neither term carries across bytes.
  const std::uint64_t below_space = (word - splat(0x20)) & ~word;
  const std::uint64_t is_delete = word + splat(0x01);
  return (word | below_space | is_delete) & kHighBits;
}

constexpr bool is_continuation(std::uint8_t byte) {
  return (byte & 0xC0) == 0x80;
}

constexpr bool is_discouraged(std::uint32_t code_point) {
  const bool control = code_point <= 0x1F || (code_point >= 0x7F && code_point <= 0x9F);
  const bool noncharacter = (code_point >= 0xFDD0 && code_point <= 0xFDEF) ||
                            (code_point & 0xFFFE) == 0xFFFE;  // U+xxFFFE, U+xxFFFF
  return control || noncharacter;
}

struct Decoded {
  Utf8Status status = Utf8Status::ok;
  std::size_t length = 1;  // bytes consumed when ok
  std::uint32_t code_point = 0;
};

// The allowed range of the byte after a lead byte (RFC 3629 §4). Narrowing it for E0, F0 and F4
// is what rejects overlong forms and code points above U+10FFFF; ED is handled by the caller
// because its upper half (surrogates) gets its own status.
struct SecondByteRange {
  std::uint8_t low = 0x80;
  std::uint8_t high = 0xBF;
};

constexpr SecondByteRange second_byte_range(std::uint8_t lead) {
  switch (lead) {
    case 0xE0:
      return {0xA0, 0xBF};
    case 0xF0:
      return {0x90, 0xBF};
    case 0xF4:
      return {0x80, 0x8F};
    default:
      return {};
  }
}

// Decodes the sequence starting at `bytes[0]`; `size` bytes are available.
Decoded decode_one(const std::uint8_t* bytes, std::size_t size) {
  const std::uint8_t lead = bytes[0];
  if (lead < 0x80) {
    return {lead == 0 ? Utf8Status::null_char : Utf8Status::ok, 1, lead};
  }
  // 80..BF cannot start a sequence; C0 and C1 only start overlong forms; F5..FF exceed U+10FFFF.
  if (lead < 0xC2 || lead > 0xF4) return {Utf8Status::ill_formed};
  const std::size_t length = lead < 0xE0 ? 2 : (lead < 0xF0 ? 3 : 4);
  if (size < length) return {Utf8Status::ill_formed};
  for (std::size_t k = 1; k < length; ++k) {
    if (!is_continuation(bytes[k])) return {Utf8Status::ill_formed};
  }
  const SecondByteRange range = second_byte_range(lead);
  if (bytes[1] < range.low || bytes[1] > range.high) return {Utf8Status::ill_formed};
  std::uint32_t code_point = lead & (0xFF >> (length + 1));
  for (std::size_t k = 1; k < length; ++k) code_point = (code_point << 6) | (bytes[k] & 0x3F);
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return {Utf8Status::surrogate};
  return {Utf8Status::ok, length, code_point};
}

}  // namespace

Utf8Check check_utf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  const std::size_t size = text.size();
  Utf8Check result;
  std::size_t i = 0;
  while (i < size) {
    if (size - i >= 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, bytes + i, sizeof word);  // unaligned load, no aliasing issue
      if (special_bytes(word) == 0) {
        i += 8;
        continue;
      }
    } else if (size >= 8) {
      // A short tail: test the last 8 bytes instead. Those before `i` were checked already, so
      // if all 8 are printable ASCII the string is done.
      std::uint64_t word = 0;
      std::memcpy(&word, bytes + size - 8, sizeof word);
      if (special_bytes(word) == 0) return result;
    }
    if (bytes[i] >= 0x20 && bytes[i] < 0x7F) {  // printable ASCII in a short tail
      ++i;
      continue;
    }
    const Decoded decoded = decode_one(bytes + i, size - i);
    if (decoded.status != Utf8Status::ok) {
      result.status = decoded.status;
      result.offset = i;
      return result;
    }
    result.discouraged = result.discouraged || is_discouraged(decoded.code_point);
    i += decoded.length;
  }
  return result;
}

std::string_view utf8_spec_ref(Utf8Status status, Version version) {
  // 3.1 has no numbered statements; its wire format is 3.1.1's, so 3.1.1's numbers stand in.
  const bool v5 = is_v5(version);
  switch (status) {
    case Utf8Status::ok:
      return {};
    case Utf8Status::ill_formed:
    case Utf8Status::surrogate:
      return v5 ? "MQTT-1.5.4-1" : "MQTT-1.5.3-1";
    case Utf8Status::null_char:
      return v5 ? "MQTT-1.5.4-2" : "MQTT-1.5.3-2";
  }
  return {};
}

std::string_view utf8_status_name(Utf8Status status) {
  switch (status) {
    case Utf8Status::ok:
      return "ok";
    case Utf8Status::ill_formed:
      return "ill_formed";
    case Utf8Status::surrogate:
      return "surrogate";
    case Utf8Status::null_char:
      return "null_char";
  }
  return "unknown";
}

}  // namespace mqttsim::protocol
