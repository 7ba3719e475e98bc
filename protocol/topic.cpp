// Topic name and topic filter validation (MQTT 3.1.1 §4.7, 5.0 §4.7 and §4.8.2), matching with
// `+` and `#`, and shared-subscription parsing. Matching walks both strings level by level in a
// loop, so depth costs time, never stack.
#include "protocol/topic.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "protocol/utf8.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>  // SSE2 is part of the x86-64 baseline: no -march flag needed
#endif

namespace mqttsim::protocol {
namespace {

constexpr std::size_t kMaxTopicBytes = 65535;  // a two-byte length prefix; MQTT-4.7.3-3
constexpr std::string_view kSharePrefix = "$share/";
constexpr std::string_view kLimitRef = "mqttsim-limit";

// The statement ids moved between versions (5.0 inserted MQTT-4.7.0-1 and renumbered 4.7.1).
// 3.1 has no numbered statements; it shares 3.1.1's topic rules, so it uses 3.1.1's numbers.
struct TopicRefs {
  std::string_view wildcard_in_name;  // "The Topic Name in the PUBLISH packet MUST NOT contain
                                      // wildcard characters"
  std::string_view multi_level;       // '#' alone in its level and last
  std::string_view single_level;      // '+' occupies an entire level
};

constexpr TopicRefs topic_refs(Version version) {
  if (is_v5(version)) return {"MQTT-3.3.2-2", "MQTT-4.7.1-1", "MQTT-4.7.1-2"};
  return {"MQTT-3.3.2-2", "MQTT-4.7.1-2", "MQTT-4.7.1-3"};
}

constexpr std::string_view kAtLeastOneCharRef = "MQTT-4.7.3-1";
constexpr std::string_view kMaxLengthRef = "MQTT-4.7.3-3";
constexpr std::string_view kShareNameNonEmptyRef = "MQTT-4.8.2-1";
constexpr std::string_view kShareNameCharsRef = "MQTT-4.8.2-2";

std::string at_byte(std::size_t position) {
  return " at byte " + std::to_string(position);
}

Malformed make_error(ErrorKind kind, std::string reason, std::string_view spec_ref,
                     std::size_t offset) {
  return Malformed{kind, std::move(reason), spec_ref, offset};
}

// Checks what topic names and filters share: length bounds and UTF-8. `what` names the field in
// the reason ("topic name", "topic filter").
std::optional<Malformed> check_common(std::string_view topic, Version version, ErrorKind kind,
                                      std::string_view what, std::size_t offset) {
  if (topic.empty()) {
    return make_error(kind, std::string(what) + " is empty; it must be at least one character",
                      kAtLeastOneCharRef, offset);
  }
  if (topic.size() > kMaxTopicBytes) {
    return make_error(kind,
                      std::string(what) + " is " + std::to_string(topic.size()) +
                          " bytes long; at most 65535 are allowed",
                      kMaxLengthRef, offset + kMaxTopicBytes);
  }
  const Utf8Check utf8 = check_utf8(topic);
  if (utf8.status == Utf8Status::ok) return std::nullopt;  // discouraged code points accepted
  std::string reason(what);
  switch (utf8.status) {
    case Utf8Status::surrogate:
      reason += " encodes a surrogate (U+D800..U+DFFF)";
      break;
    case Utf8Status::null_char:
      reason += " contains U+0000";
      break;
    default:
      reason += " is not well-formed UTF-8";
      break;
  }
  return make_error(ErrorKind::malformed_packet, reason + at_byte(utf8.offset),
                    utf8_spec_ref(utf8.status, version), offset + utf8.offset);
}

// ---- word-at-a-time scanning for topic names (the PUBLISH hot path) ----

constexpr std::uint64_t splat(std::uint8_t byte) {
  return 0x0101010101010101ULL * byte;
}
constexpr std::uint64_t kLow7 = splat(0x7F);

// 0x80 in exactly the bytes of `word` that are zero; no false positives, unlike the cheaper
// "has a zero byte" trick, so the bits can be counted.
constexpr std::uint64_t zero_bytes(std::uint64_t word) {
  return ~(((word & kLow7) + kLow7) | word | kLow7);
}

// Marks bytes equal to '+' (0x2B) or '#' (0x23). They differ only in bit 0x08, so setting that
// bit first lets one comparison find both.
constexpr std::uint64_t wildcard_bytes(std::uint64_t word) {
  return zero_bytes((word | splat(0x08)) ^ splat('+'));
}

// How many bytes of a zero_bytes() result are marked. The multiply sums the per-byte 0/1 values
// into the top byte (x86-64's baseline has no popcnt instruction).
constexpr std::size_t count_marked_bytes(std::uint64_t marks) {
  return static_cast<std::size_t>(((marks >> 7) * splat(0x01)) >> 56);
}

enum class NameIssue : std::uint8_t { none, wildcard, too_deep };

struct NameScan {
  NameIssue issue = NameIssue::none;
  std::size_t position = 0;
};

// Finds the first wildcard, or the separator that opens level `max_levels + 1`, whichever comes
// first. Words with neither are skipped eight bytes at a time; the rest is scanned byte-wise.
NameScan scan_topic_name(std::string_view name, std::size_t max_levels) {
  const std::size_t size = name.size();
  std::size_t separators = 0;  // levels = separators + 1
  std::size_t i = 0;
  for (; size - i >= 8; i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, name.data() + i, sizeof word);
    const std::uint64_t wildcards = wildcard_bytes(word);
    const std::size_t found = count_marked_bytes(zero_bytes(word ^ splat('/')));
    if (wildcards != 0 || separators + found >= max_levels) break;
    separators += found;
  }
  for (; i < size; ++i) {
    const char c = name[i];
    if (c == '+' || c == '#') return {NameIssue::wildcard, i};
    if (c == '/' && ++separators >= max_levels) return {NameIssue::too_deep, i};
  }
  return {};
}

// True when `name` (at least 8 bytes) is ASCII without U+0000 and without wildcards: the shape
// of nearly every real topic, settled in one pass that does check_utf8's and scan_topic_name's
// work (control characters are only discouraged, so they may stay). False only means "take the
// general path".
#if defined(__SSE2__)
// 16 bytes at a time: no byte with the high bit set, no NUL, no '+' or '#'.
bool plain_ascii_block(const char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i bad = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('+')), _mm_cmpeq_epi8(v, _mm_set1_epi8('#'))),
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_setzero_si128()), v));
  return _mm_movemask_epi8(bad) == 0;
}
#endif

