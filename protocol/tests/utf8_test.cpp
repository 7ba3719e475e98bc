// Tests for check_utf8: each class of ill-formed input, the MQTT bans (surrogates, U+0000), the
// discouraged code points, and agreement with a deliberately naive reference decoder on generated
// input, including mostly-ASCII strings that drive the 8-byte fast path at every alignment.
#include "protocol/utf8.hpp"

#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace mqttsim::protocol;
using namespace std::string_literals;

namespace {

// The reference decoder: reads the sequence length from the lead byte, decodes blindly, then
// judges the code point (overlong, too large, surrogate). A different route from check_utf8,
// which narrows the second byte's range instead.
Utf8Check reference_check(std::string_view text) {
  Utf8Check result;
  std::size_t i = 0;
  auto fail = [&](Utf8Status status) {
    result.status = status;
    result.offset = i;
    return result;
  };
  while (i < text.size()) {
    const auto lead = static_cast<std::uint8_t>(text[i]);
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    std::uint32_t smallest = 0;
    if (lead < 0x80) {
      length = 1, code_point = lead, smallest = 0;
    } else if ((lead >> 5) == 0x6) {
      length = 2, code_point = lead & 0x1F, smallest = 0x80;
    } else if ((lead >> 4) == 0xE) {
      length = 3, code_point = lead & 0x0F, smallest = 0x800;
    } else if ((lead >> 3) == 0x1E) {
      length = 4, code_point = lead & 0x07, smallest = 0x10000;
    } else {
      return fail(Utf8Status::ill_formed);
    }
    if (i + length > text.size()) return fail(Utf8Status::ill_formed);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<std::uint8_t>(text[i + k]);
      if ((next >> 6) != 0x2) return fail(Utf8Status::ill_formed);
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < smallest || code_point > 0x10FFFF) return fail(Utf8Status::ill_formed);
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return fail(Utf8Status::surrogate);
    if (code_point == 0) return fail(Utf8Status::null_char);
    const bool control =
        (code_point >= 0x01 && code_point <= 0x1F) || (code_point >= 0x7F && code_point <= 0x9F);
    const bool noncharacter = (code_point >= 0xFDD0 && code_point <= 0xFDEF) ||
                              (code_point & 0xFFFF) == 0xFFFE || (code_point & 0xFFFF) == 0xFFFF;
    if (control || noncharacter) result.discouraged = true;
    i += length;
  }
  return result;
}

// Encodes any value below 2^21 in `length` bytes, overlong and surrogate forms included.
std::string encode(std::uint32_t code_point, std::size_t length) {
  static constexpr std::uint8_t kLeadMarks[] = {0, 0x00, 0xC0, 0xE0, 0xF0};
  std::string out(length, '\0');
  for (std::size_t k = length - 1; k > 0; --k) {
    out[k] = static_cast<char>(0x80 | (code_point & 0x3F));
    code_point >>= 6;
  }
  out[0] = static_cast<char>(kLeadMarks[length] | code_point);
  return out;
}

std::string encode(std::uint32_t code_point) {
  const std::size_t length = code_point < 0x80      ? 1
                             : code_point < 0x800   ? 2
                             : code_point < 0x10000 ? 3
                                                    : 4;
  return encode(code_point, length);
}

void require_same(const Utf8Check& actual, const Utf8Check& expected) {
  RC_ASSERT(actual.status == expected.status);
  RC_ASSERT(actual.offset == expected.offset);
  RC_ASSERT(actual.discouraged == expected.discouraged);
}

rc::Gen<std::string> printable_run() {
  return rc::gen::container<std::string>(rc::gen::inRange<char>(0x20, 0x7F));
}

// One piece of UTF-8-ish text: a code point near an interesting boundary, any code point, an
// overlong encoding, or a raw byte.
rc::Gen<std::string> interesting_piece() {
  const auto boundary = rc::gen::element<std::uint32_t>(
      0x00, 0x01, 0x1F, 0x20, 0x7E, 0x7F, 0x80, 0x9F, 0xA0, 0x7FF, 0x800, 0xD7FF, 0xD800, 0xDBFF,
      0xDC00, 0xDFFF, 0xE000, 0xFDCF, 0xFDD0, 0xFDEF, 0xFDF0, 0xFEFF, 0xFFFD, 0xFFFE, 0xFFFF,
      0x10000, 0x1FFFE, 0x1FFFF, 0x10FFFD, 0x10FFFE, 0x10FFFF, 0x110000, 0x13FFFF);
  return rc::gen::oneOf(
      rc::gen::map(boundary, [](std::uint32_t cp) { return encode(cp); }),
      rc::gen::map(rc::gen::inRange<std::uint32_t>(0, 0x110000),
                   [](std::uint32_t cp) { return encode(cp); }),
      rc::gen::map(rc::gen::pair(rc::gen::inRange<std::uint32_t>(0, 0x800),
                                 rc::gen::inRange<std::size_t>(2, 5)),
                   [](std::pair<std::uint32_t, std::size_t> p) {
                     return encode(p.first, p.second);  // overlong when the value is small
                   }),
      rc::gen::map(rc::gen::arbitrary<std::uint8_t>(),
                   [](std::uint8_t byte) { return std::string(1, static_cast<char>(byte)); }));
}

