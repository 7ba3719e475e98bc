// UTF-8 rules for MQTT strings (3.1.1 §1.5.3, 5.0 §1.5.4): well-formed per RFC 3629, no
// surrogates, no U+0000. Control characters and non-characters are only discouraged, so they
// are reported separately and accepted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/types.hpp"

namespace mqttsim::protocol {

enum class Utf8Status : std::uint8_t {
  ok,
  ill_formed,  // bad lead/continuation byte, truncated sequence, overlong form, > U+10FFFF
  surrogate,   // U+D800..U+DFFF encoded (ED A0 80 ...)
  null_char,   // U+0000
};

struct Utf8Check {
  Utf8Status status = Utf8Status::ok;
  std::size_t offset = 0;    // byte offset where the first offending sequence starts
  bool discouraged = false;  // U+0001..U+001F, U+007F..U+009F or a non-character seen
};

// Fast on ASCII (the common case for topics); never reads past `text`.
Utf8Check check_utf8(std::string_view text);

// The normative statement broken by a non-ok status under `version`, e.g. "MQTT-1.5.4-2".
std::string_view utf8_spec_ref(Utf8Status status, Version version);
std::string_view utf8_status_name(Utf8Status status);

}  // namespace mqttsim::protocol