bool is_plain_ascii_name(std::string_view name) {
#if defined(__SSE2__)
  if (name.size() >= 16) {
    std::size_t i = 0;
    for (; name.size() - i > 16; i += 16) {
      if (!plain_ascii_block(name.data() + i)) return false;
    }
    return plain_ascii_block(name.data() + name.size() - 16);  // overlapping last block
  }
#endif
  const auto test = [&](std::size_t at) {
    std::uint64_t word = 0;
    std::memcpy(&word, name.data() + at, sizeof word);
    // Zero exactly where `word` has '+' or '#'; those differ only in bit 0x08.
    const std::uint64_t wildcard_zeros = (word | splat(0x08)) ^ splat('+');
    // A high bit, or a zero byte in `word` or in `wildcard_zeros`. The borrow-based zero tests
    // are exact for bytes below 0x80, and any byte above makes the first term nonzero anyway.
    const std::uint64_t suspicious =
        word | ((word - splat(0x01)) & ~word) | ((wildcard_zeros - splat(0x01)) & ~wildcard_zeros);
    return (suspicious & splat(0x80)) == 0;
  };
  std::size_t i = 0;
  for (; name.size() - i > 8; i += 8) {
    if (!test(i)) return false;
  }
  // The last word overlaps the previous one rather than leaving a tail to scan byte by byte;
  // testing a byte twice is harmless for a yes/no question.
  return test(name.size() - 8);
}