rc::Gen<std::string> concatenated(rc::Gen<std::vector<std::string>> pieces) {
  return rc::gen::map(std::move(pieces), [](const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts) out += part;
    return out;
  });
}

// The single bytes on either side of the fast path's "printable ASCII" test.
rc::Gen<std::string> ascii_edge() {
  return rc::gen::map(rc::gen::element<char>('\x00', '\x01', '\x1F', ' ', '~', '\x7F'),
                      [](char byte) { return std::string(1, byte); });
}

// Long printable runs with the occasional interesting piece, so that special bytes land at every
// position relative to the 8-byte words of the fast path.
rc::Gen<std::string> mostly_ascii() {
  return concatenated(
      rc::gen::container<std::vector<std::string>>(rc::gen::weightedOneOf<std::string>(
          {{6, printable_run()}, {1, ascii_edge()}, {1, interesting_piece()}})));
}

}  // namespace

TEST_CASE("check_utf8 accepts empty, ASCII and multi-byte text up to U+10FFFF") {
  for (const std::string& text :
       {""s, "sport/tennis/player1"s, "caf\xC3\xA9"s, "\xE2\x82\xAC"s, "\xF0\x9D\x84\x9E"s,
        "\xED\x9F\xBF"s /* U+D7FF */, "\xEE\x80\x80"s /* U+E000 */, "\xEF\xBB\xBF"s /* BOM */,
        "\xF4\x8F\xBF\xBD"s /* U+10FFFD */, "a longer ascii topic/with/many/levels/0123456789"s}) {
    const Utf8Check check = check_utf8(text);
    CAPTURE(text);
    CHECK(check.status == Utf8Status::ok);
    CHECK_FALSE(check.discouraged);
  }
}

TEST_CASE("check_utf8 reports each class of bad input with its status and offset") {
  struct Case {
    std::string bytes;
    Utf8Status status;
    const char* what;
  };
  const std::vector<Case> cases = {
      {"\xED\xA0\x80"s, Utf8Status::surrogate, "U+D800, first surrogate"},
      {"\xED\xBF\xBF"s, Utf8Status::surrogate, "U+DFFF, last surrogate"},
      {"\xC0\x80"s, Utf8Status::ill_formed, "overlong U+0000"},
      {"\xC1\xBF"s, Utf8Status::ill_formed, "overlong U+007F"},
      {"\xE0\x80\x80"s, Utf8Status::ill_formed, "overlong three-byte form"},
      {"\xE0\x9F\xBF"s, Utf8Status::ill_formed, "overlong U+07FF"},
      {"\xF0\x80\x80\x80"s, Utf8Status::ill_formed, "overlong four-byte form"},
      {"\xF0\x8F\xBF\xBF"s, Utf8Status::ill_formed, "overlong U+FFFF"},
      {"\xF4\x90\x80\x80"s, Utf8Status::ill_formed, "U+110000, above the maximum"},
      {"\xF5\x80\x80\x80"s, Utf8Status::ill_formed, "F5 lead byte"},
      {"\xF8\x88\x80\x80\x80"s, Utf8Status::ill_formed, "five-byte form"},
      {"\xFE"s, Utf8Status::ill_formed, "FE byte"},
      {"\xFF"s, Utf8Status::ill_formed, "FF byte"},
      {"\x80"s, Utf8Status::ill_formed, "lone continuation byte"},
      {"\xBF"s, Utf8Status::ill_formed, "lone continuation byte BF"},
      {"\xE2\x82"s, Utf8Status::ill_formed, "truncated euro sign"},
      {"\xF0\x9F\x98"s, Utf8Status::ill_formed, "truncated four-byte sequence"},
      {"\xED\xA0"s, Utf8Status::ill_formed, "truncated surrogate"},
      {"\xE2(\xA1"s, Utf8Status::ill_formed, "non-continuation second byte"},
      {"\xC3"s, Utf8Status::ill_formed, "lead byte at the end"},
      {"\x00"s, Utf8Status::null_char, "U+0000"},
  };
  for (const Case& c : cases) {
    // Every alignment relative to the fast path's 8-byte words, with text after it too.
    for (std::size_t prefix = 0; prefix < 17; ++prefix) {
      const std::string text = std::string(prefix, 'a') + c.bytes + std::string(9, 'z');
      const Utf8Check check = check_utf8(text);
      CAPTURE(c.what, prefix);
      CHECK(utf8_status_name(check.status) == utf8_status_name(c.status));
      CHECK(check.offset == prefix);
    }
  }
}

