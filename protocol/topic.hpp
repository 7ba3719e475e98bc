// Topic names and topic filters: validation (wildcards, `$` topics, UTF-8, length), matching
// with `+` and `#`, and `$share/{ShareName}/{filter}` parsing. Matching is iterative, so a topic
// of tens of thousands of levels cannot exhaust the stack.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "protocol/types.hpp"

namespace mqttsim::protocol {

struct TopicLimits {
  // Beyond the specification (which bounds only the length, 65535 bytes): deeper topics are
  // rejected with ErrorKind::implementation_limit, a defence against depth floods. Levels are
  // separators + 1; for a 5.0 `$share/` filter only the inner filter's levels count.
  std::size_t max_levels = 1024;
};

// A topic name as found in PUBLISH or a Will: non-empty, no wildcards, valid UTF-8.
// `offset` is added to Malformed::offset so errors point into the enclosing packet.
// Checks run in a fixed order (empty, length, UTF-8, then wildcards/depth by position) and the
// first failure is reported. Discouraged code points (controls, non-characters) are accepted.
std::optional<Malformed> validate_topic_name(std::string_view name, Version version,
                                             const TopicLimits& limits = {},
                                             std::size_t offset = 0);

// A topic filter as found in SUBSCRIBE/UNSUBSCRIBE: non-empty, `#` only last and alone in its
// level, `+` alone in its level, valid UTF-8; under 5.0 a `$share/` filter must have a non-empty
// share name without `/`, `+`, `#`, followed by a valid filter.
std::optional<Malformed> validate_topic_filter(std::string_view filter, Version version,
                                               const TopicLimits& limits = {},
                                               std::size_t offset = 0);

// True when `name` matches `filter`. Both must be valid. A filter starting with a wildcard
// never matches a topic starting with `$` (MQTT-4.7.2-1). A `$share/...` filter is matched by
// its inner filter, so callers strip it with parse_shared_subscription first.
bool topic_matches(std::string_view filter, std::string_view name);

struct SharedSubscription {
  std::string_view share_name;
  std::string_view filter;
};

// Splits `$share/{ShareName}/{filter}`; nullopt when `filter` is not a shared subscription.
// Does not validate; validate_topic_filter does.
std::optional<SharedSubscription> parse_shared_subscription(std::string_view filter);

}  // namespace mqttsim::protocol