Malformed too_deep_error(std::string_view what, std::size_t max_levels, std::size_t position,
                         std::size_t offset) {
  return make_error(ErrorKind::implementation_limit,
                    std::string(what) + " has more than " + std::to_string(max_levels) +
                        " levels (a limit of mqttsim)" + at_byte(position),
                    kLimitRef, offset + position);
}

// ---- topic filters ----

// Checks wildcard placement and depth of a plain (non-shared) filter that starts `start` bytes
// into the field at packet offset `offset`; reasons count bytes from the start of the field, the
// string the user wrote.
std::optional<Malformed> check_filter_levels(std::string_view filter, Version version,
                                             std::size_t max_levels, std::size_t offset,
                                             std::size_t start) {
  const TopicRefs refs = topic_refs(version);
  constexpr ErrorKind kind = ErrorKind::topic_filter_invalid;
  std::size_t separators = 0;
  for (std::size_t i = 0; i < filter.size(); ++i) {
    const char c = filter[i];
    const bool whole_level =
        (i == 0 || filter[i - 1] == '/') && (i + 1 == filter.size() || filter[i + 1] == '/');
    const std::size_t position = start + i;
    if (c == '/') {
      if (++separators >= max_levels) {
        return too_deep_error("topic filter", max_levels, position, offset);
      }
    } else if (c == '+' && !whole_level) {
      return make_error(kind, "topic filter has '+' that is not a whole level" + at_byte(position),
                        refs.single_level, offset + position);
    } else if (c == '#' && !whole_level) {
      return make_error(kind, "topic filter has '#' that is not a whole level" + at_byte(position),
                        refs.multi_level, offset + position);
    } else if (c == '#' && i + 1 != filter.size()) {
      return make_error(kind,
                        "topic filter has '#' that is not its last character" + at_byte(position),
                        refs.multi_level, offset + position);
    }
  }
  return std::nullopt;
}

// `$share/{ShareName}/{filter}` (5.0 §4.8.2): a non-empty ShareName without wildcards, then a
// non-empty filter that is itself valid.
std::optional<Malformed> check_shared_filter(std::string_view whole, SharedSubscription shared,
                                             Version version, std::size_t max_levels,
                                             std::size_t offset) {
  constexpr ErrorKind kind = ErrorKind::topic_filter_invalid;
  const std::size_t name_start = kSharePrefix.size();
  if (shared.share_name.empty()) {
    return make_error(kind, "shared subscription has an empty ShareName" + at_byte(name_start),
                      kShareNameNonEmptyRef, offset + name_start);
  }
  const std::size_t bad = shared.share_name.find_first_of("+#");
  if (bad != std::string_view::npos) {
    return make_error(kind,
                      std::string("shared subscription ShareName contains '") +
                          shared.share_name[bad] + "'" + at_byte(name_start + bad),
                      kShareNameCharsRef, offset + name_start + bad);
  }
  const std::size_t filter_start = name_start + shared.share_name.size() + 1;
  if (filter_start > whole.size()) {
    return make_error(kind,
                      "shared subscription ShareName is not followed by '/' and a topic filter" +
                          at_byte(whole.size()),
                      kShareNameCharsRef, offset + whole.size());
  }
  if (shared.filter.empty()) {
    return make_error(kind, "shared subscription has an empty topic filter" + at_byte(filter_start),
                      kShareNameCharsRef, offset + filter_start);
  }
  return check_filter_levels(shared.filter, version, max_levels, offset, filter_start);
}