TEST_CASE("check_utf8 accepts discouraged code points but flags them") {
  const std::vector<std::string> discouraged = {"\x01"s,
                                                "\x1F"s,
                                                "\x7F"s,
                                                "\xC2\x80"s,
                                                "\xC2\x9F"s,
                                                "\xEF\xB7\x90"s,
                                                "\xEF\xB7\xAF"s,
                                                "\xEF\xBF\xBE"s,
                                                "\xEF\xBF\xBF"s,
                                                "\xF0\x9F\xBF\xBE"s,
                                                "\xF3\xBF\xBF\xBF"s,
                                                "\xF4\x8F\xBF\xBF"s};
  for (const std::string& bytes : discouraged) {
    for (std::size_t prefix = 0; prefix < 9; ++prefix) {
      const Utf8Check check = check_utf8(std::string(prefix, 'a') + bytes + "/tail/tail");
      CAPTURE(bytes, prefix);
      CHECK(check.status == Utf8Status::ok);
      CHECK(check.discouraged);
    }
  }
  const std::vector<std::string> allowed = {" "s,
                                            "~"s,
                                            "\xC2\xA0"s,
                                            "\xEF\xB7\x8F"s,
                                            "\xEF\xB7\xB0"s,
                                            "\xEF\xBF\xBD"s,
                                            "\xF0\x90\x80\x80"s};
  for (const std::string& bytes : allowed) {
    const Utf8Check check = check_utf8("abcdefgh" + bytes + "abcdefgh");
    CAPTURE(bytes);
    CHECK(check.status == Utf8Status::ok);
    CHECK_FALSE(check.discouraged);
  }
}

TEST_CASE("check_utf8 stops at the first offence and ignores what follows") {
  const Utf8Check check = check_utf8("abc\x80\x00\xED\xA0\x80"s);
  CHECK(check.status == Utf8Status::ill_formed);
  CHECK(check.offset == 3);
}

TEST_CASE("utf8_spec_ref names the 3.1.1 statements for 3.1 and 3.1.1 and the 5.0 ones for 5.0") {
  for (const Version v : {Version::v3_1, Version::v3_1_1}) {
    CHECK(utf8_spec_ref(Utf8Status::ill_formed, v) == "MQTT-1.5.3-1");
    CHECK(utf8_spec_ref(Utf8Status::surrogate, v) == "MQTT-1.5.3-1");
    CHECK(utf8_spec_ref(Utf8Status::null_char, v) == "MQTT-1.5.3-2");
    CHECK(utf8_spec_ref(Utf8Status::ok, v).empty());
  }
  CHECK(utf8_spec_ref(Utf8Status::ill_formed, Version::v5) == "MQTT-1.5.4-1");
  CHECK(utf8_spec_ref(Utf8Status::surrogate, Version::v5) == "MQTT-1.5.4-1");
  CHECK(utf8_spec_ref(Utf8Status::null_char, Version::v5) == "MQTT-1.5.4-2");
  CHECK(utf8_spec_ref(Utf8Status::ok, Version::v5).empty());
}

TEST_CASE("utf8_status_name gives each status a distinct readable name") {
  CHECK(utf8_status_name(Utf8Status::ok) == "ok");
  CHECK(utf8_status_name(Utf8Status::ill_formed) == "ill_formed");
  CHECK(utf8_status_name(Utf8Status::surrogate) == "surrogate");
  CHECK(utf8_status_name(Utf8Status::null_char) == "null_char");
}

TEST_CASE("check_utf8 agrees with the reference decoder") {
  rc::prop("on arbitrary bytes", [] {
    const auto bytes = *rc::gen::container<std::string>(rc::gen::arbitrary<char>());
    require_same(check_utf8(bytes), reference_check(bytes));
  });
  rc::prop("on concatenations of interesting pieces", [] {
    const auto text =
        *concatenated(rc::gen::container<std::vector<std::string>>(interesting_piece()));
    require_same(check_utf8(text), reference_check(text));
  });
  rc::prop("on mostly-ASCII text, whatever the alignment", [] {
    const auto text = *mostly_ascii();
    const auto skip = *rc::gen::inRange<std::size_t>(0, 8);
    const std::string_view view = std::string_view(text).substr(std::min(skip, text.size()));
    require_same(check_utf8(view), reference_check(view));
  });
}