// Builds the error for a name known to be invalid. Kept apart from validate_topic_name so the
// valid case, the one that runs for every PUBLISH, stays small and free of string building.
[[gnu::cold, gnu::noinline]] std::optional<Malformed> describe_invalid_name(std::string_view name,
                                                                            Version version,
                                                                            std::size_t max_levels,
                                                                            std::size_t offset) {
  if (auto error =
          check_common(name, version, ErrorKind::topic_name_invalid, "topic name", offset)) {
    return error;
  }
  const NameScan scan = scan_topic_name(name, max_levels);
  switch (scan.issue) {
    case NameIssue::none:
      return std::nullopt;
    case NameIssue::wildcard:
      return make_error(ErrorKind::topic_name_invalid,
                        std::string("topic name contains wildcard '") + name[scan.position] + "'" +
                            at_byte(scan.position),
                        topic_refs(version).wildcard_in_name, offset + scan.position);
    case NameIssue::too_deep:
      return too_deep_error("topic name", max_levels, scan.position, offset);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Malformed> validate_topic_name(std::string_view name, Version version,
                                             const TopicLimits& limits, std::size_t offset) {
  const std::size_t max_levels = std::max<std::size_t>(limits.max_levels, 1);
  const bool length_ok = !name.empty() && name.size() <= kMaxTopicBytes;
  // A name of fewer bytes than max_levels cannot have more than max_levels levels.
  const bool shallow = name.size() < max_levels;
  const bool valid = length_ok && ((shallow && name.size() >= 8 && is_plain_ascii_name(name)) ||
                                   (check_utf8(name).status == Utf8Status::ok &&
                                    scan_topic_name(name, max_levels).issue == NameIssue::none));
  if (valid) return std::nullopt;
  return describe_invalid_name(name, version, max_levels, offset);
}

std::optional<Malformed> validate_topic_filter(std::string_view filter, Version version,
                                               const TopicLimits& limits, std::size_t offset) {
  if (auto error =
          check_common(filter, version, ErrorKind::topic_filter_invalid, "topic filter", offset)) {
    return error;
  }
  const std::size_t max_levels = std::max<std::size_t>(limits.max_levels, 1);
  // Before 5.0 `$share/` has no meaning: such a filter is an ordinary one starting with '$'.
  if (is_v5(version)) {
    if (const auto shared = parse_shared_subscription(filter)) {
      return check_shared_filter(filter, *shared, version, max_levels, offset);
    }
  }
  return check_filter_levels(filter, version, max_levels, offset, 0);
}

bool topic_matches(std::string_view filter, std::string_view name) {
  // MQTT-4.7.2-1: `$SYS/...` and the like are reachable only by filters naming them.
  const bool filter_starts_with_wildcard =
      !filter.empty() && (filter.front() == '+' || filter.front() == '#');
  if (filter_starts_with_wildcard && !name.empty() && name.front() == '$') return false;

  // Two cursors, each at the start of a level of its string; one pass over both, no calls.
  const std::size_t f_size = filter.size();
  const std::size_t n_size = name.size();
  std::size_t f = 0;
  std::size_t n = 0;
  while (true) {
    // '#' swallows this level and everything below it, including nothing at all.
    if (f < f_size && filter[f] == '#') return true;
    if (f < f_size && filter[f] == '+' && (f + 1 == f_size || filter[f + 1] == '/')) {
      ++f;
      while (n < n_size && name[n] != '/') ++n;
    } else {
      while (f < f_size && n < n_size && filter[f] != '/' && filter[f] == name[n]) ++f, ++n;
      const bool filter_level_ended = f == f_size || filter[f] == '/';
      const bool name_level_ended = n == n_size || name[n] == '/';
      if (!filter_level_ended || !name_level_ended) return false;
    }
    if (f == f_size || n == n_size) {
      // "sport/#" also matches "sport": '#' includes the parent level.
      return f == f_size ? n == n_size : filter.substr(f) == "/#";
    }
    ++f;  // step over the '/' in both
    ++n;
  }
}

std::optional<SharedSubscription> parse_shared_subscription(std::string_view filter) {
  if (filter.substr(0, kSharePrefix.size()) != kSharePrefix) return std::nullopt;
  const std::string_view rest = filter.substr(kSharePrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return SharedSubscription{rest, {}};
  return SharedSubscription{rest.substr(0, slash), rest.substr(slash + 1)};
}

}  // namespace mqttsim::protocol
